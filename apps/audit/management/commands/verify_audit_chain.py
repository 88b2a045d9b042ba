"""Walk the audit chain from its start (genesis, or the last purge's anchor) and report the first broken link.

Each walk that finishes sets ``orderflow_audit_chain_intact`` (1, or 0 for a broken link) and
``orderflow_audit_chain_verified_timestamp_seconds``; a lagging sealer fails the command but not the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.audit import chain, sealer
from apps.audit.models import AuditEntry
from apps.observability.metrics import record_audit_verification
from apps.platform.commands import OrderflowCommand, progress_bar

BATCH = 2000


class Command(OrderflowCommand):
    help = (
        "Check every sealed audit entry's hash and its link to the entry before it, naming the first broken one; "
        "fail too when entries have waited longer than AUDIT_SEAL_ALERT_SECONDS for the sealer."
    )

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
        first_seq, anchor_hash = sealer.start_of_chain()
        # Entries sealed while this runs are left for the next run, so the count printed is what was checked.
        end = AuditEntry.objects.aggregate(end=Max("seq"))["end"] or 0
        total = AuditEntry.objects.filter(seq__lte=end).count()
        with progress_bar(self.stdout, total=total, description="verifying", unit="entries", quiet=quiet) as bar:
            broken = chain.first_broken_link(_entries(bar, end), anchor_hash=anchor_hash, first_seq=first_seq)
        if broken is not None:
            _record(intact=False)
            raise CommandError(str(broken))
        # A check constraint keeps these out; only someone who dropped it can have written one.
        neither = Q(seq__isnull=True, hash__isnull=False) | Q(seq__isnull=False, hash__isnull=True)
        stray = AuditEntry.objects.filter(neither).values_list("id", flat=True).first()
        if stray is not None:
            _record(intact=False)
            raise CommandError(
                f"audit chain broken at entry {stray}: it has a position without a hash or a hash without a "
                "position, so it is neither in the chain nor waiting for the sealer"
            )
        _record(intact=True)
        waiting = sealer.unsealed()
        if not waiting["count"]:
            self.stdout.write(f"audit chain intact: {total} entries")
            return
        age = (timezone.now() - waiting["oldest"]).total_seconds()
        if age > settings.AUDIT_SEAL_ALERT_SECONDS:
            raise CommandError(
                f"audit chain intact: {total} entries, but {waiting['count']} more have waited up to {age:.0f} s "
                "for the sealer (beat's audit.seal task, or manage.py seal_audit_log); until sealed they are not "
                "in the chain"
            )
        newer = "1 newer entry awaits" if waiting["count"] == 1 else f"{waiting['count']} newer entries await"
        self.stdout.write(f"audit chain intact: {total} entries; {newer} the sealer (the oldest for {age:.1f} s)")


def _record(*, intact: bool) -> None:
    record_audit_verification(intact=intact)


def _entries(bar: Any, end: int) -> Iterator[dict[str, Any]]:
    """Every sealed entry in chain order, read in batches by position (keyset), so memory stays flat on any size."""
    last_seq = 0
    fields = [*chain.HASHED_FIELDS, "seq", "hash"]
    while True:
        page = AuditEntry.objects.filter(seq__gt=last_seq, seq__lte=end).order_by("seq").values(*fields)[:BATCH]
        batch = list(page)
        if not batch:
            return
        for entry in batch:
            yield entry
            bar.update(1)
        last_seq = batch[-1]["seq"]
