"""Back-office for billing: invoices (from the read model), payments and inbound webhooks, all read-only.

State changes only through the command bus: refunds are an action on invoices,
and a webhook that failed (or was stuck) can be processed again.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from apps.billing import webhooks
from apps.billing.models import (
    InvoiceGroupObjectPermission,
    InvoiceReadModel,
    InvoiceUserObjectPermission,
    Payment,
    WebhookEvent,
)
from apps.platform.admin import ReadOnlyAdmin, dispatch_each
from apps.security.admin import GroupGrantAdmin, UserGrantAdmin
from domain.billing.commands import RefundInvoice
from domain.kernel.money import Money


class RefundActionForm(ActionForm):
    # Checked by RefundInvoice, which names the missing reason; a required field here would make the
    # admin answer "No action selected" instead.
    reason = forms.CharField(required=False, max_length=500, label="Refund reason (required)")


@admin.register(InvoiceReadModel)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("id", "order_id", "customer_id", "status", "total", "created_at")
    list_filter = ("status", "currency")
    search_fields = ("id", "order_id")
    ordering = ("-created_at", "-id")
    action_form = RefundActionForm
    actions = ["refund"]
    fields = (
        "id",
        "order_id",
        "customer_id",
        "status",
        "total",
        "issued_at",
        "paid_at",
        "voided_at",
        "refunded_at",
        "payment_history",
        "version",
    )
    readonly_fields = fields

    @admin.display(description="Amount", ordering="amount")
    def total(self, invoice: InvoiceReadModel) -> str:
        return str(Money(invoice.amount, invoice.currency))

    @admin.display(description="Payments")
    def payment_history(self, invoice: InvoiceReadModel) -> str:
        if not invoice.payments:
            return "No payment reported yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            (
                (p["at"], p["provider_payment_id"], p["amount"], p["currency"], p["status"], p["reason"])
                for p in invoice.payments
            ),
        )
        return format_html(
            "<table><thead><tr><th>At</th><th>Provider payment</th><th>Amount</th><th>Status</th>"
            "<th>Reason</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Roles that may see every invoice (``billing.view_all_invoices``: billing_admin, admin) see this screen."""
        return super().has_view_permission(request, obj) or request.user.has_perm("billing.view_all_invoices")

    def has_refund_permission(self, request: HttpRequest) -> bool:
        """Offered to the roles the bus lets refund (``billing_admin``, ``admin``)."""
        return bool(self.has_view_permission(request) and request.user.has_perm("billing.refund_invoice"))

    @admin.action(description="Refund selected invoices", permissions=["refund"])
    def refund(self, request: HttpRequest, queryset: QuerySet[InvoiceReadModel]) -> None:
        reason = request.POST.get("reason", "")
        ids = queryset.values_list("id", flat=True)

        def command(invoice_id: UUID) -> RefundInvoice:
            return RefundInvoice(invoice_id=invoice_id, requested_by=request.user.pk, reason=reason)

        dispatch_each(self, request, ids, command, label=str, done="{} invoice(s) refunded.")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("provider_payment_id", "invoice_id", "status", "amount", "currency", "reason", "recorded_at")
    list_filter = ("status", "currency")
    search_fields = ("provider_payment_id", "invoice__id")
    ordering = ("-recorded_at",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("provider_event_id", "type", "status", "received_at", "processed_at", "error")
    list_filter = ("status", "type")
    search_fields = ("provider_event_id",)
    ordering = ("-received_at", "-id")
    actions = ["process_again"]

    def has_process_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff and self.has_view_permission(request))

    @admin.action(description="Process again", permissions=["process"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        retryable = (WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED)
        outcomes: dict[str, int] = {}
        for event in queryset.only("pk", "provider_event_id", "status"):
            if event.status not in retryable:
                self.message_user(
                    request,
                    f"{event.provider_event_id}: {event.status} events are not processed again.",
                    messages.ERROR,
                )
                continue
            try:
                status = webhooks.process_again(event.pk)
            except Exception as exc:
                self.message_user(request, f"{event.provider_event_id}: crashed: {exc!r}", messages.ERROR)
                continue
            if status == WebhookEvent.Status.FAILED:
                error = WebhookEvent.objects.values_list("error", flat=True).get(pk=event.pk)
                self.message_user(request, f"{event.provider_event_id}: failed again: {error}", messages.ERROR)
            outcomes[status] = outcomes.get(status, 0) + 1
        if outcomes.get(WebhookEvent.Status.PROCESSED):
            self.message_user(
                request, f"{outcomes[WebhookEvent.Status.PROCESSED]} event(s) processed.", messages.SUCCESS
            )


admin.site.register(InvoiceUserObjectPermission, UserGrantAdmin)
admin.site.register(InvoiceGroupObjectPermission, GroupGrantAdmin)
