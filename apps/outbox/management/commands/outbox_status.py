"""How the outbox stands: what waits to be published, what is parked, how old the oldest wait is."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import Count, Min, Q
from django.utils import timezone

from apps.outbox.models import OutboxEntry
from apps.platform.commands import OrderflowCommand, one_line

PENDING = Q(status=OutboxEntry.Status.PENDING)


def outbox_status(now: datetime | None = None) -> dict[str, Any]:
    """The counts by state and the age of the oldest pending entry, in one query."""
    now = now or timezone.now()
    waiting = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    counts = OutboxEntry.objects.aggregate(
        pending=Count("id", filter=PENDING),
        due=Count("id", filter=PENDING & waiting),
        backing_off=Count("id", filter=PENDING & Q(next_attempt_at__gt=now)),
        dead=Count("id", filter=Q(status=OutboxEntry.Status.DEAD)),
        processed=Count("id", filter=Q(status=OutboxEntry.Status.PROCESSED)),
        oldest_pending_at=Min("created_at", filter=PENDING),
    )
    oldest: datetime | None = counts.pop("oldest_pending_at")
    return {
        **counts,
        "oldest_pending_at": oldest.isoformat() if oldest else None,
        "oldest_pending_age_seconds": round(max(0.0, (now - oldest).total_seconds()), 3) if oldest else None,
    }


def human_age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s"


class Command(OrderflowCommand):
    help = (
        "Show the outbox's state: entries pending (due now, or backing off after a failed publish), dead "
        "(each parks its aggregate's stream until requeued in the admin), processed (kept as the event "
        "history until purged), and the age of the oldest pending entry."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print one JSON object (pending, due, backing_off, dead, processed, oldest_pending_at, "
            "oldest_pending_age_seconds) instead of the table.",
        )

    def handle(self, *args: Any, as_json: bool, **options: Any) -> None:
        try:
            status = outbox_status()
        except (OperationalError, InterfaceError) as exc:
            raise CommandError(f"database unavailable: {one_line(exc)}") from None
        except DatabaseError as exc:
            raise CommandError(f"database error: {one_line(exc)}") from None
        if as_json:
            self.stdout.write(json.dumps(status, sort_keys=True))
            return
        age = status["oldest_pending_age_seconds"]
        rows = [
            ("pending", status["pending"]),
            ("  due", status["due"]),
            ("  backing off", status["backing_off"]),
            ("dead", status["dead"]),
            ("processed", status["processed"]),
        ]
        for label, count in rows:
            self.stdout.write(f"{label:<20}{count:>10}")
        if age is None:
            self.stdout.write(f"{'oldest pending age':<20}{'-':>10}")
        else:
            self.stdout.write(f"{'oldest pending age':<20}{human_age(age):>10}  (since {status['oldest_pending_at']})")
