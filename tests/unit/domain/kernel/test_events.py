from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.events import DomainEvent, IntegrationEvent, to_integration_event
from domain.users.events import UserRegistered

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
USER_ID = UUID(int=1)


class Account(AggregateRoot[UUID]):
    aggregate_type = "users.user"


def recorded_registration() -> UserRegistered:
    return Account(id=USER_ID)._record(
        UserRegistered(occurred_at=NOW, user_id=USER_ID, email="ann@example.com", display_name="Ann")
    )


def test_a_new_event_gets_a_fresh_id_and_no_aggregate_stamp():
    event = UserRegistered(occurred_at=NOW, user_id=USER_ID, email="a@example.com", display_name="A")

    assert isinstance(event.event_id, UUID)
    assert event.aggregate_id is None
    assert event.aggregate_type == ""
    assert event.aggregate_version == 0


def test_event_type_must_look_like_context_dot_event_name():
    with pytest.raises(TypeError, match="event_type"):

        @dataclass(frozen=True, kw_only=True)
        class Bad(DomainEvent):
            event_type = "UserRegistered"


def test_an_event_without_event_type_is_allowed_as_an_abstract_base():
    @dataclass(frozen=True, kw_only=True)
    class Base(DomainEvent):
        pass

    assert Base.event_type == ""


def test_integration_event_carries_the_envelope_and_the_payload_apart():
    event = recorded_registration()

    envelope = to_integration_event(event, correlation_id="req-1", causation_id="cmd-1", traceparent="00-abc")

    assert envelope == IntegrationEvent(
        event_id=event.event_id,
        event_type="users.user_registered",
        event_version=1,
        aggregate_type="users.user",
        aggregate_id=USER_ID,
        aggregate_version=1,
        occurred_at=NOW,
        payload={"user_id": str(USER_ID), "email": "ann@example.com", "display_name": "Ann"},
        correlation_id="req-1",
        causation_id="cmd-1",
        traceparent="00-abc",
    )


def test_integration_event_tracing_fields_are_optional():
    envelope = to_integration_event(recorded_registration())

    assert (envelope.correlation_id, envelope.causation_id, envelope.traceparent) == (None, None, None)


def test_an_event_no_aggregate_recorded_cannot_leave_its_context():
    event = UserRegistered(occurred_at=NOW, user_id=USER_ID, email="a@example.com", display_name="A")

    with pytest.raises(ValueError, match="not recorded by an aggregate"):
        to_integration_event(event)
