"""The public JWK of the signing key and its RFC 7638 thumbprint (the ``kid``)."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from joserfc.jwk import RSAKey

from apps.security.keys import current_jwk, generate_private_key_pem, jwks, public_jwk

# RFC 7638, section 3.1: an RSA public key and its SHA-256 thumbprint.
RFC7638_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
    "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5"
    "hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
)
RFC7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def b64_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def public_pem(key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_the_kid_of_the_rfc_7638_example_key_is_its_published_thumbprint():
    key = rsa.RSAPublicNumbers(e=65537, n=b64_int(RFC7638_N)).public_key()

    jwk = public_jwk(public_pem(key))

    assert jwk["n"] == RFC7638_N
    assert jwk["e"] == "AQAB"
    assert jwk["kid"] == RFC7638_THUMBPRINT


def test_a_jwk_describes_the_public_rsa_key_for_rs256_signatures():
    private = serialization.load_pem_private_key(generate_private_key_pem(bits=2048), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    numbers = private.public_key().public_numbers()

    jwk = public_jwk(public_pem(private.public_key()))

    assert jwk["kty"] == "RSA"
    assert (jwk["alg"], jwk["use"]) == ("RS256", "sig")
    assert b64_int(jwk["n"]) == numbers.n
    assert b64_int(jwk["e"]) == numbers.e
    assert "=" not in jwk["n"] + jwk["e"] + jwk["kid"]
    assert "d" not in jwk  # nothing private leaks
    assert jwk["kid"] == RSAKey.import_key(public_pem(private.public_key())).thumbprint()


def test_a_verifying_key_that_is_not_rsa_is_refused():
    with pytest.raises(ValueError, match="not an RSA key"):
        public_jwk(public_pem(ec.generate_private_key(ec.SECP256R1()).public_key()))


def test_generated_keys_are_unencrypted_pkcs8_rsa_keys_of_the_requested_size():
    pem = generate_private_key_pem(bits=2048)

    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048


def test_jwks_publishes_the_jwk_of_the_configured_verifying_key():
    assert jwks() == {"keys": [public_jwk(settings.SIMPLE_JWT["VERIFYING_KEY"])]}
    assert current_jwk() == public_jwk(settings.SIMPLE_JWT["VERIFYING_KEY"])
