from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "gateway"

    def ready(self):
        from gateway.auth import forget_key
        from gateway.user_data import forget_user
        from keys import events

        def drop_cached(kind: str, value) -> None:
            if kind == "gateway_key":
                forget_key(value)
            elif kind == "user":
                forget_user(value)
                forget_key()  # a deactivated user's keys: drop every cached principal

        events.subscribe(drop_cached)

        from gateway import ratelimit
        from gateway.spend import load_month_spend

        ratelimit.set_spend_loader(load_month_spend)
