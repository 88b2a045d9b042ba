"""API URL names follow one convention: ``<resource>-<version>-<action>``, the version being that of the path."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

NAME = re.compile(r"^[a-z]+(?:-[a-z]+)*-(?P<version>v\d+)-[a-z]+(?:-[a-z]+)*$")
ID = "3f2b8c1e-6d4a-4e8b-9a51-0c7d2e9f4b10"


def api_url_names(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_url_names(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("^api/(?P<version>"):
            yield route, entry.name


def test_every_api_url_name_carries_the_version_of_its_path():
    names = list(api_url_names())
    assert len(names) == 31
    for route, name in names:
        match = NAME.match(name or "")
        assert match, f"{route}: {name!r} is not <resource>-<version>-<action>"
        assert route.startswith(f"^api/(?P<version>{match['version']})/"), (route, name)


@pytest.mark.parametrize(
    ("name", "version", "kwargs", "path"),
    [
        ("orders-v1-list", "v1", {}, "/api/v1/orders"),
        ("orders-v2-detail", "v2", {"order_id": ID}, f"/api/v2/orders/{ID}"),
        ("invoices-v1-refund", "v1", {"invoice_id": ID}, f"/api/v1/invoices/{ID}/refund"),
        ("invoices-v2-list", "v2", {}, "/api/v2/invoices"),
        ("webhooks-v1-payments", "v1", {}, "/api/v1/webhooks/payments"),
        ("auth-v1-token-refresh", "v1", {}, "/api/v1/auth/token/refresh"),
        ("users-v1-deactivate", "v1", {"user_id": ID}, f"/api/v1/users/{ID}/deactivate"),
        ("audit-log-v1-list", "v1", {}, "/api/v1/audit-log"),
        ("webhook-endpoints-v2-list", "v2", {}, "/api/v2/webhooks/endpoints"),
        (
            "webhook-endpoints-v2-rotate-secret",
            "v2",
            {"endpoint_id": ID},
            f"/api/v2/webhooks/endpoints/{ID}/rotate-secret",
        ),
        ("webhook-deliveries-v2-detail", "v2", {"delivery_id": ID}, f"/api/v2/webhooks/deliveries/{ID}"),
    ],
)
def test_a_name_reverses_to_its_path(name, version, kwargs, path):
    assert reverse(name, kwargs={"version": version, **kwargs}) == path
