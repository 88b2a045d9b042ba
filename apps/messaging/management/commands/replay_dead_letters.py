"""Send dead events back to the consumer that failed them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from kombu.exceptions import OperationalError

from apps.messaging.failures import requeue
from apps.messaging.models import DeliveryFailure
from apps.messaging.registry import consumer_named, consumers
from apps.platform.commands import OrderflowCommand


class Command(OrderflowCommand):
    help = "Requeue dead events (all, one consumer's, or one event) to their consumer's queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consumer", help=f"Only this consumer's. Known: {', '.join(c.name for c in consumers())}."
        )
        parser.add_argument("--event-id", help="Only this event.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be requeued, change nothing.")

    def handle(self, *args: Any, consumer: str | None, event_id: str | None, dry_run: bool, **options: Any) -> None:
        dead = DeliveryFailure.objects.filter(status=DeliveryFailure.Status.DEAD)
        if consumer:
            try:
                consumer_named(consumer)
            except LookupError as exc:
                raise CommandError(str(exc)) from None
            dead = dead.filter(consumer=consumer)
        if event_id:
            dead = dead.filter(event_id=event_id)
        failures = list(dead.order_by("first_failed_at"))
        if dry_run:
            for failure in failures:
                self.stdout.write(f"would requeue {failure}")
            self.stdout.write(f"{len(failures)} dead event(s)")
            return
        try:
            sent = requeue(failures, consumers())
        except LookupError as exc:  # a dead letter of a consumer that no longer exists: nothing was sent
            raise CommandError(f"{exc}; pass --consumer or --event-id to leave it out") from None
        except (OSError, OperationalError) as exc:
            raise CommandError(f"events broker unavailable: {exc}") from None
        self.stdout.write(f"requeued {sent} dead event(s)")
