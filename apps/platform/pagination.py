"""Pagination of list endpoints: page numbers in API v1, opaque cursors in v2."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class PagePagination(PageNumberPagination):
    """``?page=2&page_size=50``; the page size is capped, so no client can ask for everything at once."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class OpaqueCursorPagination(CursorPagination):
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
