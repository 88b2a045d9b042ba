"""The Endpoint aggregate: a partner's URL subscribed to integration events, and its signing secrets.

An endpoint is ``enabled`` when subscribed and stays so until someone disables
it, its receiver answers 410 Gone, or every delivery to it has failed for
``disable_after`` in a row (``failing_since`` is the time of the first failure of
the current unbroken run; a success ends the run). A disabled endpoint keeps its
reason, cause and time until it is enabled again, which also forgets the run.

Signing secrets follow the Standard Webhooks scheme (``whsec_<base64 key>``).
The current secret always signs; rotating it keeps the previous one signing for
an overlap window, so receivers can switch without losing a message. The
domain never makes a secret or reads a clock: both are given by the caller.

Recording a delivery's success or failure records no event (and so does not
move the version) unless it disables the endpoint: deliveries to one endpoint
finish concurrently, and their bookkeeping must not conflict with each other or
with an owner's edit.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from urllib.parse import SplitResult, urlsplit, urlunsplit
from uuid import UUID

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.errors import InvalidValueError
from domain.kernel.value_object import ValueObject
from domain.webhooks.events import (
    EndpointDisabled,
    EndpointEnabled,
    EndpointSecretRotated,
    EndpointSubscribed,
    EndpointUpdated,
)
from domain.webhooks.filters import EventTypeFilters

MAX_DESCRIPTION = 500
MAX_REASON = 500
#: The longest a rotated-out secret may keep signing beside the new one.
MAX_ROTATION_OVERLAP = timedelta(days=7)

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")


def _aware(value: datetime, field_name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValueError(field_name, "A time must carry its time zone.")
    return value


def _valid_host(host: str, netloc: str) -> bool:
    """A DNS name of letter-digit-hyphen labels (a final dot allowed), an IPv4 address, or a bracketed IPv6 one.

    A zone index (``%eth0``) is refused, and so is a name whose last label is a number: resolvers
    read ``0x7f.1`` or ``2130706433`` as an IPv4 address.
    """
    if "%" in host:
        return False
    if netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    name = host.removesuffix(".")
    if re.fullmatch(r"[0-9.]+", name):
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return False
        return True
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        return False
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


@dataclass(frozen=True, slots=True)
class EndpointUrl(ValueObject):
    """Where deliveries are sent: an absolute ``https`` URL of at most ``MAX_LENGTH`` ASCII characters,
    with a host, and with neither user information nor a fragment. Plain ``http`` only when the
    caller allows it (a development deployment). The scheme and host are lower-cased.

    Whether the host resolves to an address deliveries may go to is not a property of the text:
    the adapters check it when subscribing and again at every delivery.
    """

    value: str
    allow_http: InitVar[bool] = False

    MAX_LENGTH: ClassVar[int] = 2048

    def __post_init__(self, allow_http: bool) -> None:
        text = str(self.value).strip()
        if not text:
            raise InvalidValueError("url", "Enter a URL.")
        if len(text) > self.MAX_LENGTH:
            raise InvalidValueError("url", f"A URL has at most {self.MAX_LENGTH} characters.")
        if not text.isascii() or any(char.isspace() or not char.isprintable() for char in text):
            raise InvalidValueError(
                "url", "Write the URL in ASCII without spaces: a domain name in xn-- form, the rest percent-encoded."
            )
        try:
            parts = urlsplit(text)
            host = parts.hostname or ""
        except ValueError:  # a bracketed host that is no IPv6 address, an unclosed bracket
            raise InvalidValueError("url", "An endpoint URL needs a valid host name or IP address.") from None
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http") or not text[len(scheme) :].startswith("://"):
            raise InvalidValueError("url", "An endpoint URL is an absolute https:// URL.")
        if scheme == "http" and not allow_http:
            raise InvalidValueError("url", "An endpoint URL must use https.")
        if "@" in parts.netloc:
            raise InvalidValueError("url", "An endpoint URL carries no user name or password.")
        if "#" in text:
            raise InvalidValueError("url", "An endpoint URL has no fragment (#...).")
        if not host or not _valid_host(host, parts.netloc):
            raise InvalidValueError("url", "An endpoint URL needs a valid host name or IP address.")
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port == 0 or port == -1 or (port is None and parts.netloc.endswith(":")):
            raise InvalidValueError("url", "An endpoint URL's port is a number from 1 to 65535.")
        normalised = urlunsplit((scheme, parts.netloc.lower(), parts.path, parts.query, ""))
        object.__setattr__(self, "value", normalised)

    @property
    def _parts(self) -> SplitResult:
        return urlsplit(self.value)

    @property
    def scheme(self) -> str:
        return self._parts.scheme

    @property
    def host(self) -> str:
        """The host name or IP address, without the brackets of an IPv6 address."""
        return self._parts.hostname or ""

    @property
    def port(self) -> int:
        """The port deliveries connect to: the explicit one, else 443 for https and 80 for http."""
        explicit = self._parts.port
        if explicit is not None:
            return explicit
        return 443 if self.scheme == "https" else 80

    @property
    def without_query(self) -> str:
        """The URL with its query string left out (receivers sometimes put a token there): for events and logs."""
        parts = self._parts
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class SigningSecret(ValueObject):
    """One signing key as the Standard Webhooks scheme writes it, ``whsec_`` and the base64 of
    ``MIN_BYTES`` to ``MAX_BYTES`` random bytes, with the time it was made and, once rotated out,
    the time it stops signing. Its value never appears in a ``repr``.
    """

    value: str = field(repr=False)
    created_at: datetime
    expires_at: datetime | None = None

    PREFIX: ClassVar[str] = "whsec_"
    MIN_BYTES: ClassVar[int] = 24
    MAX_BYTES: ClassVar[int] = 64

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not self.value.startswith(self.PREFIX):
            raise InvalidValueError("secret", f"A signing secret starts with {self.PREFIX!r}.")
        try:
            key = base64.b64decode(self.value.removeprefix(self.PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValueError("secret", "A signing secret is base64 after its prefix.") from None
        if not self.MIN_BYTES <= len(key) <= self.MAX_BYTES:
            raise InvalidValueError(
                "secret", f"A signing secret holds {self.MIN_BYTES} to {self.MAX_BYTES} bytes; this one {len(key)}."
            )
        _aware(self.created_at, "created_at")
        if self.expires_at is not None and _aware(self.expires_at, "expires_at") < self.created_at:
            raise InvalidValueError("expires_at", "A secret cannot expire before it was made.")

    @classmethod
    def from_key(cls, key: bytes, *, created_at: datetime) -> SigningSecret:
        """The secret for ``key`` (random bytes the caller drew, e.g. ``secrets.token_bytes(32)``)."""
        return cls(cls.PREFIX + base64.b64encode(key).decode("ascii"), created_at)

    @property
    def key(self) -> bytes:
        """The raw key bytes the HMAC is computed with."""
        return base64.b64decode(self.value.removeprefix(self.PREFIX))

    def signs_at(self, now: datetime) -> bool:
        """Whether this secret still signs at ``now``: it has no expiry, or expires later."""
        return self.expires_at is None or now < self.expires_at

    def expiring(self, at: datetime) -> SigningSecret:
        return dataclasses.replace(self, expires_at=at)


class DisableCause(StrEnum):
    REQUESTED = "requested"
    FAILING = "failing"
    GONE = "gone"


def description_text(value: str) -> str:
    """``value`` trimmed; InvalidValueError beyond ``MAX_DESCRIPTION`` characters (empty is fine)."""
    text = value.strip()
    if len(text) > MAX_DESCRIPTION:
        raise InvalidValueError("description", f"A description has at most {MAX_DESCRIPTION} characters.")
    return text


def reason_text(value: str) -> str:
    """``value`` trimmed; InvalidValueError when empty or longer than ``MAX_REASON``."""
    text = value.strip()
    if not text:
        raise InvalidValueError("reason", "Give a reason.")
    if len(text) > MAX_REASON:
        raise InvalidValueError("reason", f"A reason has at most {MAX_REASON} characters.")
    return text


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:.1f} day" if days == 1 else f"{days:.1f} days"


class Endpoint(AggregateRoot[UUID]):
    """A URL that receives the integration events it subscribed to, signed with its secrets."""

    __slots__ = (
        "description",
        "disabled_at",
        "disabled_cause",
        "disabled_reason",
        "enabled",
        "event_types",
        "failing_since",
        "secrets",
        "subscribed_at",
        "url",
    )

    aggregate_type: ClassVar[str] = "webhooks.endpoint"

    def __init__(
        self,
        *,
        id: UUID,
        url: EndpointUrl,
        event_types: EventTypeFilters,
        description: str,
        secrets: Sequence[SigningSecret],
        subscribed_at: datetime,
        enabled: bool = True,
        disabled_reason: str = "",
        disabled_cause: DisableCause | None = None,
        disabled_at: datetime | None = None,
        failing_since: datetime | None = None,
        version: int = 0,
    ) -> None:
        """``secrets`` holds the current secret first (it has no expiry), then the rotated-out ones."""
        super().__init__(id=id, version=version)
        if not secrets or secrets[0].expires_at is not None:
            raise InvalidValueError("secrets", "An endpoint has a current secret, first and without expiry.")
        self.url = url
        self.event_types = event_types
        self.description = description
        self.secrets: tuple[SigningSecret, ...] = tuple(secrets)
        self.subscribed_at = subscribed_at
        self.enabled = enabled
        self.disabled_reason = disabled_reason
        self.disabled_cause = disabled_cause
        self.disabled_at = disabled_at
        self.failing_since = failing_since

    @classmethod
    def subscribe(
        cls,
        *,
        id: UUID,
        url: EndpointUrl,
        event_types: EventTypeFilters,
        description: str,
        secret: SigningSecret,
        now: datetime,
    ) -> Endpoint:
        """An enabled endpoint signing with ``secret``, with ``EndpointSubscribed`` recorded.

        Raises ``InvalidValueError``: a description too long (``description``), a secret that
        already expires (``secret``).
        """
        if secret.expires_at is not None:
            raise InvalidValueError("secret", "A new endpoint's secret does not expire.")
        endpoint = cls(
            id=id,
            url=url,
            event_types=event_types,
            description=description_text(description),
            secrets=(secret,),
            subscribed_at=now,
        )
        endpoint._record(
            EndpointSubscribed(
                occurred_at=now,
                endpoint_id=id,
                url=url.without_query,
                event_types=event_types.patterns,
                description=endpoint.description,
            )
        )
        return endpoint

    @property
    def current_secret(self) -> SigningSecret:
        return self.secrets[0]

    def wants(self, event_type: str) -> bool:
        """Whether the endpoint's filters match ``event_type``, whether it is enabled or not."""
        return self.event_types.wants(event_type)

    def receives(self, event_type: str) -> bool:
        """Whether an event of ``event_type`` is to be delivered here now: the endpoint is enabled and wants it."""
        return self.enabled and self.wants(event_type)

    def signing_secrets(self, now: datetime) -> tuple[SigningSecret, ...]:
        """The secrets a message sent at ``now`` is signed with: the current one first, then every
        rotated-out one that has not expired yet."""
        return (self.current_secret, *(secret for secret in self.secrets[1:] if secret.signs_at(now)))

    def rotate_secret(self, *, new_secret: SigningSecret, now: datetime, overlap: timedelta) -> None:
        """Make ``new_secret`` current; the previous one keeps signing until ``now + overlap``.

        Secrets already expired at ``now`` are forgotten. Raises ``InvalidValueError``: an overlap
        outside 0 to ``MAX_ROTATION_OVERLAP`` (``overlap``), a new secret that expires or is
        already one of the endpoint's (``secret``).
        """
        if not timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
            raise InvalidValueError("overlap", f"The overlap is between 0 and {MAX_ROTATION_OVERLAP.days} days.")
        if new_secret.expires_at is not None:
            raise InvalidValueError("secret", "A new secret does not expire.")
        if any(secret.value == new_secret.value for secret in self.secrets):
            raise InvalidValueError("secret", "The new secret is already one of this endpoint's secrets.")
        previous = self.current_secret.expiring(now + overlap)
        older = (secret for secret in self.secrets[1:] if secret.signs_at(now))
        self.secrets = (new_secret, *((previous,) if previous.signs_at(now) else ()), *older)
        self._record(EndpointSecretRotated(occurred_at=now, endpoint_id=self.id, previous_expires_at=now + overlap))

    def update(
        self,
        *,
        now: datetime,
        url: EndpointUrl | None = None,
        event_types: EventTypeFilters | None = None,
        description: str | None = None,
    ) -> None:
        """Change what is given; ``EndpointUpdated`` names what changed, and nothing is recorded when
        nothing did. A new URL is a new receiver: the run of failures of the old one is forgotten.

        Raises ``InvalidValueError`` for a description too long (``description``).
        """
        changed: list[str] = []
        if url is not None and url != self.url:
            self.url = url
            self.failing_since = None
            changed.append("url")
        if event_types is not None and event_types != self.event_types:
            self.event_types = event_types
            changed.append("event_types")
        if description is not None:
            text = description_text(description)
            if text != self.description:
                self.description = text
                changed.append("description")
        if changed:
            self._record(
                EndpointUpdated(
                    occurred_at=now,
                    endpoint_id=self.id,
                    changed=tuple(changed),
                    url=self.url.without_query,
                    event_types=self.event_types.patterns,
                    description=self.description,
                )
            )

    def disable(self, *, reason: str, now: datetime) -> None:
        """Stop deliveries at someone's request; disabling a disabled endpoint changes nothing.

        Raises ``InvalidValueError`` for an empty or too long reason (``reason``).
        """
        self._disable(reason_text(reason), DisableCause.REQUESTED, now)

    def enable(self, *, now: datetime) -> None:
        """Deliver again, with a clean record of failures; enabling an enabled endpoint changes nothing."""
        if self.enabled:
            return
        self.enabled = True
        self.disabled_reason = ""
        self.disabled_cause = None
        self.disabled_at = None
        self.failing_since = None
        self._record(EndpointEnabled(occurred_at=now, endpoint_id=self.id))

    def record_delivery_succeeded(self, *, now: datetime) -> None:
        """A delivery got a 2xx answer at ``now``: the run of failures, if any, is over."""
        self.failing_since = None

    def record_delivery_failed(self, *, now: datetime, disable_after: timedelta) -> bool:
        """An attempt failed at ``now`` (a retry is due, or the delivery gave up). The run of failures
        starts at the earliest failure reported since the last success; when it has lasted
        ``disable_after`` or longer, the endpoint disables itself (cause ``failing``) and this returns
        True. A failure reported to a disabled endpoint changes nothing.

        Raises ``InvalidValueError`` unless ``disable_after`` is positive.
        """
        if disable_after <= timedelta(0):
            raise InvalidValueError("disable_after", "The time before a failing endpoint is disabled is positive.")
        if not self.enabled:
            return False
        if self.failing_since is None or now < self.failing_since:
            self.failing_since = now
        failing_for = now - self.failing_since
        if failing_for < disable_after:
            return False
        reason = (
            f"Every delivery failed for {_days(failing_for)}, since {self.failing_since.isoformat()}; "
            "the endpoint was disabled."
        )
        self._disable(reason, DisableCause.FAILING, now)
        return True

    def record_gone(self, *, now: datetime) -> bool:
        """The receiver answered 410 Gone: disabled at once (cause ``gone``). True when this disabled it."""
        if not self.enabled:
            return False
        self._disable("The receiver answered 410 Gone: it wants no more deliveries.", DisableCause.GONE, now)
        return True

    def _disable(self, reason: str, cause: DisableCause, now: datetime) -> None:
        if not self.enabled:
            return
        self.enabled = False
        self.disabled_reason = reason
        self.disabled_cause = cause
        self.disabled_at = now
        self._record(
            EndpointDisabled(
                occurred_at=now,
                endpoint_id=self.id,
                reason=reason,
                cause=cause.value,
                failing_since=self.failing_since,
            )
        )
