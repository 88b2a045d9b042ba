"""Orders tables: the write model (``orders``, ``order_lines``) and the read model (``orders_read``).

Amount columns hold up to 18 significant digits with 4 decimal places, enough for
every ISO 4217 minor unit; the domain quantises them to the order's currency.
"""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

STATUS_CHOICES = [
    ("pending_payment", "Pending payment"),
    ("paid", "Paid"),
    ("shipped", "Shipped"),
    ("cancelled", "Cancelled"),
    ("refunded", "Refunded"),
]
AMOUNT = {"max_digits": 22, "decimal_places": 4}


class Order(models.Model):
    """The Order aggregate's row; written only by the repository."""

    id = models.UUIDField(primary_key=True)
    customer_id = models.UUIDField(db_index=True)
    customer_email = models.EmailField(max_length=254)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    currency = models.CharField(max_length=3)
    cancellation_reason = models.CharField(max_length=500, blank=True, default="")
    invoice_id = models.UUIDField(null=True, blank=True)
    placed_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(help_text="Grows by one with every event of the order.")

    class Meta:
        db_table = "orders"
        ordering = ["placed_at"]
        # What roles grant (domain/access/catalogue.py); `manage.py sync_roles` puts them in groups.
        permissions = [
            ("place_order", "Can place orders"),
            ("view_own_orders", "Can see own orders"),
            ("cancel_own_order", "Can cancel own orders"),
            ("view_granted_orders", "Can see the orders of customers granted to them"),
            ("view_all_orders", "Can see every order"),
            ("ship_order", "Can ship orders"),
            ("cancel_any_order", "Can cancel any order"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class OrderLine(models.Model):
    """One line of an order, in the order's currency; lines never change after placement."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**AMOUNT)

    class Meta:
        db_table = "order_lines"
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_lines_unique_position"),
            models.UniqueConstraint(fields=["order", "sku"], name="order_lines_unique_sku"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity}"


class OrderReadModel(models.Model):
    """``orders_read``: the orders read side, projected from the orders and billing events.

    ``version`` is the order's aggregate version of the last orders event applied;
    ``invoice_version`` the invoice's aggregate version of the last billing event applied.
    """

    id = models.UUIDField(primary_key=True)
    customer_id = models.UUIDField()
    customer_email = models.EmailField(max_length=254)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(**AMOUNT)
    item_count = models.PositiveIntegerField()
    lines = models.JSONField(help_text="[{sku, quantity, unit_price, line_total}], amounts as decimal strings.")
    invoice_id = models.UUIDField(null=True, blank=True)
    invoice_status = models.CharField(max_length=20, blank=True, default="")
    payments = models.JSONField(
        default=list,
        help_text="[{payment_id, provider_payment_id, amount, currency, status, reason, at}], oldest first.",
    )
    placed_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(help_text="The order's aggregate version of the last orders event applied.")
    invoice_version = models.PositiveIntegerField(
        default=0, help_text="The invoice's aggregate version of the last billing event applied."
    )

    class Meta:
        db_table = "orders_read"
        ordering = ["-created_at", "-id"]
        verbose_name = "order"
        indexes = [
            # A customer's list, newest first (the default), optionally by status; staff lists the same way.
            models.Index(fields=["customer_id", "-created_at", "-id"], name="orders_read_customer_created"),
            models.Index(fields=["customer_id", "status", "-created_at"], name="orders_read_customer_status"),
            models.Index(fields=["-created_at", "-id"], name="orders_read_created"),
            models.Index(fields=["status", "-created_at"], name="orders_read_status_created"),
            models.Index(fields=["customer_id", "total", "id"], name="orders_read_customer_total"),
            models.Index(fields=["total", "id"], name="orders_read_total"),
            models.Index(fields=["customer_email"], name="orders_read_customer_email"),
        ]

    def __str__(self) -> str:
        return str(self.id)


# Object grants on orders (django-guardian), for support agents' access to other customers' orders
# (``manage.py grant_access``). Direct foreign keys, rather than guardian's generic text ``object_pk``, let a
# list join the grants on the real key type with an index; guardian finds these tables by ``content_object``.


class OrderUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "order_user_grants"
        verbose_name = "order grant to a user"


class OrderGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "order_group_grants"
        verbose_name = "order grant to a group"
