"""Webhooks tables: endpoints (the aggregate's state), the messages fanned out to them, one
delivery per message and endpoint, and every attempt made to send a delivery."""

from __future__ import annotations

from django.db import models


class DisableCause(models.TextChoices):
    REQUESTED = "requested"
    FAILING = "failing"
    GONE = "gone"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Endpoint(models.Model):
    """``webhook_endpoints``: written only by the repository of Endpoint aggregates."""

    id = models.UUIDField(primary_key=True)
    url = models.CharField(max_length=2048)
    event_types = models.JSONField(help_text="Exact event types or context wildcards (orders.*), sorted.")
    description = models.CharField(max_length=500, blank=True)
    secrets = models.JSONField(
        help_text="Signing secrets, the current one first: [{value, created_at, expires_at}]. Never shown."
    )
    enabled = models.BooleanField()
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_cause = models.CharField(max_length=16, choices=DisableCause.choices, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="The first failure of the current unbroken run of failures."
    )
    subscribed_at = models.DateTimeField()
    version = models.PositiveIntegerField(help_text="Grows by one with every event of the endpoint.")

    class Meta:
        db_table = "webhook_endpoints"
        ordering = ["-subscribed_at", "-id"]
        verbose_name = "webhook endpoint"
        # What roles grant (domain/access/catalogue.py); `manage.py sync_roles` puts them in groups.
        permissions = [("manage_webhooks", "Can subscribe, change and inspect webhook endpoints")]

    def __str__(self) -> str:
        """The URL without its query string (receivers sometimes put a token there): for the admin's log."""
        return self.url.split("?", 1)[0]


class Message(models.Model):
    """``webhook_messages``: the body of one integration event as partners receive it, stored once
    however many endpoints it goes to."""

    event_id = models.UUIDField(primary_key=True)
    event_type = models.CharField(max_length=100)
    body = models.TextField(help_text="The JSON body exactly as it is signed and sent.")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "webhook_messages"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class Delivery(models.Model):
    """``webhook_deliveries``: one message on its way to one endpoint (``domain.webhooks.delivery``)."""

    id = models.UUIDField(primary_key=True, help_text="uuid5 of endpoint and event: the webhook-id's digits.")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="deliveries", db_column="event_id")
    event_type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    attempts = models.PositiveIntegerField()
    attempts_before_round = models.PositiveIntegerField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=32, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When beat's sweep last queued it for sending: not queued again at once."
    )
    leased_until = models.DateTimeField(
        null=True, blank=True, help_text="Set while a worker sends it: the per-endpoint limit counts these."
    )

    class Meta:
        db_table = "webhook_deliveries"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_deliveries_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_deliveries_endpoint"),
            models.Index(
                fields=["endpoint", "leased_until"],
                name="webhook_deliveries_leased",
                condition=models.Q(leased_until__isnull=False),
            ),
            models.Index(fields=["created_at"], name="webhook_deliveries_created"),
        ]

    def __str__(self) -> str:
        return f"msg_{self.id.hex}"


class Attempt(models.Model):
    """``webhook_attempts``: one request sent for a delivery and what came of it, successes too."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_history", db_index=False
    )  # indexed first in webhook_attempts_delivery
    attempted_at = models.DateTimeField()
    url = models.CharField(max_length=2048, help_text="Where it was sent, without the query string.")
    request_headers = models.JSONField(help_text="The headers sent; they carry signatures, never a secret.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_body = models.TextField(
        blank=True, help_text="The start of the answer's body (WEBHOOKS_RESPONSE_BODY_BYTES)."
    )
    response_truncated = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField()
    address = models.CharField(max_length=45, blank=True, help_text="The vetted address connected to.")

    class Meta:
        db_table = "webhook_attempts"
        ordering = ["delivery_id", "attempted_at", "id"]
        indexes = [models.Index(fields=["delivery", "attempted_at"], name="webhook_attempts_delivery")]

    def __str__(self) -> str:
        return f"attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S} of msg_{self.delivery_id.hex}"
