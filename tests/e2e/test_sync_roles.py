"""``manage.py sync_roles``: a group per role with its resolved permissions, so the admin assigns roles."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from apps.security.management.commands.sync_roles import Command as SyncRoles
from apps.users.models import User as UserRow
from domain.access.catalogue import ROLES
from domain.access.roles import Role, RoleGraph
from tests.support.http import register

pytestmark = pytest.mark.django_db


def group_permissions(name: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=name).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_role_becomes_a_group_with_its_own_and_inherited_permissions():
    out = StringIO()
    call_command("sync_roles", stdout=out)

    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES.names)
    for name in ROLES.names:
        assert group_permissions(name) == ROLES.permissions_of(name)
    assert "orders.view_own_orders" in group_permissions("support")  # inherited from customer
    assert (
        out.getvalue().splitlines()[0] == f"customer: {len(ROLES.permissions_of('customer'))} permission(s) (created)"
    )


def test_a_user_in_a_role_group_has_the_roles_permissions(api):
    call_command("sync_roles", stdout=StringIO())
    user = UserRow.objects.get(pk=register(api, "sam@example.com")["id"])

    user.groups.add(Group.objects.get(name="support"))
    user = UserRow.objects.get(pk=user.pk)  # permissions are cached per instance

    assert user.has_perm("orders.view_granted_orders")
    assert user.has_perm("orders.view_own_orders")
    assert not user.has_perm("billing.refund_invoice")


def test_running_it_again_puts_an_edited_group_back():
    call_command("sync_roles", stdout=StringIO())
    Group.objects.get(name="auditor").permissions.add(Permission.objects.get(codename="refund_invoice"))

    out = StringIO()
    call_command("sync_roles", stdout=out)

    assert group_permissions("auditor") == ROLES.permissions_of("auditor")
    assert "auditor: 1 permission(s) (updated)" in out.getvalue()


def test_a_role_naming_a_permission_that_does_not_exist_changes_nothing(monkeypatch):
    monkeypatch.setattr(SyncRoles, "roles", RoleGraph([Role("ghost", frozenset({"orders.haunt_order"}))]))

    with pytest.raises(CommandError) as refused:
        call_command("sync_roles", stdout=StringIO())

    assert str(refused.value) == "no permission orders.haunt_order; run `manage.py migrate` first"
    assert not Group.objects.exists()
