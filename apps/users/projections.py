"""The ``users_read`` projection: applies the users events to the read model, in version order.

Each event is applied exactly when it is the next version of its user: an
older or repeated one is ignored (duplicates, redeliveries), a newer one with a
gap before it is sent back (``RetryLater``) until the missing event arrives. So
any delivery order, with any duplicates, ends in the state of the full history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from apps.messaging.consumers import RetryLater
from apps.users.models import UserReadModel

BINDING_KEYS = ("users.#",)


def project(envelope: Mapping[str, Any]) -> None:
    user_id = envelope["aggregate_id"]
    version = int(envelope["aggregate_version"])
    payload = envelope["payload"]
    occurred_at = datetime.fromisoformat(envelope["occurred_at"])
    row = UserReadModel.objects.select_for_update().filter(pk=user_id).first()
    current = row.version if row else 0
    if version <= current:
        return
    if version != current + 1:
        raise RetryLater(f"users_read {user_id} is at version {current}; event {version} must wait")

    if row is None:
        if envelope["event_type"] != "users.user_registered":
            raise RetryLater(f"users_read has no row for {user_id} yet")
        UserReadModel.objects.create(
            id=user_id,
            email=payload["email"],
            display_name=payload["display_name"],
            is_active=True,
            created_at=occurred_at,
            version=version,
        )
        return

    match envelope["event_type"]:
        case "users.user_profile_updated":
            row.display_name = payload["display_name"]
        case "users.user_deactivated":
            row.is_active = False
        case "users.user_logged_in":
            row.last_login_at = occurred_at
    row.version = version  # events this projection does not show still move the version on
    row.save()


def reset() -> None:
    UserReadModel.objects.all().delete()
