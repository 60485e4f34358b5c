"""A user's routing preferences for `model: "auto"`, as a frozen value the router can take.

    Preferences                      frozen dataclass (empty sets mean "no constraint")
    preferences_from_row(row)        RoutingPreference row -> Preferences
    load_preferences(user_id)        the user's Preferences, or None when they have set none
                                     (sync, one query: call it off the event loop and cache it)
    preference_values(user_id)       the stored fields as a dict (defaults when there is no row)
    preference_save(*, user_id, values)  create or update the row; answers preference_values
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gateway.registry import Weights


@dataclass(frozen=True)
class Preferences:
    allowed_providers: frozenset[str] = frozenset()
    blocked_providers: frozenset[str] = frozenset()
    allowed_models: frozenset[str] = frozenset()
    blocked_models: frozenset[str] = frozenset()
    cost_weight: float | None = None
    quality_weight: float | None = None
    speed_weight: float | None = None
    max_price_per_mtok: Decimal | None = None

    @property
    def has_weight_overrides(self) -> bool:
        return any(w is not None for w in (self.cost_weight, self.quality_weight, self.speed_weight))

    def weights_over(self, base: Weights) -> Weights:
        """The user's weights over the operator's: given ones replace, then all three are rescaled
        to sum to 1 (so `cost_weight=0` alone shares cost's part between quality and speed)."""
        if not self.has_weight_overrides:
            return base
        cost = base.cost if self.cost_weight is None else self.cost_weight
        quality = base.quality if self.quality_weight is None else self.quality_weight
        speed = base.speed if self.speed_weight is None else self.speed_weight
        total = cost + quality + speed
        if total <= 0:
            return base
        return Weights(cost=cost / total, quality=quality / total, speed=speed / total)


def _as_float(value) -> float | None:
    return None if value is None else float(value)


def preferences_from_row(row) -> Preferences:
    return Preferences(
        allowed_providers=frozenset(row.allowed_providers or ()),
        blocked_providers=frozenset(row.blocked_providers or ()),
        allowed_models=frozenset(row.allowed_models or ()),
        blocked_models=frozenset(row.blocked_models or ()),
        cost_weight=_as_float(row.cost_weight),
        quality_weight=_as_float(row.quality_weight),
        speed_weight=_as_float(row.speed_weight),
        max_price_per_mtok=row.max_price_per_mtok,
    )


def load_preferences(user_id: int) -> Preferences | None:
    from gateway.models import RoutingPreference

    row = RoutingPreference.objects.filter(user_id=user_id).first()
    return None if row is None else preferences_from_row(row)


EDITABLE_FIELDS = (
    "allowed_providers", "blocked_providers", "allowed_models", "blocked_models",
    "cost_weight", "quality_weight", "speed_weight", "max_price_per_mtok",
)


def preference_values(user_id: int) -> dict:
    from gateway.models import RoutingPreference

    row = RoutingPreference.objects.filter(user_id=user_id).first()
    if row is None:
        values = dict.fromkeys(EDITABLE_FIELDS)
        values.update(allowed_providers=[], blocked_providers=[], allowed_models=[], blocked_models=[])
        values["updated_at"] = None
        return values
    values = {name: getattr(row, name) for name in EDITABLE_FIELDS}
    values["updated_at"] = row.updated_at
    return values


def preference_save(*, user_id: int, values: dict) -> dict:
    """Write the given fields (the API has validated them) and answer the stored values."""
    from gateway.models import RoutingPreference

    changes = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    row, created = RoutingPreference.objects.get_or_create(user_id=user_id, defaults=changes)
    if not created and changes:
        for name, value in changes.items():
            setattr(row, name, value)
        row.save(update_fields=[*changes, "updated_at"])
    return preference_values(user_id)
