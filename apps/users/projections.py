"""The ``users_read`` projection: applies the users events to the read model, in version order.

Each event is applied exactly when it is the next version of its user: an
older or repeated one is ignored (duplicates, redeliveries), a newer one with a
gap before it is sent back (``RetryLater``) until the missing event arrives. So
any delivery order, with any duplicates, ends in the state of the full history.

``project_batch`` applies many events with one locking read and one write (new
and changed rows together), which is what lets one consumer keep up with the outbox;
``project`` is the same rule for a single event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from apps.messaging.consumers import RetryLater
from apps.platform import caching
from apps.platform.responses import RENDERS
from apps.platform.upserts import upsert
from apps.users.models import UserReadModel
from apps.users.queries import USERS

BINDING_KEYS = ("users.#",)
UPDATED_FIELDS = ("display_name", "is_active", "last_login_at", "version")


def project(envelope: Mapping[str, Any]) -> None:
    waiting = project_batch([envelope])
    if waiting:
        raise RetryLater(waiting[0])


def project_batch(envelopes: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Apply what can be applied; return the positions that must wait, with the reason."""
    ids = {str(envelope["aggregate_id"]) for envelope in envelopes}
    rows = {str(row.id): row for row in UserReadModel.objects.select_for_update().filter(pk__in=ids)}
    created: dict[str, UserReadModel] = {}
    changed: set[str] = set()
    waiting: dict[int, str] = {}
    in_version_order = sorted(
        range(len(envelopes)),
        key=lambda i: (str(envelopes[i]["aggregate_id"]), int(envelopes[i]["aggregate_version"])),
    )
    for position in in_version_order:
        envelope = envelopes[position]
        user_id = str(envelope["aggregate_id"])
        version = int(envelope["aggregate_version"])
        row = rows.get(user_id)
        current = row.version if row else 0
        if version <= current:
            continue
        if version != current + 1:
            waiting[position] = f"users_read {user_id} is at version {current}; event {version} must wait"
            continue
        if row is None:
            if envelope["event_type"] != "users.user_registered":
                waiting[position] = f"users_read has no row for {user_id} yet"
                continue
            rows[user_id] = created[user_id] = _registered(envelope)
            continue
        _apply(row, envelope)
        if user_id not in created:
            changed.add(user_id)
    upsert(UserReadModel, [rows[user_id] for user_id in (*created, *changed)], UPDATED_FIELDS)
    caching.invalidate(USERS, {user_id: rows[user_id].version for user_id in changed | set(created)})
    return waiting


def rows_of(history: Iterable[Mapping[str, Any]]) -> list[UserReadModel]:
    """The rows a complete history leaves in an empty ``users_read``, computed in memory (no database).

    The same rules as ``project_batch``, for loading data in bulk: an event that would
    have to wait is a ValueError here.
    """
    rows: dict[str, UserReadModel] = {}
    for envelope in history:
        user_id = str(envelope["aggregate_id"])
        version = int(envelope["aggregate_version"])
        row = rows.get(user_id)
        current = row.version if row else 0
        if version <= current:
            continue
        if version != current + 1:
            raise ValueError(f"users_read {user_id} is at version {current}; event {version} must wait")
        if row is None:
            if envelope["event_type"] != "users.user_registered":
                raise ValueError(f"users_read has no row for {user_id} yet")
            rows[user_id] = _registered(envelope)
        else:
            _apply(row, envelope)
    return list(rows.values())


def _registered(envelope: Mapping[str, Any]) -> UserReadModel:
    payload = envelope["payload"]
    return UserReadModel(
        id=envelope["aggregate_id"],
        email=payload["email"],
        display_name=payload["display_name"],
        is_active=True,
        created_at=datetime.fromisoformat(envelope["occurred_at"]),
        version=int(envelope["aggregate_version"]),
    )


def _apply(row: UserReadModel, envelope: Mapping[str, Any]) -> None:
    match envelope["event_type"]:
        case "users.user_profile_updated":
            row.display_name = envelope["payload"]["display_name"]
        case "users.user_deactivated":
            row.is_active = False
        case "users.user_logged_in":
            row.last_login_at = datetime.fromisoformat(envelope["occurred_at"])
    row.version = int(envelope["aggregate_version"])  # events this projection does not show still move it on


def reset() -> None:
    UserReadModel.objects.all().delete()
    caching.invalidate_all(USERS)
    caching.invalidate_all(RENDERS)  # the same revisions come back: their rendered bodies must not
