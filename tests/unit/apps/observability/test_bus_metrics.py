"""The bus middleware counts every dispatch by bus, message and outcome, and times it."""

from dataclasses import dataclass

import pytest
from prometheus_client import REGISTRY

from apps.observability.bus_metrics import BusMetricsMiddleware
from domain.kernel.bus import CommandBus, QueryBus
from domain.kernel.messages import Command, Query
from domain.kernel.result import Err, Ok


@dataclass(frozen=True)
class ShipParcel(Command):
    fail: str = ""


@dataclass(frozen=True)
class CountParcels(Query):
    pass


def ship(cmd: ShipParcel):
    if cmd.fail == "raise":
        raise RuntimeError("the handler broke")
    if cmd.fail == "refuse":
        return Err(ValueError("no such parcel"))
    return Ok("shipped")


def dispatched(bus: str, message: str, outcome: str) -> float:
    labels = {"bus": bus, "message": message, "outcome": outcome}
    return REGISTRY.get_sample_value("orderflow_bus_dispatch_total", labels) or 0.0


def timed(bus: str, message: str) -> float:
    return (
        REGISTRY.get_sample_value("orderflow_bus_dispatch_duration_seconds_count", {"bus": bus, "message": message})
        or 0.0
    )


@pytest.fixture
def commands():
    bus = CommandBus()
    bus.add_middleware(BusMetricsMiddleware("command"))
    bus.register(ShipParcel, ship)
    return bus


def test_an_ok_a_rejection_and_an_exception_are_each_counted_under_their_outcome_and_all_timed(commands):
    before = {outcome: dispatched("command", "ShipParcel", outcome) for outcome in ("ok", "rejected", "error")}
    before_timed = timed("command", "ShipParcel")

    assert commands.dispatch(ShipParcel()) == Ok("shipped")
    assert isinstance(commands.dispatch(ShipParcel(fail="refuse")), Err)
    with pytest.raises(RuntimeError, match="the handler broke"):
        commands.dispatch(ShipParcel(fail="raise"))
    commands.dispatch(ShipParcel())

    assert dispatched("command", "ShipParcel", "ok") == before["ok"] + 2
    assert dispatched("command", "ShipParcel", "rejected") == before["rejected"] + 1
    assert dispatched("command", "ShipParcel", "error") == before["error"] + 1
    assert timed("command", "ShipParcel") == before_timed + 4


def test_the_query_bus_counts_under_its_own_name():
    queries = QueryBus()
    queries.add_middleware(BusMetricsMiddleware("query"))
    queries.register(CountParcels, lambda query: Ok(3))
    before = dispatched("query", "CountParcels", "ok")

    queries.dispatch(CountParcels())

    assert dispatched("query", "CountParcels", "ok") == before + 1
    assert dispatched("command", "CountParcels", "ok") == 0


def test_both_buses_of_the_composition_root_count_every_dispatch_inside_its_span_and_outside_the_rest():
    from apps.composition.buses import build_buses
    from apps.observability.tracing import TracingMiddleware

    buses = build_buses()
    for bus, name in ((buses.commands, "command"), (buses.queries, "query")):
        tracing, counting = bus._middleware[:2]
        assert isinstance(tracing, TracingMiddleware)
        assert isinstance(counting, BusMetricsMiddleware)
        assert counting.bus == name
