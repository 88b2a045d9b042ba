"""The list queries of the read side: the rows the caller may see, filtered by status and time, in a chosen order.

Every context lists its read rows the same way; each names its read model,
its statuses, its orderings and the columns it returns. Which rows the caller
may see is a ``Scope``, decided by the authorization middleware and handed to
the handler as an argument (``scoped``), never written into the query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from django.apps import apps as django_apps
from django.db import models
from django.db.models import QuerySet
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from apps.observability.context import ContextValue
from apps.platform.caching import CachePolicy, cached_query
from domain.kernel.errors import ValidationError
from domain.kernel.result import Err, Ok, Result


def granted(user_id: UUID, permission: str, model: type[models.Model]) -> models.Q:
    """A filter on ``model``'s key (or a read model keyed alike): the objects ``user_id`` holds ``permission`` on.

    Grants to the user and to any of their groups count, both as subqueries on
    django-guardian's tables, so a list is still one SQL query. Only object
    grants count: a superuser gets no blanket pass here.
    """
    app_label, _, codename = permission.partition(".")
    which = {"permission__content_type__app_label": app_label, "permission__codename": codename}
    to_user = get_user_obj_perms_model(model).objects.filter(user_id=user_id, **which)
    to_groups = get_group_obj_perms_model(model).objects.filter(group__user__id=user_id, **which)
    return models.Q(pk__in=to_user.values("content_object_id")) | models.Q(pk__in=to_groups.values("content_object_id"))


#: Not switchable: a grant check is an authorization decision, cached like the caller's permissions.
GRANTS = CachePolicy("grants", ttl=60, switchable=False)
#: Rendered list pages, in this process only (``apps.platform.responses.respond_page``): a change of any
#: listed row, or of any grant, forgets them all.
PAGES = CachePolicy("pages", ttl=30, shared=False)


@cached_query(GRANTS)
def held_objects(user_id: UUID, permission: str, model: str) -> frozenset[UUID]:
    """The keys of the ``model`` (``"app_label.Model"``) objects ``user_id`` holds ``permission`` on, one query.

    Forgotten when a grant changes (``apps.security.access``), so a revoked grant stops counting at once.
    """
    grants_on = django_apps.get_model(model)
    return frozenset(
        grants_on._default_manager.filter(granted(user_id, permission, grants_on)).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Scope:
    """The rows a list query may answer with: every one, or the caller's own (``owner``, the rows'
    ``customer_id``) together with those ``user_id`` holds the object grant ``permission`` on.

    ``model`` (``"app_label.Model"``) is the model the grants are on. Plain values
    only, so a scope stays comparable. The default scope is empty: a list
    handler called without a decision shows nothing rather than everything.
    """

    everything: bool = False
    owner: UUID | None = None
    user_id: UUID | None = None
    permission: str = ""
    model: str = ""

    @classmethod
    def all(cls) -> Scope:
        return cls(everything=True)

    @classmethod
    def owned_by(cls, owner: UUID) -> Scope:
        return cls(owner=owner)

    @classmethod
    def granted_to(
        cls, user_id: UUID, permission: str, model: type[models.Model], *, owner: UUID | None = None
    ) -> Scope:
        return cls(owner=owner, user_id=user_id, permission=permission, model=model._meta.label)

    def admits(self, pk: UUID, owner: UUID) -> bool:
        """Whether the object ``pk`` of the customer ``owner`` is in this scope (grants from the cache)."""
        if self.everything or (self.owner is not None and owner == self.owner):
            return True
        return (
            self.user_id is not None
            and bool(self.model)
            and pk in held_objects(self.user_id, self.permission, self.model)
        )

    def restrict(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """``rows`` (a read model keyed like ``model``, with a ``customer_id``) narrowed to this scope, in one query."""
        if self.everything:
            return rows
        visible = models.Q(pk__in=[])
        if self.owner is not None:
            visible |= models.Q(customer_id=self.owner)
        if self.user_id is not None and self.model:
            visible |= granted(self.user_id, self.permission, django_apps.get_model(self.model))
        return rows.filter(visible)


NOTHING = Scope()

_scope = ContextValue("list_scope", default=NOTHING)


def within(scope: Scope) -> AbstractContextManager[Scope]:
    """The scope of the list query dispatched inside the block (the authorization middleware sets it)."""
    return _scope.set_to(scope)


def scoped(handler: Callable[..., Result[Any, Exception]]) -> Callable[[Any], Result[Any, Exception]]:
    """Bind a list handler ``handler(query, *, scope)`` to the scope decided for the current dispatch."""
    return lambda query: handler(query, scope=_scope.get())


class ListQuery(Protocol):
    status: str | None
    created_from: datetime | None
    created_to: datetime | None
    ordering: str


def list_rows(
    rows: QuerySet[Any],
    query: ListQuery,
    *,
    scope: Scope,
    statuses: Sequence[str],
    orderings: Mapping[str, tuple[str, ...]],
    columns: Sequence[str],
) -> Result[QuerySet[Any, dict[str, Any]], ValidationError]:
    """``rows`` in ``scope``, filtered, ordered, as ``values()``.

    ``created_from`` and ``created_to`` both include their moment. Err: ``ValidationError``
    naming ``status`` or ``ordering`` when the value is unknown, or ``created_to`` when the
    range ends before it starts.
    """
    if query.status is not None and query.status not in statuses:
        return Err(ValidationError.for_field("status", f"Choose one of {', '.join(statuses)}."))
    if query.ordering not in orderings:
        return Err(ValidationError.for_field("ordering", f"Choose one of {', '.join(orderings)}."))
    if query.created_from and query.created_to and query.created_to < query.created_from:
        return Err(ValidationError.for_field("created_to", "The range ends before it starts."))
    rows = scope.restrict(rows)
    if query.status is not None:
        rows = rows.filter(status=query.status)
    if query.created_from is not None:
        rows = rows.filter(created_at__gte=query.created_from)
    if query.created_to is not None:
        rows = rows.filter(created_at__lte=query.created_to)
    return Ok(rows.order_by(*orderings[query.ordering]).values(*columns))
