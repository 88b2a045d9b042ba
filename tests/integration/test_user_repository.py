"""DjangoUserRepository on PostgreSQL: what is saved is what comes back."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.composition.buses import unit_of_work
from apps.users.models import User as UserRow
from domain.kernel.errors import ConflictError
from domain.users.commands import (
    AssignRoles,
    AuthenticateUser,
    DeactivateUser,
    RegisterUser,
    SetStaffAccess,
    UpdateProfile,
)
from domain.users.model import Email
from tests.support.commands import dispatch
from tests.support.constants import PASSWORD


@pytest.mark.django_db
def test_a_saved_user_loads_back_equal_in_every_field():
    staff = dispatch(RegisterUser(email="staff@example.com", password=PASSWORD, display_name="Staff"))
    created = dispatch(RegisterUser(email="Eve@Example.com", password=PASSWORD, display_name="  Eve  "))
    dispatch(UpdateProfile(user_id=created.id, display_name="Eve Adams"))
    dispatch(AuthenticateUser(email="eve@example.com", password=PASSWORD))
    dispatch(DeactivateUser(user_id=created.id, reason="left the company", requested_by=staff.id))

    with unit_of_work() as uow:
        loaded = uow.users.get(created.id)
        by_email = uow.users.get_by_email(Email("EVE@example.COM"))

    assert by_email is loaded
    assert loaded.email.value == "eve@example.com"
    assert loaded.profile.display_name == "Eve Adams"
    assert loaded.is_active is False
    assert loaded.last_login_at is not None
    assert loaded.updated_at is not None
    assert loaded.created_at == created.created_at
    assert loaded.password_hash.algorithm == "argon2id"
    assert loaded.version == 4  # registered, profile updated, logged in, deactivated
    assert loaded.pending_events == ()


@pytest.mark.django_db
def test_saving_another_change_keeps_the_back_office_flags_and_the_roles():
    user = dispatch(RegisterUser(email="frank@example.com", password=PASSWORD, display_name="Frank"))
    UserRow.objects.filter(pk=user.id).update(is_staff=True, is_superuser=True)  # as createsuperuser leaves them
    UserRow.objects.get(pk=user.id).groups.add(Group.objects.create(name="night_shift"))

    dispatch(UpdateProfile(user_id=user.id, display_name="Frank B."))

    row = UserRow.objects.get(pk=user.id)
    assert (row.display_name, row.is_staff, row.is_superuser) == ("Frank B.", True, True)
    assert list(row.groups.values_list("name", flat=True)) == ["night_shift"]


@pytest.mark.django_db
def test_roles_and_flags_are_saved_as_groups_and_columns_and_load_back():
    call_command("sync_roles", verbosity=0)
    root = dispatch(RegisterUser(email="root@example.com", password=PASSWORD, display_name="Root"))
    gina = dispatch(RegisterUser(email="gina@example.com", password=PASSWORD, display_name="Gina"))
    UserRow.objects.get(pk=gina.id).groups.add(Group.objects.create(name="night_shift"))

    dispatch(AssignRoles(user_id=gina.id, roles=("night_shift", "support", "auditor"), requested_by=root.id))
    dispatch(AssignRoles(user_id=gina.id, roles=("auditor", "admin"), requested_by=root.id))
    dispatch(SetStaffAccess(user_id=gina.id, is_staff=True, is_superuser=False, requested_by=root.id))

    row = UserRow.objects.get(pk=gina.id)
    assert set(row.groups.values_list("name", flat=True)) == {"auditor", "admin"}
    assert (row.is_staff, row.is_superuser, row.version) == (True, False, 4)
    assert row.has_perm("users.deactivate_user")  # the admin group's permissions reach her at once
    with unit_of_work() as uow:
        loaded = uow.users.get(gina.id)
    assert loaded.roles == frozenset({"auditor", "admin"})
    assert (loaded.is_staff, loaded.is_superuser, loaded.version) == (True, False, 4)


@pytest.mark.django_db
def test_a_role_whose_group_is_gone_at_commit_is_a_conflict_and_nothing_is_written():
    user = dispatch(RegisterUser(email="hal@example.com", password=PASSWORD, display_name="Hal"))
    root = dispatch(RegisterUser(email="root@example.com", password=PASSWORD, display_name="Root"))

    with unit_of_work() as uow:  # no sync_roles: the catalogue's support role has no group
        loaded = uow.users.get(user.id)
        loaded.assign_roles(frozenset({"support"}), by=root.id, now=loaded.created_at)
        with pytest.raises(ConflictError):
            uow.commit()

    row = UserRow.objects.get(pk=user.id)
    assert (row.version, row.groups.count()) == (1, 0)


@pytest.mark.django_db
def test_an_unknown_id_or_email_is_none():
    import uuid

    with unit_of_work() as uow:
        assert uow.users.get(uuid.uuid4()) is None
        assert uow.users.get_by_email(Email("nobody@example.com")) is None
