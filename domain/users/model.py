"""The User aggregate and its value objects."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.errors import BusinessRuleViolationError, DomainError, InvalidValueError
from domain.kernel.result import Err, Ok, Result
from domain.kernel.value_object import ValueObject
from domain.users.errors import CannotChangeOwnAccessError, CannotDeactivateSelfError, UserInactiveError
from domain.users.events import (
    UserDeactivated,
    UserLoggedIn,
    UserProfileUpdated,
    UserRegistered,
    UserRolesAssigned,
    UserStaffAccessChanged,
)

_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LEVEL_DOMAIN = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")

#: The characters a display name cannot contain: Unicode's control and format characters and its line and
#: paragraph separators (categories Cc, Cf, Zl, Zp, as of Unicode 14) in the Basic Multilingual Plane, as code
#: point ranges. The API's schema states this table as its pattern; the domain refuses the format characters
#: beyond the plane too (``_HIDDEN``), except the tags that spell an emoji flag such as Scotland's.
_CONTROL_RANGES = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
)  # fmt: skip
#: Those characters as the body of a regular-expression class (the characters themselves, no escapes), so the
#: same rule can be stated in a JSON Schema ``pattern``.
CONTROL_CHARACTERS = "".join(chr(low) if low == high else f"{chr(low)}-{chr(high)}" for low, high in _CONTROL_RANGES)
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})
#: An emoji tag sequence (a black flag, tag letters, a cancel tag): the one place where format characters show.
_EMOJI_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


@dataclass(frozen=True, slots=True)
class Email(ValueObject):
    """An e-mail address, trimmed and lower-cased so that letter case never makes a second account."""

    value: str

    MAX_LENGTH: ClassVar[int] = 254

    def __post_init__(self) -> None:
        normalised = self.value.strip().lower()
        object.__setattr__(self, "value", normalised)
        if not normalised:
            raise InvalidValueError("email", "Enter an e-mail address.")
        if len(normalised) > self.MAX_LENGTH:
            raise InvalidValueError("email", f"An e-mail address has at most {self.MAX_LENGTH} characters.")
        local, at, domain = normalised.rpartition("@")
        labels = domain.split(".")
        if (
            not at
            or len(local) > 64
            or not _LOCAL_PART.fullmatch(local)
            or len(labels) < 2
            or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
            or not _TOP_LEVEL_DOMAIN.fullmatch(labels[-1])
        ):
            raise InvalidValueError("email", "Enter a valid e-mail address.")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PasswordHash(ValueObject):
    """A password hash produced by an argon2id hasher; the raw password never lives here.

    ``algorithm="unusable"`` marks an account that has no password at all (one made
    by ``createsuperuser --noinput``, say): no password ever verifies against it.
    """

    value: str
    algorithm: str = "argon2id"

    SUPPORTED_ALGORITHMS: ClassVar[frozenset[str]] = frozenset({"argon2id", "unusable"})

    @property
    def is_usable(self) -> bool:
        return self.algorithm != "unusable"

    def __post_init__(self) -> None:
        if self.algorithm not in self.SUPPORTED_ALGORITHMS:
            raise InvalidValueError("password", f"Unsupported password hash algorithm {self.algorithm!r}.")
        if not self.value:
            raise InvalidValueError("password", "A password hash cannot be empty.")

    def __repr__(self) -> str:
        return f"PasswordHash(algorithm={self.algorithm!r}, value='***')"


@dataclass(frozen=True, slots=True)
class UserProfile(ValueObject):
    """What a user shows of themselves; the display name is trimmed and 1-100 characters long."""

    display_name: str

    MAX_DISPLAY_NAME: ClassVar[int] = 100

    def __post_init__(self) -> None:
        name = unicodedata.normalize("NFC", self.display_name).strip()
        object.__setattr__(self, "display_name", name)
        if not name:
            raise InvalidValueError("display_name", "Enter a display name.")
        if len(name) > self.MAX_DISPLAY_NAME:
            raise InvalidValueError("display_name", f"A display name has at most {self.MAX_DISPLAY_NAME} characters.")
        if _CONTROL.search(name) or any(
            unicodedata.category(ch) in _HIDDEN for ch in _EMOJI_TAG_SEQUENCE.sub("", name)
        ):
            raise InvalidValueError("display_name", "A display name cannot contain control characters.")


class User(AggregateRoot[UUID]):
    """A person with an account. Deactivated users keep their data but can no longer sign in.

    Their access is theirs too: the roles they hold (names of the role catalogue, which the
    handlers check) and the back-office flags, ``is_staff`` (may sign in to the admin) and
    ``is_superuser`` (holds every permission). Nobody changes their own access.
    """

    __slots__ = (
        "created_at",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "last_login_at",
        "password_hash",
        "profile",
        "roles",
        "updated_at",
    )

    aggregate_type = "users.user"
    MAX_REASON: ClassVar[int] = 500

    def __init__(
        self,
        *,
        id: UUID,
        email: Email,
        password_hash: PasswordHash,
        profile: UserProfile,
        is_active: bool,
        created_at: datetime,
        updated_at: datetime | None = None,
        last_login_at: datetime | None = None,
        roles: frozenset[str] = frozenset(),
        is_staff: bool = False,
        is_superuser: bool = False,
        version: int = 0,
    ) -> None:
        super().__init__(id=id, version=version)
        self.email = email
        self.password_hash = password_hash
        self.profile = profile
        self.is_active = is_active
        self.created_at = created_at
        self.updated_at = updated_at
        self.last_login_at = last_login_at
        self.roles = roles
        self.is_staff = is_staff
        self.is_superuser = is_superuser

    @classmethod
    def register(
        cls, *, id: UUID, email: Email, password_hash: PasswordHash, profile: UserProfile, now: datetime
    ) -> User:
        user = cls(id=id, email=email, password_hash=password_hash, profile=profile, is_active=True, created_at=now)
        user._record(UserRegistered(occurred_at=now, user_id=id, email=email.value, display_name=profile.display_name))
        return user

    def update_profile(self, profile: UserProfile, *, now: datetime) -> Result[None, DomainError]:
        """Change the profile; a no-op (same profile) records nothing."""
        if not self.is_active:
            return Err(UserInactiveError("A deactivated user's profile cannot be changed."))
        if profile == self.profile:
            return Ok(None)
        self.profile = profile
        self.updated_at = now
        self._record(UserProfileUpdated(occurred_at=now, user_id=self.id, display_name=profile.display_name))
        return Ok(None)

    def deactivate(self, *, reason: str, by: UUID, now: datetime) -> Result[None, DomainError]:
        reason = reason.strip()
        if not reason:
            raise InvalidValueError("reason", "Give a reason for the deactivation.")
        if len(reason) > self.MAX_REASON:
            raise InvalidValueError("reason", f"A reason has at most {self.MAX_REASON} characters.")
        if by == self.id:
            return Err(CannotDeactivateSelfError("You cannot deactivate your own account."))
        if not self.is_active:
            return Err(BusinessRuleViolationError("This user is already deactivated."))
        self.is_active = False
        self.updated_at = now
        self._record(UserDeactivated(occurred_at=now, user_id=self.id, reason=reason, deactivated_by=by))
        return Ok(None)

    def assign_roles(self, roles: frozenset[str], *, by: UUID, now: datetime) -> Result[None, DomainError]:
        """Hold exactly ``roles`` from now on; the same roles again records nothing."""
        if by == self.id:
            return Err(CannotChangeOwnAccessError("You cannot change your own roles."))
        granted, revoked = roles - self.roles, self.roles - roles
        if not granted and not revoked:
            return Ok(None)
        self.roles = roles
        self.updated_at = now
        self._record(
            UserRolesAssigned(
                occurred_at=now,
                user_id=self.id,
                roles=tuple(sorted(roles)),
                granted=tuple(sorted(granted)),
                revoked=tuple(sorted(revoked)),
                assigned_by=by,
            )
        )
        return Ok(None)

    def set_staff_access(
        self, *, is_staff: bool, is_superuser: bool, by: UUID, now: datetime
    ) -> Result[None, DomainError]:
        """Set the back-office flags; the same flags again records nothing."""
        if by == self.id:
            return Err(CannotChangeOwnAccessError("You cannot change your own staff access."))
        if (is_staff, is_superuser) == (self.is_staff, self.is_superuser):
            return Ok(None)
        self.is_staff, self.is_superuser = is_staff, is_superuser
        self.updated_at = now
        self._record(
            UserStaffAccessChanged(
                occurred_at=now, user_id=self.id, is_staff=is_staff, is_superuser=is_superuser, changed_by=by
            )
        )
        return Ok(None)

    def record_login(self, *, now: datetime) -> Result[None, DomainError]:
        if not self.is_active:
            return Err(UserInactiveError("A deactivated user cannot sign in."))
        self.last_login_at = now
        self._record(UserLoggedIn(occurred_at=now, user_id=self.id))
        return Ok(None)
