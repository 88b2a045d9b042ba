"""Sealing the audit trail: linking committed entries into the hash chain, one sealer at a time.

A command writes its entry unsealed, in its own transaction, and waits for nobody. The sealer
(beat's ``audit.seal`` task, every second; ``manage.py seal_audit_log`` by hand) then takes the
committed entries that have no hash yet, in id order, gives each the next position (``seq``),
the hash of the entry before it (``prev_hash``) and its own hash, and writes the three in one
transaction. Only the sealer and the retention purge touch the chain's end, and they take turns
under one transaction-scoped advisory lock on PostgreSQL (SQLite's single write lock on the
embedded stack), so commands never queue behind each other for the audit trail. ADR-0010.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min

from apps.audit import chain
from apps.audit.models import AuditAnchor, AuditEntry

CHAIN_LOCK_KEY = 0x0A0D17  # any constant shared by the sealer and the purge: the advisory lock of the chain's end
BATCH = 1000
"""Entries sealed per transaction."""

_UNSEALED_FIELDS = [name for name in chain.HASHED_FIELDS if name != "prev_hash"]


def seal(*, limit: int = BATCH, wait: bool = False) -> int:
    """Seal up to ``limit`` committed unsealed entries; how many it sealed.

    When another sealer holds the chain: 0 at once (beat's tick: the other one is at work), or, with
    ``wait``, after it has finished (by hand: the entries waiting now are sealed when this returns).
    """
    with transaction.atomic():
        if not _lock_chain(wait=wait):
            return 0
        pending = list(AuditEntry.objects.filter(hash__isnull=True).order_by("id").values(*_UNSEALED_FIELDS)[:limit])
        if not pending:
            return 0
        seq, previous = chain_end()
        rows = []
        for entry in pending:
            seq += 1
            fields = {**entry, "prev_hash": previous}
            previous = chain.entry_hash(fields)
            rows.append((seq, fields["prev_hash"], previous, entry["id"]))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {AuditEntry._meta.db_table} SET seq = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s AND hash IS NULL",
                rows,
            )
        return len(rows)


def seal_pending(*, within: float = 10.0, batch: int = BATCH) -> int:
    """Seal batch after batch until none is left or ``within`` seconds have passed; how many it sealed."""
    deadline = time.monotonic() + within
    sealed = 0
    while True:
        count = seal(limit=batch)
        sealed += count
        if count < batch or time.monotonic() >= deadline:
            return sealed


def chain_end() -> tuple[int, str]:
    """The position and hash the next sealed entry follows: the last sealed entry's, else the last purge's anchor."""
    sealed = AuditEntry.objects.filter(seq__isnull=False, hash__isnull=False)
    last = sealed.order_by("-seq").values_list("seq", "hash").first()
    if last is not None:
        return int(last[0]), str(last[1])
    first, anchor_hash = start_of_chain()
    return first - 1, anchor_hash


def start_of_chain() -> tuple[int, str]:
    """The position the oldest kept entry must have and the hash it must link to."""
    anchor = AuditAnchor.objects.order_by("-last_seq").values_list("last_seq", "last_entry_hash").first()
    if anchor is None:
        return 1, chain.GENESIS_HASH
    return anchor[0] + 1, anchor[1]


def unsealed() -> dict[str, Any]:
    """The entries still waiting for the sealer: ``count`` and ``oldest`` (their earliest ``occurred_at``, or None)."""
    return AuditEntry.objects.filter(hash__isnull=True).aggregate(count=Count("id"), oldest=Min("occurred_at"))


def lock_chain() -> None:
    """Wait for the chain's end (the purge does); released when the surrounding transaction ends."""
    _lock_chain(wait=True)


def _lock_chain(*, wait: bool) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one writer at a time anyway
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        return bool(cursor.fetchone()[0])
