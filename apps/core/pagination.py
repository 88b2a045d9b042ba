"""Pagination of list endpoints: page numbers in API v1, opaque cursors in v2."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


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
