"""Granting a role in the back-office, in a browser: the change goes through the command bus into the audit trail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.users.models import User as UserRow
from tests.support.accounts import user_row
from tests.support.browser import search_admin, sign_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

AUDIT = "/admin/audit/auditentry/"


def test_a_role_granted_on_the_user_page_is_in_the_audit_trail_with_the_admin_as_actor(
    page, page_problems, staff_member
):
    boss = staff_member("boss@example.com", role="admin", superuser=True)
    grace = user_row("grace@example.com", "Grace")

    sign_in_to_admin(page, "boss@example.com")
    page.goto(f"/admin/users/user/{grace.pk}/change/")
    page.get_by_label("auditor").check()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert set(UserRow.objects.get(pk=grace.pk).groups.values_list("name", flat=True)) == {"auditor"}

    search_admin(page, AUDIT, str(grace.pk))
    entry = page.locator("#result_list tbody tr", has_text="AssignRoles")
    expect(entry).to_have_count(1)
    expect(entry.locator(".field-actor")).to_have_text(f"user:{boss.pk}")
    expect(entry.locator(".field-target_id")).to_have_text(str(grace.pk))
    expect(entry.locator(".field-outcome")).to_have_text("ok")
    assert not page_problems, "\n".join(page_problems)


def test_a_staff_member_cannot_raise_their_own_access_and_the_refusal_is_shown(page, page_problems, staff_member):
    boss = staff_member("boss@example.com", role="admin", superuser=True)

    sign_in_to_admin(page, "boss@example.com")
    page.goto(f"/admin/users/user/{boss.pk}/change/")
    page.get_by_label("auditor").check()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .error")).to_contain_text("You cannot change your own roles.")
    assert set(UserRow.objects.get(pk=boss.pk).groups.values_list("name", flat=True)) == {"admin"}
    assert not page_problems, "\n".join(page_problems)
