"""The audit trail on PostgreSQL: the append-only trigger, sealing, the purge, concurrent writers, tampering found."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client import REGISTRY

from apps.audit import chain, recorder, sealer
from apps.audit.models import AppendOnlyError, AuditAnchor, AuditEntry
from apps.audit.tasks import purge_expired_audit_entries, seal_audit_entries, verify_audit_chain
from apps.platform.buses import command_bus
from domain.kernel.result import Ok
from domain.users.commands import RegisterUser
from tests.integration.threads import in_thread

TABLE = AuditEntry._meta.db_table


def write(count: int) -> list[AuditEntry]:
    """``count`` entries, sealed (as beat's tick would), read back with their place in the chain."""
    written = [recorder.record("test.event", target_type="Thing", target_id=str(n)) for n in range(count)]
    sealer.seal_pending()
    return list(AuditEntry.objects.filter(id__in=[entry.id for entry in written]).order_by("seq"))


def chain_intact() -> bool:
    first_seq, anchor = sealer.start_of_chain()
    every = AuditEntry.objects.filter(seq__isnull=False).order_by("seq").values(*chain.HASHED_FIELDS, "seq", "hash")
    return chain.first_broken_link(every, anchor_hash=anchor, first_seq=first_seq) is None


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_chain", "--quiet", stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement", [f"UPDATE {TABLE} SET outcome = 'ok' WHERE id = %s", f"DELETE FROM {TABLE} WHERE id = %s"]
)
def test_the_trigger_refuses_an_update_or_delete_issued_with_raw_sql(statement):
    entry = write(1)[0]

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [entry.id])

    assert AuditEntry.objects.filter(pk=entry.pk, hash=entry.hash).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET outcome = 'ok, honestly' WHERE id = %s",
        f"UPDATE {TABLE} SET outcome = 'ok, honestly', seq = 1, prev_hash = repeat('0', 64), hash = repeat('1', 64) "
        "WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
    ids=["edit", "edit-while-sealing", "delete"],
)
def test_the_trigger_refuses_to_change_or_remove_an_unsealed_entry_but_the_sealers_update(statement):
    entry = recorder.record("test.event", target_type="Thing", target_id="1")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [entry.id])
    assert sealer.seal() == 1  # the one update it lets through

    sealed = AuditEntry.objects.get(pk=entry.pk)
    assert (sealed.outcome, sealed.seq) == ("ok", sealer.start_of_chain()[0])
    assert sealed.hash == chain.entry_hash({**AuditEntry.objects.values(*chain.HASHED_FIELDS).get(pk=entry.pk)})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET hash = repeat('2', 64) WHERE id = %s", [entry.id])  # no re-sealing


@pytest.mark.django_db
def test_the_orm_refuses_to_change_or_remove_an_entry():
    entry = write(1)[0]
    entry.outcome = "ok, honestly"

    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(outcome="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db
def test_verify_audit_chain_finds_a_row_edited_behind_the_orms_back():
    entries = write(4)
    assert verify() == f"audit chain intact: {AuditEntry.objects.count()} entries"
    assert REGISTRY.get_sample_value("orderflow_audit_chain_intact") == 1
    tampered = entries[2]
    with connection.cursor() as cursor:  # as the table's owner, who can switch the trigger off
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"UPDATE {TABLE} SET actor = 'anonymous' WHERE id = %s", [tampered.id])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_entry_append_only")

    with pytest.raises(
        CommandError, match=rf"audit chain broken at entry {tampered.id}: stored hash .* does not match"
    ):
        verify()
    assert REGISTRY.get_sample_value("orderflow_audit_chain_intact") == 0


#: For every column of an entry but its hash, an edit made behind the ORM's back (named here, not read
#: from chain.HASHED_FIELDS, so a column left out of the hash fails its own case).
EDITS = {
    "id": "id = id + 1000000",
    "seq": "seq = seq + 1000000",
    "occurred_at": "occurred_at = occurred_at + interval '1 microsecond'",
    "actor_id": "actor_id = gen_random_uuid()",
    "actor": "actor = actor || 'x'",
    "action": "action = action || 'x'",
    "target_type": "target_type = target_type || 'x'",
    "target_id": "target_id = target_id || 'x'",
    "outcome": "outcome = outcome || 'x'",
    "correlation_id": "correlation_id = correlation_id || 'x'",
    "ip": "ip = ip || 'x'",
    "user_agent": "user_agent = user_agent || 'x'",
    "changes": """changes = changes || '{"tampered": true}'::jsonb""",
    "prev_hash": "prev_hash = repeat('1', 64)",
}


