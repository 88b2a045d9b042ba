"""Password adapters: Django's argon2id hasher and Django's password validators."""

from __future__ import annotations

import structlog
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from apps.users.models import User as UserRow
from domain.users.model import PasswordHash

log = structlog.get_logger(__name__)

ALGORITHM = "argon2"  # Django's name for its argon2id hasher


class DjangoArgon2PasswordHasher:
    def hash(self, raw: str) -> PasswordHash:
        return PasswordHash(value=make_password(raw, hasher=ALGORITHM), algorithm="argon2id")

    def verify(self, raw: str, hashed: PasswordHash) -> bool:
        if not hashed.is_usable:
            return False
        try:
            return check_password(raw, hashed.value)
        except ValueError:  # a corrupt stored hash verifies nothing; it is not the caller's fault
            log.warning("stored password hash cannot be parsed")
            return False


class DjangoPasswordPolicy:
    """``AUTH_PASSWORD_VALIDATORS``, checked against the would-be user's e-mail and display name.

    The similarity validator needs a model instance (it reads field names from
    ``_meta``), so the candidate is an unsaved user row.
    """

    def problems(self, raw: str, *, email: str, display_name: str) -> list[str]:
        candidate = UserRow(email=email, display_name=display_name)
        try:
            validate_password(raw, user=candidate)
        except ValidationError as exc:
            return list(exc.messages)
        return []
