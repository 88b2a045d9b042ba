"""OWASP API2 (broken authentication): forged, tampered and expired access tokens are 401; sign-in and sign-up
are rate-limited per client address with a Retry-After that names the end of the window."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib

import jwt
import pytest
from django.conf import settings
from django.test import override_settings

from apps.security.keys import generate_private_key_pem
from apps.security.tokens import AccessToken
from apps.users.models import User as UserRow
from tests.support.http import assert_problem, register, sign_in, tokens

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me"
REGISTER = "/api/v1/auth/register"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unb64(text: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return unb64(header), unb64(payload), signature


@pytest.fixture
def access(api) -> str:
    register(api, "ada@example.com")
    return tokens(api, "ada@example.com")["access"]


def assert_refused(api, token: str) -> None:
    response = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_genuine_token_is_accepted(api, access):
    assert api.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200


def test_alg_none_is_401(api, access):
    header, payload, _ = parts(access)
    unsigned = f"{b64({**header, 'alg': 'none'})}.{b64(payload)}."

    assert_refused(api, unsigned)


def test_a_token_signed_with_another_key_is_401(api, access):
    header, payload, _ = parts(access)
    other_key = generate_private_key_pem(bits=2048).decode()
    forged = jwt.encode(payload, other_key, algorithm="RS256", headers={"kid": header.get("kid")})

    assert_refused(api, forged)


def test_an_hs256_token_signed_with_the_public_key_is_401(api, access):
    """The algorithm-confusion attack: the verifying key, which anyone may fetch, used as an HMAC secret."""
    header, payload, _ = parts(access)
    public_key = settings.SIMPLE_JWT["VERIFYING_KEY"]
    signing_input = f"{b64({**header, 'alg': 'HS256'})}.{b64(payload)}".encode()
    signature = base64.urlsafe_b64encode(hmac.new(public_key.encode(), signing_input, hashlib.sha256).digest())
    assert_refused(api, f"{signing_input.decode()}.{signature.rstrip(b'=').decode()}")


def test_a_tampered_payload_is_401(api, access):
    header, payload, signature = parts(access)
    other = UserRow.objects.create(email="eve@example.com", display_name="Eve")
    tampered = f"{b64(header)}.{b64({**payload, 'user_id': str(other.pk), 'is_staff': True})}.{signature}"

    assert_refused(api, tampered)


def test_an_expired_token_is_401(api, access):
    token = AccessToken()
    _, payload, _ = parts(access)
    token["user_id"] = payload["user_id"]
    token.set_exp(from_time=token.current_time - settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] * 2)

    assert_refused(api, str(token))


def test_a_refresh_token_is_no_access_token(api):
    register(api, "ada@example.com")
    refresh = tokens(api, "ada@example.com")["refresh"]

    assert_refused(api, refresh)


# --- rate limits on sign-in and sign-up (API4) ----------------------------------------------------------------


def expected_retry_after(now: float, ip: str, period: int = 60) -> int:
    """django-ratelimit's window for ``ip`` ends at W (its jitter is crc32 of the key); W + 1 - now, rounded up."""
    ts = int(now)
    end = ts - ts % period + zlib.crc32(ip.encode()) % period
    if end < ts:
        end += period
    return end + 1 - ts


@override_settings(RATE_LIMIT_TOKEN="5/m")
def test_the_sixth_token_request_from_one_ip_within_a_minute_is_429_with_retry_after(api, rate_limit_window):
    register(api, "ada@example.com")

    five = [sign_in(api, "ada@example.com", "guessing") for _ in range(4)] + [sign_in(api, "ada@example.com")]
    sixth = sign_in(api, "ada@example.com")
    elsewhere = sign_in(api, "ada@example.com", REMOTE_ADDR="198.51.100.20")

    assert [response.status_code for response in five] == [401, 401, 401, 401, 200]
    body = assert_problem(sixth, 429, "rate-limited")
    assert body["detail"] == "Too many requests; slow down and try again later."
    assert sixth["Retry-After"] == str(expected_retry_after(rate_limit_window.now, "127.0.0.1"))
    assert 1 <= int(sixth["Retry-After"]) <= 60
    assert elsewhere.status_code == 200


@override_settings(RATE_LIMIT_TOKEN="2/m")
def test_once_the_window_is_over_sign_in_works_again(api, rate_limit_window):
    register(api, "ada@example.com")

    for _ in range(2):
        sign_in(api, "ada@example.com")
    limited = sign_in(api, "ada@example.com")
    rate_limit_window.now += int(limited["Retry-After"])
    again = sign_in(api, "ada@example.com")

    assert limited.status_code == 429
    assert again.status_code == 200


@override_settings(RATE_LIMIT_REGISTER="3/m")
def test_the_fourth_sign_up_from_one_ip_within_a_minute_is_429(api, rate_limit_window):
    def sign_up(n: int):
        body = {"email": f"user{n}@example.com", "password": "a sufficiently long passphrase", "display_name": "U"}
        return api.post(REGISTER, body, format="json")

    responses = [sign_up(n) for n in range(4)]

    assert [response.status_code for response in responses[:3]] == [201, 201, 201]
    assert_problem(responses[3], 429, "rate-limited")
    assert 1 <= int(responses[3]["Retry-After"]) <= 60
    assert not UserRow.objects.filter(email="user3@example.com").exists()
