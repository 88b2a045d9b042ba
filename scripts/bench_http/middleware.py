"""``X-Bench-Queries``: the SQL statements a request ran, for the benchmark's queries-per-request column."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

#: Sent by the benchmark's query probe; the load generator never sends it.
REQUEST_HEADER = "X-Bench-Count-Queries"
RESPONSE_HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get(REQUEST_HEADER) != "1":
            return self.get_response(request)
        statements: list[str] = []

        def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response[RESPONSE_HEADER] = str(len(statements))
        return response
