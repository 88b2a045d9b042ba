"""Property 17: commands, queries, events and DTOs of the users context survive a trip through JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.users.queries import GetUser, UserDTO, user_dto
from domain.kernel.events import IntegrationEvent, to_integration_event
from domain.users.commands import AuthenticateUser, DeactivateUser, RegisterUser, UpdateProfile
from tests.properties.roundtrip import assert_survives_json
from tests.properties.strategies import any_offset_datetimes, domain_events, users, users_with_history

commands = st.one_of(
    st.builds(RegisterUser, email=st.text(), password=st.text(), display_name=st.text()),
    st.builds(UpdateProfile, user_id=st.uuids(), display_name=st.text()),
    st.builds(DeactivateUser, user_id=st.uuids(), reason=st.text(), requested_by=st.uuids()),
    st.builds(AuthenticateUser, email=st.text(), password=st.text()),
)

queries = st.builds(GetUser, user_id=st.uuids())

user_dtos = st.one_of(
    users().map(user_dto),
    st.builds(
        UserDTO,
        id=st.uuids(),
        email=st.text(),
        display_name=st.text(),
        is_active=st.booleans(),
        created_at=any_offset_datetimes,
        last_login_at=st.none() | any_offset_datetimes,
    ),
)

optional_ids = st.none() | st.text()


@st.composite
def integration_events(draw: st.DrawFn) -> IntegrationEvent:
    user = draw(users_with_history())
    event = draw(st.sampled_from(user.pending_events))
    return to_integration_event(
        event,
        correlation_id=draw(optional_ids),
        causation_id=draw(optional_ids),
        traceparent=draw(optional_ids),
    )


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(commands)
def test_users_commands_equal_themselves_after_a_json_round_trip(command: Any) -> None:
    """For any users command (RegisterUser, UpdateProfile, DeactivateUser, AuthenticateUser),
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(command)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(queries)
def test_users_queries_equal_themselves_after_a_json_round_trip(query: Any) -> None:
    """For any GetUser query, to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(query)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(domain_events)
def test_users_domain_events_equal_themselves_after_a_json_round_trip(event: Any) -> None:
    """For any users domain event, stamped by an aggregate or not,
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(event)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(integration_events())
def test_integration_event_envelopes_equal_themselves_after_a_json_round_trip(envelope: Any) -> None:
    """For any IntegrationEvent envelope made by to_integration_event from a recorded users event,
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(envelope)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(user_dtos)
def test_user_dtos_equal_themselves_after_a_json_round_trip(dto: Any) -> None:
    """For any UserDTO, built directly or by user_dto from an aggregate,
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(dto)
