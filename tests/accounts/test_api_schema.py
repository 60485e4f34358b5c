import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_documents_the_auth_and_keys_shapes(anon_client):
    response = anon_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    paths, components = schema["paths"], schema["components"]["schemas"]
    assert {"/api/auth/signup", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/auth/me",
            "/api/keys/gateway", "/api/keys/gateway/{key_id}", "/api/keys/providers",
            "/api/keys/providers/{key_id}"} <= set(paths)
    assert "jwtAuth" not in str(paths["/api/auth/signup"]["post"].get("security"))
    assert "jwtAuth" in str(paths["/api/auth/me"]["get"]["security"])
    assert set(components["SignupInput"]["properties"]) == {"email", "password"}
    assert set(components["SignupOutput"]["properties"]) == {"user", "access", "refresh"}
    assert "key" in components["GatewayKeyCreatedOutput"]["properties"]
    assert "key" not in components["GatewayKeyOutput"]["properties"]
    assert set(components["ProviderKeyOutput"]["properties"]) == {"id", "provider", "label", "last4", "created_at"}
