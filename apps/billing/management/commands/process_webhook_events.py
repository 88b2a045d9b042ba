"""``manage.py process_webhook_events``: act on payment webhooks stored but never processed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.billing import webhooks
from apps.billing.models import WebhookEvent


class Command(BaseCommand):
    help = "Process payment webhook events still 'received' (left so by a crash), oldest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="At most this many events (default 500).")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        pending = list(
            WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).values_list("pk", "provider_event_id")[
                :limit
            ]
        )
        if not pending:
            self.stdout.write("No received payment webhook events to process.")
            return
        crashed = 0
        for position, (pk, provider_event_id) in enumerate(pending, start=1):
            try:
                status = webhooks.process(pk)
            except Exception as exc:
                crashed += 1
                self.stderr.write(f"[{position}/{len(pending)}] {provider_event_id}: crashed, stays received: {exc!r}")
                continue
            self.stdout.write(f"[{position}/{len(pending)}] {provider_event_id}: {status}")
        summary = f"{len(pending) - crashed} of {len(pending)} event(s) processed."
        if crashed:
            raise CommandError(f"{summary} {crashed} crashed and stay received.")
        self.stdout.write(self.style.SUCCESS(summary))
