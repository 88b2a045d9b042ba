"""Object grants (django-guardian): a support agent's access to other customers' objects.

A customer reaches their own objects as their owner (the object's
``customer_id``); grants are for everyone else. Each context names what a
support agent is granted on its objects (``SUPPORT_GRANTS`` in its
``wiring.py``; ``manage.py grant_access`` writes them). The authorization rules
decide a ``apps.platform.listing.Scope``: a list narrows to the grants with
subqueries (not a query per row), a query for one object looks the grants up
in the cache (``held_objects``), which ``grant`` and ``revoke`` invalidate.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import models
from guardian.utils import get_user_obj_perms_model

from apps.platform import caching
from apps.platform.listing import GRANTS, PAGES


def grant(user_id: UUID, model: type[models.Model], object_ids: Iterable[UUID], permissions: Iterable[str]) -> int:
    """Grant ``permissions`` on each object to the user; already held grants are kept. Returns the rows written.

    A user id that names no account gets nothing (0): grants hang off real users.
    """
    ids, permissions = list(object_ids), list(permissions)
    if not ids or not get_user_model().objects.filter(pk=user_id).exists():
        return 0
    grant_model = get_user_obj_perms_model(model)
    rows = [
        grant_model(user_id=user_id, permission_id=permission_id, content_object_id=object_id)
        for permission_id in _permission_ids(model, permissions)
        for object_id in ids
    ]
    written = len(grant_model.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000))
    _forget(user_id, model, permissions)
    return written


def revoke(user_id: UUID, model: type[models.Model], object_ids: Iterable[UUID], permissions: Iterable[str]) -> int:
    """Take ``permissions`` on the objects away from the user. Returns the grants removed."""
    permissions = list(permissions)
    grant_model = get_user_obj_perms_model(model)
    removed, _ = grant_model.objects.filter(
        user_id=user_id, content_object_id__in=list(object_ids), permission_id__in=_permission_ids(model, permissions)
    ).delete()
    _forget(user_id, model, permissions)
    return removed


def _forget(user_id: UUID, model: type[models.Model], permissions: Iterable[str]) -> None:
    """The grants changed: every process re-reads them (``apps.platform.listing.held_objects``)."""
    user = UUID(str(user_id))
    caching.invalidate(GRANTS, {(user, permission, model._meta.label): None for permission in permissions})
    caching.invalidate_all(PAGES)


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
