"""Walk the audit chain from its start (genesis, or the last purge's anchor) and report the first broken link."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Max

from apps.audit import chain, recorder
from apps.audit.models import AuditEntry
from apps.platform.commands import OrderflowCommand, progress_bar

BATCH = 2000


class Command(OrderflowCommand):
    help = "Check every audit entry's hash and its link to the entry before it; name the first broken one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        # One snapshot for the anchor and the entries: a purge committing midway must not look like a gap.
        # (Inside a caller's transaction, the caller's isolation applies.)
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._verify(quiet=options["quiet"])

    def _verify(self, *, quiet: bool) -> None:
        first_id, anchor_hash = recorder.start_of_chain()
        # Entries appended while this runs are left for the next run, so the count printed is what was checked.
        end = AuditEntry.objects.aggregate(end=Max("id"))["end"] or 0
        total = AuditEntry.objects.filter(id__lte=end).count()
        with progress_bar(self.stdout, total=total, description="verifying", unit="entries", quiet=quiet) as bar:
            broken = chain.first_broken_link(_entries(bar, end), anchor_hash=anchor_hash, first_id=first_id)
        if broken is not None:
            raise CommandError(str(broken))
        self.stdout.write(f"audit chain intact: {total} entries")


def _entries(bar: Any, end: int) -> Iterator[dict[str, Any]]:
    """Every entry in id order, read in batches by id (keyset), so memory stays flat on any table size."""
    last_id = 0
    fields = [*chain.HASHED_FIELDS, "hash"]
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id, id__lte=end).order_by("id").values(*fields)[:BATCH])
        if not batch:
            return
        for entry in batch:
            yield entry
            bar.update(1)
        last_id = batch[-1]["id"]
