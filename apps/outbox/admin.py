"""Back-office for the outbox: read-only rows, and one action, requeueing what failed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from apps.outbox.models import OutboxEntry
from apps.platform.admin import ReadOnlyAdmin

# Dead entries, and pending ones waiting out a backoff after a failed publish.
REQUEUEABLE = Q(status=OutboxEntry.Status.DEAD) | Q(status=OutboxEntry.Status.PENDING, next_attempt_at__isnull=False)


def requeue(queryset: QuerySet[OutboxEntry]) -> list[Any]:
    """Make the requeueable entries of ``queryset`` due now, as if never tried; return their ids.

    A dead entry parks its aggregate's stream; requeued, it is published again
    and the stream's later events follow it. The rows are locked first, so an
    entry a dispatcher is publishing right now is left alone if it ends processed.
    """
    with transaction.atomic():
        ids = list(queryset.filter(REQUEUEABLE).select_for_update().values_list("id", flat=True))
        OutboxEntry.objects.filter(id__in=ids).update(
            status=OutboxEntry.Status.PENDING, attempts=0, next_attempt_at=None, last_error=""
        )
    return ids


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    """Read-only: the outbox is written by units of work and drained by the dispatcher."""

    list_display = (
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "aggregate_version",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event_type", "aggregate_type")
    search_fields = ("=aggregate_id", "=id", "=correlation_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ["requeue_entries"]
    show_full_result_count = False  # no COUNT(*) over the whole history on every page

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        """Requeueing needs the model's change permission, though rows are never edited here."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Requeue the selected dead or backing-off entries", permissions=["requeue"])
    def requeue_entries(self, request: HttpRequest, queryset: QuerySet[OutboxEntry]) -> None:
        selected = queryset.count()
        ids = requeue(queryset)
        for entry in OutboxEntry.objects.filter(id__in=ids):
            self.log_change(request, entry, "Requeued: pending, attempts reset, due now.")
        if ids:
            self.message_user(request, f"{len(ids)} outbox entr{'y' if len(ids) == 1 else 'ies'} requeued.")
        if skipped := selected - len(ids):
            self.message_user(
                request,
                f"{skipped} left as they were: only dead or backing-off entries can be requeued.",
                messages.WARNING,
            )
