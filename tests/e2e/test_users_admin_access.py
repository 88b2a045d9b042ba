"""Roles and back-office flags changed on the admin's user screen: through AssignRoles and SetStaffAccess,
audited with the admin as actor and the request's correlation id, and readable in GET /api/v1/audit-log."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from apps.audit.models import AuditEntry
from apps.outbox.models import OutboxEntry
from apps.users.models import User as UserRow
from tests.support.accounts import staff_row, user_row
from tests.support.http import bearer, tokens

CHANGELIST = "/admin/users/user/"
AUDIT_LOG = "/api/v1/audit-log"
ACCESS_COMMANDS = ("AssignRoles", "SetStaffAccess")


def change_page(row: UserRow) -> str:
    return f"{CHANGELIST}{row.pk}/change/"


def role_ids(*names: str) -> list[str]:
    return [str(pk) for pk in Group.objects.filter(name__in=names).values_list("pk", flat=True)]


def roles_of(row: UserRow) -> set[str]:
    return set(UserRow.objects.get(pk=row.pk).groups.values_list("name", flat=True))


def save(client, row: UserRow, *, roles=(), is_staff=False, is_superuser=False, correlation_id="", **extra):
    """Submit the change form of ``row`` as a browser would (a checkbox left unticked is not sent)."""
    form: dict[str, object] = {"groups": role_ids(*roles), "_save": "Save", **extra}
    if is_staff:
        form["is_staff"] = "on"
    if is_superuser:
        form["is_superuser"] = "on"
    headers = {"HTTP_X_REQUEST_ID": correlation_id} if correlation_id else {}
    return client.post(change_page(row), form, follow=True, **headers)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def was_saved(response, email: str) -> bool:
    """The admin's own "changed successfully" is the one message (it links the user's e-mail)."""
    (message,) = messages_of(response)
    return f">{email}</a>” was changed successfully." in message


def access_entries(row: UserRow) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action__in=ACCESS_COMMANDS, target_id=str(row.pk)).order_by("id"))


@pytest.fixture
def boss():
    call_command("sync_roles", verbosity=0)
    return staff_row("boss@example.com", "Boss", superuser=True)


@pytest.fixture
def admin_client(client, boss):
    client.force_login(boss)
    return client


@pytest.mark.django_db
def test_a_role_and_the_staff_flag_granted_in_the_admin_are_audited_with_the_admin_as_actor(admin_client, boss, api):
    grace = user_row("grace@example.com", "Grace")
    correlation_id = uuid.uuid4().hex

    response = save(admin_client, grace, roles=("auditor",), is_staff=True, correlation_id=correlation_id)

    assert response.status_code == 200
    assert was_saved(response, "grace@example.com")
    assert roles_of(grace) == {"auditor"}
    row = UserRow.objects.get(pk=grace.pk)
    assert (row.is_staff, row.is_superuser, row.version) == (True, False, 3)
    assigned, staffed = access_entries(grace)
    for entry, action in ((assigned, "AssignRoles"), (staffed, "SetStaffAccess")):
        assert (entry.action, entry.outcome, entry.target_type) == (action, "ok", "User")
        assert (entry.actor, entry.actor_id, entry.correlation_id) == (f"user:{boss.pk}", boss.pk, correlation_id)
    assert assigned.changes == {"user_id": str(grace.pk), "roles": ["auditor"], "requested_by": str(boss.pk)}
    assert staffed.changes == {
        "user_id": str(grace.pk),
        "is_staff": True,
        "is_superuser": False,
        "requested_by": str(boss.pk),
    }
    granted = OutboxEntry.objects.get(aggregate_id=grace.pk, event_type="users.user_roles_assigned")
    assert (granted.payload["granted"], granted.payload["revoked"]) == (["auditor"], [])

    # Grace now holds the auditor role, so she can read the entry of her own promotion.
    listed = api.get(
        AUDIT_LOG, {"action": "AssignRoles", "target_id": str(grace.pk)}, **bearer(tokens(api, "grace@example.com"))
    )
    assert listed.status_code == 200, listed.content
    (shown,) = listed.json()["results"]
    assert (shown["id"], shown["actor"], shown["correlation_id"]) == (assigned.id, f"user:{boss.pk}", correlation_id)
    assert (shown["target_type"], shown["target_id"], shown["changes"]["roles"]) == ("User", str(grace.pk), ["auditor"])


@pytest.mark.django_db
def test_roles_are_taken_back_by_unticking_them(admin_client):
    grace = user_row("grace@example.com", "Grace")
    save(admin_client, grace, roles=("support", "billing_admin"))

    response = save(admin_client, grace, roles=("billing_admin",))

    assert was_saved(response, "grace@example.com")
    assert roles_of(grace) == {"billing_admin"}
    revoked = OutboxEntry.objects.get(aggregate_id=grace.pk, aggregate_version=3)
    assert revoked.event_type == "users.user_roles_assigned"
    assert (revoked.payload["granted"], revoked.payload["revoked"]) == ([], ["support"])
    assert [entry.changes["roles"] for entry in access_entries(grace)] == [
        ["billing_admin", "support"],
        ["billing_admin"],
    ]


@pytest.mark.django_db
def test_saving_the_form_unchanged_sends_no_command(admin_client):
    grace = user_row("grace@example.com", "Grace")
    save(admin_client, grace, roles=("support",), is_staff=True)
    before = len(access_entries(grace))

    response = save(admin_client, grace, roles=("support",), is_staff=True)

    assert response.status_code == 200
    assert len(access_entries(grace)) == before == 2
    assert UserRow.objects.get(pk=grace.pk).version == 3


@pytest.mark.django_db
def test_changing_your_own_access_is_refused_with_a_message_and_changes_nothing(admin_client, boss):
    correlation_id = uuid.uuid4().hex

    response = save(admin_client, boss, roles=("admin",), is_staff=True, correlation_id=correlation_id)

    assert response.status_code == 200
    assert response.redirect_chain == [(change_page(boss), 302)]
    assert messages_of(response) == ["boss@example.com: You cannot change your own roles."]
    assert roles_of(boss) == set()
    (refused,) = AuditEntry.objects.filter(correlation_id=correlation_id, action__in=ACCESS_COMMANDS)
    assert (refused.action, refused.outcome) == ("AssignRoles", "refused: CannotChangeOwnAccessError")
    assert refused.actor == f"user:{boss.pk}"
    assert not LogEntry.objects.filter(object_id=str(boss.pk)).exists()


@pytest.mark.django_db
def test_a_group_outside_the_role_catalogue_is_refused_by_name_and_nothing_changes(admin_client):
    grace = user_row("grace@example.com", "Grace")
    Group.objects.create(name="night_shift")

    response = save(admin_client, grace, roles=("night_shift", "support"), is_staff=True)

    assert messages_of(response) == [
        "grace@example.com: roles: No role can be granted as night_shift; "
        "the roles are admin, auditor, billing_admin, customer, integrator, support."
    ]
    assert roles_of(grace) == set()
    row = UserRow.objects.get(pk=grace.pk)
    assert (row.is_staff, row.version) == (False, 1)  # the flag is not sent once the roles were refused
    assert [(entry.action, entry.outcome) for entry in access_entries(grace)] == [
        ("AssignRoles", "refused: ValidationError")
    ]
    assert not OutboxEntry.objects.filter(aggregate_id=grace.pk, event_type="users.user_roles_assigned").exists()


@pytest.mark.django_db
def test_staff_who_are_not_superusers_see_access_read_only_and_cannot_change_it(client):
    call_command("sync_roles", verbosity=0)
    clerk = staff_row("clerk@example.com", "Clerk", superuser=False)
    clerk.user_permissions.add(*_permissions("view_user", "change_user"))
    grace = user_row("grace@example.com", "Grace")
    client.force_login(clerk)

    page = client.get(change_page(grace))
    response = save(client, grace, roles=("admin",), is_staff=True, is_superuser=True)

    assert page.status_code == 200
    assert b'name="groups"' not in page.content
    assert b'name="is_superuser"' not in page.content
    assert response.status_code == 200
    assert roles_of(grace) == set()
    row = UserRow.objects.get(pk=grace.pk)
    assert (row.is_staff, row.is_superuser) == (False, False)
    assert access_entries(grace) == []


@pytest.mark.django_db
def test_the_change_form_shows_one_checkbox_per_role_and_direct_permissions_read_only(admin_client):
    grace = user_row("grace@example.com", "Grace")
    grace.user_permissions.add(*_permissions("view_user"))

    page = admin_client.get(change_page(grace))
    content = page.content.decode()
    save(admin_client, grace, user_permissions=[str(pk) for pk in _permissions("deactivate_user")])

    assert page.status_code == 200
    for name in ("admin", "auditor", "billing_admin", "customer", "integrator", "support"):
        assert f" {name}</label>" in content
    assert content.count('type="checkbox" name="groups"') == 6
    assert 'name="user_permissions"' not in content
    assert "users.view_user" in content
    held = UserRow.objects.get(pk=grace.pk).user_permissions.values_list("codename", flat=True)
    assert list(held) == ["view_user"]


@pytest.mark.django_db
def test_users_are_not_added_in_the_admin(admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def _permissions(*codenames: str) -> list[int]:
    return list(Permission.objects.filter(codename__in=codenames).values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_roles_screen_shows_each_role_and_its_permissions_but_changes_nothing(admin_client):
    auditor = Group.objects.get(name="auditor")

    listed = admin_client.get("/admin/auth/group/")
    shown = admin_client.get(f"/admin/auth/group/{auditor.pk}/change/")
    rewritten = admin_client.post(
        f"/admin/auth/group/{auditor.pk}/change/", {"name": "auditor", "permissions": _permissions("refund_invoice")}
    )

    assert listed.status_code == 200
    assert b"billing_admin" in listed.content
    assert shown.status_code == 200
    assert b"Can view audit entry" in shown.content
    assert rewritten.status_code == 403
    assert admin_client.get("/admin/auth/group/add/").status_code == 403
    assert list(auditor.permissions.values_list("codename", flat=True)) == ["view_auditentry"]
