"""What browser tests do in the back-office, written once (Playwright's sync API on a page of the live server)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.constants import PASSWORD


def sign_in_to_admin(page: Page, email: str, password: str = PASSWORD) -> None:
    """Through the admin's own sign-in form, as a person would; returns on the admin's index."""
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def search_admin(page: Page, changelist: str, query: str) -> None:
    """Open a changelist and search it with its own search box."""
    page.goto(changelist)
    page.locator("#searchbar").fill(query)
    page.get_by_role("button", name="Search").click()
