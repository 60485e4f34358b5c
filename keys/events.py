"""Announcements that a key changed, so every cache of key data drops its copy.

Services call `key_changed(digest)` after a gateway key is revoked or its limits change, and
`user_keys_changed(user_id)` after a user's provider keys (or the user) change. Each drops the
shared-cache entries `gwkey:<digest>` / `provkeys:<user_id>` and calls every subscriber, e.g. an
in-process cache: `keys.events.subscribe(fn)`, where `fn(kind, value)` receives
`("gateway_key", digest)` or `("user", user_id)`.

Each announcement runs at once and again when the surrounding transaction commits: the first
makes a single process (and the tests) see the change immediately, the second closes the window
in which another worker could re-cache the old row before the write was committed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[str, object], None]
_subscribers: list[Subscriber] = []


def gateway_key_cache_key(digest: str) -> str:
    return f"gwkey:{digest}"


def provider_keys_cache_key(user_id: int) -> str:
    return f"provkeys:{user_id}"


def subscribe(fn: Subscriber) -> None:
    if fn not in _subscribers:
        _subscribers.append(fn)


def unsubscribe(fn: Subscriber) -> None:
    if fn in _subscribers:
        _subscribers.remove(fn)


def key_changed(digest: str) -> None:
    _announce("gateway_key", digest, gateway_key_cache_key(digest))


def user_keys_changed(user_id: int) -> None:
    _announce("user", user_id, provider_keys_cache_key(user_id))


def _announce(kind: str, value, cache_key: str) -> None:
    def drop():
        cache.delete(cache_key)
        for fn in list(_subscribers):
            try:
                fn(kind, value)
            except Exception:  # one broken subscriber must not keep the others stale
                logger.exception("key-change subscriber %r failed", fn)

    drop()
    transaction.on_commit(drop)
