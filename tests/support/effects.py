"""What a request left behind, for tests that check a refusal changed nothing but its own audit entry."""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.management import call_command

from apps.audit.models import AuditEntry
from apps.outbox.models import OutboxEntry


def outbox_events(aggregate_id: Any) -> list[str]:
    """The event types the outbox holds for one aggregate, in version order."""
    entries = OutboxEntry.objects.filter(aggregate_id=aggregate_id).order_by("aggregate_version")
    return list(entries.values_list("event_type", flat=True))


def audit_outcomes(action: str) -> list[str]:
    """The outcomes of the audit entries of ``action`` (a command's name), oldest first."""
    return list(AuditEntry.objects.filter(action=action).order_by("id").values_list("outcome", flat=True))


def assert_audit_chain_intact() -> None:
    """Seal what is waiting, as beat does every second, then verify the whole chain."""
    call_command("seal_audit_log", "--quiet", stdout=StringIO())
    out = StringIO()
    call_command("verify_audit_chain", "--quiet", stdout=out)
    assert out.getvalue().startswith("audit chain intact: "), out.getvalue()
