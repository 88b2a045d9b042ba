"""Which integration events partners may subscribe to as webhooks: those of orders and billing.

The composition root decides it, since the webhooks context knows no other context. Users' events
carry personal data and stay inside; the webhooks context's own events (an endpoint subscribed,
disabled...) are for the audit trail, not for partners.

It also renders what partners read about them in ``docs/api/webhooks.md``: the event catalogue
(each offered event type, its payload fields and an example of the exact body a delivery carries)
and the retry schedule, both between marker comments that ``make webhook-docs`` rewrites. The
examples are built from the event classes themselves with fixed sample values chosen by field type
and name, so the document changes only when an event does; a field of a type with no sample value
is a ``TypeError`` naming it, never a silently wrong example.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any
from uuid import UUID, uuid5

from apps.webhooks import signing
from domain.billing import events as billing_events
from domain.billing.model import Invoice
from domain.kernel.events import ENVELOPE_FIELDS, DomainEvent, to_integration_event
from domain.kernel.serialization import to_primitive
from domain.orders import events as orders_events
from domain.orders.model import Order
from domain.webhooks.delivery import DEFAULT_DELAYS, DEFAULT_JITTER

#: The contexts whose integration events are offered, each as the module that defines them.
OFFERED_CONTEXTS: tuple[ModuleType, ...] = (orders_events, billing_events)


def event_classes() -> tuple[type[DomainEvent], ...]:
    """Every offered event class (one with an ``event_type``), sorted by event type."""
    found = {
        value.event_type: value
        for module in OFFERED_CONTEXTS
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, DomainEvent) and value.event_type
    }
    return tuple(found[name] for name in sorted(found))


def offered() -> frozenset[str]:
    """The offered event types."""
    return frozenset(cls.event_type for cls in event_classes())


class OfferedEvents:
    """The webhooks context's ``EventCatalogue`` port."""

    def offered(self) -> frozenset[str]:
        return offered()


# --- Examples ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Aggregate:
    """The aggregate a context's events are about, as its examples are stamped: its type and the
    payload field that holds its id."""

    aggregate_type: str
    id_field: str


#: The aggregate that records each offered context's events, by the context's name (the event types' prefix).
AGGREGATES: Mapping[str, Aggregate] = {
    "orders": Aggregate(Order.aggregate_type, "order_id"),
    "billing": Aggregate(Invoice.aggregate_type, "invoice_id"),
}

#: The namespace of the examples' UUIDs: a field's sample UUID is the version 5 UUID of its name.
EXAMPLE_NAMESPACE = UUID("5f0c1d2e-8a4b-4c6d-9e7f-0a1b2c3d4e5f")
#: When every example happened.
EXAMPLE_TIME = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)

#: Sample values by field name (for a field of the value's type); a field whose name is not here gets
#: the sample of its type.
_SAMPLES_BY_NAME: Mapping[str, object] = {
    "currency": "EUR",
    "customer_email": "jane.doe@example.com",
    "sku": "SKU-1001",
    "provider_payment_id": "pay_3QhJx2EXAMPLE",
    "provider_refund_id": "re_3QhJx9EXAMPLE",
    "reason": "Requested by the customer.",
    "status": "failed",
    "quantity": 3,
    "item_count": 3,
    "unit_price": Decimal("8.70"),
    "line_total": Decimal("26.10"),
    "total": Decimal("26.10"),
    "amount": Decimal("26.10"),
}
#: Sample values of one event type's field, where the field's usual sample would read wrong.
_SAMPLES_BY_EVENT: Mapping[tuple[str, str], object] = {
    ("billing.payment_failed", "reason"): "The card was declined.",
    ("billing.invoice_voided", "reason"): "The order was cancelled before payment.",
}
#: The aggregate version an example is stamped with (1 for an event not listed: one that creates it).
_AGGREGATE_VERSIONS: Mapping[str, int] = {
    "orders.order_cancelled": 2,
    "orders.order_paid": 2,
    "orders.order_shipped": 3,
    "orders.order_refunded": 4,
    "billing.payment_captured": 2,
    "billing.payment_failed": 2,
    "billing.invoice_voided": 2,
    "billing.invoice_refunded": 3,
}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _payload_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if f.init and f.name not in ENVELOPE_FIELDS]


