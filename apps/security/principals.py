"""The caller behind a bearer token, with what their roles allow, resolved once per change of their access.

Django resolves a user's permissions with two queries on every request
(``ModelBackend``), after a third that loads the user. Here the account's
public fields and its permission set are one cached ``Access`` (policy
``ACCESS``), loaded with two queries when missing and forgotten whenever the
account, its roles or a role's permissions change:

- a command that changes the account (the users repository calls ``forget_access``);
- a direct change of the account or its groups (``post_save``, ``m2m_changed``), as
  Django's admin and ``createsuperuser`` make;
- a change of a role's permissions (``sync_roles``, the admin's group page) forgets everyone's.

Object grants (``apps.platform.listing.held_objects``) and list pages are forgotten
when a grant row is written or deleted, and when a user joins or leaves a group
(a group's grants reach its members).

A read (GET, HEAD, OPTIONS) authenticates against the cached access: a
deactivated user or a removed role is refused as soon as the invalidation
reaches the process, and at the latest after ``ACCESS.ttl`` seconds. A write
always reads the account from the database, so it is refused at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models.signals import m2m_changed, post_delete, post_save
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.platform import caching
from apps.platform.caching import CachePolicy, cached_query
from apps.platform.listing import GRANTS, PAGES

#: Not switchable: with the read cache off, permissions are still resolved once per change.
ACCESS = CachePolicy("access", ttl=60, switchable=False)

#: The account fields a request may read; the rest (the password hash first) stays deferred.
FIELDS = frozenset({"id", "email", "display_name", "is_active", "is_staff", "is_superuser"})


def _loaded_fields() -> list[str]:
    """``FIELDS`` in the model's column order, the order ``Model.from_db`` takes values in."""
    return [field.attname for field in get_user_model()._meta.concrete_fields if field.attname in FIELDS]


@dataclass(frozen=True)
class Access:
    """One account's public fields (``FIELDS``, in column order) and every permission its roles give it."""

    values: tuple[Any, ...]
    permissions: frozenset[str]

    def user(self) -> Any:
        """A user instance for this request, as loaded from the database, with its permissions resolved."""
        user = get_user_model().from_db(DEFAULT_DB_ALIAS, _loaded_fields(), self.values)
        user._perm_cache = set(self.permissions)  # what ModelBackend.get_all_permissions would compute
        return user


def load_access(user_id: UUID) -> Access | None:
    """The account and its permissions, from the database (two queries); None for no such account."""
    values = get_user_model()._default_manager.filter(pk=user_id).values_list(*_loaded_fields()).first()
    if values is None:
        return None
    rows = (
        Permission.objects.filter(models.Q(user__pk=user_id) | models.Q(group__user__pk=user_id))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return Access(tuple(values), frozenset(f"{app_label}.{codename}" for app_label, codename in rows))


@cached_query(ACCESS)
def cached_access(user_id: UUID) -> Access | None:
    return load_access(user_id)


def forget_access(*user_ids: UUID) -> None:
    """The access of these accounts changed: every process re-reads it."""
    caching.invalidate(ACCESS, dict.fromkeys(user_ids))


def _account_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_access(instance.pk)


def _groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        forget_access(instance.pk)
    elif pk_set:
        forget_access(*pk_set)
    else:  # a group cleared of its members: who they were is gone already
        caching.invalidate_all(ACCESS)
    if sender is get_user_model().groups.through:  # a group's object grants reach its members
        _grants_changed()


def _grants_changed(**kwargs: Any) -> None:
    """An object grant given or taken (a user's or a group's): every process re-reads grants and list pages."""
    caching.invalidate_all(GRANTS)
    caching.invalidate_all(PAGES)


def _grant_row_changed(sender: Any, **kwargs: Any) -> None:
    if issubclass(sender, UserObjectPermissionBase | GroupObjectPermissionBase):
        _grants_changed()


def _role_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        caching.invalidate_all(ACCESS)


def connect_signals() -> None:
    user_model = get_user_model()
    post_save.connect(_account_saved, sender=user_model, dispatch_uid="access_account_saved")
    post_delete.connect(_account_saved, sender=user_model, dispatch_uid="access_account_deleted")
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through, dispatch_uid="access_groups")
    m2m_changed.connect(_groups_changed, sender=user_model.user_permissions.through, dispatch_uid="access_perms")
    m2m_changed.connect(_role_changed, sender=Group.permissions.through, dispatch_uid="access_role_permissions")
    post_delete.connect(
        lambda **kwargs: caching.invalidate_all(ACCESS), sender=Group, weak=False, dispatch_uid="access_role_deleted"
    )
    # Grant rows written by the admin or django-guardian's own helpers (``apps.security.access`` forgets its
    # own): every model's saves reach these receivers, which look at the sender's type only.
    post_save.connect(_grant_row_changed, dispatch_uid="access_grant_saved")
    post_delete.connect(_grant_row_changed, dispatch_uid="access_grant_deleted")
