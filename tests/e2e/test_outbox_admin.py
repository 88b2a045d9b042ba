"""The outbox in the admin: read-only rows, filters, and the requeue action."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.utils import timezone

from apps.outbox.models import OutboxEntry
from apps.users.models import User as UserRow
from tests.support.accounts import staff_row

CHANGELIST = "/admin/outbox/outboxentry/"


def entry(aggregate_id: uuid.UUID, version: int, **fields) -> OutboxEntry:
    return OutboxEntry.objects.create(
        aggregate_type="users.user",
        aggregate_id=aggregate_id,
        aggregate_version=version,
        event_type="users.user_profile_updated",
        payload={"n": version},
        occurred_at=timezone.now(),
        **fields,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def admin_client(client):
    client.force_login(staff_row("boss@example.com", superuser=True))
    return client


@pytest.mark.django_db
def test_requeue_makes_dead_and_backing_off_entries_due_again_and_leaves_the_others(admin_client):
    stream = uuid.uuid4()
    dead = entry(stream, 1, status=OutboxEntry.Status.DEAD, attempts=10, last_error="boom")
    waiting = entry(stream, 2)
    backing_off = entry(
        uuid.uuid4(), 1, attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=5), last_error="nack"
    )
    processed = entry(uuid.uuid4(), 1, status=OutboxEntry.Status.PROCESSED, processed_at=timezone.now())

    response = admin_client.post(
        CHANGELIST,
        {
            "action": "requeue_entries",
            "_selected_action": [str(e.pk) for e in (dead, waiting, backing_off, processed)],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert messages_of(response) == [
        "2 outbox entries requeued.",
        "2 left as they were: only dead or backing-off entries can be requeued.",
    ]
    for requeued in (dead, backing_off):
        requeued.refresh_from_db()
        assert (requeued.status, requeued.attempts, requeued.next_attempt_at, requeued.last_error) == (
            OutboxEntry.Status.PENDING,
            0,
            None,
            "",
        )
    assert OutboxEntry.objects.get(pk=waiting.pk).status == OutboxEntry.Status.PENDING
    processed.refresh_from_db()
    assert processed.status == OutboxEntry.Status.PROCESSED
    assert set(LogEntry.objects.filter(change_message__startswith="Requeued").values_list("object_id", flat=True)) == {
        str(dead.pk),
        str(backing_off.pk),
    }


@pytest.mark.django_db
def test_the_list_filters_by_status_event_type_and_aggregate_type(admin_client):
    dead = entry(uuid.uuid4(), 1, status=OutboxEntry.Status.DEAD)
    pending = entry(uuid.uuid4(), 1)

    by_status = admin_client.get(CHANGELIST, {"status__exact": "dead"})
    by_type = admin_client.get(CHANGELIST, {"event_type": "users.user_profile_updated", "aggregate_type": "users.user"})

    assert by_status.status_code == 200
    assert str(dead.aggregate_id) in by_status.content.decode()
    assert str(pending.aggregate_id) not in by_status.content.decode()
    assert by_type.status_code == 200
    assert {str(dead.aggregate_id), str(pending.aggregate_id)} <= {
        str(row.aggregate_id) for row in by_type.context["cl"].result_list
    }


@pytest.mark.django_db
def test_an_entry_cannot_be_added_edited_or_deleted(admin_client):
    dead = entry(uuid.uuid4(), 1, status=OutboxEntry.Status.DEAD, attempts=3)
    change_url = f"{CHANGELIST}{dead.pk}/change/"

    page = admin_client.get(change_url)
    posted = admin_client.post(change_url, {"status": "pending", "attempts": "0", "event_type": "users.x"})

    assert page.status_code == 200
    assert b'name="status"' not in page.content  # shown, not editable
    assert posted.status_code == 403
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.get(f"{CHANGELIST}{dead.pk}/delete/").status_code == 403
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.event_type) == (OutboxEntry.Status.DEAD, 3, "users.user_profile_updated")
    actions = admin_client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert [name for name, _ in actions] == ["", "requeue_entries"]  # no bulk delete


@pytest.mark.django_db
def test_requeue_needs_the_change_permission(client):
    viewer = staff_row("viewer@example.com", superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxentry"))
    client.force_login(UserRow.objects.get(pk=viewer.pk))
    dead = entry(uuid.uuid4(), 1, status=OutboxEntry.Status.DEAD, attempts=10)

    listing = client.get(CHANGELIST)
    refused = client.post(CHANGELIST, {"action": "requeue_entries", "_selected_action": [str(dead.pk)]})

    assert listing.status_code == 200
    assert listing.context["action_form"] is None  # no action offered
    assert refused.status_code == 200  # Django answers "No action selected."
    dead.refresh_from_db()
    assert dead.status == OutboxEntry.Status.DEAD
