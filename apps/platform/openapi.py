"""OpenAPI pieces shared by every endpoint: the problem-details schema and its responses, conditional GETs."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from apps.platform.problems import CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="A URI that names the kind of problem.")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    instance = serializers.CharField(help_text="The path of the request.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field (validation errors only).",
    )
    correlation_id = serializers.CharField(required=False, help_text="Quote it when reporting a problem.")


def problems(*statuses: int) -> dict[Any, OpenApiResponse]:
    """``responses=`` entries documenting the given error statuses as problem details."""
    return {
        (status, CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=HTTPStatus(status).phrase)
        for status in statuses
    }


#: The conditional GET of a read (``apps.platform.responses.conditional``): its parameters and its 304.
CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The ETag of a representation held: 304 with no body while it is still current.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 304],
        description="The representation's entity tag; send it back in If-None-Match.",
    ),
]
NOT_MODIFIED = {304: OpenApiResponse(description="Not Modified: the representation named in If-None-Match is current.")}


class WholeBodyPatchSchema(AutoSchema):
    """For views whose PATCH validates the whole body (the serializer is never ``partial``).

    drf-spectacular documents every PATCH body as partial ("Patched...", nothing
    required), which would tell clients that ``{}`` is accepted when it is a 400.
    """

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        if self.method != "PATCH":
            return super()._get_request_for_media_type(serializer, direction)
        self.method = "PUT"  # the only PATCH-specific step upstream is marking the serializer partial
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = "PATCH"
