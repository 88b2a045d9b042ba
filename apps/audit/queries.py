"""The read side of the audit trail: entries filtered by actor, action, target and time, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from apps.audit.models import AuditEntry
from domain.kernel.messages import Query
from domain.kernel.result import Ok, Result


@dataclass(frozen=True)
class ListAuditEntries(Query):
    """Only entries matching every given filter; ``since`` includes its moment, ``until`` does not."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_audit_entries(query: ListAuditEntries) -> Result[QuerySet[AuditEntry], Exception]:
    """The matching entries, newest first, as a queryset for a paginator."""
    entries = AuditEntry.objects.order_by("-id")
    for name in ("actor", "action", "target_type", "target_id"):
        value = getattr(query, name)
        if value is not None:
            entries = entries.filter(**{name: value})
    if query.since is not None:
        entries = entries.filter(occurred_at__gte=query.since)
    if query.until is not None:
        entries = entries.filter(occurred_at__lt=query.until)
    return Ok(entries)
