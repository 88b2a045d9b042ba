"""The public half of the JWT signing key as a JSON Web Key, with its RFC 7638 thumbprint as ``kid``."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_pem: str) -> dict[str, str]:
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the JWT verifying key is not an RSA key")
    numbers = key.public_numbers()
    members = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**members, "kid": kid, "alg": "RS256", "use": "sig"}


@cache
def current_jwk() -> dict[str, str] | None:
    """The JWK of the configured key, or None when tokens are signed with a shared secret."""
    verifying_key = settings.SIMPLE_JWT.get("VERIFYING_KEY")
    return public_jwk(verifying_key) if verifying_key else None


def jwks() -> dict[str, Any]:
    jwk = current_jwk()
    return {"keys": [jwk] if jwk else []}


def generate_private_key_pem(bits: int = 3072) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
