"""The transactional outbox: integration events written in the same transaction as the change."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class OutboxEntry(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        DEAD = "dead", "Dead"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="The event id.")
    aggregate_type = models.CharField(max_length=100)
    aggregate_id = models.UUIDField()
    aggregate_version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=100)
    event_version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)
    causation_id = models.CharField(max_length=128, blank=True)
    traceparent = models.CharField(max_length=55, blank=True)

    class Meta:
        db_table = "outbox"
        verbose_name_plural = "outbox entries"
        ordering = ["created_at", "aggregate_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["aggregate_type", "aggregate_id", "aggregate_version"], name="outbox_one_entry_per_version"
            ),
        ]
        indexes = [
            # Only pending rows are indexed, so finding work stays cheap however many are processed.
            # (Lookups by aggregate use the unique constraint's index.)
            models.Index(
                fields=["created_at", "aggregate_id"], name="outbox_pending_idx", condition=Q(status="pending")
            ),
            # The dead entries alone: counting them for /metrics (and listing them) stays cheap on a big outbox.
            models.Index(fields=["created_at"], name="outbox_dead_idx", condition=Q(status="dead")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_id} v{self.aggregate_version}"
