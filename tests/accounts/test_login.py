import pytest

from tests.factories import DEFAULT_PASSWORD, make_user

LOGIN = "/api/auth/login"

pytestmark = pytest.mark.django_db


def test_login_returns_a_working_token_pair(anon_client, alice):
    response = anon_client.post(LOGIN, {"email": "alice@example.com", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    me = anon_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200 and me.json()["id"] == alice.id


def test_login_matches_the_email_whatever_its_case(anon_client, alice):
    response = anon_client.post(LOGIN, {"email": " Alice@EXAMPLE.com", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "email, password",
    [("alice@example.com", "wrong-password-123"), ("nobody@example.com", DEFAULT_PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_login_answers_401_on_bad_credentials(anon_client, alice, email, password):
    response = anon_client.post(LOGIN, {"email": email, "password": password}, format="json")

    assert response.status_code == 401
    assert "access" not in response.json()


def test_login_answers_401_for_a_deactivated_user(anon_client):
    make_user("dora@example.com", is_active=False)

    response = anon_client.post(LOGIN, {"email": "dora@example.com", "password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "alice@example.com"}, {"password": DEFAULT_PASSWORD}, {"email": {"a": 1}, "password": "x"}],
    ids=["empty", "no-password", "no-email", "email-object"],
)
def test_login_answers_400_on_missing_or_wrong_fields(anon_client, body):
    response = anon_client.post(LOGIN, body, format="json")

    assert response.status_code == 400


def test_login_answers_400_on_malformed_json(anon_client):
    response = anon_client.post(LOGIN, "{nope", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()
