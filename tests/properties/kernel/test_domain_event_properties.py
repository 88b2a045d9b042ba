"""Property 3: every domain event carries a timestamp and an id of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.kernel.events import DomainEvent
from domain.users.events import UserDeactivated, UserLoggedIn, UserProfileUpdated, UserRegistered
from domain.users.model import User
from tests.properties.strategies import any_offset_datetimes, users_with_history

# What a caller passes: the payload and the time, never the id.
event_arguments = st.one_of(
    st.tuples(
        st.just(UserRegistered),
        st.fixed_dictionaries({"user_id": st.uuids(), "email": st.text(), "display_name": st.text()}),
    ),
    st.tuples(st.just(UserProfileUpdated), st.fixed_dictionaries({"user_id": st.uuids(), "display_name": st.text()})),
    st.tuples(
        st.just(UserDeactivated),
        st.fixed_dictionaries({"user_id": st.uuids(), "reason": st.text(), "deactivated_by": st.uuids()}),
    ),
    st.tuples(st.just(UserLoggedIn), st.fixed_dictionaries({"user_id": st.uuids()})),
)


# **Feature: architecture-restructuring-2025, Property 3: Domain Events Have Timestamp and Unique ID**
# **Validates: Requirements 1.4**
@given(event_arguments, any_offset_datetimes)
def test_events_created_separately_have_an_id_and_timestamp_and_never_share_the_id(
    arguments: tuple[type[DomainEvent], dict[str, Any]], occurred_at: datetime
) -> None:
    """For any domain event, created twice from the same arguments, each has a UUID event_id and the
    occurred_at it was given, and the two event_ids differ."""
    event_type, payload = arguments

    first = event_type(occurred_at=occurred_at, **payload)
    second = event_type(occurred_at=occurred_at, **payload)

    for event in (first, second):
        assert isinstance(event.event_id, UUID)
        assert event.event_id.version == 4
        assert event.occurred_at == occurred_at
    assert first.event_id != second.event_id


# **Feature: architecture-restructuring-2025, Property 3: Domain Events Have Timestamp and Unique ID**
# **Validates: Requirements 1.4**
@given(st.lists(users_with_history(), min_size=1, max_size=4))
def test_events_recorded_by_aggregates_keep_distinct_ids_and_their_timestamps(users: list[User]) -> None:
    """For any users and any history of changes, every recorded event has an aware occurred_at, no two
    recorded events share an event_id, and recording stamps the aggregate and versions 1..n in order."""
    events = [event for user in users for event in user.pending_events]

    assert len({event.event_id for event in events}) == len(events)
    for user in users:
        recorded = user.pending_events
        assert [event.aggregate_version for event in recorded] == list(range(1, user.version + 1))
        assert {event.aggregate_id for event in recorded} == {user.id}
        assert {event.aggregate_type for event in recorded} == {"users.user"}
        assert all(isinstance(event.occurred_at, datetime) and event.occurred_at.tzinfo for event in recorded)
        assert [event.occurred_at for event in recorded] == sorted(event.occurred_at for event in recorded)