def _sample(owner: type, name: str, tp: Any, event_type: str) -> Any:
    """A fixed value of type ``tp`` for field ``name`` of ``owner``; TypeError for a type without one."""
    if (event_type, name) in _SAMPLES_BY_EVENT:
        return _SAMPLES_BY_EVENT[event_type, name]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(tp) if option is not type(None)]
        return _sample(owner, name, options[0], event_type)
    if origin is tuple:
        args = typing.get_args(tp)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if item is None:
            return tuple(_sample(owner, name, arg, event_type) for arg in args)
        return (_sample(owner, name, item, event_type),)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: _sample(tp, f.name, hints[f.name], event_type) for f in dataclasses.fields(tp) if f.init})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    named = _SAMPLES_BY_NAME.get(name)
    if tp is bool:
        return True
    if tp in (str, int, Decimal) and type(named) is tp:
        return named
    if tp is str:
        return f"example {name.replace('_', ' ')}"
    if tp is int:
        return 1
    if tp is Decimal:
        return Decimal("26.10")
    if tp is UUID:
        return uuid5(EXAMPLE_NAMESPACE, name)
    if tp is datetime:
        return EXAMPLE_TIME
    if tp is date:
        return EXAMPLE_TIME.date()
    raise TypeError(f"{owner.__name__}.{name}: no example value for a field of type {tp!r}")


def example_event(cls: type[DomainEvent]) -> DomainEvent:
    """An instance of ``cls`` with fixed sample values, stamped as its context's aggregate stamps it."""
    hints = _hints(cls)
    fields = {f.name: _sample(cls, f.name, hints[f.name], cls.event_type) for f in _payload_fields(cls)}
    context = cls.event_type.split(".", 1)[0]
    if context not in AGGREGATES:
        raise LookupError(f"{cls.__name__} ({cls.event_type}) belongs to no offered context")
    aggregate = AGGREGATES[context]
    return cls(
        occurred_at=EXAMPLE_TIME,
        event_id=uuid5(EXAMPLE_NAMESPACE, cls.event_type),
        aggregate_type=aggregate.aggregate_type,
        aggregate_id=fields[aggregate.id_field],
        aggregate_version=_AGGREGATE_VERSIONS.get(cls.event_type, 1),
        **fields,
    )


def example_envelope(cls: type[DomainEvent]) -> dict[str, Any]:
    """The integration envelope of ``example_event(cls)`` as the broker carries it."""
    envelope: dict[str, Any] = to_primitive(to_integration_event(example_event(cls)))
    return envelope


def example_body(cls: type[DomainEvent]) -> bytes:
    """The exact body a delivery of ``example_event(cls)`` carries."""
    return signing.body(example_envelope(cls))


# --- The document -----------------------------------------------------------------------------------

CATALOGUE_BLOCK = "event-catalogue"
RETRY_BLOCK = "retry-schedule"


def description(cls: type[DomainEvent]) -> str:
    """What the event means: a sentence made of its name, then the first paragraph of its docstring
    if it has one (inline code in Markdown rather than reStructuredText)."""
    words = cls.event_type.split(".", 1)[1].split("_")
    sentence = f"{' '.join(words[:-1]).capitalize()} {words[-1]}."
    doc = cls.__dict__.get("__doc__") or ""
    if not doc or doc.startswith(f"{cls.__name__}("):  # no docstring: the one dataclasses writes
        return sentence
    paragraph = " ".join(line.strip() for line in doc.strip().split("\n\n")[0].splitlines())
    return f"{sentence} {paragraph.replace('``', '`')}"


def _json_type(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(tp) if option is not type(None)]
        return " or ".join(_json_type(option) for option in options) + " or null"
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return "array of objects" if dataclasses.is_dataclass(item) else f"array of {_json_type(item)}"
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return "object"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "string, one of " + ", ".join(f'`"{member.value}"`' for member in tp)
    names = {
        str: "string",
        int: "integer",
        bool: "boolean",
        Decimal: "string, a decimal number",
        UUID: "string, a UUID",
        datetime: "string, an ISO 8601 date and time",
        date: "string, an ISO 8601 date",
    }
    if tp in names:
        return names[tp]
    raise TypeError(f"no JSON type for {tp!r}")


