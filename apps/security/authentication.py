"""simplejwt's bearer authentication, with the account resolved from the access cache on reads.

The token is verified exactly as simplejwt does. A read (GET, HEAD, OPTIONS)
takes the account and its permissions from the access cache
(``apps.security.principals``); a write loads the account from the database as
simplejwt does, so a deactivated account can never write.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from apps.security.principals import cached_access


class JWTAuthentication(authentication.JWTAuthentication):
    reading = True

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        self.reading = request.method in SAFE_METHODS
        return super().authenticate(request)

    def get_user(self, validated_token: Token) -> Any:
        if not self.reading or api_settings.CHECK_REVOKE_TOKEN:  # the account row (the revoke check hashes it)
            return super().get_user(validated_token)
        try:
            user_id = UUID(str(validated_token[api_settings.USER_ID_CLAIM]))
        except (KeyError, ValueError) as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        access = cached_access(user_id)
        if access is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        user = access.user()
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """The same bearer scheme in the OpenAPI document as simplejwt's own class."""

    target_class = JWTAuthentication