def test_every_column_of_an_entry_but_its_hash_has_a_tampering_case():
    assert set(EDITS) == {field.attname for field in AuditEntry._meta.concrete_fields} - {"hash"}


@pytest.mark.django_db
@pytest.mark.parametrize("column", list(EDITS))
def test_verify_audit_chain_finds_any_one_column_edited_behind_the_orms_back(column):
    entries = write(4)
    assert verify() == f"audit chain intact: {AuditEntry.objects.count()} entries"
    tampered = entries[2]
    with connection.cursor() as cursor:  # as the table's owner, who can switch the trigger off
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"UPDATE {TABLE} SET {EDITS[column]} WHERE id = %s", [tampered.id])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_entry_append_only")

    # A moved position leaves a gap where the entry was, named at the next one; any other edit (a changed id
    # too, which the hash covers) is named at the entry itself, by the id it had when it was verified.
    where = entries[3].id if column == "seq" else AuditEntry.objects.get(seq=tampered.seq).id
    with pytest.raises(CommandError, match=rf"^audit chain broken at entry {where}: "):
        verify()


@pytest.mark.django_db
def test_the_purge_removes_the_oldest_entries_through_its_named_path_and_the_chain_still_verifies():
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=400)):
        old = write(3)
    recent = write(1)

    call_command("purge_audit_log", "--older-than-days", "365", stdout=StringIO())
    kept = [*recent, *write(1)]

    anchor = AuditAnchor.objects.latest()
    assert anchor.last_seq == old[-1].seq
    assert not AuditEntry.objects.filter(seq__lte=old[-1].seq).exists()
    assert recent[0].prev_hash == anchor.last_entry_hash == old[-1].hash
    assert AuditEntry.objects.filter(id__in=[e.id for e in kept]).count() == 2
    assert verify() == f"audit chain intact: {AuditEntry.objects.count()} entries"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [kept[0].id])  # the purge's setting did not linger


@pytest.mark.django_db
def test_beats_daily_purge_keeps_the_retention_period_and_everything_when_it_is_zero(settings):
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=400)):
        old = write(2)
    recent = write(1)
    task = PeriodicTask.objects.get(name="audit: purge entries past retention")

    settings.AUDIT_RETENTION_DAYS = 0
    kept_all = purge_expired_audit_entries()
    settings.AUDIT_RETENTION_DAYS = 365
    purged = purge_expired_audit_entries()

    assert (task.task, task.interval.every, task.interval.period) == ("audit.purge_expired", 1, "days")
    assert (kept_all, purged) == (0, 2)
    assert AuditAnchor.objects.latest().last_seq == old[-1].seq
    assert AuditEntry.objects.filter(id=recent[0].id).exists()
    assert verify() == f"audit chain intact: {AuditEntry.objects.count()} entries"


@pytest.mark.django_db
def test_beats_daily_verification_sets_the_chain_gauges_and_reports_a_broken_chain(caplog):
    task = PeriodicTask.objects.get(name="audit: verify the chain")
    entries = write(3)
    seal_audit_entries()
    before = timezone.now().timestamp()

    assert verify_audit_chain() is True
    assert REGISTRY.get_sample_value("orderflow_audit_chain_intact") == 1
    assert REGISTRY.get_sample_value("orderflow_audit_chain_verified_timestamp_seconds") >= before
    with connection.cursor() as cursor:  # as the table's owner, who can switch the trigger off
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"UPDATE {TABLE} SET action = 'users.nothing' WHERE id = %s", [entries[1].id])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_entry_append_only")

    assert verify_audit_chain() is False
    assert REGISTRY.get_sample_value("orderflow_audit_chain_intact") == 0
    (failed,) = [
        r.msg for r in caplog.records if isinstance(r.msg, dict) and r.msg.get("event", "").startswith("audit")
    ]
    assert failed["reason"].startswith(f"audit chain broken at entry {entries[1].id}")
    assert (task.task, task.interval.every, task.interval.period) == ("audit.verify", 1, "days")


