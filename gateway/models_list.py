"""GET /v1/models: every enabled registry model the caller can reach, plus `auto`."""
from __future__ import annotations

from gateway.principal import GatewayPrincipal
from gateway.user_data import user_data
from gateway.registry import get_snapshot

AUTO_CREATED = 1_700_000_000


async def list_models(principal: GatewayPrincipal) -> dict:
    snapshot = await get_snapshot()
    providers = (await user_data(principal.user_id)).providers
    data = [{"id": "auto", "object": "model", "created": AUTO_CREATED, "owned_by": "gateway"}]
    data += [
        {"id": m.model_id, "object": "model", "created": m.created or AUTO_CREATED, "owned_by": m.provider}
        for m in sorted(snapshot.models.values(), key=lambda m: (m.provider, m.model_id))
        if m.provider in providers
    ]
    return {"object": "list", "data": data}
