"""simplejwt tokens signed by a backend that puts the key id (``kid``) in every token header."""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.settings import api_settings

from apps.security.keys import current_jwk


class KeyedTokenBackend(TokenBackend):
    def __init__(self, *args: Any, kid: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kid = kid

    def encode(self, payload: dict[str, Any]) -> str:
        claims = dict(payload)
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        headers = {"kid": self.kid} if self.kid else None
        return jwt.encode(
            claims, self.prepared_signing_key, algorithm=self.algorithm, json_encoder=self.json_encoder, headers=headers
        )


@cache
def token_backend() -> KeyedTokenBackend:
    jwk = current_jwk()
    return KeyedTokenBackend(
        api_settings.ALGORITHM,
        api_settings.SIGNING_KEY,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        None,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
        kid=jwk["kid"] if jwk else None,
    )


class _KeyedToken:
    @property
    def token_backend(self) -> KeyedTokenBackend:
        return token_backend()


class AccessToken(_KeyedToken, tokens.AccessToken):
    pass


class RefreshToken(_KeyedToken, tokens.RefreshToken):
    access_token_class = AccessToken


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    token_class = RefreshToken


class TokenBlacklistSerializer(jwt_serializers.TokenBlacklistSerializer):
    token_class = RefreshToken
