"""The hash chain of the audit trail: canonical form, hashing, redaction and verification.

Each entry's ``hash`` is SHA-256 over a canonical JSON of its fields and the
``prev_hash`` of the entry before it, so changing, removing or reordering any
sealed entry breaks the link to the next. Pure functions: no database here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry ever written (or the first after a purge without anchor)."""

REDACTED = "[redacted]"
SENSITIVE_NAME_PARTS = (
    "password",
    "token",
    "secret",
    "refresh",
    "access",
    "key",
    "authorization",
    "signature",
    "credential",
    "email",
    "name",
    "reason",
)
"""A field whose name contains one of these is never stored: secrets, and personal data (an e-mail
address, a display name, a free-text reason, which may name a person), since the chain keeps what it
stores for good."""

HASHED_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "correlation_id",
    "ip",
    "user_agent",
    "changes",
    "prev_hash",
)


@lru_cache(maxsize=4096)
def is_sensitive(name: str) -> bool:
    """Whether a field called ``name`` is kept out of the trail (field names repeat, so the answer is cached)."""
    lowered = name.lower()
    return any(part in lowered for part in SENSITIVE_NAME_PARTS)


def redacted(value: Any) -> Any:
    """``value`` as plain JSON, with every sensitive field (at any depth) replaced by ``[redacted]``."""
    if type(value) in _SCALARS:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {name: getattr(value, name) for name in _field_names(type(value))}
    if isinstance(value, Mapping):
        return {str(key): _kept(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redacted(item) for item in value]
    return plain(value)


def _kept(name: str, value: Any) -> Any:
    if is_sensitive(name):
        return REDACTED
    if isinstance(value, str) and (name == "url" or name.endswith("_url")):
        return bare_url(value)
    return redacted(value)


def bare_url(text: str) -> str:
    """A URL with only its scheme, host, port and path: user information and the query string, where
    credentials and tokens travel, are left out (``[redacted]`` when it is not a URL at all)."""
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


_SCALARS = frozenset({str, int, bool, type(None)})
"""Exact types that are plain JSON already (a float is not: ``plain`` writes its exact text)."""


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


def plain(value: Any) -> Any:
    """A JSON scalar for ``value``; decimals and ids as strings so they survive a JSON column unchanged."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)  # a float's text is exact; a jsonb round trip of the number may not be
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, Decimal | UUID | date):
        return str(value)
    if isinstance(value, Enum):
        return plain(value.value)
    return str(value)


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, the one text of a moment that every database returns."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The hashed text: the entry's fields (``HASHED_FIELDS``), sorted keys, no whitespace, UTF-8."""
    document = {name: _hashable(name, fields[name]) for name in HASHED_FIELDS}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _hashable(name: str, value: Any) -> Any:
    return value if name == "changes" else plain(value)


def entry_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


@dataclasses.dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    reason: str

    def __str__(self) -> str:
        return f"audit chain broken at entry {self.entry_id}: {self.reason}"


def first_broken_link(
    entries: Iterable[Mapping[str, Any]], *, anchor_hash: str = GENESIS_HASH, first_seq: int | None = None
) -> BrokenLink | None:
    """The first sealed entry, in chain order (``seq``), that does not follow from the one before it; else ``None``.

    ``anchor_hash`` is what the first entry must link to (the genesis hash, or the
    last purged entry's hash); ``first_seq`` the position it must have, when known.
    The position itself is not hashed: the links are what fix the order, and
    consecutive positions are what show a removed entry.
    """
    for problem in _problems(entries, anchor_hash=anchor_hash, first_seq=first_seq):
        return problem
    return None


def _problems(entries: Iterable[Mapping[str, Any]], *, anchor_hash: str, first_seq: int | None) -> Iterator[BrokenLink]:
    expected_prev, expected_seq = anchor_hash, first_seq
    for entry in entries:
        entry_id, seq = int(entry["id"]), int(entry["seq"])
        if expected_seq is not None and seq != expected_seq:
            yield BrokenLink(entry_id, f"positions jump from {expected_seq - 1} to {seq}: entries are missing")
            return
        if entry["prev_hash"] != expected_prev:
            yield BrokenLink(
                entry_id,
                f"prev_hash is {entry['prev_hash']} but the entry before it hashes to {expected_prev}",
            )
            return
        recomputed = entry_hash(entry)
        if entry["hash"] != recomputed:
            yield BrokenLink(
                entry_id, f"stored hash {entry['hash']} does not match its fields (they hash to {recomputed})"
            )
            return
        expected_prev, expected_seq = entry["hash"], seq + 1
