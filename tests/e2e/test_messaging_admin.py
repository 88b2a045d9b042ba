"""The consumers' side in the admin: the inbox (read-only) and dead letters, requeued to their consumer.

Runs on the in-memory transport by default and on RabbitMQ in the integration run.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from apps.messaging import broker
from apps.messaging.models import DeliveryFailure, InboxEntry
from apps.messaging.registry import consumers, projection
from apps.messaging.runner import ConsumerRunner
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from apps.users.models import UserReadModel
from tests.support.accounts import register, staff_row

USERS_READ = projection("users_read")

FAILURES = "/admin/messaging/deliveryfailure/"
INBOX = "/admin/messaging/inboxentry/"
USERS_READ_NAME = USERS_READ.consumer.name


def dead_letter(item: dict[str, Any], *, consumer: str = USERS_READ_NAME, **fields: Any) -> DeliveryFailure:
    fields = {"status": DeliveryFailure.Status.DEAD, "attempts": 5, "last_error": "KeyError: 'email'", **fields}
    return DeliveryFailure.objects.create(
        consumer=consumer,
        event_id=item.get("event_id", uuid.uuid4()),
        event_type=item.get("event_type", ""),
        envelope=item,
        **fields,
    )


def registration_envelope(email: str) -> dict[str, Any]:
    """The envelope of a freshly registered user's first event (in the outbox, never delivered)."""
    user = register(email)
    return envelope(OutboxEntry.objects.get(aggregate_id=user.id))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def requeue(client, *failures: DeliveryFailure):
    return client.post(
        FAILURES,
        {"action": "requeue_dead_letters", "_selected_action": [str(failure.pk) for failure in failures]},
        follow=True,
    )


@pytest.fixture
def admin_client(client):
    client.force_login(staff_row("boss@example.com", superuser=True))
    return client


@pytest.fixture
def empty_consumer_queues():
    """The consumers' queues declared and emptied: what they hold afterwards is this test's."""
    with broker.connection() as conn:
        for queue in ConsumerRunner(consumers()).declare(conn):
            queue(conn.default_channel).purge()


def run_consumers() -> int:
    with broker.connection() as conn:
        return ConsumerRunner(consumers()).run(conn, idle_timeout=0, poll=0.05)


@pytest.mark.django_db
def test_requeueing_a_dead_letter_sends_it_back_to_its_consumer_which_then_applies_it(
    admin_client, empty_consumer_queues
):
    item = registration_envelope("ada@example.com")
    failure = dead_letter(item)

    response = requeue(admin_client, failure)

    assert response.status_code == 200
    assert messages_of(response) == ["1 dead letter requeued."]
    failure.refresh_from_db()
    assert (failure.status, failure.attempts) == (DeliveryFailure.Status.REQUEUED, 0)
    assert failure.requeued_at is not None
    assert LogEntry.objects.filter(
        object_id=str(failure.pk), change_message="Requeued to its consumer's queue."
    ).exists()

    assert run_consumers() == 1

    row = UserReadModel.objects.get(pk=item["aggregate_id"])
    assert (row.email, row.version) == ("ada@example.com", 1)
    assert InboxEntry.objects.filter(consumer=USERS_READ_NAME, event_id=item["event_id"]).exists()
    assert not DeliveryFailure.objects.filter(pk=failure.pk).exists()  # handled: no longer a failure


@pytest.mark.django_db
def test_requeue_leaves_retrying_and_malformed_failures_as_they_were(admin_client, empty_consumer_queues):
    dead = dead_letter(registration_envelope("ada@example.com"))
    retrying = dead_letter(registration_envelope("bob@example.com"), status=DeliveryFailure.Status.RETRYING)
    garbled = dead_letter({"body": "b'{not json'"}, last_error="the message body cannot be decoded as JSON")

    response = requeue(admin_client, dead, retrying, garbled)

    assert messages_of(response) == [
        "1 dead letter requeued.",
        "2 left as they were: only dead letters holding a whole envelope can be requeued.",
    ]
    statuses = dict(
        DeliveryFailure.objects.filter(pk__in=[dead.pk, retrying.pk, garbled.pk]).values_list("pk", "status")
    )
    assert statuses == {dead.pk: "requeued", retrying.pk: "retrying", garbled.pk: "dead"}
    assert run_consumers() == 1


@pytest.mark.django_db
def test_requeue_refuses_a_dead_letter_of_an_unknown_consumer_and_sends_nothing(admin_client, empty_consumer_queues):
    known = dead_letter(registration_envelope("ada@example.com"))
    orphan = dead_letter(registration_envelope("bob@example.com"), consumer="retired-consumer")

    response = requeue(admin_client, known, orphan)

    known_names = ", ".join(consumer.name for consumer in consumers())
    assert messages_of(response) == [
        f"Nothing requeued: no consumer is named 'retired-consumer'; known: {known_names}."
    ]
    statuses = set(DeliveryFailure.objects.filter(pk__in=[known.pk, orphan.pk]).values_list("status", flat=True))
    assert statuses == {"dead"}
    assert run_consumers() == 0


