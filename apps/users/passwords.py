"""Password adapters: Django's argon2id hasher and Django's password validators."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from domain.users.model import PasswordHash

ALGORITHM = "argon2"  # Django's name for its argon2id hasher


class DjangoArgon2PasswordHasher:
    def hash(self, raw: str) -> PasswordHash:
        return PasswordHash(value=make_password(raw, hasher=ALGORITHM), algorithm="argon2id")

    def verify(self, raw: str, hashed: PasswordHash) -> bool:
        return check_password(raw, hashed.value)


class DjangoPasswordPolicy:
    """``AUTH_PASSWORD_VALIDATORS``, checked against the would-be user's e-mail and display name."""

    def problems(self, raw: str, *, email: str, display_name: str) -> list[str]:
        candidate = SimpleNamespace(email=email, display_name=display_name)
        try:
            validate_password(raw, user=candidate)
        except ValidationError as exc:
            return list(exc.messages)
        return []
