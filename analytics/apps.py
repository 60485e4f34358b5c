from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self):
        from analytics.sqlite_rollups import register_deferred_function

        connection_created.connect(register_deferred_function, dispatch_uid="analytics-rollup-deferred")
