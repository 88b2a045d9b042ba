"""EndpointUrl: what an endpoint URL may be, and how it is normalised."""

import pytest

from domain.kernel.errors import InvalidValueError
from domain.webhooks.model import EndpointUrl


def test_the_scheme_and_host_are_lower_cased_and_the_rest_kept():
    url = EndpointUrl("  HTTPS://Hooks.Example.COM:8443/In/Box?Token=AbC  ")

    assert url.value == "https://hooks.example.com:8443/In/Box?Token=AbC"
    assert (url.scheme, url.host, url.port) == ("https", "hooks.example.com", 8443)
    assert str(url) == url.value


def test_the_default_port_follows_the_scheme():
    assert EndpointUrl("https://example.com").port == 443
    assert EndpointUrl("http://example.com/", allow_http=True).port == 80


def test_events_and_logs_see_the_url_without_its_query_string():
    assert EndpointUrl("https://example.com/hook?token=s3cr3t").without_query == "https://example.com/hook"


@pytest.mark.parametrize(
    "value",
    ["https://203.0.113.7/hook", "https://[2001:db8::1]:8443/", "https://example.com./x", "https://1password.com/"],
)
def test_ip_literals_and_fully_qualified_names_are_accepted(value):
    assert EndpointUrl(value).value == value


def test_an_ipv6_host_is_given_without_its_brackets():
    assert EndpointUrl("https://[2001:db8::1]/").host == "2001:db8::1"


def test_plain_http_only_when_the_caller_allows_it():
    with pytest.raises(InvalidValueError, match="must use https"):
        EndpointUrl("http://example.com/")
    assert EndpointUrl("http://example.com/", allow_http=True).scheme == "http"


def test_two_urls_are_equal_by_their_text_whatever_allowed_them():
    assert EndpointUrl("http://example.com/", allow_http=True) == EndpointUrl("HTTP://EXAMPLE.com/", allow_http=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter a URL"),
        ("   ", "Enter a URL"),
        ("ftp://example.com/", "absolute https"),
        ("example.com/hook", "absolute https"),
        ("https:example.com", "absolute https"),
        ("//example.com/hook", "absolute https"),
        ("https://user:pw@example.com/", "user name or password"),
        ("https://user@example.com/", "user name or password"),
        ("https://example.com/#frag", "no fragment"),
        ("https://example.com/#", "no fragment"),
        ("https:///hook", "valid host"),
        ("https://exa_mple.com/", "valid host"),
        ("https://-example.com/", "valid host"),
        ("https://example..com/", "valid host"),
        ("https://999.1.1.1/", "valid host"),
        ("https://127.1/", "valid host"),
        ("https://2130706433/", "valid host"),
        ("https://0x7f.1/", "valid host"),
        ("https://[zz]/", "valid host"),
        ("https://[::1/", "valid host"),
        ("https://[fe80::1%25eth0]/", "valid host"),
        ("https://example.com:0/", "port"),
        ("https://example.com:65536/", "port"),
        ("https://example.com:/", "port"),
        ("https://example.com:http/", "port"),
        ("https://exämple.com/", "ASCII"),
        ("https://example.com/a b", "ASCII"),
        ("https://example.com/\x00", "ASCII"),
    ],
)
def test_a_url_deliveries_cannot_safely_go_to_is_refused(value, message):
    with pytest.raises(InvalidValueError, match=message) as raised:
        EndpointUrl(value, allow_http=True)
    assert raised.value.field == "url"


def test_a_url_is_at_most_2048_characters():
    base = "https://example.com/"
    assert len(EndpointUrl(base + "a" * (2048 - len(base))).value) == 2048
    with pytest.raises(InvalidValueError, match="at most 2048"):
        EndpointUrl(base + "a" * (2049 - len(base)))


def test_a_host_name_is_at_most_253_characters():
    label = "a" * 63
    with pytest.raises(InvalidValueError, match="valid host"):
        EndpointUrl(f"https://{label}.{label}.{label}.{label}.com/")
    with pytest.raises(InvalidValueError, match="valid host"):
        EndpointUrl(f"https://{'a' * 64}.com/")
