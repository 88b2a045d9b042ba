"""Writing the audit trail: one entry per command or auth event, and the retention purge.

An entry is one INSERT in the writer's transaction, with no lock and no read: it is written
unsealed, and the sealer (``apps.audit.sealer``) links it into the hash chain once it has
committed. Writers therefore never wait for one another (ADR-0010).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from apps.audit import chain, sealer
from apps.audit.models import AuditAnchor, AuditEntry
from apps.observability import correlation, requests
from apps.security import actors
from domain.kernel.messages import Query
from domain.kernel.result import Ok, Result

log = structlog.get_logger(__name__)

PURGE_SETTING = "orderflow.audit_purge"
"""Set to ``on`` (``SET LOCAL``, so only for the purging transaction) to let the trigger allow a DELETE."""

USER_AGENT_LENGTH = 512
IP_LENGTH = 45

# A command's target when its result does not name one: the first of these fields it has.
_TARGET_FIELDS = (
    ("order_id", "Order"),
    ("invoice_id", "Invoice"),
    ("user_id", "User"),
    ("endpoint_id", "Endpoint"),
    ("delivery_id", "Delivery"),
)


def outcome_of(result: Result[Any, Exception] | BaseException) -> str:
    if isinstance(result, Ok):
        return "ok"
    error = result if isinstance(result, BaseException) else result.error
    return f"refused: {type(error).__name__}"


def target_of(message: Any, result: Result[Any, Exception] | BaseException) -> tuple[str, str]:
    """The aggregate acted on: the ``Ok`` value's id when it has one, else the first id field of
    the ``Ok`` value or of the command."""
    sources: tuple[Any, ...] = (message,)
    if isinstance(result, Ok):
        value_id = getattr(result.value, "id", None)
        if isinstance(value_id, UUID | int | str):
            return type(result.value).__name__, str(value_id)
        sources = (result.value, message)
    for source in sources:
        for field, kind in _TARGET_FIELDS:
            value = getattr(source, field, None)
            if value is not None:
                return kind, str(value)
    return "", ""


def record_command(message: Any, result: Result[Any, Exception] | BaseException) -> AuditEntry:
    """The entry of one dispatched command; written in the current transaction if one is open."""
    target_type, target_id = target_of(message, result)
    return _record(type(message).__name__, outcome_of(result), target_type, target_id, chain.redacted(message))


def record(
    action: str,
    *,
    outcome: str = "ok",
    target_type: str = "",
    target_id: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for ``action`` by the current actor, with the current request's context."""
    return _record(action, outcome, target_type, target_id, chain.redacted(changes or {}))


def _record(action: str, outcome: str, target_type: str, target_id: str, changes: Any) -> AuditEntry:
    """The entry, with ``changes`` redacted already."""
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
        "changes": changes,
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
    """Insert one unsealed entry; the sealer gives it its place in the chain after the transaction commits."""
    return AuditEntry.objects.create(**fields, occurred_at=timezone.now())


def purge_older_than(days: int) -> tuple[int, int | None]:
    """Purge the sealed entries up to the last one older than ``days``: (entries removed, last position or None).

    Unsealed entries are never purged: they are seconds old, and the chain has no place for them yet.
    """
    cutoff = timezone.now() - timedelta(days=days)
    old = AuditEntry.objects.filter(occurred_at__lt=cutoff, seq__isnull=False)
    last = old.order_by("-seq").values_list("seq", flat=True).first()
    if last is None:
        return 0, None
    return purge_through(last), last


def purge_through(seq: int) -> int:
    """Delete every sealed entry up to position ``seq`` and anchor the chain at it; the count removed.

    The one sanctioned way to remove audit entries: in one transaction, holding the
    chain's end (so no sealing interleaves), it records an ``AuditAnchor`` (the last
    removed entry's position and hash, where verification then starts) and deletes
    with ``orderflow.audit_purge`` set for this transaction only, which the PostgreSQL
    trigger checks.
    """
    with transaction.atomic():
        sealer.lock_chain()
        last = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if last is None:
            raise ValueError(f"no sealed audit entry at position {seq}")
        count = AuditEntry.objects.filter(seq__lte=seq).aggregate(count=Count("id"))["count"]
        AuditAnchor.objects.create(last_seq=seq, last_entry_hash=last, purged_entries=count, purged_at=timezone.now())
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
            cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq <= %s", [seq])
            deleted = cursor.rowcount
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [PURGE_SETTING])
        return int(deleted)
