"""The audit trail on PostgreSQL: the append-only trigger, the purge path, concurrent writers, tampering found."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.audit import chain, recorder
from apps.audit.models import AppendOnlyError, AuditAnchor, AuditEntry
from apps.audit.tasks import purge_expired_audit_entries
from apps.platform.buses import command_bus
from domain.kernel.result import Ok
from domain.users.commands import RegisterUser
from tests.integration.threads import in_thread

TABLE = AuditEntry._meta.db_table


def write(count: int) -> list[AuditEntry]:
    return [recorder.record("test.event", target_type="Thing", target_id=str(n)) for n in range(count)]


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
    tampered = entries[2]
    with connection.cursor() as cursor:  # as the table's owner, who can switch the trigger off
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"UPDATE {TABLE} SET actor = 'anonymous' WHERE id = %s", [tampered.id])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_entry_append_only")

    with pytest.raises(
        CommandError, match=rf"audit chain broken at entry {tampered.id}: stored hash .* does not match"
    ):
        verify()


#: For every column of an entry but its hash, an edit made behind the ORM's back (named here, not read
#: from chain.HASHED_FIELDS, so a column left out of the hash fails its own case).
EDITS = {
    "id": "id = id + 1000000",
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

    # A moved id leaves a gap where the entry was; any other edit is named at the entry itself.
    where = entries[3].id if column == "id" else tampered.id
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
    assert anchor.last_entry_id == old[-1].id
    assert not AuditEntry.objects.filter(id__lte=old[-1].id).exists()
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
    assert AuditAnchor.objects.latest().last_entry_id == old[-1].id
    assert AuditEntry.objects.filter(id=recent[0].id).exists()
    assert verify() == f"audit chain intact: {AuditEntry.objects.count()} entries"


@pytest.mark.django_db(transaction=True)
def test_concurrent_commands_each_leave_one_entry_and_keep_the_chain_valid():
    writers = 8
    start = threading.Barrier(writers)
    results: list[object] = []

    def register(n: int) -> None:
        start.wait()
        results.append(
            command_bus().dispatch(
                RegisterUser(
                    email=f"writer{n}@example.com", password="a sufficiently long passphrase", display_name="W"
                )
            )
        )

    threads = [in_thread(register, n) for n in range(writers)]
    for thread in threads:
        thread.join()

    assert len(results) == writers
    assert all(isinstance(result, Ok) for result in results)
    entries = list(AuditEntry.objects.filter(action="RegisterUser").order_by("id"))
    assert sorted(entry.target_id for entry in entries) == sorted(str(result.value.id) for result in results)
    first_id, anchor = recorder.start_of_chain()
    every = AuditEntry.objects.order_by("id").values(*chain.HASHED_FIELDS, "hash")
    assert chain.first_broken_link(every, anchor_hash=anchor, first_id=first_id) is None
