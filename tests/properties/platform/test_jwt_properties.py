"""Property 12: claims survive encoding to a signed JWT and decoding back."""

from __future__ import annotations

import time
from typing import Any

import jwt
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from apps.security.keys import current_jwk
from apps.security.tokens import token_backend

REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
ADDED_BY_ENCODING = frozenset({"iss", "aud"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)

private_claims = st.dictionaries(st.text().filter(lambda name: name not in REGISTERED_CLAIMS), json_values, max_size=8)


YEAR = 365 * 24 * 3600

# Offsets from "now" rather than absolute bounds: the strategy must draw the same way on every run.
REGISTERED_CLAIM_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "exp": st.integers(3600, 10 * YEAR).map(lambda ahead: int(time.time()) + ahead),
    "iat": st.integers(60, 10 * YEAR).map(lambda ago: int(time.time()) - ago),
    "nbf": st.integers(60, 10 * YEAR).map(lambda ago: int(time.time()) - ago),
    "sub": st.text(),
    "jti": st.text(),
}


@st.composite
def valid_claims(draw: st.DrawFn) -> dict[str, Any]:
    """Private claims plus, optionally, registered ones with values a verifier accepts."""
    claims = draw(private_claims)
    for name in sorted(draw(st.sets(st.sampled_from(sorted(REGISTERED_CLAIM_VALUES))))):
        claims[name] = draw(REGISTERED_CLAIM_VALUES[name])
    return claims


# **Feature: architecture-restructuring-2025, Property 12: JWT Encode/Decode Round-Trip**
# **Validates: Requirements 9.2**
@given(valid_claims())
def test_any_valid_claims_decode_to_the_same_claims_after_encoding(claims: dict[str, Any]) -> None:
    """For any valid claims dict, token_backend().decode(token_backend().encode(claims)) gives the same
    claims back, apart from the issuer (and audience) the backend adds; the token names its key id."""
    backend = token_backend()
    original = dict(claims)

    token = backend.encode(claims)
    decoded = backend.decode(token)

    assert claims == original  # encoding does not change the caller's dict
    assert {name: value for name, value in decoded.items() if name not in ADDED_BY_ENCODING} == claims
    assert decoded["iss"] == settings.SIMPLE_JWT["ISSUER"]
    jwk = current_jwk()
    assert jwk is not None
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]
