import pytest

from accounts.models import User

SIGNUP = "/api/auth/signup"
STRONG = "plum-tractor-velvet-91"

pytestmark = pytest.mark.django_db


def test_signup_creates_the_account_and_returns_a_token_pair(anon_client):
    response = anon_client.post(SIGNUP, {"email": "dana@example.com", "password": STRONG}, format="json")

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(email="dana@example.com")
    assert body["user"] == {"id": user.id, "email": "dana@example.com"}
    assert body["access"] and body["refresh"]
    assert user.check_password(STRONG)
    me = anon_client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.json()["email"] == "dana@example.com"


def test_signup_stores_the_email_lower_cased(anon_client):
    response = anon_client.post(SIGNUP, {"email": "Dana@Example.COM", "password": STRONG}, format="json")

    assert response.status_code == 201
    assert response.json()["user"]["email"] == "dana@example.com"


def test_signup_refuses_a_taken_email_whatever_its_case(anon_client, alice):
    response = anon_client.post(SIGNUP, {"email": "ALICE@example.com", "password": STRONG}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "12345678901234", "dana@example.com"],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_signup_refuses_a_weak_password(anon_client, password):
    response = anon_client.post(SIGNUP, {"email": "dana@example.com", "password": password}, format="json")

    assert response.status_code == 400
    assert response.json()["password"]
    assert not User.objects.filter(email="dana@example.com").exists()


def test_signup_ignores_privilege_fields_in_the_body(anon_client):
    body = {"email": "dana@example.com", "password": STRONG, "is_staff": True, "is_superuser": True, "id": 999}

    response = anon_client.post(SIGNUP, body, format="json")

    assert response.status_code == 201
    user = User.objects.get(email="dana@example.com")
    assert not user.is_staff and not user.is_superuser
    assert user.id != 999


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "dana@example.com"},
        {"password": STRONG},
        {"email": "not-an-email", "password": STRONG},
        {"email": ["dana@example.com"], "password": STRONG},
        {"email": "dana@example.com", "password": {"x": 1}},
        {"email": "dana@example.com", "password": None},
        {"email": "dana\u0000@example.com", "password": STRONG},
        {"email": "dana@example.com", "password": "x" * 5000},
    ],
    ids=["empty", "no-password", "no-email", "bad-email", "email-list", "password-object", "password-null",
         "nul-in-email", "huge-password"],
)
def test_signup_answers_400_with_field_errors_on_bad_input(anon_client, body):
    response = anon_client.post(SIGNUP, body, format="json")

    assert response.status_code == 400
    assert isinstance(response.json(), dict) and response.json()


@pytest.mark.parametrize("raw", ['{"email": ', "[1, 2]", '"just a string"', "null", "\xff\xfe"])
def test_signup_answers_400_on_malformed_or_non_object_json(anon_client, raw):
    response = anon_client.post(SIGNUP, raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_signup_ignores_a_stale_authorization_header(anon_client):
    response = anon_client.post(
        SIGNUP, {"email": "dana@example.com", "password": STRONG}, format="json", HTTP_AUTHORIZATION="Bearer junk"
    )

    assert response.status_code == 201
