"""Object grants on orders and invoices (django-guardian): who holds which permission on which object.

A customer is granted their order when it is placed and their invoice when it
is issued (``OWNER_GRANTS``, written in the same transaction); a support agent
can be granted one customer's orders and invoices (``manage.py grant_access``).
The bus's authorization middleware reads the grants: ``holds`` for one object,
``Scope`` to filter a list in the database (subqueries, not a query per row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import models
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from apps.billing.models import Invoice
from apps.orders.models import Order

#: What the customer of an order or invoice holds on it from the moment it exists.
OWNER_GRANTS: dict[type[models.Model], tuple[str, ...]] = {
    Order: ("orders.view_order", "orders.change_order"),  # see it; act on it as its owner (cancel)
    Invoice: ("billing.view_invoice",),
}
#: What ``grant_access`` gives a support agent on a customer's orders and invoices: reading only.
SUPPORT_GRANTS: dict[type[models.Model], tuple[str, ...]] = {
    Order: ("orders.view_order",),
    Invoice: ("billing.view_invoice",),
}


def granted(user_id: UUID, permission: str, model: type[models.Model]) -> models.Q:
    """A filter on ``model``'s key (or a read model keyed alike): the objects ``user_id`` holds ``permission`` on.

    Grants to the user and to any of their groups count, both as subqueries on
    guardian's tables, so a list is still one SQL query. Only object grants
    count: global permissions (``view_all_orders``) are the authorization
    rules' business, and a superuser gets no blanket pass here.
    """
    app_label, _, codename = permission.partition(".")
    which = {"permission__content_type__app_label": app_label, "permission__codename": codename}
    to_user = get_user_obj_perms_model(model).objects.filter(user_id=user_id, **which)
    to_groups = get_group_obj_perms_model(model).objects.filter(group__user__id=user_id, **which)
    return models.Q(pk__in=to_user.values("content_object_id")) | models.Q(pk__in=to_groups.values("content_object_id"))


def holds(user_id: UUID, permission: str, model: type[models.Model], pk: UUID, *, owned_by: UUID | None = None) -> bool:
    """Whether the user holds ``permission`` on the ``model`` object ``pk`` (False when there is no such object);
    with ``owned_by``, only if that customer's too."""
    objects = model._default_manager.filter(granted(user_id, permission, model), pk=pk)
    if owned_by is not None:
        objects = objects.filter(customer_id=owned_by)
    return objects.exists()


def grant(user_id: UUID, model: type[models.Model], object_ids: Iterable[UUID], permissions: Iterable[str]) -> int:
    """Grant ``permissions`` on each object to the user; already held grants are kept. Returns the rows written.

    A user id that names no account gets nothing (0): grants hang off real users.
    """
    ids = list(object_ids)
    if not ids or not get_user_model().objects.filter(pk=user_id).exists():
        return 0
    grant_model = get_user_obj_perms_model(model)
    rows = [
        grant_model(user_id=user_id, permission_id=permission_id, content_object_id=object_id)
        for permission_id in _permission_ids(model, permissions)
        for object_id in ids
    ]
    return len(grant_model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000))


def revoke(user_id: UUID, model: type[models.Model], object_ids: Iterable[UUID], permissions: Iterable[str]) -> int:
    """Take ``permissions`` on the objects away from the user. Returns the grants removed."""
    grant_model = get_user_obj_perms_model(model)
    removed, _ = grant_model.objects.filter(
        user_id=user_id, content_object_id__in=list(object_ids), permission_id__in=_permission_ids(model, permissions)
    ).delete()
    return removed


def grant_owner(model: type[models.Model], value: Any) -> None:
    """The owner's grants on a just-created ``model`` object (``value`` has its ``id`` and ``customer_id``)."""
    grant(value.customer_id, model, [value.id], OWNER_GRANTS[model])


@dataclass(frozen=True)
class Scope:
    """The objects a list query may answer with: every one, or those ``user_id`` holds ``permission`` on
    (with ``owned_by``: only that customer's among them).

    ``model`` (``"orders.Order"``) is the model the grants are on. Plain values
    only, so a query stays comparable and serializable. The default scope is
    empty: a list query that never went through the authorization middleware
    shows nothing rather than everything.
    """

    everything: bool = False
    user_id: UUID | None = None
    permission: str = ""
    model: str = ""
    owned_by: UUID | None = None

    @classmethod
    def all(cls) -> Scope:
        return cls(everything=True)

    @classmethod
    def granted_to(
        cls, user_id: UUID, permission: str, model: type[models.Model], *, owned_by: UUID | None = None
    ) -> Scope:
        return cls(user_id=user_id, permission=permission, model=model._meta.label, owned_by=owned_by)

    def restrict(self, rows: models.QuerySet[Any]) -> models.QuerySet[Any]:
        """``rows`` (a read model keyed like ``model``) narrowed to this scope, in the same SQL query."""
        if self.everything:
            return rows
        if self.user_id is None or not self.model:
            return rows.none()
        rows = rows.filter(granted(self.user_id, self.permission, django_apps.get_model(self.model)))
        return rows if self.owned_by is None else rows.filter(customer_id=self.owned_by)


NOTHING = Scope()


def _permission_ids(model: type[models.Model], permissions: Iterable[str]) -> list[int]:
    app_label = model._meta.app_label
    codenames = []
    for permission in permissions:
        label, _, codename = permission.partition(".")
        if label != app_label:
            raise ValueError(f"{permission} is not a permission of {app_label}")
        codenames.append(codename)
    rows = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    found = dict(rows.values_list("codename", "id"))
    missing = sorted(set(codenames) - set(found))
    if missing:
        raise LookupError(f"no permission {', '.join(missing)} in {app_label}; run `manage.py migrate` first")
    return [found[codename] for codename in codenames]
