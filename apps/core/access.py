"""Who may see and act on what: the one place that decides the owner scope of a request.

Orders and invoices belong to a customer. A customer sees and acts on their own
only; staff see everything. Queries and commands take an ``owner``: the id whose
resources the caller may reach, or ``None`` for all. Anything outside that scope
is reported as not found (404), never as forbidden, so ids of other customers'
resources cannot be probed.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID


def owner_scope(user: Any) -> UUID | None:
    """The customer whose resources ``user`` may reach; ``None`` means all of them (staff)."""
    if user is not None and getattr(user, "is_staff", False):
        return None
    return user.id  # type: ignore[no-any-return]


def may_reach(owner: UUID | None, customer_id: UUID) -> bool:
    """Whether a caller scoped to ``owner`` may reach a resource of ``customer_id``."""
    return owner is None or owner == customer_id
