"""Property 7: the users_read projection ends in the state of the history, however the broker delivers it.
Property 17 (envelopes): what the dispatcher publishes survives JSON and is the integration event.

Events take the production path: aggregate -> integration event -> outbox row
(``apps.outbox.store.append``) -> the dispatcher's ``envelope(entry)`` -> JSON ->
``apps.messaging.inbox.deliver`` (inbox + projection). Each Hypothesis
example runs in a savepoint that is rolled back, so examples never see each
other's rows.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.messaging.registry import projection
from apps.outbox import store
from apps.outbox.dispatcher import envelope
from apps.outbox.models import OutboxEntry
from apps.users.models import UserReadModel
from domain.kernel.events import IntegrationEvent, to_integration_event
from domain.kernel.serialization import from_primitive
from domain.users.model import User
from tests.properties.delivery import (
    assert_one_inbox_row_per_event,
    assert_projection_reflects_histories,
    deliver_in_batches,
    histories_and_deliveries,
    rolled_back,
    write_to_outbox,
)
from tests.properties.strategies import users_with_history

USERS_READ = projection("users_read")

# The envelope of the event backbone issue, field for field.
ENVELOPE_FIELDS = {
    "event_id",
    "event_type",
    "event_version",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "correlation_id",
    "causation_id",
    "traceparent",
    "payload",
}

# What apps.observability.correlation accepts, and W3C trace context.
request_ids = st.from_regex(r"[A-Za-z0-9._-]{1,128}", fullmatch=True)
traceparents = st.from_regex(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", fullmatch=True)


def read_model_state(user: User) -> dict[str, Any]:
    """The users_read row the full history of ``user`` must leave."""
    return {
        "email": user.email.value,
        "display_name": user.profile.display_name,
        "is_active": user.is_active,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "version": user.version,
    }


def row_state(row: UserReadModel) -> dict[str, Any]:
    return {
        field: getattr(row, field)
        for field in ("email", "display_name", "is_active", "created_at", "last_login_at", "version")
    }


# **Feature: architecture-restructuring-2025, Property 7: Projections Update Read Models from Events**
# **Validates: Requirements 4.2**
@pytest.mark.django_db
@given(histories_and_deliveries(users_with_history()))
def test_users_read_reflects_the_history_whatever_the_order_and_duplicates_of_delivery(
    case: tuple[list[User], list[int]],
) -> None:
    """For any histories of one to three users (UserRegistered v1, then any mix of profile updates,
    logins and a deactivation, versions consecutive), delivered through deliver() in any order with
    any duplicates, an event answered with RetryLater being redelivered later (at the back of the
    queue, as the broker does), each users_read row ends equal to the state of its user's full
    history, every event is applied exactly once and the inbox holds exactly one row per event."""
    assert_projection_reflects_histories(USERS_READ.consumer, case, UserReadModel, row_state, read_model_state)


# **Feature: architecture-restructuring-2025, Property 7: Projections Update Read Models from Events**
# **Validates: Requirements 4.2**
@pytest.mark.django_db
@given(histories_and_deliveries(users_with_history()), st.integers(min_value=1, max_value=8))
def test_users_read_reflects_the_history_when_events_arrive_in_batches_of_any_size(
    case: tuple[list[User], list[int]], batch_size: int
) -> None:
    """For any histories and any delivery schedule (any order, any duplicates), delivered in
    batches of any size through deliver_batch() (the consumer runner's fast path), events that
    must wait being redelivered in a later batch, each users_read row ends equal to the state of
    its user's full history and the inbox holds exactly one row per event."""
    users, schedule = case
    events = [to_integration_event(event) for user in users for event in user.pending_events]

    with rolled_back():
        envelopes = write_to_outbox(events)
        deliver_in_batches(USERS_READ.consumer, envelopes, schedule, batch_size)

        rows = UserReadModel.objects.in_bulk([user.id for user in users])
        assert {user_id: row_state(row) for user_id, row in rows.items()} == {
            user.id: read_model_state(user) for user in users
        }
        assert_one_inbox_row_per_event(USERS_READ.consumer.name, events)


@st.composite
def integration_events(draw: st.DrawFn) -> IntegrationEvent:
    user = draw(users_with_history())
    return to_integration_event(
        draw(st.sampled_from(user.pending_events)),
        correlation_id=draw(st.none() | request_ids),
        causation_id=draw(st.none() | request_ids),
        traceparent=draw(st.none() | traceparents),
    )


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@pytest.mark.django_db
@given(integration_events())
def test_the_dispatchers_envelope_survives_json_and_carries_the_integration_event(event: IntegrationEvent) -> None:
    """For any users integration event written to the outbox, the dispatcher's envelope(entry)
    is a dict with exactly the issue's envelope fields, equal to itself after json.dumps/json.loads,
    and decodes (from_primitive) back to an IntegrationEvent equal to the one written."""
    with rolled_back():
        store.append([event])
        published = envelope(OutboxEntry.objects.get(pk=event.event_id))

        received = json.loads(json.dumps(published))

        assert set(published) == ENVELOPE_FIELDS
        assert received == published
        assert from_primitive(IntegrationEvent, received) == event
        assert UUID(received["event_id"]) == event.event_id
