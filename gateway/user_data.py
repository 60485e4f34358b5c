"""What the request path needs to know about a user: decrypted provider keys and routing
preferences, read in one trip to the database and kept in this worker for a second.

Decrypting on every request would cost a database read; keeping the copy longer would let a
deleted provider key or a changed preference live on. GATEWAY_KEY_CACHE_TTL bounds both, and a
change made through keys.services drops this worker's copy at once (keys.events).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from gateway.conf import settings
from gateway.dbthread import run_db
from gateway.preferences import Preferences
from gateway.singleflight import SingleFlight

MAX_CACHED_USERS = 10_000


@dataclass(frozen=True)
class UserData:
    secrets: dict[str, str]
    preferences: Preferences | None

    @property
    def providers(self) -> frozenset[str]:
        return frozenset(self.secrets)


_users: dict[int, tuple[UserData, float]] = {}
_loads = SingleFlight()


def _load(user_id: int) -> UserData:
    from gateway.preferences import load_preferences
    from keys.selectors import provider_secrets_for_user

    return UserData(provider_secrets_for_user(user_id), load_preferences(user_id))


async def user_data(user_id: int) -> UserData:
    now = time.monotonic()
    cached = _users.get(user_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    return await _loads.run(user_id, lambda: _load_and_remember(user_id))


async def _load_and_remember(user_id: int) -> UserData:
    data = await run_db(_load, user_id)
    if len(_users) >= MAX_CACHED_USERS:
        _users.clear()
    _users[user_id] = (data, time.monotonic() + settings.GATEWAY_KEY_CACHE_TTL)
    return data


def forget_user(user_id: int | None = None) -> None:
    if user_id is None:
        _users.clear()
    else:
        _users.pop(user_id, None)
