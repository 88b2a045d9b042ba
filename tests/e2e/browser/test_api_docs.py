"""The API's documentation as people read it: Swagger UI at /api/docs/ in a browser, both versions."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SCHEMAS = {"v1": "/api/schema/", "v2": "/api/schema/v2/"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def documented(version: str) -> set[tuple[str, str]]:
    """Every operation of the version's schema, as (METHOD, path), read from the service itself."""
    schema = Client().get(SCHEMAS[version], HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item if method in METHODS}


def listed(page: Page) -> set[tuple[str, str]]:
    """The operations Swagger UI lists on the page, as (METHOD, path); deprecated ones (all of v1) are struck out."""
    rows = page.locator(".opblock-summary").evaluate_all(
        """summaries => summaries.map(summary => [
             summary.querySelector(".opblock-summary-method").textContent,
             summary.querySelector("[data-path]").dataset.path,
           ])"""
    )
    return {(method, path) for method, path in rows}


def test_swagger_ui_lists_the_operations_of_both_api_versions_under_the_csp(page, page_problems):
    page.goto("/api/docs/")

    selector = page.get_by_label("Select a definition")
    expect(selector).to_have_value(SCHEMAS["v1"])
    first = page.locator(".opblock-summary [data-path]").first
    expect(first).to_have_attribute("data-path", re.compile(r"^/api/v1/"))
    v1 = listed(page)

    selector.select_option(label="v2")
    expect(first).to_have_attribute("data-path", re.compile(r"^/api/v2/"))
    v2 = listed(page)

    expect(page.get_by_text("No API definition provided.")).to_have_count(0)
    assert v1 == documented("v1")
    assert v2 == documented("v2")
    assert {("POST", "/api/v1/orders"), ("POST", "/api/v1/orders/{order_id}/ship"), ("GET", "/api/v1/users/me")} <= v1
    assert {("POST", "/api/v2/orders"), ("POST", "/api/v2/orders/{order_id}/ship")} <= v2
    assert not {path for _, path in v2 if not path.startswith("/api/v2/")}
    assert not page_problems, "\n".join(page_problems)
