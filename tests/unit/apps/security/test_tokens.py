"""simplejwt tokens signed by the keyed backend (the test settings use an ephemeral RSA key)."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError

from apps.security.keys import current_jwk, generate_private_key_pem
from apps.security.tokens import AccessToken, KeyedTokenBackend, RefreshToken, token_backend


def header(token: str) -> dict[str, str]:
    return jwt.get_unverified_header(token)


def test_token_backend_is_built_once():
    assert token_backend() is token_backend()


def test_the_backend_signs_with_rs256_and_names_the_key_in_the_header():
    token = token_backend().encode({"user_id": "42"})

    jwk = current_jwk()
    assert jwk is not None
    assert header(token) == {"alg": "RS256", "typ": "JWT", "kid": jwk["kid"]}


def test_encode_adds_the_issuer_without_changing_the_callers_claims():
    claims = {"user_id": "42"}

    decoded = token_backend().decode(token_backend().encode(claims))

    assert claims == {"user_id": "42"}
    assert decoded == {"user_id": "42", "iss": settings.SIMPLE_JWT["ISSUER"]}


def test_a_backend_without_a_kid_writes_no_kid_header():
    backend = KeyedTokenBackend("HS256", "x" * 32)

    token = backend.encode({"a": 1})

    assert "kid" not in header(token)
    assert backend.decode(token) == {"a": 1}


def test_a_token_with_a_changed_payload_is_refused():
    token = token_backend().encode({"role": "user"})
    head, _, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"role": "admin"}).encode()).rstrip(b"=").decode()

    with pytest.raises(TokenBackendError):
        token_backend().decode(f"{head}.{forged}.{signature}")


def test_a_token_signed_by_another_key_is_refused():
    other = KeyedTokenBackend("RS256", generate_private_key_pem(bits=2048).decode(), kid=current_jwk()["kid"])

    with pytest.raises(TokenBackendError):
        token_backend().decode(other.encode({"user_id": "42"}))


def test_a_token_from_another_issuer_is_refused():
    backend = token_backend()
    impostor = KeyedTokenBackend("RS256", backend.signing_key, issuer="someone-else")

    with pytest.raises(TokenBackendError):
        backend.decode(impostor.encode({"user_id": "42"}))


def test_access_tokens_carry_the_kid_and_decode_back_with_their_claims():
    token = AccessToken()
    token["user_id"] = "42"

    encoded = str(token)
    decoded = AccessToken(encoded)

    assert header(encoded)["kid"] == current_jwk()["kid"]
    assert decoded["user_id"] == "42"
    assert decoded["token_type"] == "access"
    assert decoded["iss"] == settings.SIMPLE_JWT["ISSUER"]
    assert decoded["exp"] - decoded["iat"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()


def test_an_expired_access_token_is_refused():
    token = AccessToken()
    token.set_exp(lifetime=-timedelta(seconds=1))

    with pytest.raises(TokenError):
        AccessToken(str(token))


def test_a_refresh_token_is_not_accepted_as_an_access_token():
    with pytest.raises(TokenError):
        AccessToken(str(RefreshToken()))


def test_the_access_token_of_a_refresh_token_is_ours_and_keyed():
    refresh = RefreshToken()
    refresh["user_id"] = "42"

    access = refresh.access_token

    assert isinstance(access, AccessToken)
    assert access["user_id"] == "42"
    assert header(str(access))["kid"] == current_jwk()["kid"]
    assert header(str(refresh))["kid"] == current_jwk()["kid"]
