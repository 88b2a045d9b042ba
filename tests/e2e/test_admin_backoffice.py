"""The admin back-office: users are listed and searched; changes go through the command bus."""

import pytest

from apps.outbox.models import OutboxEntry
from apps.users.models import User as UserRow
from tests.support.accounts import staff_row, user_row

CHANGELIST = "/admin/users/user/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client, action: str, row: UserRow, **fields: str):
    """Apply the changelist ``action`` to ``row`` with the action form's ``fields``, following the redirect."""
    return client.post(CHANGELIST, {"action": action, "_selected_action": [str(row.pk)], **fields}, follow=True)


@pytest.fixture
def staff_client(client):
    client.force_login(staff_row("boss@example.com", "Boss", superuser=True))
    return client


@pytest.mark.django_db
def test_the_user_list_searches_by_email_and_filters_by_status(staff_client):
    user_row("grace@example.com", "Grace")
    user_row("alan@example.com", "Alan")

    found = staff_client.get(CHANGELIST, {"q": "grace"})
    inactive = staff_client.get(CHANGELIST, {"is_active__exact": "0"})

    assert found.status_code == 200
    assert b"grace@example.com" in found.content
    assert b"alan@example.com" not in found.content
    assert b"grace@example.com" not in inactive.content


@pytest.mark.django_db
def test_the_deactivate_action_dispatches_the_command_and_records_the_event(staff_client):
    grace = user_row("grace@example.com", "Grace")

    response = run_action(staff_client, "deactivate", grace, reason="asked to close the account")

    assert response.status_code == 200
    assert messages_of(response) == ["1 user(s) deactivated."]
    row = UserRow.objects.get(pk=grace.pk)
    assert (row.is_active, row.version) == (False, 2)
    deactivated = OutboxEntry.objects.get(aggregate_id=grace.pk, event_type="users.user_deactivated")
    assert deactivated.payload["reason"] == "asked to close the account"


@pytest.mark.django_db
def test_a_refused_admin_action_changes_nothing_and_says_why(staff_client):
    grace = user_row("grace@example.com", "Grace")

    response = run_action(staff_client, "deactivate", grace, reason="")

    assert messages_of(response) == ["grace@example.com: reason: Give a reason for the deactivation."]
    assert UserRow.objects.get(pk=grace.pk).is_active is True
    assert not OutboxEntry.objects.filter(aggregate_id=grace.pk, event_type="users.user_deactivated").exists()


@pytest.mark.django_db
def test_the_display_name_action_updates_the_profile_through_the_bus(staff_client):
    grace = user_row("grace@example.com", "Grace")

    run_action(staff_client, "update_display_name", grace, display_name="Grace Hopper")

    assert UserRow.objects.get(pk=grace.pk).display_name == "Grace Hopper"
    assert OutboxEntry.objects.filter(aggregate_id=grace.pk, event_type="users.user_profile_updated").exists()


@pytest.mark.django_db
def test_the_change_form_does_not_edit_the_aggregate(staff_client):
    grace = user_row("grace@example.com", "Grace")

    staff_client.post(
        f"{CHANGELIST}{grace.pk}/change/",
        {"display_name": "Hacked", "email": "evil@example.com", "is_active": "", "is_staff": "on"},
    )

    row = UserRow.objects.get(pk=grace.pk)
    assert (row.email, row.display_name, row.is_active) == ("grace@example.com", "Grace", True)
    assert row.is_staff is True
