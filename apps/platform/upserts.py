"""Writing many rows of one table in one statement: new ones inserted, existing ones (same primary key) updated.

Projections apply a batch of events in memory and then write what changed.
Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` per column and
row; compiling it costs far more than the database's work (about 3 ms per row
of ``users_read`` in a batch of 200, nearly all of it in the ORM). ``upsert``
writes inserts and updates together with ``INSERT ... ON CONFLICT (pk) DO
UPDATE``: on PostgreSQL from one JSON document read with the table's row type
(``json_populate_recordset``), so the statement is the same short text with one
parameter whatever the number of rows; elsewhere (SQLite) through
``bulk_create(update_conflicts=True)``. A JSON column's ``None`` is SQL NULL on
both, as Django writes it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, models


def upsert(model: type[models.Model], rows: Sequence[models.Model], update_fields: Sequence[str]) -> None:
    """Insert ``rows``; those whose primary key exists already get ``update_fields`` overwritten instead."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        pk = model._meta.pk
        assert pk is not None
        model._default_manager.bulk_create(
            rows, update_conflicts=True, unique_fields=[pk.name], update_fields=list(update_fields)
        )
        return
    sql, params = _postgresql_upsert(model, rows, update_fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _postgresql_upsert(
    model: type[models.Model], rows: Sequence[models.Model], update_fields: Sequence[str]
) -> tuple[str, list[Any]]:
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.generated]
    by_name = {field.name: field for field in fields}
    unknown = [name for name in update_fields if name not in by_name]
    if unknown:
        raise ValueError(f"{meta.db_table} has no column for {', '.join(unknown)}")
    # The rows go as one JSON document, read back with the table's own row type: one parameter whatever
    # the number of rows, no client-side typing of each value, and the server parses it in C.
    document = json.dumps(
        [{field.column: _jsonable(field, getattr(row, field.attname)) for field in fields} for row in rows],
        default=_default,
        separators=(",", ":"),
    )
    names = ", ".join(quote(field.column) for field in fields)
    updates = ", ".join(
        f"{quote(by_name[name].column)} = EXCLUDED.{quote(by_name[name].column)}" for name in update_fields
    )
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({names}) "
        f"SELECT {names} FROM json_populate_recordset(NULL::{quote(meta.db_table)}, %s::json) "
        f"ON CONFLICT ({quote(pk.column)}) {conflict}"
    )
    return sql, [document]


def _jsonable(field: models.Field, value: Any) -> Any:
    """``value`` as json.dumps can write it for ``field``'s column; a JSON column's value is nested as it is."""
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    if isinstance(field, models.JSONField):
        return json.loads(json.dumps(value, cls=field.encoder))
    return value  # UUID, datetime, date, Decimal...: written by ``_default``


def _default(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written by upsert")
