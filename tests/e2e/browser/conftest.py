"""The browser suite: Playwright driving the system's Chromium against a live server.

No browser is downloaded: Playwright launches the executable named by ``CHROMIUM_EXECUTABLE``
(``/usr/bin/chromium``, Debian's ``chromium`` package, unless told otherwise), headless. Where it is
missing the suite is skipped with a note, except with ``CI=true``, where that is a failure.

The server is pytest-django's ``live_server`` (a thread of this process, on the test database); each test
gets a fresh browser context, so no cookie or storage crosses from one test to the next. When a test fails,
its page's screenshot and HTML are kept under ``var/test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from apps.users.models import User as UserRow
from tests.support.accounts import register
from tests.support.ci import skip_unless_ci

CHROMIUM = os.environ.get("CHROMIUM_EXECUTABLE", "/usr/bin/chromium")
ARTIFACTS = Path("var") / "test-artifacts" / "browser"
# How long a step or an expectation may wait for the page: generous, for a busy 2-core machine.
TIMEOUT_MS = 15_000

# Every Content-Security-Policy violation on a page, reported to the test (the browser enforces the
# policy; this makes each refusal visible, whatever the page does about it).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile ? ` (from ${event.sourceFile}:${event.lineNumber})` : "";
  window.reportCspViolation(`${event.effectiveDirective} refused ${event.blockedURI || "inline code"}`
    + ` on ${event.documentURI}${where}`);
});
"""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """When a test with a page fails, keep the page as it was then, and say where, beside the failure."""
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        report.sections.extend(keep_artifacts(page, item, item.funcargs.get("page_problems", [])))
    return report


def keep_artifacts(page: Page, item: pytest.Item, problems: list[str]) -> list[tuple[str, str]]:
    """The page's screenshot and HTML under var/test-artifacts/browser/; returns report sections saying so."""
    folder = item.config.rootpath / ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.nodeid).strip("_")
    try:
        page.screenshot(path=folder / f"{name}.png", full_page=True)
        (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except PlaywrightError as error:  # a crashed or closed page: the failure itself still counts
        sections = [("browser artifacts", f"none kept for {page.url}: {error.message}")]
    else:
        sections = [("browser artifacts", f"{page.url}: {folder}/{name}.png and .html")]
    if problems:
        sections.append(("browser problems", "\n".join(problems)))
    return sections


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole suite."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no Chromium at {CHROMIUM} (install Debian's chromium package, or set CHROMIUM_EXECUTABLE)"
        skip_unless_ci(message)
    # Sync Playwright runs an event loop in this thread for as long as it is started, and Django refuses ORM
    # calls from a thread with a running loop. The tests are plain synchronous code around that loop (the
    # live server answers in its own thread), so the check is lifted for the suite, and only for it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            expect.set_options(timeout=TIMEOUT_MS)
            yield chromium
            chromium.close()


@pytest.fixture
def page_problems() -> list[str]:
    """What went wrong in the test's pages: console errors, uncaught exceptions and CSP violations."""
    return []


@pytest.fixture
def browser_context(browser: Browser, live_server, page_problems: list[str]) -> Iterator[BrowserContext]:
    """A fresh context (no cookies, no storage) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)

    def console(message: ConsoleMessage) -> None:
        source = message.location.get("url", "")
        # The browser asks for /favicon.ico on its own when a page names no icon (the admin's pages do not).
        if message.type == "error" and urlsplit(source).path != "/favicon.ico":
            page_problems.append(f"console error: {message.text} ({source})")

    context.on("console", console)
    context.on("weberror", lambda error: page_problems.append(f"uncaught: {error.error}"))
    context.expose_function("reportCspViolation", lambda text: page_problems.append(f"CSP: {text}"))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: BrowserContext) -> Page:
    """A page on the live server (kept as an artifact if the test fails, see ``pytest_runtest_makereport``)."""
    return browser_context.new_page()


@pytest.fixture
def staff_member(transactional_db: None) -> Callable[..., UserRow]:
    """``staff_member(email, role="admin", superuser=False)``: a registered user with the back-office flag and
    the role's group, as the back-office would set them; they sign in with ``tests.support.constants.PASSWORD``."""
    call_command("sync_roles", verbosity=0)

    def make(email: str, role: str = "admin", *, superuser: bool = False) -> UserRow:
        user = UserRow.objects.get(pk=register(email, email.split("@")[0]).id)
        UserRow.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=superuser)
        user.groups.add(Group.objects.get(name=role))
        user.refresh_from_db()
        return user

    return make
