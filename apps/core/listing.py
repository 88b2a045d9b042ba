"""The list queries of the read side: the rows the caller may see, filtered by status and time, in a chosen order.

Orders and invoices are listed the same way; each context names its read model,
its statuses, its orderings and the columns it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.db.models import QuerySet

from apps.security.access import Scope
from domain.kernel.errors import ValidationError
from domain.kernel.result import Err, Ok, Result


class ListQuery(Protocol):
    scope: Scope
    status: str | None
    created_from: datetime | None
    created_to: datetime | None
    ordering: str


def list_rows(
    rows: QuerySet[Any],
    query: ListQuery,
    *,
    statuses: Sequence[str],
    orderings: Mapping[str, tuple[str, ...]],
    columns: Sequence[str],
) -> Result[QuerySet[Any, dict[str, Any]], ValidationError]:
    """``rows`` in the query's scope (set by the authorization middleware), filtered, ordered, as ``values()``.

    ``created_from`` and ``created_to`` both include their moment. Err: ``ValidationError``
    naming ``status`` or ``ordering`` when the value is unknown, or ``created_to`` when the
    range ends before it starts.
    """
    if query.status is not None and query.status not in statuses:
        return Err(ValidationError.for_field("status", f"Choose one of {', '.join(statuses)}."))
    if query.ordering not in orderings:
        return Err(ValidationError.for_field("ordering", f"Choose one of {', '.join(orderings)}."))
    if query.created_from and query.created_to and query.created_to < query.created_from:
        return Err(ValidationError.for_field("created_to", "The range ends before it starts."))
    rows = query.scope.restrict(rows)
    if query.status is not None:
        rows = rows.filter(status=query.status)
    if query.created_from is not None:
        rows = rows.filter(created_at__gte=query.created_from)
    if query.created_to is not None:
        rows = rows.filter(created_at__lte=query.created_to)
    return Ok(rows.order_by(*orderings[query.ordering]).values(*columns))
