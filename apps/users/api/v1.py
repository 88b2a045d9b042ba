"""Users API, version 1: thin views from HTTP to the buses and back."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.views import TokenRefreshView

from apps.audit import recorder as audit
from apps.platform.buses import command_bus, query_bus
from apps.platform.openapi import CONDITIONAL_PARAMETERS, NOT_MODIFIED, WholeBodyPatchSchema, problems
from apps.platform.problems import AUTHENTICATE_HEADER
from apps.platform.ratelimit import limit_writes, per_ip
from apps.platform.responses import respond, respond_read, validated
from apps.platform.serializers import StrictCharField
from apps.security.tokens import AccessToken, RefreshToken, TokenBlacklistSerializer
from apps.users.models import User as UserRow
from apps.users.queries import GetUser, user_dto
from domain.kernel.result import Ok
from domain.users.commands import AuthenticateUser, DeactivateUser, RegisterUser, UpdateProfile
from domain.users.model import CONTROL_CHARACTERS, UserProfile

COMMON_ERRORS = (406, 413, 415, 429, 500)
RATE_LIMITED_PER_IP = (
    "At most {setting} requests ({default} by default) per client IP and window; the next one is 429 with "
    "Retry-After. 503 (with Retry-After) while the rate-limit store cannot be reached: this endpoint fails closed."
)


USER_EXAMPLE = {
    "id": "3f14c592-a988-4bb5-943f-007b17bd16df",
    "email": "ada@example.com",
    "display_name": "Ada Lovelace",
    "is_active": True,
    "created_at": "2026-11-29T10:56:40.123784Z",
    "last_login_at": "2026-11-29T10:57:02.287344Z",
}
TOKEN_PAIR_EXAMPLE = {
    "access": "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9...",
    "refresh": "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiJ9...",
}


def request_example(name: str, value: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


@extend_schema_serializer(examples=[OpenApiExample("A user", value=USER_EXAMPLE, response_only=True)])
class UserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_login_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(examples=[OpenApiExample("A token pair", value=TOKEN_PAIR_EXAMPLE, response_only=True)])
class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": UserProfile.MAX_DISPLAY_NAME,
        # Something besides white space, and no control or format character between the trimmed ends.
        "pattern": rf"^\s*[^{CONTROL_CHARACTERS}\s](?:[^{CONTROL_CHARACTERS}]*[^{CONTROL_CHARACTERS}\s])?\s*$",
        "description": "1-100 characters, not all white space (trimmed), none of them a control or format character "
        "or a line separator.",
    }
)
class DisplayNameField(StrictCharField):
    """A display name as the profile takes it (the profile checks it; the schema states the same rule).

    At most 100 characters as sent, white space included: the profile trims it, and a limit counted
    after trimming is not one a client's schema validator can check.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=UserProfile.MAX_DISPLAY_NAME, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not value.strip():
            self.fail("blank")
        return value


def _minimum_password_length() -> int:
    """The shortest password the configured validators (AUTH_PASSWORD_VALIDATORS) let through."""
    lengths = [v.min_length for v in get_default_password_validators() if isinstance(v, MinimumLengthValidator)]
    return max(lengths, default=1)


