"""Back-office for orders, on the ``orders_read`` read model.

Nothing here edits an order: cancelling and shipping are actions that dispatch
``CancelOrder`` / ``ShipOrder`` through the command bus, exactly as the API does,
so the rules, the events and the audit are the same whoever acts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from apps.orders.models import OrderGroupObjectPermission, OrderReadModel, OrderUserObjectPermission
from apps.platform.admin import ReadOnlyAdmin, dispatch_each
from apps.security.admin import GroupGrantAdmin, UserGrantAdmin
from domain.kernel.messages import Command
from domain.kernel.money import Money
from domain.orders.commands import CancelOrder, ShipOrder

LINE_FIELDS = ("sku", "quantity", "unit_price", "line_total")
PAYMENT_FIELDS = ("at", "status", "amount", "currency", "payment_id", "provider_payment_id", "reason")


@admin.register(OrderReadModel)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "customer_email", "status", "total_amount", "currency", "invoice_status", "placed_at")
    list_filter = ("status", "invoice_status", "currency", ("placed_at", admin.DateFieldListFilter))
    search_fields = ("=id", "customer_email")
    ordering = ("-created_at", "-id")
    date_hierarchy = "placed_at"
    actions = ["cancel_orders", "ship_orders"]
    fieldsets = (
        (None, {"fields": ("id", "customer_id", "customer_email", "status", "currency", "total_amount", "item_count")}),
        ("Lines", {"fields": ("lines_table",)}),
        ("Invoice", {"fields": ("invoice_id", "invoice_status", "payments_table")}),
        ("Dates", {"fields": ("placed_at", "paid_at", "shipped_at", "cancelled_at", "refunded_at")}),
        ("Projection", {"fields": ("version", "invoice_version")}),
    )
    readonly_fields = tuple(field for _, section in fieldsets for field in section["fields"])  # everything shown

    @admin.display(description="Total", ordering="total")
    def total_amount(self, obj: OrderReadModel) -> str:
        """The total with the currency's decimal places (the column keeps four for every currency)."""
        return str(Money(obj.total, obj.currency).amount)

    @admin.display(description="Lines")
    def lines_table(self, obj: OrderReadModel) -> str:
        return _table(LINE_FIELDS, obj.lines)

    @admin.display(description="Payment history")
    def payments_table(self, obj: OrderReadModel) -> str:
        return _table(PAYMENT_FIELDS, obj.payments) if obj.payments else "No payment yet."

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """The roles that may see every order (``orders.view_all_orders``: billing_admin, admin) see this screen."""
        return super().has_view_permission(request, obj) or request.user.has_perm("orders.view_all_orders")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        """Offered to the roles the bus lets cancel any order."""
        return bool(self.has_view_permission(request) and request.user.has_perm("orders.cancel_any_order"))

    def has_ship_permission(self, request: HttpRequest) -> bool:
        return bool(self.has_view_permission(request) and request.user.has_perm("orders.ship_order"))

    @admin.action(description="Cancel selected orders", permissions=["cancel"])
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[OrderReadModel]) -> None:
        self._for_each(request, queryset, partial(CancelOrder, requested_by=request.user.pk), "cancelled")

    @admin.action(description="Ship selected orders", permissions=["ship"])
    def ship_orders(self, request: HttpRequest, queryset: QuerySet[OrderReadModel]) -> None:
        self._for_each(request, queryset, partial(ShipOrder, shipped_by=request.user.pk), "shipped")

    def _for_each(
        self, request: HttpRequest, queryset: QuerySet[OrderReadModel], command: Callable[..., Command], verb: str
    ) -> None:
        """``command(order_id=...)`` for every selected order, through the command bus."""
        dispatch_each(
            self,
            request,
            queryset.values_list("id", flat=True),
            lambda order_id: command(order_id=order_id),
            label=lambda order_id: f"Order {order_id}",
            done=f"{{}} order(s) {verb}.",
        )


def _table(fields: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    header = format_html_join("", "<th>{}</th>", ((field.replace("_", " "),) for field in fields))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((row.get(field, ""),) for field in fields)),) for row in rows),
    )
    return format_html_join("", "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", [(header, body)])


admin.site.register(OrderUserObjectPermission, UserGrantAdmin)
admin.site.register(OrderGroupObjectPermission, GroupGrantAdmin)
