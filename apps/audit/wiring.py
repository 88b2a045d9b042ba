"""The audit trail's one use case on the buses: reading it, for those whose role allows it."""

from __future__ import annotations

from apps.audit import queries
from apps.platform.wiring import Binding
from apps.security.authorization import Needs


def query_bindings() -> tuple[Binding, ...]:
    return (Binding(queries.ListAuditEntries, queries.list_audit_entries, Needs("audit.view_auditentry")),)
