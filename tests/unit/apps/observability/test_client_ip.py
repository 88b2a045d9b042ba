"""The client's address behind a known number of proxies, for per-IP rate limits and the audit trail."""

import pytest
from django.test import RequestFactory

from apps.observability.requests import client_ip, rate_limit_ip


def request(peer: str | None = "10.0.0.9", forwarded: str | None = None):
    meta = {"REMOTE_ADDR": peer} if peer is not None else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    made = RequestFactory().get("/api/v1/users/me", **meta)
    if peer is None:
        del made.META["REMOTE_ADDR"]
    return made


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(request(forwarded="203.0.113.7")) == "10.0.0.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "client"),
    [
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left entry was written by the client: ignored
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (2, "203.0.113.7", "10.0.0.9"),  # fewer hops than proxies: not through them, take the peer
        (1, "not-an-address", "10.0.0.9"),
        (1, "", "10.0.0.9"),
    ],
)
def test_behind_n_proxies_the_client_is_the_nth_address_from_the_right(settings, proxies, forwarded, client):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(request(forwarded=forwarded)) == client


def test_rate_limits_always_get_an_address(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert rate_limit_ip(request(peer=None)) == "0.0.0.0"
    assert rate_limit_ip(request()) == "10.0.0.9"
