"""The partners' event catalogue (docs/api/webhooks.md): generated from the offered events, never out of date."""

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from apps.composition import webhook_catalogue
from apps.composition.webhook_catalogue import (
    CATALOGUE_BLOCK,
    RETRY_BLOCK,
    block,
    event_classes,
    example_body,
    offered,
    render_catalogue,
    render_retry_schedule,
    with_block,
)
from apps.webhooks import signing
from domain.billing.model import Invoice
from domain.kernel.events import ENVELOPE_FIELDS, DomainEvent, to_integration_event
from domain.kernel.serialization import from_primitive, to_primitive
from domain.orders.events import OrderPaid
from domain.orders.model import Order
from domain.users import events as users_events
from domain.webhooks import events as webhooks_events

DOCUMENT = Path(__file__).resolve().parents[4] / "docs" / "api" / "webhooks.md"
STALE = f"{DOCUMENT.name} is out of date: run `make webhook-docs`"

CLASSES = event_classes()


def event_types_of(module) -> set[str]:
    return {
        value.event_type
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value.event_type
    }


def test_the_documented_event_catalogue_is_what_the_events_render_now():
    assert block(DOCUMENT.read_text(), CATALOGUE_BLOCK) == render_catalogue(), STALE


def test_the_documented_retry_schedule_is_what_the_default_schedule_renders_now():
    assert block(DOCUMENT.read_text(), RETRY_BLOCK) == render_retry_schedule(), STALE


def test_the_retry_schedule_has_a_row_per_attempt_and_states_the_jitter_and_the_retry_after_cap():
    schedule = render_retry_schedule()
    rows = re.findall(r"^\| (\d+) \|", schedule, flags=re.MULTILINE)
    assert rows == [str(n) for n in range(1, 14)]
    assert "| 2 | 5 s | 5 min |" in schedule
    assert "| 13 | 3 d 5 h 35 min 5 s | none: the delivery has failed |" in schedule
    assert "20 %" in schedule
    assert "honoured up to 10 h" in schedule


def test_the_body_shown_before_the_catalogue_is_the_example_of_its_event():
    shown = re.search(r"## What a delivery looks like\n.*?```json\n(.*?)```", DOCUMENT.read_text(), flags=re.DOTALL)
    assert shown is not None
    assert json.loads(shown.group(1)) == json.loads(example_body(OrderPaid))


def test_every_offered_event_type_has_its_section_in_the_catalogue():
    documented = re.findall(r"^### `([a-z_.]+)`$", block(DOCUMENT.read_text(), CATALOGUE_BLOCK), flags=re.MULTILINE)
    assert documented == sorted(offered())
    assert {"orders.order_placed", "billing.payment_captured"} <= set(documented)


def test_users_and_webhooks_events_exist_but_are_not_offered():
    users, own = event_types_of(users_events), event_types_of(webhooks_events)
    assert users
    assert own
    assert not (users | own) & offered()
    assert not any(name.startswith(("users.", "webhooks.")) for name in offered())
    catalogue = block(DOCUMENT.read_text(), CATALOGUE_BLOCK)
    assert "users." not in catalogue
    assert "webhooks." not in catalogue


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.event_type)
def test_each_example_is_the_exact_body_of_an_instance_of_its_class(cls):
    payload = example_body(cls)
    document = json.loads(payload)
    # Rebuild the event from what the body says, by the class's own field types: a value of the wrong
    # type in the example would not come back.
    event = from_primitive(
        cls,
        {
            **document["data"],
            "occurred_at": document["timestamp"],
            "event_id": document["event_id"],
            "aggregate_type": document["aggregate"]["type"],
            "aggregate_id": document["aggregate"]["id"],
            "aggregate_version": document["aggregate"]["version"],
        },
    )

    assert type(event) is cls
    assert signing.body(to_primitive(to_integration_event(event))) == payload
    assert document["type"] == cls.event_type
    assert document["event_version"] == cls.event_version
    assert set(document["data"]) == {f.name for f in dataclasses.fields(cls)} - ENVELOPE_FIELDS


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.event_type)
def test_each_example_is_stamped_by_the_aggregate_of_its_context(cls):
    document = json.loads(example_body(cls))
    aggregate_type, id_field = {
        "orders": (Order.aggregate_type, "order_id"),
        "billing": (Invoice.aggregate_type, "invoice_id"),
    }[cls.event_type.split(".")[0]]

    assert document["aggregate"]["type"] == aggregate_type
    assert document["aggregate"]["id"] == document["data"][id_field]
    assert document["aggregate"]["version"] >= 1


def test_the_examples_use_the_documented_sample_values():
    placed = json.loads(example_body(next(cls for cls in CLASSES if cls.event_type == "orders.order_placed")))
    data = placed["data"]
    assert data["currency"] == "EUR"
    assert data["total"] == "26.10"
    assert len(data["lines"]) == 1
    assert data["lines"][0]["line_total"] == data["total"]
    assert data["item_count"] == sum(line["quantity"] for line in data["lines"])


@dataclass(frozen=True, kw_only=True)
class OrderPaidByWeight(OrderPaid):
    weight: float = 0.0


@dataclass(frozen=True, kw_only=True)
class OrderPaidWithNote(OrderPaid):
    note: str = ""


def test_a_field_of_a_type_without_a_sample_value_fails_naming_the_class_and_the_field():
    with pytest.raises(TypeError, match=r"OrderPaidByWeight\.weight"):
        example_body(OrderPaidByWeight)


def test_a_field_of_a_known_type_gets_a_sample_value_and_is_documented(monkeypatch):
    assert json.loads(example_body(OrderPaidWithNote))["data"]["note"] == "example note"

    monkeypatch.setattr(webhook_catalogue, "event_classes", lambda: (OrderPaidWithNote,))
    assert "| `note` | string |" in render_catalogue()


def test_a_generated_block_is_rewritten_and_nothing_around_it():
    document = "before\n<!-- event-catalogue:start -->\nold\n<!-- event-catalogue:end -->\nafter\n"
    assert with_block(document, CATALOGUE_BLOCK, "new\n") == (
        "before\n<!-- event-catalogue:start -->\nnew\n<!-- event-catalogue:end -->\nafter\n"
    )


def test_a_document_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="event-catalogue:start"):
        with_block("no markers here\n", CATALOGUE_BLOCK, "new\n")
