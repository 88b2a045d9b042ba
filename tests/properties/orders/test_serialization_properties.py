"""Property 17: commands, queries, events, envelopes and DTOs of the orders context survive JSON.
Property 6: the mapper between the ``orders`` / ``order_lines`` rows and the Order aggregate loses nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.orders import mapper
from apps.orders.queries import ORDERINGS, STATUSES, GetOrder, ListOrders, OrderDTO, order_dto
from domain.kernel.events import IntegrationEvent, to_integration_event
from domain.orders.commands import CancelOrder, MarkOrderPaid, MarkOrderRefunded, OrderItem, PlaceOrder, ShipOrder
from domain.orders.events import OrderCancelled, OrderPaid, OrderPlaced, OrderRefunded, OrderShipped, PlacedLine
from domain.orders.model import Order
from tests.properties.orders.test_domain_properties import orders_with_history, placed_orders
from tests.properties.roundtrip import assert_survives_json
from tests.properties.strategies import any_offset_datetimes, event_stamps

decimals = st.decimals(allow_nan=False, allow_infinity=False)

commands = st.one_of(
    st.builds(
        PlaceOrder,
        customer_id=st.uuids(),
        customer_email=st.text(),
        currency=st.text(),
        items=st.lists(
            st.builds(OrderItem, sku=st.text(), quantity=st.integers(), unit_price=decimals), max_size=5
        ).map(tuple),
    ),
    st.builds(CancelOrder, order_id=st.uuids(), requested_by=st.uuids(), reason=st.text()),
    st.builds(ShipOrder, order_id=st.uuids(), shipped_by=st.uuids()),
    st.builds(MarkOrderPaid, order_id=st.uuids(), invoice_id=st.uuids()),
    st.builds(MarkOrderRefunded, order_id=st.uuids(), invoice_id=st.uuids()),
)

queries = st.one_of(
    st.builds(GetOrder, order_id=st.uuids()),
    st.builds(
        ListOrders,
        status=st.none() | st.sampled_from(STATUSES),
        created_from=st.none() | any_offset_datetimes,
        created_to=st.none() | any_offset_datetimes,
        ordering=st.sampled_from(list(ORDERINGS)),
    ),
)


built_events = st.one_of(
    st.builds(
        OrderPlaced,
        order_id=st.uuids(),
        customer_id=st.uuids(),
        customer_email=st.text(),
        currency=st.text(),
        total=decimals,
        item_count=st.integers(),
        lines=st.lists(
            st.builds(PlacedLine, sku=st.text(), quantity=st.integers(), unit_price=decimals, line_total=decimals),
            max_size=4,
        ).map(tuple),
        **event_stamps,
    ),
    st.builds(
        OrderCancelled,
        order_id=st.uuids(),
        customer_id=st.uuids(),
        reason=st.text(),
        cancelled_by=st.uuids(),
        **event_stamps,
    ),
    st.builds(OrderPaid, order_id=st.uuids(), invoice_id=st.uuids(), **event_stamps),
    st.builds(OrderShipped, order_id=st.uuids(), shipped_by=st.uuids(), **event_stamps),
    st.builds(OrderRefunded, order_id=st.uuids(), invoice_id=st.uuids(), **event_stamps),
)
recorded_events = orders_with_history().flatmap(lambda case: st.sampled_from(case[0].pending_events))


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(commands)
def test_orders_commands_equal_themselves_after_a_json_round_trip(command: Any) -> None:
    """For any orders command (PlaceOrder with its items, CancelOrder, ShipOrder, MarkOrderPaid,
    MarkOrderRefunded), to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(command)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(queries)
def test_orders_queries_equal_themselves_after_a_json_round_trip(query: Any) -> None:
    """For any GetOrder or ListOrders,
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(query)


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(built_events | recorded_events)
def test_orders_domain_events_equal_themselves_after_a_json_round_trip(event: Any) -> None:
    """For any orders domain event, recorded by an Order or built with any field values,
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(event)


@st.composite
def integration_events(draw: st.DrawFn) -> IntegrationEvent:
    order, _ = draw(orders_with_history())
    return to_integration_event(
        draw(st.sampled_from(order.pending_events)),
        correlation_id=draw(st.none() | st.text()),
        causation_id=draw(st.none() | st.text()),
        traceparent=draw(st.none() | st.text()),
    )


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(integration_events())
def test_orders_integration_envelopes_equal_themselves_after_a_json_round_trip(envelope: IntegrationEvent) -> None:
    """For any IntegrationEvent made by to_integration_event from a recorded orders event,
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object, and its
    payload amounts are decimal strings with the currency's decimal places."""
    assert_survives_json(envelope)
    if envelope.event_type == "orders.order_placed":
        payload = envelope.payload
        assert isinstance(payload["total"], str)
        assert all(isinstance(line["unit_price"], str) for line in payload["lines"])


# **Feature: architecture-restructuring-2025, Property 17: Serialization Round-Trip for All Types**
# **Validates: Requirements 18.1, 18.2, 18.3**
@given(orders_with_history().map(lambda case: order_dto(case[0])))
def test_order_dtos_equal_themselves_after_a_json_round_trip(dto: OrderDTO) -> None:
    """For any OrderDTO made by order_dto from an order with any history (Money amounts inside),
    to_primitive -> json.dumps -> json.loads -> from_primitive gives an equal object."""
    assert_survives_json(dto)


def aggregate_state(order: Order) -> dict[str, Any]:
    """Everything an aggregate holds (Order equality compares ids only)."""
    return {
        name: getattr(order, name)
        for name in (
            "id",
            "customer_id",
            "customer_email",
            "currency",
            "lines",
            "status",
            "placed_at",
            "paid_at",
            "shipped_at",
            "cancelled_at",
            "refunded_at",
            "invoice_id",
            "cancellation_reason",
            "version",
        )
    }


# **Feature: architecture-restructuring-2025, Property 6: Domain-DTO Mapper Round-Trip**
# **Validates: Requirements 3.5**
@given(placed_orders() | orders_with_history().map(lambda case: case[0]))
def test_order_aggregate_mapped_to_rows_and_back_keeps_every_field(order: Order) -> None:
    """For any Order aggregate, to_domain(to_row(order), to_line_rows(order)) holds the same id,
    customer, currency, lines (in order), status, timestamps, invoice, reason and version."""
    expected = aggregate_state(order)

    rebuilt = mapper.to_domain(mapper.to_row(order), reversed(mapper.to_line_rows(order)))

    assert aggregate_state(rebuilt) == expected
    assert rebuilt.pending_events == ()
    assert rebuilt.loaded_version == order.version


# **Feature: architecture-restructuring-2025, Property 6: Domain-DTO Mapper Round-Trip**
# **Validates: Requirements 3.5**
@given(orders_with_history().map(lambda case: case[0]))
def test_order_rows_mapped_to_an_aggregate_and_back_keep_every_column(order: Order) -> None:
    """For any orders row with its order_lines rows, mapping to the aggregate and back gives the
    same values in every column (amounts equal as decimals)."""
    row, lines = mapper.to_row(order), mapper.to_line_rows(order)

    rebuilt = mapper.to_domain(row, lines)

    assert mapper.to_row_fields(rebuilt) == mapper.to_row_fields(order)
    assert [
        (line.order_id, line.position, line.sku, line.quantity, line.unit_price)
        for line in mapper.to_line_rows(rebuilt)
    ] == [(line.order_id, line.position, line.sku, line.quantity, line.unit_price) for line in lines]
