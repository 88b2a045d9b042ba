"""The audit trail in the back-office: admin actions are audited as the staff user, the screen is read-only."""

from __future__ import annotations

import pytest

from apps.audit import recorder
from apps.audit.models import AuditEntry
from tests.support.accounts import staff_row, user_row

AUDIT_CHANGELIST = "/admin/audit/auditentry/"


@pytest.fixture
def boss(client):
    boss = staff_row("boss@example.com", "Someone", superuser=True)
    client.force_login(boss)
    return boss


@pytest.mark.django_db
def test_an_admin_action_is_audited_as_the_staff_user_who_took_it(client, boss):
    grace = user_row("grace@example.com")

    client.post(
        "/admin/users/user/",
        {"action": "deactivate", "_selected_action": [str(grace.pk)], "reason": "asked to close the account"},
    )

    entry = AuditEntry.objects.get(action="DeactivateUser", target_id=str(grace.pk))
    assert (entry.actor, entry.actor_id, entry.outcome) == (f"user:{boss.pk}", boss.pk, "ok")
    assert entry.changes["reason"] == "[redacted]"  # free text may name a person: not kept for good


@pytest.mark.django_db
def test_a_command_outside_any_request_is_audited_as_the_process(client):
    grace = user_row("grace@example.com")

    entry = AuditEntry.objects.get(action="RegisterUser", target_id=str(grace.pk))
    assert entry.actor.startswith("system")
    assert entry.actor_id is None
    assert (entry.ip, entry.user_agent) == ("", "")


@pytest.mark.django_db
def test_the_audit_screen_lists_entries_and_offers_no_add_change_or_delete(client, boss):
    entry = recorder.record("test.event", target_type="Thing", target_id="1")

    listing = client.get(AUDIT_CHANGELIST)
    detail = client.get(f"{AUDIT_CHANGELIST}{entry.pk}/change/")
    changed = client.post(f"{AUDIT_CHANGELIST}{entry.pk}/change/", {"outcome": "ok, honestly"})
    deleted = client.post(f"{AUDIT_CHANGELIST}{entry.pk}/delete/", {"post": "yes"})
    bulk = client.post(AUDIT_CHANGELIST, {"action": "delete_selected", "_selected_action": [str(entry.pk)]})

    assert listing.status_code == 200
    assert b"test.event" in listing.content
    assert b"delete_selected" not in listing.content
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk, outcome="ok", hash=entry.hash).exists()
    assert client.get(f"{AUDIT_CHANGELIST}add/").status_code == 403
