"""Rebuild read models from the event history kept in the outbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.db.models import Q

from apps.messaging.consumers import RetryLater
from apps.messaging.models import InboxEntry
from apps.messaging.registry import Projection, projections
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from apps.platform.commands import OrderflowCommand

PROGRESS_EVERY = 1000


class Command(OrderflowCommand):
    help = (
        "Empty a read model and replay the processed outbox entries (the event history) into it. "
        "History older than OUTBOX_RETENTION_DAYS is gone; streams whose start was purged are reported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--projection",
            action="append",
            dest="names",
            metavar="NAME",
            help=f"Rebuild only this one (repeatable). Known: {', '.join(projections())}.",
        )

    def handle(self, *args: Any, names: list[str] | None, **options: Any) -> None:
        unknown = sorted(set(names or ()) - set(projections()))
        if unknown:
            raise CommandError(f"unknown projection {', '.join(unknown)}; known: {', '.join(projections())}")
        for name in names or list(projections()):
            self.rebuild(projections()[name])

    def rebuild(self, projection: Projection) -> None:
        of_interest = Q()
        for prefix in projection.event_type_prefixes:
            of_interest |= Q(event_type__startswith=prefix)
        # In the order they were written, so that a read model fed by several aggregates (an order and
        # its invoice) sees the events in their causal order; within one aggregate, by version.
        history = OutboxEntry.objects.filter(of_interest, status=OutboxEntry.Status.PROCESSED).order_by(
            "created_at", "aggregate_version"
        )
        total = history.count()
        applied, incomplete = 0, set()
        self.stdout.write(f"{projection.name}: replaying {total} event(s)")
        with transaction.atomic():
            projection.reset()
            # Live consumers must be able to apply what arrives after the rebuild: their inbox starts afresh.
            InboxEntry.objects.filter(consumer=projection.consumer.name).delete()
            for entry in history.iterator(chunk_size=2000):
                if entry.aggregate_id in incomplete:
                    continue
                try:
                    with transaction.atomic():
                        projection.apply(envelope(entry))
                except RetryLater:
                    incomplete.add(entry.aggregate_id)
                    continue
                InboxEntry.objects.create(
                    consumer=projection.consumer.name, event_id=entry.id, event_type=entry.event_type
                )
                applied += 1
                if applied % PROGRESS_EVERY == 0:
                    self.stdout.write(f"{projection.name}: {applied}/{total}")
        self.stdout.write(f"{projection.name}: rebuilt from {applied} event(s)")
        if incomplete:
            self.stderr.write(
                f"{projection.name}: {len(incomplete)} aggregate(s) left out: the start of their history was purged"
            )
