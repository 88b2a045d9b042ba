"""Back-office for the consumers' side: the inbox (read-only) and delivery failures (dead letters, requeueable).

Requeueing needs the consumers (a dead letter goes back to its consumer's
queue, declared with that consumer's bindings): the ones the composition root
installed in ``apps.messaging.registry``. The failures' list opens with the dead
letters' figures: how many are recorded, how many messages the dead-letter queue
holds now (the broker is given a couple of seconds) and the bound it is kept within.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from kombu.exceptions import OperationalError

from apps.messaging.consumers import malformed
from apps.messaging.dead_letters import Retention, read_queue
from apps.messaging.failures import requeue
from apps.messaging.models import DeliveryFailure, InboxEntry
from apps.messaging.registry import consumers
from apps.platform.admin import ReadOnlyAdmin


def dead_letter_figures() -> dict[str, Any]:
    """What the failures' list shows above the rows: dead letters recorded, the queue's messages and bound."""
    return {
        "recorded": DeliveryFailure.objects.filter(status=DeliveryFailure.Status.DEAD).count(),
        "queue": read_queue(),
        "bound": Retention.configured().describe(),
    }


@admin.register(InboxEntry)
class InboxEntryAdmin(ReadOnlyAdmin):
    show_full_result_count = False  # no COUNT(*) over a table that grows with every event
    list_display = ("event_type", "consumer", "event_id", "processed_at")
    list_filter = ("consumer", "event_type")
    search_fields = ("=event_id",)
    date_hierarchy = "processed_at"
    ordering = ("-processed_at",)


@admin.register(DeliveryFailure)
class DeliveryFailureAdmin(ReadOnlyAdmin):
    show_full_result_count = False
    list_display = ("event_type", "consumer", "status", "attempts", "last_failed_at", "requeued_at", "event_id")
    list_filter = ("status", "consumer", "event_type")
    search_fields = ("=event_id",)
    date_hierarchy = "last_failed_at"
    ordering = ("-last_failed_at",)
    actions = ["requeue_dead_letters"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "GET":  # an action's POST answers with a redirect: nothing to read then
            extra_context = {**(extra_context or {}), "dead_letters": dead_letter_figures()}
        return super().changelist_view(request, extra_context)

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        """Requeueing needs the model's change permission, though rows are never edited here."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Requeue the selected dead letters to their consumer", permissions=["requeue"])
    def requeue_dead_letters(self, request: HttpRequest, queryset: QuerySet[DeliveryFailure]) -> None:
        selected = list(queryset.order_by("first_failed_at"))  # oldest first, as they failed: per-aggregate order
        # A retrying event is still on its queue; a malformed message would only die again.
        chosen = [
            failure
            for failure in selected
            if failure.status == DeliveryFailure.Status.DEAD and malformed(failure.envelope) is None
        ]
        try:
            sent = requeue(chosen, consumers())
        except LookupError as exc:
            self.message_user(request, f"Nothing requeued: {exc}.", messages.ERROR)
            return
        except (OSError, OperationalError) as exc:
            self.message_user(request, f"Requeue stopped, the events broker is unavailable: {exc}", messages.ERROR)
            return
        for failure in chosen:
            self.log_change(request, failure, "Requeued to its consumer's queue.")
        if sent:
            self.message_user(request, f"{sent} dead letter{'' if sent == 1 else 's'} requeued.")
        if skipped := len(selected) - sent:
            self.message_user(
                request,
                f"{skipped} left as they were: only dead letters holding a whole envelope can be requeued.",
                messages.WARNING,
            )