@extend_schema_field(
    {
        "type": "string",
        "format": "password",
        "minLength": _minimum_password_length(),
        "maxLength": 128,
        "pattern": r"\D",
        "description": "Not all digits, not a commonly used password, not too like the e-mail address or the "
        "display name.",
    }
)
class NewPasswordField(StrictCharField):
    """A password being chosen: Django's validators (AUTH_PASSWORD_VALIDATORS) judge it when the user is made."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=128, trim_whitespace=False, style={"input_type": "password"}, **kwargs)


@extend_schema_serializer(component_name="RegisterInput")
class RegisterInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = NewPasswordField()
    display_name = DisplayNameField()


@extend_schema_serializer(component_name="TokenObtainInput")
class TokenObtainInput(serializers.Serializer):
    email = StrictCharField(max_length=254)
    password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


@extend_schema_serializer(component_name="LogoutInput")
class LogoutInput(serializers.Serializer):
    refresh = StrictCharField()


@extend_schema_serializer(component_name="UpdateProfileInput")
class UpdateProfileInput(serializers.Serializer):
    display_name = DisplayNameField()


@extend_schema_serializer(component_name="DeactivateUserInput")
class DeactivateUserInput(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class RegisterApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_register",
        tags=["auth"],
        request=RegisterInput,
        responses={201: UserOutput, **problems(400, 409, *COMMON_ERRORS, 503)},
        summary="Create an account",
        description=RATE_LIMITED_PER_IP.format(setting="RATE_LIMIT_REGISTER", default="3/m"),
        examples=[
            request_example(
                "A new account",
                {"email": "ada@example.com", "password": "analytical-engine-1843", "display_name": "Ada"},
            )
        ],
    )
    @per_ip("auth.register", "RATE_LIMIT_REGISTER")
    def post(self, request: Request, version: str) -> Response:
        data = validated(RegisterInput, request)
        result = command_bus().dispatch(RegisterUser(**data))
        return respond(_as_dto(result), request, output=UserOutput, status=201)


class TokenObtainApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token",
        tags=["auth"],
        request=TokenObtainInput,
        responses={200: TokenPairOutput, **problems(400, 401, *COMMON_ERRORS, 503)},
        summary="Sign in: exchange e-mail and password for an access and a refresh token",
        description=RATE_LIMITED_PER_IP.format(setting="RATE_LIMIT_TOKEN", default="5/m"),
        examples=[request_example("Credentials", {"email": "ada@example.com", "password": "analytical-engine-1843"})],
    )
    @per_ip("auth.token", "RATE_LIMIT_TOKEN")
    def post(self, request: Request, version: str) -> Response:
        data = validated(TokenObtainInput, request)
        result = command_bus().dispatch(AuthenticateUser(**data))
        if not isinstance(result, Ok):
            return respond(result, request)
        refresh = RefreshToken.for_user(UserRow.objects.get(pk=result.value.id))
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class TokenRefreshApi(TokenRefreshView):
    @extend_schema(
        operation_id="auth_token_refresh",
        tags=["auth"],
        responses={200: TokenPairOutput, **problems(400, 401, *COMMON_ERRORS)},
        summary="Exchange a refresh token for a new pair; the old refresh token stops working",
        examples=[request_example("A refresh token", {"refresh": TOKEN_PAIR_EXAMPLE["refresh"]})],
        description="A used, blacklisted or expired refresh token, or one of a deactivated user, is refused with 401.",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            response = super().post(request, *args, **kwargs)
        except Exception as exc:
            audit.record("auth.token_refreshed", outcome=f"refused: {type(exc).__name__}")
            raise
        user_id = AccessToken(response.data["access"], verify=False)[jwt_settings.USER_ID_CLAIM]
        audit.record("auth.token_refreshed", target_type="User", target_id=str(user_id))
        return response


class LogoutApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        # Without it DRF turns the 401 of a bad refresh token into a 403 (it has no scheme to name).
        return AUTHENTICATE_HEADER

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=LogoutInput,
        responses={204: None, **problems(400, 401, *COMMON_ERRORS)},
        summary="Sign out: the refresh token is blacklisted",
        examples=[request_example("The refresh token to retire", {"refresh": TOKEN_PAIR_EXAMPLE["refresh"]})],
    )
    def post(self, request: Request, version: str) -> Response:
        serializer = TokenBlacklistSerializer(data=validated(LogoutInput, request))
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            audit.record("auth.logged_out", outcome="refused: InvalidToken")
            raise InvalidToken(exc.args[0]) from exc
        # Checked (and now blacklisted) by the serializer: read, not verified again.
        user_id = RefreshToken(serializer.initial_data["refresh"], verify=False)[jwt_settings.USER_ID_CLAIM]
        audit.record("auth.logged_out", target_type="User", target_id=str(user_id))
        return Response(status=204)


class MeApi(APIView):
    schema = WholeBodyPatchSchema()

    @extend_schema(
        operation_id="users_me",
        tags=["users"],
        parameters=CONDITIONAL_PARAMETERS,
        responses={200: UserOutput, **NOT_MODIFIED, **problems(401, *COMMON_ERRORS)},
        summary="The signed-in user",
    )
    def get(self, request: Request, version: str) -> HttpResponseBase:
        return respond_read(query_bus().dispatch(GetUser(user_id=request.user.id)), request, output=UserOutput)

    @extend_schema(
        operation_id="users_me_update",
        tags=["users"],
        request=UpdateProfileInput,
        responses={200: UserOutput, **problems(400, 401, 409, *COMMON_ERRORS)},
        summary="Change the signed-in user's profile",
        examples=[request_example("A new display name", {"display_name": "Ada Lovelace"})],
    )
    @limit_writes
    def patch(self, request: Request, version: str) -> Response:
        data = validated(UpdateProfileInput, request)
        result = command_bus().dispatch(UpdateProfile(user_id=request.user.id, **data))
        return respond(_as_dto(result), request, output=UserOutput)


class DeactivateUserApi(APIView):
    """Deactivating an account: for a role with ``users.deactivate_user`` (admin)."""

    @extend_schema(
        operation_id="users_deactivate",
        tags=["users"],
        request=DeactivateUserInput,
        responses={200: UserOutput, **problems(400, 401, 403, 404, 409, *COMMON_ERRORS)},
        summary="Deactivate a user (needs users.deactivate_user)",
        examples=[request_example("A reason for the record", {"reason": "Requested by the account holder"})],
    )
    def post(self, request: Request, version: str, user_id: UUID) -> Response:
        data = validated(DeactivateUserInput, request)
        result = command_bus().dispatch(DeactivateUser(user_id=user_id, requested_by=request.user.id, **data))
        return respond(_as_dto(result), request, output=UserOutput)


def _as_dto(result: Any) -> Any:
    return Ok(user_dto(result.value)) if isinstance(result, Ok) else result
