"""Billing tables: invoices and payments (the aggregate's state), ``invoices_read`` (the read side)
and ``webhook_events`` (the inbound inbox of the payment provider's webhooks)."""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

# Wide enough for any Money: 18 digits before the point, 4 after (the largest ISO 4217 minor unit).
AMOUNT = {"max_digits": 22, "decimal_places": 4}


class InvoiceStatus(models.TextChoices):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    REFUNDED = "refunded"


class PaymentStatus(models.TextChoices):
    CAPTURED = "captured"
    FAILED = "failed"
    REJECTED = "rejected"


class Invoice(models.Model):
    """``invoices``: one per order, written only by the repository of Invoice aggregates."""

    id = models.UUIDField(primary_key=True)
    order_id = models.UUIDField(unique=True)
    customer_id = models.UUIDField(db_index=True)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices)
    issued_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=500, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_reason = models.CharField(max_length=500, blank=True)
    provider_refund_id = models.CharField(max_length=255, blank=True)
    version = models.PositiveIntegerField(help_text="Grows by one with every event of the invoice.")

    class Meta:
        db_table = "invoices"
        ordering = ["issued_at"]
        # What roles grant (domain/access/catalogue.py); `manage.py sync_roles` puts them in groups.
        permissions = [
            ("view_own_invoices", "Can see own invoices"),
            ("view_granted_invoices", "Can see the invoices of customers granted to them"),
            ("view_all_invoices", "Can see every invoice"),
            ("refund_invoice", "Can refund invoices"),
        ]

    def __str__(self) -> str:
        return f"invoice {self.id}"


class Payment(models.Model):
    """``payments``: every payment reported for an invoice, in the order it was recorded."""

    id = models.UUIDField(primary_key=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    position = models.PositiveIntegerField(help_text="Order of recording within the invoice, from 1.")
    provider_payment_id = models.CharField(max_length=255, db_index=True)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "payments"
        ordering = ["invoice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="payments_position_unique")]

    def __str__(self) -> str:
        return f"payment {self.provider_payment_id} ({self.status})"


class InvoiceReadModel(models.Model):
    """``invoices_read``: the billing read side, projected from the billing events (never written by commands)."""

    id = models.UUIDField(primary_key=True)
    order_id = models.UUIDField(db_index=True)
    customer_id = models.UUIDField()
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    payments = models.JSONField(default=list, help_text="Every payment reported, oldest first.")
    issued_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(help_text="The aggregate version of the last event applied.")

    class Meta:
        db_table = "invoices_read"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer_id", "-created_at", "-id"], name="invoices_read_customer_idx"),
            models.Index(fields=["-created_at", "-id"], name="invoices_read_created_idx"),
        ]
        verbose_name = "invoice"

    def __str__(self) -> str:
        return f"invoice {self.id}"


class WebhookEvent(models.Model):
    """``webhook_events``: each provider event as received, stored before it is acted on."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        IGNORED = "ignored"
        FAILED = "failed"

    id = models.BigAutoField(primary_key=True)
    provider_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=255)
    payload = models.TextField(help_text="The request body exactly as signed by the provider.")
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "webhook_events"
        ordering = ["received_at", "id"]
        indexes = [models.Index(fields=["status", "received_at"], name="webhook_events_status_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.provider_event_id}"


# Object grants on invoices (django-guardian), for support agents' access to other customers' invoices
# (``manage.py grant_access``). Direct foreign keys, rather than guardian's generic text ``object_pk``, let a
# list join the grants on the real key type with an index; guardian finds these tables by ``content_object``.


class InvoiceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "invoice_user_grants"
        verbose_name = "invoice grant to a user"


class InvoiceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "invoice_group_grants"
        verbose_name = "invoice grant to a group"
