"""What consumers remember: the events each has handled (inbox) and the ones that keep failing."""

from __future__ import annotations

import uuid

from django.db import models


class InboxEntry(models.Model):
    """One row per (consumer, event): a redelivered event finds its row and has no second effect."""

    consumer = models.CharField(max_length=100)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "inbox"
        verbose_name_plural = "inbox entries"
        constraints = [models.UniqueConstraint(fields=["consumer", "event_id"], name="inbox_once_per_consumer")]

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event_type} {self.event_id}"


class DeliveryFailure(models.Model):
    """An event a consumer failed to handle: retrying, dead (a dead letter) or requeued by an operator."""

    class Status(models.TextChoices):
        RETRYING = "retrying", "Retrying"
        DEAD = "dead", "Dead"
        REQUEUED = "requeued", "Requeued"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consumer = models.CharField(max_length=100)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100, blank=True)
    envelope = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RETRYING)
    first_failed_at = models.DateTimeField(auto_now_add=True)
    last_failed_at = models.DateTimeField(auto_now=True)
    requeued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "delivery_failures"
        ordering = ["-last_failed_at"]
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="delivery_failure_once_per_consumer")
        ]
        indexes = [models.Index(fields=["status", "consumer"], name="delivery_failure_status_idx")]

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event_type} {self.event_id} ({self.status})"
