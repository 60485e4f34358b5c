"""OpenAPI links of the Keys API: the `id` a create answers is the `key_id` its delete takes.

drf-spectacular has no per-response links, so this postprocessing hook adds them; clients and
schemathesis's stateful tests follow them from create to delete. Enable it with
`SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums", "keys.schema_links.add_key_links"]`.
"""
from __future__ import annotations

KEY_COLLECTIONS = ("/api/keys/gateway", "/api/keys/providers")


def add_key_links(result: dict, generator, request, public) -> dict:
    paths = result.get("paths", {})
    for collection in KEY_COLLECTIONS:
        created = paths.get(collection, {}).get("post", {}).get("responses", {}).get("201")
        delete = paths.get(f"{collection}/{{key_id}}", {}).get("delete")
        if created is None or delete is None:
            continue
        created.setdefault("links", {})["DeleteKey"] = {
            "operationId": delete["operationId"],
            "parameters": {"key_id": "$response.body#/id"},
            "description": "Revoke or delete the key just created.",
        }
    return result
