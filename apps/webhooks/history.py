"""The delivery history's retention: finished deliveries older than a moment go, with their attempts
and the messages no delivery needs any more. Pending deliveries stay, however old."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from apps.webhooks.models import Attempt, Delivery, DeliveryStatus, Message

#: Deliveries deleted per transaction, so a large purge never holds long locks.
BATCH = 1000


def purge(*, before: datetime) -> int:
    """Delete the finished deliveries created before ``before``; answer how many."""
    deleted = 0
    finished = Delivery.objects.filter(created_at__lt=before).exclude(status=DeliveryStatus.PENDING)
    while True:
        with transaction.atomic():
            # Locked as they are chosen (PostgreSQL): a redelivery of one of them waits for the purge,
            # then finds it gone, rather than the purge deleting a delivery made pending meanwhile.
            ids = list(
                finished.select_for_update(skip_locked=True).order_by("created_at").values_list("id", flat=True)[:BATCH]
            )
            if not ids:
                break
            Attempt.objects.filter(delivery_id__in=ids).delete()
            Delivery.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
    Message.objects.filter(created_at__lt=before, deliveries__isnull=True).delete()
    return deleted
