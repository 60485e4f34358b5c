import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from tests.conftest import jwt_client

REFRESH = "/api/auth/refresh"
LOGOUT = "/api/auth/logout"

pytestmark = pytest.mark.django_db


def test_refresh_returns_a_new_working_access_token(anon_client, alice):
    refresh = str(RefreshToken.for_user(alice))

    response = anon_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    me = anon_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["id"] == alice.id


@pytest.mark.parametrize("token", ["junk", "a.b.c"], ids=["junk", "fake-jwt"])
def test_refresh_answers_401_on_an_invalid_token(anon_client, token):
    response = anon_client.post(REFRESH, {"refresh": token}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_refresh_refuses_an_access_token(anon_client, alice):
    access = str(RefreshToken.for_user(alice).access_token)

    response = anon_client.post(REFRESH, {"refresh": access}, format="json")

    assert response.status_code == 401


def test_refresh_refuses_a_deleted_users_token(anon_client, alice):
    refresh = str(RefreshToken.for_user(alice))
    alice.delete()

    response = anon_client.post(REFRESH, {"refresh": refresh}, format="json")

    assert response.status_code == 401


def test_refresh_answers_400_without_a_token(anon_client):
    assert anon_client.post(REFRESH, {}, format="json").status_code == 400
    assert anon_client.post(REFRESH, {"refresh": ""}, format="json").status_code == 400
    assert anon_client.post(REFRESH, {"refresh": ["x"]}, format="json").status_code == 400
    assert anon_client.post(REFRESH, "{", content_type="application/json").status_code == 400


def test_logout_blacklists_the_refresh_token(alice, alice_client, anon_client):
    refresh = str(RefreshToken.for_user(alice))

    response = alice_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert response.status_code == 205
    assert anon_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 401


def test_logout_needs_an_access_token(anon_client, alice):
    refresh = str(RefreshToken.for_user(alice))

    response = anon_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert anon_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


def test_logout_refuses_someone_elses_refresh_token(alice, bob_client, anon_client):
    refresh = str(RefreshToken.for_user(alice))

    response = bob_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert response.status_code == 400
    assert anon_client.post(REFRESH, {"refresh": refresh}, format="json").status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh": "junk"}, {"refresh": 12}], ids=["missing", "junk", "number"])
def test_logout_answers_400_on_a_bad_body(alice_client, body):
    response = alice_client.post(LOGOUT, body, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_logout_twice_answers_400_the_second_time(alice, alice_client):
    refresh = str(RefreshToken.for_user(alice))
    alice_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert alice_client.post(LOGOUT, {"refresh": refresh}, format="json").status_code == 400


def test_me_returns_the_signed_in_user(alice, alice_client):
    response = alice_client.get("/api/auth/me")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == alice.id and body["email"] == "alice@example.com" and body["date_joined"]
    assert "password" not in body


def test_me_needs_authentication(anon_client):
    assert anon_client.get("/api/auth/me").status_code == 401
    assert anon_client.get("/api/auth/me", HTTP_AUTHORIZATION="Bearer not-a-jwt").status_code == 401


def test_deactivating_a_user_stops_their_access_and_refresh_tokens_at_once(alice, anon_client):
    refresh = RefreshToken.for_user(alice)
    client = jwt_client(alice)
    assert client.get("/api/auth/me").status_code == 200

    services.user_set_active(user=alice, is_active=False)

    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/keys/gateway").status_code == 401
    assert anon_client.post(REFRESH, {"refresh": str(refresh)}, format="json").status_code == 401
