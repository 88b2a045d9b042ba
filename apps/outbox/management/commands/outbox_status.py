"""How the outbox stands: what waits to be published, what is parked, how old the oldest wait is.

And the dead letters at the other end of the pipe: how many the consumers have recorded (delivery
failures, status dead), how many messages the dead-letter queue holds now and the bound it is kept
within. The queue is read with a passive declare that waits a couple of seconds at most; a broker
that does not answer leaves the database's figures standing and is named as unavailable.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import Count, Min, Q
from django.utils import timezone

from apps.messaging.dead_letters import QueueReading, Retention, read_queue
from apps.messaging.models import DeliveryFailure
from apps.outbox.models import OutboxEntry
from apps.platform.commands import OrderflowCommand, one_line

PENDING = Q(status=OutboxEntry.Status.PENDING)
#: The exit status when the database's figures were printed but the events broker's could not be read.
BROKER_UNAVAILABLE = 3


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


def dead_letter_status(reading: QueueReading) -> dict[str, Any]:
    """The dead letters recorded (one query) and, from ``reading``, what the dead-letter queue holds and its bound."""
    retention = Retention.configured()
    return {
        "dead_letters": DeliveryFailure.objects.filter(status=DeliveryFailure.Status.DEAD).count(),
        "dead_letter_queue": reading.name,
        "dead_letter_queue_messages": reading.messages,
        "dead_letter_queue_unknown_because": reading.detail or None,
        "dead_letter_queue_max_length": retention.max_length,
        "dead_letter_queue_ttl_seconds": retention.ttl_ms // 1000 if retention.ttl_ms is not None else None,
        "dead_letter_queue_bound": retention.describe(),
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
        "history until purged), and the age of the oldest pending entry; then the dead letters the "
        "consumers recorded, the messages in the dead-letter queue now and its bound. Exits 0 when every "
        f"figure was read, 1 when the database cannot be read, {BROKER_UNAVAILABLE} when the database's "
        "figures were printed but the events broker did not answer within a few seconds."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print one JSON object (pending, due, backing_off, dead, processed, oldest_pending_at, "
            "oldest_pending_age_seconds, dead_letters, dead_letter_queue, dead_letter_queue_messages (null when "
            "unknown), dead_letter_queue_unknown_because, dead_letter_queue_max_length, "
            "dead_letter_queue_ttl_seconds (null: no bound), dead_letter_queue_bound) instead of the table.",
        )

    def handle(self, *args: Any, as_json: bool, **options: Any) -> None:
        try:
            status = outbox_status()
            reading = read_queue()
            status |= dead_letter_status(reading)
        except (OperationalError, InterfaceError) as exc:
            raise CommandError(f"database unavailable: {one_line(exc)}") from None
        except DatabaseError as exc:
            raise CommandError(f"database error: {one_line(exc)}") from None
        if as_json:
            self.stdout.write(json.dumps(status, sort_keys=True))
        else:
            self.write_table(status)
        if reading.broker_unavailable:
            raise CommandError(reading.detail, returncode=BROKER_UNAVAILABLE)

    def write_table(self, status: dict[str, Any]) -> None:
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
        self.stdout.write(f"{'dead letters':<20}{status['dead_letters']:>10}  (recorded by the consumers)")
        queue, messages = status["dead_letter_queue"], status["dead_letter_queue_messages"]
        if messages is None:
            self.stdout.write(
                f"{'dead-letter queue':<20}{'-':>10}  ({queue}: {status['dead_letter_queue_unknown_because']})"
            )
        else:
            self.stdout.write(
                f"{'dead-letter queue':<20}{messages:>10}  ({queue}: {status['dead_letter_queue_bound']})"
            )
