"""keys.schema_links: the schema links each key's create answer to its delete."""
from drf_spectacular.generators import SchemaGenerator

from keys.schema_links import add_key_links


def test_the_create_answers_link_to_the_deletes_by_id(db):
    schema = add_key_links(SchemaGenerator().get_schema(request=None, public=True), None, None, True)

    for collection, target in (("/api/keys/gateway", "keys_gateway_destroy"),
                               ("/api/keys/providers", "keys_providers_destroy")):
        link = schema["paths"][collection]["post"]["responses"]["201"]["links"]["DeleteKey"]
        assert link["operationId"] == target
        assert link["parameters"] == {"key_id": "$response.body#/id"}
        assert schema["paths"][f"{collection}/{{key_id}}"]["delete"]["operationId"] == target


def test_a_schema_without_the_keys_api_is_left_as_it_is():
    schema = {"paths": {"/api/auth/me": {"get": {"responses": {"200": {}}}}}}
    assert add_key_links(schema, None, None, True) == {"paths": {"/api/auth/me": {"get": {"responses": {"200": {}}}}}}

