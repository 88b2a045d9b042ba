"""The audit trail in the back-office: to read and search, never to add, change or delete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.audit.models import AuditAnchor, AuditEntry
from apps.platform.admin import ReadOnlyAdmin


class ReadOnlyAuditAdmin(ReadOnlyAdmin):
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # not even the "delete selected" action


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAuditAdmin):
    list_display = (
        "id",
        "seq",
        "occurred_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "outcome",
        "correlation_id",
    )
    list_filter = ("action", "outcome", "target_type")
    search_fields = ("=actor", "=target_id", "=correlation_id", "action")
    date_hierarchy = "occurred_at"
    ordering = ("-id",)
    show_full_result_count = False  # counting a large append-only table on every page is slow


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAuditAdmin):
    list_display = ("last_seq", "last_entry_hash", "purged_entries", "purged_at")
