"""GET /api/v1/audit-log: the audit trail, filtered; the query bus lets holders of ``audit.view_auditentry`` read it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.chain import HASHED_FIELDS
from apps.audit.models import AuditEntry
from apps.audit.queries import ListAuditEntries
from apps.platform.buses import query_bus
from apps.platform.openapi import problems
from apps.platform.pagination import POSITIVE_INTEGER, PagePagination
from apps.platform.responses import query_filters, respond
from domain.kernel.result import Ok

ENTRY_EXAMPLE = {
    "id": 1042,
    "seq": 1041,
    "occurred_at": "2026-11-29T10:57:02.287344Z",
    "actor_id": "3f14c592-a988-4bb5-943f-007b17bd16df",
    "actor": "user:3f14c592-a988-4bb5-943f-007b17bd16df",
    "action": "CancelOrder",
    "target_type": "Order",
    "target_id": "8d1f3c0e-5b7a-4a51-9c1e-2f8f0a6b9d11",
    "outcome": "ok",
    "correlation_id": "4b1d0e7f9a2c4c1e8f5d3a6b7c8d9e0f",
    "ip": "203.0.113.7",
    "user_agent": "orderflow-cli/1.4",
    "changes": {
        "order_id": "8d1f3c0e-5b7a-4a51-9c1e-2f8f0a6b9d11",
        "requested_by": "3f14c592-a988-4bb5-943f-007b17bd16df",
        "reason": "ordered twice",
    },
    "prev_hash": "5e0c2a47d9b3f1e6a8c4d2b0f9e7a5c3b1d9f7e5a3c1b9d7f5e3a1c9b7d5f3e1",
    "hash": "9a7c5e3b1d9f7a5c3e1b9d7f5a3c1e9b7d5f3a1c9e7b5d3f1a9c7e5b3d1f9a7c",
}


@extend_schema_serializer(examples=[OpenApiExample("An audited cancellation", value=ENTRY_EXAMPLE, response_only=True)])
class AuditEntryOutput(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ("id", "seq", *(name for name in HASHED_FIELDS if name != "id"), "hash")


class AuditLogFilters(serializers.Serializer):
    actor = serializers.CharField(
        required=False, max_length=200, help_text='Only this actor: "user:<id>", "system:celery", "anonymous", ...'
    )
    action = serializers.CharField(
        required=False, max_length=100, help_text='Only this command or auth event, e.g. "PlaceOrder".'
    )
    target_type = serializers.CharField(required=False, max_length=100, help_text='Only this kind, e.g. "Order".')
    target_id = serializers.CharField(required=False, max_length=100, help_text="Only this aggregate's id.")
    since = serializers.DateTimeField(required=False, help_text="Entries at or after this moment.")
    until = serializers.DateTimeField(required=False, help_text="Entries before this moment.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["must not be before since"]})
        return attrs


PAGE_PARAMETERS = [
    OpenApiParameter("page", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="Page number, from 1."),
    OpenApiParameter("page_size", POSITIVE_INTEGER, OpenApiParameter.QUERY, description="Up to 100; default 20."),
]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "One page",
            value={"count": 1, "next": None, "previous": None, "results": [ENTRY_EXAMPLE]},
            response_only=True,
        )
    ]
)
class AuditLogPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AuditEntryOutput(many=True)


class AuditLogApi(APIView):
    pagination_class = PagePagination

    @extend_schema(
        operation_id="audit_log_list",
        tags=["audit"],
        parameters=[AuditLogFilters, *PAGE_PARAMETERS],
        responses={200: AuditLogPage, **problems(400, 401, 403, 404, 406, 413, 415, 429, 500)},
        summary="The audit trail, newest first (auditors only)",
        description="Every command, sign-in, token refresh, logout and refused request: who, what, on what, when, "
        "and the outcome. Needs the `audit.view_auditentry` permission (the auditor role); anyone else gets 403. "
        "Secrets and personal data in `changes` read `[redacted]`. An entry's place in the hash chain (`seq`, "
        "`prev_hash`, `hash`) is filled in by the sealer about a second after its command commits; until then "
        "`seq` and `hash` are null and `prev_hash` is empty.",
    )
    def get(self, request: Request, version: str) -> Response:
        result = query_bus().dispatch(ListAuditEntries(**query_filters(AuditLogFilters, request)))
        if not isinstance(result, Ok):
            return respond(result, request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(result.value, request, view=self)
        return paginator.get_paginated_response(AuditEntryOutput(page, many=True).data)
