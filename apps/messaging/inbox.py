"""Each event has its effect once per consumer: the handler's work and its inbox row commit together.

``deliver`` runs the consumer's handler and records the event in the inbox in
one transaction, so an event redelivered after a crash, a timeout or a replay
has no second effect. ``deliver_batch`` does the same for many events at once
with the consumer's batch handler, in one transaction with a fixed number of
statements (inbox rows in, the handler's, failures cleared); the events it must
leave for later get no inbox row. An event handled at last (a retry, a requeued dead letter) leaves
no ``DeliveryFailure`` behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.messaging.consumers import Envelope, EventConsumer
from apps.messaging.models import DeliveryFailure, InboxEntry


def deliver(consumer: EventConsumer, envelope: Envelope) -> bool:
    """Handle ``envelope`` once: False when the inbox says it was handled before."""
    with transaction.atomic():
        if not _claim_in_inbox(consumer.name, [envelope]):  # INSERT ... ON CONFLICT DO NOTHING: no savepoint
            return False
        consumer.handle(envelope)
        # Handled at last (a retry, or a requeued dead letter): nothing of this event is failing any more.
        _delete(DeliveryFailure, consumer.name, [envelope["event_id"]])
    return True


def deliver_batch(
    consumer: EventConsumer, envelopes: Sequence[Envelope], *, handled_now: list[int] | None = None
) -> dict[int, str]:
    """Handle well-formed envelopes with ``consumer.handle_batch`` in one transaction.

    Returns the positions that must wait, with the reason; everything else was
    handled now or before (the inbox says which: ``handled_now``, when given, is
    extended with the positions handled now, once committed). An exception rolls everything back.
    """
    assert consumer.handle_batch is not None
    with transaction.atomic():
        fresh = _claim_in_inbox(consumer.name, envelopes)
        waiting_in_fresh = consumer.handle_batch([envelopes[i] for i in fresh]) if fresh else {}
        waiting = {fresh[i]: reason for i, reason in waiting_in_fresh.items()}
        if waiting:
            # Not handled after all: they must find no inbox row when they come back.
            _delete(InboxEntry, consumer.name, [envelopes[i]["event_id"] for i in waiting])
        # Handled at last (retries, requeued dead letters): nothing of these events is failing any more.
        _delete(DeliveryFailure, consumer.name, [envelopes[i]["event_id"] for i in fresh if i not in waiting])
    if handled_now is not None:
        handled_now.extend(i for i in fresh if i not in waiting)
    return waiting


def _delete(model: type[InboxEntry] | type[DeliveryFailure], consumer_name: str, event_ids: Sequence[Any]) -> None:
    """Delete the consumer's rows of these events in one statement, without the ORM's collecting read first."""
    if not event_ids:
        return
    quote = connection.ops.quote_name
    sql = f"DELETE FROM {quote(model._meta.db_table)} WHERE {quote('consumer')} = %s AND {quote('event_id')} "
    ids = [uuid.UUID(str(event_id)) for event_id in event_ids]
    if connection.vendor == "postgresql":
        # One array literal as one parameter: canonical UUIDs need no quoting.
        sql, params = sql + "= ANY(%s::uuid[])", [consumer_name, "{" + ",".join(map(str, ids)) + "}"]
    else:
        field = model._meta.get_field("event_id")
        ids = [field.get_db_prep_value(event_id, connection) for event_id in ids]
        sql, params = sql + f"IN ({', '.join(['%s'] * len(ids))})", [consumer_name, *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _claim_in_inbox(consumer_name: str, envelopes: Sequence[Envelope]) -> list[int]:
    """Insert inbox rows for the batch in one statement; the positions whose row is new (first seen)."""
    first_position: dict[uuid.UUID, int] = {}
    for position, envelope in enumerate(envelopes):
        first_position.setdefault(uuid.UUID(str(envelope["event_id"])), position)
    meta = InboxEntry._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in ("consumer", "event_id", "event_type", "processed_at"))
    conflict = f"ON CONFLICT ({quote('consumer')}, {quote('event_id')}) DO NOTHING RETURNING {quote('event_id')}"
    now = timezone.now()
    event_types = [str(envelopes[position]["event_type"]) for position in first_position.values()]
    if connection.vendor == "postgresql":
        # The batch as one JSON document, whatever its size: the statement stays small, cheap to send and to
        # prepare, and the server parses the rows in C rather than the client adapting each value.
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            "SELECT %s, event_id, event_type, %s FROM json_to_recordset(%s::json) "
            "AS batch(event_id uuid, event_type text) "
            f"{conflict}"
        )
        document = [
            {"event_id": str(event_id), "event_type": event_type}
            for event_id, event_type in zip(first_position, event_types, strict=True)
        ]
        params: list[Any] = [consumer_name, now, json.dumps(document, separators=(",", ":"))]
    else:
        event_id_field, processed_at_field = meta.get_field("event_id"), meta.get_field("processed_at")
        prepared_now = processed_at_field.get_db_prep_value(now, connection)
        params = []
        for event_id, event_type in zip(first_position, event_types, strict=True):
            params += [consumer_name, event_id_field.get_db_prep_value(event_id, connection), event_type, prepared_now]
        rows = ", ".join(["(%s, %s, %s, %s)"] * len(first_position))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows} {conflict}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {uuid.UUID(str(value)) for (value,) in cursor.fetchall()}
    return sorted(first_position[event_id] for event_id in inserted)
