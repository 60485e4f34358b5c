"""Forged, expired, misused and junk credentials are refused with a plain 401.

/api takes access JWTs: `alg: none`, a bad signature, another algorithm, an expired token, a
refresh token used as an access token, garbage and SQL-shaped strings all get 401 and echo
nothing. /v1 takes gateway keys: every bad key — missing, wrong, revoked, SQL-shaped, oversized —
gets the same 401 body, which says nothing about what was sent.
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from analytics import recorder
from gateway import auth
from keys.hashing import generate_gateway_key
from keys.models import GatewayKey
from keys.services import gateway_key_create, gateway_key_revoke
from tests.factories import make_user

# The HS512 forgery is signed with the (short) test secret on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")

API_ENDPOINTS = ["/api/auth/me", "/api/keys/gateway", "/api/keys/providers", "/api/routing/preferences",
                 "/api/analytics/overview", "/api/analytics/requests"]

SQL_SHAPED = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "1; DROP TABLE accounts_user; --",
    "\" OR \"\"=\"",
    "admin'--",
    "x' UNION SELECT digest FROM keys_gatewaykey --",
    "%' OR digest LIKE '%",
    "gw-' OR ''='",
]
# Header values reach Django decoded as latin-1 (WSGI and ASGI alike), so UTF-8 bytes look like this.
GARBAGE = ["x", "a.b.c", "eyJhbGciOiJIUzI1NiJ9", "....", "null", "undefined", "é" * 40, "A" * 5000,
           "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.", "\u202e\u0000nul".encode().decode("latin-1")]


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def access_claims(user_id, **extra) -> dict:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now + 600, "iat": now, "jti": uuid.uuid4().hex,
              settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"): str(user_id)}
    claims.update(extra)
    return claims


def unsigned(claims: dict, alg: str = "none") -> str:
    return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}."


def forged_tokens(user) -> dict[str, str]:
    """FORGERIES name -> token; each would log `user` in if the server trusted it."""
    claims = access_claims(user.pk)
    genuine = str(AccessToken.for_user(user))
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=5))
    head, body, signature = genuine.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return {
        "alg none": unsigned(claims),
        "alg None": unsigned(claims, "None"),
        "alg NONE with a signature": unsigned(claims, "NONE") + "c2lnbmF0dXJl",
        "signed with another secret": jwt.encode(claims, "not-the-server-secret-" + "x" * 32, algorithm="HS256"),
        "signature flipped": f"{head}.{body}.{flipped}",
        "payload swapped under a genuine signature": f"{head}.{_b64(access_claims(user.pk, exp=2**40))}.{signature}",
        "HS512 with the server secret": jwt.encode(claims, settings.SECRET_KEY, algorithm="HS512"),
        "expired": str(expired),
        "refresh token used as access": str(RefreshToken.for_user(user)),
        "no token_type": jwt.encode({k: v for k, v in claims.items() if k != "token_type"},
                                    settings.SECRET_KEY, algorithm="HS256"),
        "unknown user": jwt.encode(access_claims(987654321), settings.SECRET_KEY, algorithm="HS256"),
    }


FORGERIES = [
    "alg none", "alg None", "alg NONE with a signature", "signed with another secret", "signature flipped",
    "payload swapped under a genuine signature", "HS512 with the server secret", "expired",
    "refresh token used as access", "no token_type", "unknown user",
]


@pytest.fixture
def victim(db):
    return make_user("victim@example.com")


def anonymous_get(path: str, authorization: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)
    return client.get(path)


def assert_plain_401(response, sent: str):
    assert response.status_code == 401, (response.status_code, response.content[:200])
    assert response.json().get("detail")
    if len(sent) >= 6:
        text = response.content.decode() + "".join(f"{k}:{v}" for k, v in response.items())
        assert sent not in text


def test_genuine_tokens_are_accepted_so_the_forgeries_below_are_refused_on_their_merits(victim):
    hand_built = jwt.encode(access_claims(victim.pk), settings.SECRET_KEY, algorithm="HS256")
    for token in (str(AccessToken.for_user(victim)), hand_built):
        response = anonymous_get("/api/auth/me", f"Bearer {token}")
        assert response.status_code == 200 and response.json()["email"] == victim.email


@pytest.mark.parametrize("name", FORGERIES)
@pytest.mark.parametrize("path", API_ENDPOINTS)
def test_forged_and_misused_jwts_get_401(victim, name, path):
    token = forged_tokens(victim)[name]
    assert_plain_401(anonymous_get(path, f"Bearer {token}"), token)


def test_a_deactivated_users_genuine_token_gets_401(victim):
    token = str(AccessToken.for_user(victim))
    victim.is_active = False
    victim.save()
    assert_plain_401(anonymous_get("/api/auth/me", f"Bearer {token}"), token)


@pytest.mark.parametrize("junk", SQL_SHAPED + GARBAGE)
@pytest.mark.parametrize("path", ["/api/auth/me", "/api/keys/providers"])
def test_garbage_and_sql_shaped_tokens_get_401(db, junk, path):
    assert_plain_401(anonymous_get(path, f"Bearer {junk}"), junk)


@pytest.mark.parametrize("junk", SQL_SHAPED + GARBAGE[:6])
def test_garbage_and_sql_shaped_refresh_tokens_get_401(victim, junk):
    response = APIClient().post("/api/auth/refresh", {"refresh": junk}, format="json")
    assert_plain_401(response, junk)


@pytest.mark.parametrize("name", ["alg none", "signed with another secret", "expired", "HS512 with the server secret"])
def test_forged_refresh_tokens_get_401(victim, name):
    refresh = RefreshToken.for_user(victim)
    claims = {**refresh.payload, "jti": uuid.uuid4().hex}
    tokens = {
        "alg none": unsigned(claims),
        "signed with another secret": jwt.encode(claims, "not-the-server-secret-" + "x" * 32, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 10}, settings.SECRET_KEY, algorithm="HS256"),
        "HS512 with the server secret": jwt.encode(claims, settings.SECRET_KEY, algorithm="HS512"),
    }
    response = APIClient().post("/api/auth/refresh", {"refresh": tokens[name]}, format="json")
    assert_plain_401(response, tokens[name])


def test_an_access_token_is_not_accepted_as_a_refresh_token(victim):
    access = str(AccessToken.for_user(victim))
    assert_plain_401(APIClient().post("/api/auth/refresh", {"refresh": access}, format="json"), access)


def test_sql_shaped_login_attempts_are_a_plain_401(victim):
    for junk in SQL_SHAPED:
        response = APIClient().post("/api/auth/login", {"email": junk, "password": junk}, format="json")
        assert_plain_401(response, junk)
    response = APIClient().post("/api/auth/login", {"email": "victim@example.com", "password": "' OR '1'='1"},
                                format="json")
    assert_plain_401(response, "' OR '1'='1")


# --- /v1 gateway keys --------------------------------------------------------------------------


async def v1_answers(authorizations: list[str | None]) -> list[httpx.Response]:
    from gatewayproj.asgi import application

    transport = httpx.ASGITransport(app=application)
    answers = []
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for authorization in authorizations:
            headers = {} if authorization is None else {"Authorization": authorization.encode()}
            answers.append(await client.get("/v1/models", headers=headers))
            answers.append(await client.post("/v1/chat/completions", headers=headers,
                                             json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]}))
    return answers


@pytest.fixture
def keys_of_alice(transactional_db):
    auth.forget_key()
    alice = make_user("alice@example.com")
    live, live_raw = gateway_key_create(user=alice, name="live")
    revoked, revoked_raw = gateway_key_create(user=alice, name="revoked")
    gateway_key_revoke(key=revoked)
    yield live_raw, revoked_raw
    recorder.flush()
    auth.forget_key()


def bad_authorizations(revoked_raw: str) -> list[str | None]:
    wrong = generate_gateway_key()
    return [
        None, "", "Bearer", "Bearer ", f"Bearer {wrong}", f"Bearer {revoked_raw}", f"Basic {wrong}", wrong,
        f"Bearer {wrong}x", f"Bearer {'gw-' + 'A' * 300}", "Bearer " + "é" * 20,
        *[f"Bearer {junk}" for junk in SQL_SHAPED],
    ]


async def test_every_bad_gateway_key_gets_the_same_plain_401(keys_of_alice):
    live_raw, revoked_raw = keys_of_alice
    authorizations = bad_authorizations(revoked_raw)

    answers = await v1_answers(authorizations)

    assert {a.status_code for a in answers} == {401}
    bodies = {a.content for a in answers}
    assert len(bodies) == 1, bodies
    assert json.loads(bodies.pop())["error"]["type"] == "authentication_error"
    for authorization, pair in zip(authorizations, zip(answers[::2], answers[1::2])):
        secret = (authorization or "").partition(" ")[2] or authorization or ""
        for answer in pair:
            echoed = answer.text + "".join(f"{k}:{v}" for k, v in answer.headers.items())
            assert len(secret) < 8 or secret not in echoed
            assert revoked_raw[-12:] not in echoed and live_raw[-12:] not in echoed


async def test_sql_shaped_keys_change_nothing_and_the_live_key_still_works(keys_of_alice):
    from asgiref.sync import sync_to_async

    live_raw, revoked_raw = keys_of_alice
    before = await sync_to_async(list)(GatewayKey.objects.order_by("pk").values_list("pk", "digest", "revoked_at"))

    await v1_answers([f"Bearer {junk}" for junk in SQL_SHAPED])
    live = await v1_answers([f"Bearer {live_raw}"])

    after = await sync_to_async(list)(GatewayKey.objects.order_by("pk").values_list("pk", "digest", "revoked_at"))
    assert after == before
    assert live[0].status_code == 200
