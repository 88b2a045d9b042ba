"""From a bus Result to an HTTP response: 2xx with the output serializer, or problem details."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.platform.problems import problem_for_error
from domain.kernel.result import Err, Result


def respond(
    result: Result[Any, Exception],
    request: Request,
    *,
    output: type[serializers.BaseSerializer[Any]] | None = None,
    status: int = 200,
) -> Response:
    if isinstance(result, Err):
        return problem_for_error(result.error, request)
    if output is None:
        return Response(status=status)
    return Response(output(result.value).data, status=status)


def validated(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The request body checked by ``serializer_class``; raises DRF's ValidationError (400)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
