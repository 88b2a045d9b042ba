"""Writing the audit trail: one entry per command or auth event, appended to the hash chain.

Appends are serialized so that every entry links to the one committed before
it: on PostgreSQL by a transaction-scoped advisory lock taken just before the
insert (held until the surrounding transaction ends, so the next writer reads
this entry as its predecessor); on SQLite the database's single write lock does
the same. The id of an entry is its predecessor's plus one, so a missing row
shows as a gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from django.db import connection, transaction
from django.utils import timezone

from apps.audit import chain
from apps.audit.models import AuditAnchor, AuditEntry
from apps.observability import correlation, requests
from apps.security import actors
from domain.kernel.messages import Query
from domain.kernel.result import Ok, Result

log = structlog.get_logger(__name__)

APPEND_LOCK_KEY = 0x0A0D17  # any constant shared by all writers: the advisory lock of the audit chain
PURGE_SETTING = "orderflow.audit_purge"
"""Set to ``on`` (``SET LOCAL``, so only for the purging transaction) to let the trigger allow a DELETE."""

USER_AGENT_LENGTH = 512
IP_LENGTH = 45

# A command's target when its result does not name one: the first of these fields it has.
_TARGET_FIELDS = (("order_id", "Order"), ("invoice_id", "Invoice"), ("user_id", "User"))


def outcome_of(result: Result[Any, Exception] | BaseException) -> str:
    if isinstance(result, Ok):
        return "ok"
    error = result if isinstance(result, BaseException) else result.error
    return f"refused: {type(error).__name__}"


def target_of(message: Any, result: Result[Any, Exception] | BaseException) -> tuple[str, str]:
    """The aggregate acted on: the ``Ok`` value's id when it has one, else the command's id field."""
    if isinstance(result, Ok):
        value_id = getattr(result.value, "id", None)
        if isinstance(value_id, UUID | int | str):
            return type(result.value).__name__, str(value_id)
    for field, kind in _TARGET_FIELDS:
        value = getattr(message, field, None)
        if value is not None:
            return kind, str(value)
    return "", ""


def record_command(message: Any, result: Result[Any, Exception] | BaseException) -> AuditEntry:
    """The entry of one dispatched command; written in the current transaction if one is open."""
    target_type, target_id = target_of(message, result)
    return record(
        type(message).__name__,
        outcome=outcome_of(result),
        target_type=target_type,
        target_id=target_id,
        changes=chain.redacted(message),
    )


def record(
    action: str,
    *,
    outcome: str = "ok",
    target_type: str = "",
    target_id: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for ``action`` by the current actor, with the current request's context."""
    actor = actors.current()
    request = requests.current()
    ip, agent = "", ""
    if request is not None:
        ip = _printable(requests.client_ip(request) or "")[:IP_LENGTH]
        agent = _printable(requests.user_agent(request))[:USER_AGENT_LENGTH]
    fields: dict[str, Any] = {
        "actor_id": actor.id,
        "actor": actor.label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "outcome": outcome[:200],
        "correlation_id": correlation.current() or "",
        "ip": ip,
        "user_agent": agent,
        "changes": chain.redacted(changes or {}),
    }
    return append(fields)


def record_admin_login(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """``auth.admin_login_succeeded`` for a session sign-in (the admin); never breaks the sign-in."""
    _record_safely("auth.admin_login_succeeded", outcome="ok", target_type="user", target_id=str(user.pk))


def record_admin_login_failed(sender: Any, credentials: Any = None, request: Any = None, **kwargs: Any) -> None:
    """``auth.admin_login_failed`` for a refused session sign-in (the e-mail tried is not stored)."""
    _record_safely("auth.admin_login_failed", outcome="refused: InvalidCredentials")


def _record_safely(action: str, **fields: Any) -> None:
    try:
        with transaction.atomic():
            record(action, **fields)
    except Exception:
        log.exception("an audit entry could not be written", action=action)


def record_permission_denied(sender: Any = None, request: Any = None, **kwargs: Any) -> None:
    """``auth.permission_denied`` for a request refused with 403 (``request_forbidden``); never turns it into a 500."""
    try:
        with transaction.atomic():
            record(
                "auth.permission_denied",
                outcome="refused: PermissionDenied",
                target_type="endpoint",
                target_id=f"{request.method} {request.path}"[:100],
            )
    except Exception:
        log.exception("the audit entry of a refused request could not be written", path=request.path)


def record_forbidden_query(sender: Any = None, message: Any = None, error: Any = None, **kwargs: Any) -> None:
    """``auth.permission_denied`` for a query refused for a missing permission (``message_forbidden``); never raises.

    Under a request the entry names the endpoint, like a refused request's; elsewhere the query. A refused
    command is not recorded here: the command bus's unit of work audits every command, refused ones too.
    """
    if not isinstance(message, Query):
        return
    request = requests.current()
    if request is not None:
        record_permission_denied(request=request)
        return
    outcome = f"refused: {type(error).__name__}"
    _record_safely("auth.permission_denied", outcome=outcome, target_type="query", target_id=type(message).__name__)


def _printable(text: str) -> str:
    """Without NUL characters, which PostgreSQL text cannot hold."""
    return text.replace("\x00", "")


def append(fields: dict[str, Any]) -> AuditEntry:
    with transaction.atomic():
        _lock_chain()
        previous_id, previous_hash = _chain_end()
        # Taken under the lock, so entries are in time order as well as id order.
        fields = {**fields, "id": previous_id + 1, "occurred_at": timezone.now(), "prev_hash": previous_hash}
        fields["hash"] = chain.entry_hash(fields)
        return AuditEntry.objects.create(**fields)


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])


def _chain_end() -> tuple[int, str]:
    """The id and hash the next entry follows: the last entry's, else the last purge's anchor, else genesis."""
    last = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
    if last is not None:
        return last
    anchor = AuditAnchor.objects.order_by("-last_entry_id").values_list("last_entry_id", "last_entry_hash").first()
    return anchor if anchor is not None else (0, chain.GENESIS_HASH)


def start_of_chain() -> tuple[int, str]:
    """The id the oldest kept entry must have and the hash it must link to."""
    anchor = AuditAnchor.objects.order_by("-last_entry_id").values_list("last_entry_id", "last_entry_hash").first()
    if anchor is None:
        return 1, chain.GENESIS_HASH
    return anchor[0] + 1, anchor[1]


def purge_older_than(days: int) -> tuple[int, int | None]:
    """Purge every entry up to the newest one older than ``days``: (entries removed, last id removed or None)."""
    cutoff = timezone.now() - timedelta(days=days)
    last = AuditEntry.objects.filter(occurred_at__lt=cutoff).order_by("-id").values_list("id", flat=True).first()
    if last is None:
        return 0, None
    return purge_through(last), last


def purge_through(entry_id: int) -> int:
    """Delete every entry up to ``entry_id`` and anchor the chain at it; the count removed.

    The one sanctioned way to remove audit entries: in one transaction it records
    an ``AuditAnchor`` (the last removed entry's id and hash, where verification
    then starts) and deletes with ``orderflow.audit_purge`` set for this
    transaction only, which the PostgreSQL trigger checks.
    """
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.filter(id=entry_id).values_list("hash", flat=True).first()
        if last is None:
            raise ValueError(f"no audit entry {entry_id}")
        count = AuditEntry.objects.filter(id__lte=entry_id).count()
        AuditAnchor.objects.create(
            last_entry_id=entry_id, last_entry_hash=last, purged_entries=count, purged_at=timezone.now()
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
            cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id <= %s", [entry_id])
            deleted = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_SETTING])
        return int(deleted)