def _field_rows(cls: type, prefix: str = "") -> list[str]:
    hints = _hints(cls)
    rows = []
    fields = _payload_fields(cls) if issubclass(cls, DomainEvent) else [f for f in dataclasses.fields(cls) if f.init]
    for f in fields:
        tp = hints[f.name]
        rows.append(f"| `{prefix}{f.name}` | {_json_type(tp)} |")
        item = typing.get_args(tp)[0] if typing.get_origin(tp) is tuple else tp
        if isinstance(item, type) and dataclasses.is_dataclass(item):
            nested = f"{prefix}{f.name}[]." if item is not tp else f"{prefix}{f.name}."
            rows.extend(_field_rows(item, nested))
    return rows


def render_catalogue() -> str:
    """The event catalogue in Markdown: every offered event type, its fields and an example body."""
    parts = [
        "Every delivery's body has the same shape; `data` is what differs from one event type to the next.",
        "Amounts are decimal strings in the currency's minor unit, never JSON numbers. The examples",
        "are generated from the events themselves: their values are samples.",
    ]
    for cls in event_classes():
        example = json.dumps(json.loads(example_body(cls)), indent=2, ensure_ascii=False)
        parts += [
            "",
            f"### `{cls.event_type}`",
            "",
            description(cls),
            "",
            f"Event version {cls.event_version}. Fields of `data`:",
            "",
            "| field | type |",
            "|---|---|",
            *_field_rows(cls),
            "",
            "```json",
            example,
            "```",
        ]
    return "\n".join(parts) + "\n"


def duration(delta: timedelta) -> str:
    """``delta`` for people: ``"5 s"``, ``"2 h"``, ``"3 d 5 h 35 min 5 s"``."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def render_retry_schedule() -> str:
    """The retry schedule in Markdown, from ``domain.webhooks.delivery.DEFAULT_DELAYS``."""
    jitter = round(DEFAULT_JITTER * 100)
    rows = [
        "| attempt | made after the first, about | if it fails, the next one comes after |",
        "|---|---|---|",
    ]
    elapsed = timedelta(0)
    for number in range(1, len(DEFAULT_DELAYS) + 2):
        wait = DEFAULT_DELAYS[number - 1] if number <= len(DEFAULT_DELAYS) else None
        after = duration(wait) if wait is not None else "none: the delivery has failed"
        rows.append(f"| {number} | {'at once' if number == 1 else duration(elapsed)} | {after} |")
        if wait is not None:
            elapsed += wait
    return (
        "\n".join(
            [
                f"A delivery is attempted up to {len(DEFAULT_DELAYS) + 1} times over about {duration(elapsed)}.",
                f"Each wait is stretched or shrunk at random by up to {jitter} % so that receivers that failed",
                "together are not all retried in the same second; the times below are without it.",
                "",
                *rows,
                "",
                f"A `Retry-After` header on a 429 or 503 answer is honoured up to {duration(max(DEFAULT_DELAYS))}:",
                "it lengthens the wait, never shortens it.",
            ]
        )
        + "\n"
    )


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def block(document: str, name: str) -> str:
    """What lies between the ``name`` markers of ``document`` (ValueError when they are missing)."""
    start, end = _markers(name)
    found = re.search(re.escape(start) + r"\n(.*?)" + re.escape(end), document, flags=re.DOTALL)
    if found is None:
        raise ValueError(f"no {start} ... {end} block")
    return found.group(1)


def with_block(document: str, name: str, content: str) -> str:
    """``document`` with what lies between the ``name`` markers replaced by ``content``."""
    block(document, name)
    start, end = _markers(name)
    pattern = re.escape(start) + r"\n.*?" + re.escape(end)
    return re.sub(pattern, lambda _: f"{start}\n{content}{end}", document, count=1, flags=re.DOTALL)


def render_document(document: str) -> str:
    """``document`` (docs/api/webhooks.md) with its generated blocks brought up to date."""
    document = with_block(document, CATALOGUE_BLOCK, render_catalogue())
    return with_block(document, RETRY_BLOCK, render_retry_schedule())
