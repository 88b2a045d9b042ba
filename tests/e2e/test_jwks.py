"""Access tokens verify with another JWT library (joserfc) against the keys at /.well-known/jwks.json."""

import base64
import json

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, RSAKey

from tests.support.http import register, tokens

pytestmark = pytest.mark.django_db


def header_of(token):
    encoded = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


@pytest.fixture
def jwks(client):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_jwks_serves_one_public_rsa_signing_key_with_a_kid(client, jwks):
    [key] = jwks["keys"]

    assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "the private half must never be published"
    assert "max-age=300" in client.get("/.well-known/jwks.json")["Cache-Control"]


def test_an_access_token_verifies_with_joserfc_against_the_published_keys(api, jwks):
    ada = register(api, "ada@example.com")
    access = tokens(api, "ada@example.com")["access"]

    token = jwt.decode(access, KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "orderflow"},
        exp={"essential": True},
        user_id={"essential": True, "value": ada["id"]},
        token_type={"essential": True, "value": "access"},
    ).validate(token.claims)

    assert token.header == {"alg": "RS256", "typ": "JWT", "kid": jwks["keys"][0]["kid"]}
    assert header_of(access)["kid"] == jwks["keys"][0]["kid"]


def test_a_token_signed_by_another_key_does_not_verify_and_is_refused(api, jwks):
    ada = register(api, "ada@example.com")
    impostor = RSAKey.generate_key(2048, parameters={"kid": jwks["keys"][0]["kid"]})
    forged = jwt.encode(
        {"alg": "RS256", "kid": jwks["keys"][0]["kid"]},
        {"token_type": "access", "user_id": ada["id"], "iss": "orderflow", "exp": 4102444800, "jti": "x"},
        impostor,
    )

    with pytest.raises(BadSignatureError):
        jwt.decode(forged, KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {forged}").status_code == 401
