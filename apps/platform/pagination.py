"""Pagination of list endpoints: page numbers in API v1, opaque cursors in v2; and their query strings.

A list's query string is read strictly: a parameter given twice, an empty value or a page size that is
not a whole number from 1 is a 400 naming the parameter, never silently read as something else.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

#: The schema of a page number or a page size: a whole number from 1.
POSITIVE_INTEGER = {"type": "integer", "minimum": 1}
_DIGITS = re.compile(r"[0-9]+")


def query_parameters(request: Request) -> dict[str, str]:
    """The query string as one value per name; ValidationError naming every parameter given more than once.

    An empty value stays a value (``?status=`` is an unknown status, not a missing one).
    """
    repeated = [name for name, values in request.query_params.lists() if len(values) > 1]
    if repeated:
        raise ValidationError({name: ["Give this parameter once."] for name in repeated})
    return request.query_params.dict()


class StrictPageSize:
    """``page_size`` is a whole number from 1 (more than the maximum is capped); anything else is a 400."""

    page_size: int
    page_size_query_param: str
    max_page_size: int

    def get_page_size(self, request: Request) -> int:
        value = query_parameters(request).get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not _DIGITS.fullmatch(value) or int(value) < 1:
            raise ValidationError({self.page_size_query_param: ["Enter a whole number from 1."]})
        return min(int(value), self.max_page_size)


class PagePagination(StrictPageSize, PageNumberPagination):
    """``?page=2&page_size=50``; the page size is capped, so no client can ask for everything at once."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class OpaqueCursorPagination(StrictPageSize, CursorPagination):
    """``?cursor=...`` links (``next``/``previous``); stable under inserts, cheap at any depth.

    Views set ``ordering`` to a unique, indexed column list (newest first by default).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: APIView | None = None) -> Any:
        """As DRF does, but a cursor whose position is not a value of the ordering column is a 404, not a 500.

        DRF checks a cursor's offset but takes its position as given; a forged one
        (``p=garbage`` where a date is expected) fails only when the query is built.
        """
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
