"""One Django group per role, holding the role's permissions, inherited ones included.

The roles and their inheritance are the domain's (``domain/access/catalogue.py``);
Django groups do not inherit, so each group gets its role's resolved set. Run it
after ``migrate`` (which creates the permissions); it is safe to run again and
puts every group back to what its role says.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import CommandError
from django.db import transaction

from apps.platform.commands import OrderflowCommand
from domain.access.catalogue import ROLES
from domain.access.roles import RoleGraph


class Command(OrderflowCommand):
    help = "Create or update one group per role of the catalogue (domain.access), with its resolved permissions."

    roles: RoleGraph = ROLES

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = {name: self.roles.permissions_of(name) for name in self.roles.names}
        everything = {permission for permissions in wanted.values() for permission in permissions}
        found = {
            f"{app_label}.{codename}": pk
            for pk, app_label, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
            if f"{app_label}.{codename}" in everything
        }
        missing = sorted(everything - set(found))
        if missing:
            raise CommandError(f"no permission {', '.join(missing)}; run `manage.py migrate` first")
        with transaction.atomic():
            for name, permissions in wanted.items():
                group, created = Group.objects.get_or_create(name=name)
                group.permissions.set([found[permission] for permission in permissions])
                if options["verbosity"] >= 1:
                    state = "created" if created else "updated"
                    self.stdout.write(f"{name}: {len(permissions)} permission(s) ({state})")