@pytest.mark.django_db
def test_beat_seals_every_second():
    task = PeriodicTask.objects.get(name="audit: seal new entries")

    assert (task.task, task.interval.every, task.interval.period, task.enabled) == ("audit.seal", 1, "seconds", True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_commands_on_different_aggregates_do_not_wait_for_each_others_commit():
    """Every writer holds its transaction open, audit entry written, until all have written theirs.

    Had appending taken a lock held to the end of the transaction (as the chain's end once was), the
    second writer would wait for the first's commit, which waits at the barrier for the second: the
    barrier would time out. Then all commit, and one tick of the sealer links all of them."""
    writers = 8
    everyone_written = threading.Barrier(writers, timeout=30)
    results: dict[int, object] = {}
    failures: list[BaseException] = []

    def register(n: int) -> None:
        try:
            with transaction.atomic():
                results[n] = command_bus().dispatch(
                    RegisterUser(
                        email=f"writer{n}@example.com", password="a sufficiently long passphrase", display_name="W"
                    )
                )
                everyone_written.wait()  # still inside the transaction: nothing has committed yet
        except BaseException as exc:
            failures.append(exc)

    threads = [in_thread(register, n) for n in range(writers)]
    for thread in threads:
        thread.join()

    assert failures == []
    assert all(isinstance(result, Ok) for result in results.values())
    entries = AuditEntry.objects.filter(action="RegisterUser")
    assert sorted(entries.values_list("target_id", flat=True)) == sorted(str(r.value.id) for r in results.values())
    assert not entries.filter(hash__isnull=False).exists()  # written unsealed, linked by nobody yet

    assert seal_audit_entries() == writers
    assert list(entries.order_by("seq").values_list("id", flat=True)) == sorted(entries.values_list("id", flat=True))
    assert chain_intact()
    assert verify() == f"audit chain intact: {writers} entries"


@pytest.mark.django_db(transaction=True)
def test_the_sealer_links_entries_in_the_order_their_transactions_committed():
    """An entry that commits late joins the chain after those sealed before it, whatever its id."""
    written, release = threading.Event(), threading.Event()
    slow: list[AuditEntry] = []

    def slow_writer() -> None:
        with transaction.atomic():
            slow.append(recorder.record("test.slow", target_type="Thing", target_id="slow"))
            written.set()
            release.wait(timeout=30)

    thread = in_thread(slow_writer)
    assert written.wait(timeout=30)
    fast = recorder.record("test.fast", target_type="Thing", target_id="fast")  # a higher id, committed first

    sealed_first = sealer.seal()
    release.set()
    thread.join()
    sealed_next = sealer.seal()

    assert slow[0].id < fast.id
    assert (sealed_first, sealed_next) == (1, 1)
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == ["test.fast", "test.slow"]
    assert chain_intact()


@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_never_seal_an_entry_twice():
    for n in range(50):
        recorder.record("test.event", target_type="Thing", target_id=str(n))
    start = threading.Barrier(2, timeout=30)
    counts: list[int] = []

    def seal() -> None:
        start.wait()
        counts.append(sealer.seal_pending(batch=10))

    threads = [in_thread(seal) for _ in range(2)]
    for thread in threads:
        thread.join()

    assert sum(counts) == 50
    assert AuditEntry.objects.filter(seq__isnull=False).count() == 50
    assert chain_intact()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "assignment",
    ["hash = repeat('3', 64)", "seq = 999999", "prev_hash = repeat('4', 64)"],
    ids=["hash-without-position", "position-without-hash", "link-without-either"],
)
def test_no_row_can_sit_outside_the_chain_and_outside_the_sealers_work_list(assignment):
    entry = recorder.record("test.event", target_type="Thing", target_id="1")

    with connection.cursor() as cursor:
        # As the table's owner, who can switch the trigger off: the check constraint still refuses it.
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_entry_append_only")
        with pytest.raises(IntegrityError, match="audit_sealed_or_not"), transaction.atomic():
            cursor.execute(f"UPDATE {TABLE} SET {assignment} WHERE id = %s", [entry.id])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_entry_append_only")
