"""DjangoUserRepository on PostgreSQL: what is saved is what comes back."""

import pytest

from apps.composition.buses import unit_of_work
from apps.users.models import User as UserRow
from domain.users.commands import AuthenticateUser, DeactivateUser, RegisterUser, UpdateProfile
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
def test_saving_the_aggregate_keeps_the_back_office_flags_it_does_not_own():
    user = dispatch(RegisterUser(email="frank@example.com", password=PASSWORD, display_name="Frank"))
    UserRow.objects.filter(pk=user.id).update(is_staff=True, is_superuser=True)

    dispatch(UpdateProfile(user_id=user.id, display_name="Frank B."))

    row = UserRow.objects.get(pk=user.id)
    assert (row.display_name, row.is_staff, row.is_superuser) == ("Frank B.", True, True)


@pytest.mark.django_db
def test_an_unknown_id_or_email_is_none():
    import uuid

    with unit_of_work() as uow:
        assert uow.users.get(uuid.uuid4()) is None
        assert uow.users.get_by_email(Email("nobody@example.com")) is None
