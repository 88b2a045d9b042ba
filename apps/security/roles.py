"""The role catalogue as those who grant roles see it: the catalogue's roles that ``sync_roles`` has made groups of."""

from __future__ import annotations

from django.contrib.auth.models import Group

from domain.access.catalogue import ROLES
from domain.access.roles import RoleGraph


class SyncedRoles:
    """The roles that can be granted now: defined in the catalogue and present as a group with the role's
    permissions (a role missing its group would grant nothing until ``manage.py sync_roles`` runs)."""

    def __init__(self, roles: RoleGraph = ROLES) -> None:
        self._roles = roles

    def assignable(self) -> frozenset[str]:
        return frozenset(Group.objects.filter(name__in=self._roles.names).values_list("name", flat=True))