@pytest.mark.django_db
def test_the_requeue_action_needs_the_change_permission(client):
    viewer = staff_row("viewer@example.com", superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_deliveryfailure"))
    client.force_login(viewer)
    failure = dead_letter(registration_envelope("ada@example.com"))

    listed = client.get(FAILURES)
    refused = requeue(client, failure)

    assert listed.status_code == 200
    assert b"requeue_dead_letters" not in listed.content
    assert refused.status_code == 200
    failure.refresh_from_db()
    assert failure.status == DeliveryFailure.Status.DEAD


@pytest.mark.django_db
def test_dead_letters_are_filtered_by_status_and_found_by_event_id(admin_client):
    dead = dead_letter(registration_envelope("ada@example.com"))
    retrying = dead_letter(registration_envelope("bob@example.com"), status=DeliveryFailure.Status.RETRYING)

    only_dead = admin_client.get(FAILURES, {"status__exact": "dead", "consumer": USERS_READ_NAME})
    found = admin_client.get(FAILURES, {"q": str(retrying.event_id)})
    not_an_id = admin_client.get(FAILURES, {"q": "not-an-event-id"})

    assert str(dead.event_id).encode() in only_dead.content
    assert str(retrying.event_id).encode() not in only_dead.content
    assert str(retrying.event_id).encode() in found.content
    assert str(dead.event_id).encode() not in found.content
    assert not_an_id.status_code == 200
    assert admin_client.get(f"{FAILURES}{dead.pk}/change/").status_code == 200  # shown, read-only


@pytest.mark.django_db
def test_the_inbox_is_listed_filtered_and_searched_but_never_edited(admin_client):
    mine = InboxEntry.objects.create(consumer="test-inbox", event_id=uuid.uuid4(), event_type="users.user_registered")
    other = InboxEntry.objects.create(consumer="test-inbox", event_id=uuid.uuid4(), event_type="users.user_logged_in")

    by_type = admin_client.get(INBOX, {"consumer": "test-inbox", "event_type": "users.user_registered"})
    found = admin_client.get(INBOX, {"q": str(other.event_id)})

    assert str(mine.event_id).encode() in by_type.content
    assert str(other.event_id).encode() not in by_type.content
    assert str(other.event_id).encode() in found.content
    assert str(mine.event_id).encode() not in found.content
    assert admin_client.get(f"{INBOX}add/").status_code == 403
    assert admin_client.post(f"{INBOX}{mine.pk}/delete/", {"post": "yes"}).status_code == 403
    assert InboxEntry.objects.filter(pk=mine.pk).exists()
    page = admin_client.get(f"{INBOX}{mine.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content


def figures(response) -> str:
    """The dead letters' figures above the failures' list, as text on one line."""
    content = response.content.decode()
    start = content.index('<div class="module" id="dead-letters">')
    block = content[start : content.index("</div>", start)]
    return " ".join(re.sub(r"<[^>]+>", "", block).split())


@pytest.mark.django_db
def test_the_failures_list_opens_with_the_dead_letters_recorded_and_the_queues_bound(admin_client, settings):
    settings.EVENTS_BROKER_URL = "memory://"  # whatever the run's broker: this one keeps no dead-letter queue
    settings.EVENTS_DEAD_LETTER_MAX_LENGTH, settings.EVENTS_DEAD_LETTER_RETENTION_DAYS = 1, 0
    for email in ("ada@example.com", "bob@example.com"):
        dead_letter(registration_envelope(email))
    dead_letter(registration_envelope("cy@example.com"), status=DeliveryFailure.Status.RETRYING)
    dead_letter(registration_envelope("dee@example.com"), status=DeliveryFailure.Status.REQUEUED)

    response = admin_client.get(FAILURES)

    assert response.status_code == 200
    assert figures(response) == (
        "Dead letters recorded: 2 (failures with status dead). "
        "Dead-letter queue orderflow.dead-letters: none: the events broker is not RabbitMQ."
    )
    assert response.context["dead_letters"]["bound"] == "at most 1 message"


@pytest.mark.django_db
def test_the_failures_list_says_the_broker_is_unavailable_and_still_lists_the_failures(admin_client, settings):
    settings.EVENTS_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens there
    dead = dead_letter(registration_envelope("ada@example.com"))
    started = time.monotonic()

    response = admin_client.get(FAILURES)

    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert figures(response) == (
        "Dead letters recorded: 1 (failures with status dead). Dead-letter queue orderflow.dead-letters: "
        "events broker unavailable: [Errno 111] Connection refused."
    )
    assert str(dead.event_id).encode() in response.content


@pytest.mark.django_db
def test_a_viewer_sees_the_dead_letters_figures_too(client, settings):
    settings.EVENTS_BROKER_URL = "memory://"
    viewer = staff_row("viewer@example.com", superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_deliveryfailure"))
    client.force_login(viewer)
    dead_letter(registration_envelope("ada@example.com"))

    response = client.get(FAILURES)

    assert figures(response).startswith("Dead letters recorded: 1 (failures with status dead).")
