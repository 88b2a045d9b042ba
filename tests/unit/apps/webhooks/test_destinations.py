"""apps.webhooks.destinations: every address a webhook URL leads to is vetted before anything connects."""

import ipaddress
import socket

import pytest

from apps.webhooks.destinations import AllowList, Destination, UnsafeDestination, check_destination, resolve_host

NOTHING_ALLOWED = AllowList()


class FakeResolver:
    """Answers from a table; a name it does not know does not resolve, as getaddrinfo would say."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


PUBLIC = FakeResolver({"hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})


def refused(url: str, *, resolve=PUBLIC, allowed: AllowList = NOTHING_ALLOWED) -> str:
    with pytest.raises(UnsafeDestination) as raised:
        check_destination(url, allowed=allowed, resolve=resolve)
    return str(raised.value)


# --- what is let through ------------------------------------------------------------------------------


def test_a_public_host_is_vetted_with_every_address_it_resolves_to():
    destination = check_destination(
        "https://Hooks.Example.com./orderflow?tenant=7#ignored", allowed=NOTHING_ALLOWED, resolve=PUBLIC
    )

    assert destination == Destination(
        scheme="https",
        host="hooks.example.com",
        port=443,
        addresses=("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
        target="/orderflow?tenant=7",
    )
    assert destination.host_header == "hooks.example.com"


def test_the_host_header_carries_a_port_that_is_not_the_schemes_own_and_brackets_an_ipv6_literal():
    assert check_destination("http://hooks.example.com:8080", allowed=NOTHING_ALLOWED, resolve=PUBLIC).host_header == (
        "hooks.example.com:8080"
    )
    literal = check_destination("https://[2606:4700::1111]:8443/", allowed=NOTHING_ALLOWED, resolve=PUBLIC)
    assert (literal.host_header, literal.addresses, literal.target) == (
        "[2606:4700::1111]:8443",
        ("2606:4700::1111",),
        "/",
    )


def test_an_address_literal_is_not_looked_up():
    resolver = FakeResolver({})

    destination = check_destination("http://93.184.215.14/", allowed=NOTHING_ALLOWED, resolve=resolver)

    assert destination.addresses == ("93.184.215.14",)
    assert resolver.asked == []


@pytest.mark.parametrize(
    "host",
    ["[::ffff:93.184.215.14]", "[64:ff9b::93.184.215.14]", "[2002:5db8:d70e::1]"],
    ids=["mapped", "nat64", "6to4"],
)
def test_an_ipv6_address_that_leads_to_a_public_ipv4_address_is_let_through(host):
    assert check_destination(f"http://{host}/", allowed=NOTHING_ALLOWED, resolve=PUBLIC).port == 80


@pytest.mark.parametrize("port", [80, 443, 1024, 8080, 8443, 65535])
def test_the_schemes_ports_and_every_port_from_1024_are_allowed(port):
    assert check_destination(f"http://hooks.example.com:{port}/", allowed=NOTHING_ALLOWED, resolve=PUBLIC).port == port


def test_the_resolver_is_asked_for_the_host_and_port_of_the_url():
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14"]})

    check_destination("https://hooks.example.com:8443/x", allowed=NOTHING_ALLOWED, resolve=resolver)

    assert resolver.asked == [("hooks.example.com", 8443)]


# --- the URL itself -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/", "The URL must start with http:// or https://."),
        ("file:///etc/passwd", "The URL must start with http:// or https://."),
        ("gopher://hooks.example.com:70/", "The URL must start with http:// or https://."),
        ("hooks.example.com/path", "The URL must start with http:// or https://."),
        ("https://user:secret@hooks.example.com/", "The URL must not carry a user name or password."),
        ("https://user@hooks.example.com/", "The URL must not carry a user name or password."),
        ("https://@hooks.example.com/", "The URL must not carry a user name or password."),
        ("https:///path", "The URL has no host."),
        ("https://hooks.example.com:99999/", "The URL's port must be a number from 1 to 65535."),
        ("https://hooks.example.com:http/", "The URL's port must be a number from 1 to 65535."),
        ("https://hooks.example.com/a b", "The URL must not contain spaces"),
        ("https://hooks.example.com/\r\nX-Injected: 1", "The URL must not contain spaces"),
        ("https://hooks.exam\tple.com/", "The URL must not contain spaces"),
        ("https://bücher.example/", "The URL must not contain spaces, control characters or non-ASCII characters"),
        ("https://hooks..example.com/", "The host hooks..example.com is not a valid host name."),
        ("https://hooks%2eexample.com/", "The host hooks%2eexample.com is not a valid host name."),
        ("https://[::1:/", "The URL's port must be a number from 1 to 65535."),
    ],
)
def test_a_url_that_is_not_a_plain_http_url_is_refused(url, reason):
    assert refused(url).startswith(reason)


@pytest.mark.parametrize("port", [0, 1, 22, 25, 53, 79, 81, 389, 442, 444, 1023])
def test_ports_below_1024_other_than_80_and_443_are_refused(port):
    assert refused(f"https://hooks.example.com:{port}/") == (
        f"The port {port} is not allowed: use 80, 443 or a port from 1024 to 65535."
    )


# --- address literals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "The host 127.0.0.1 is a loopback address."),
        ("127.255.0.9", "The host 127.255.0.9 is a loopback address."),
        ("10.0.0.1", "The host 10.0.0.1 is a private address."),
        ("172.16.5.4", "The host 172.16.5.4 is a private address."),
        ("192.168.1.1", "The host 192.168.1.1 is a private address."),
        ("100.64.0.1", "The host 100.64.0.1 is a shared (carrier-grade NAT) address."),
        ("169.254.169.254", "The host 169.254.169.254 is a link-local address."),
        ("224.0.0.251", "The host 224.0.0.251 is a multicast address."),
        ("0.0.0.0", "The host 0.0.0.0 is the unspecified address."),
        ("0.1.2.3", "The host 0.1.2.3 is a reserved address."),
        ("240.0.0.1", "The host 240.0.0.1 is a reserved address."),
        ("255.255.255.255", "The host 255.255.255.255 is a reserved address."),
        ("192.0.0.8", "The host 192.0.0.8 is a reserved address."),
        ("192.0.2.10", "The host 192.0.2.10 is a documentation address."),
        ("198.51.100.7", "The host 198.51.100.7 is a documentation address."),
        ("203.0.113.7", "The host 203.0.113.7 is a documentation address."),
        ("198.18.0.1", "The host 198.18.0.1 is a benchmarking address."),
        ("[::1]", "The host ::1 is a loopback address."),
        ("[::]", "The host :: is the unspecified address."),
        ("[fe80::1]", "The host fe80::1 is a link-local address."),
        ("[fe80::1%25eth0]", "The host fe80::1%eth0 is a link-local address."),
        ("[febf::1]", "The host febf::1 is a link-local address."),
        ("[fec0::1]", "The host fec0::1 is a site-local address."),
        ("[fd12:3456::1]", "The host fd12:3456::1 is a private (unique local) address."),
        ("[ff02::1]", "The host ff02::1 is a multicast address."),
        ("[2001:db8::1]", "The host 2001:db8::1 is a documentation address."),
        ("[100::1]", "The host 100::1 is a discard-only address."),
        ("[4000::1]", "The host 4000::1 is a reserved address."),
        ("[64:ff9b:1::a]", "The host 64:ff9b:1::a is a local-use NAT64 address."),
        ("[::ffff:10.0.0.1]", "The host ::ffff:10.0.0.1 is an IPv4-mapped address of 10.0.0.1, a private address."),
        ("[::ffff:127.0.0.1]", "The host ::ffff:127.0.0.1 is an IPv4-mapped address of 127.0.0.1, a loopback address."),
        (
            "[::ffff:169.254.169.254]",
            "The host ::ffff:169.254.169.254 is an IPv4-mapped address of 169.254.169.254, a link-local address.",
        ),
        ("[::ffff:7f00:1]", "The host ::ffff:7f00:1 is an IPv4-mapped address of 127.0.0.1, a loopback address."),
        ("[::10.0.0.1]", "The host ::10.0.0.1 is an IPv4-compatible address of 10.0.0.1, a private address."),
        ("[::93.184.215.14]", "The host ::93.184.215.14 is a deprecated IPv4-compatible address."),
        ("[64:ff9b::10.0.0.1]", "The host 64:ff9b::10.0.0.1 is a NAT64 address of 10.0.0.1, a private address."),
        (
            "[2002:a9fe:a9fe::1]",
            "The host 2002:a9fe:a9fe::1 is a 6to4 address of 169.254.169.254, a link-local address.",
        ),
        (
            "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",
            "The host 2001:0:4136:e378:8000:63bf:f5ff:fffe is a Teredo address of 10.0.0.1, a private address.",
        ),
        ("[2001:0:4136:e378:8000:63bf:a247:28f1]", "is a Teredo tunnel address."),
    ],
)
def test_an_address_literal_that_is_not_globally_reachable_is_refused_saying_what_it_is(host, reason):
    resolver = FakeResolver({})

    assert refused(f"http://{host}/", resolve=resolver).endswith(reason)
    assert resolver.asked == []


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f.1", "0x7f000001", "017700000001", "0177.0.0.1", "127.1", "127.0.1"]
)
def test_other_spellings_of_a_loopback_address_are_recognised_without_any_resolver(host):
    assert refused(f"http://{host}/", resolve=FakeResolver({})) == f"The host {host} is 127.0.0.1, a loopback address."


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("167772161", "10.0.0.1"),
    ],
)
def test_the_system_resolver_reads_those_spellings_as_the_same_addresses_without_the_network(host, address):
    assert resolve_host(host, 80) == [address]


def test_the_system_resolver_refuses_what_it_reads_as_a_private_address():
    assert refused("http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/", resolve=resolve_host) == (
        "The host 0xa9.0xfe.0xa9.0xfe is 169.254.169.254, a link-local address."
    )


# --- names ----------------------------------------------------------------------------------------------


def test_a_name_resolving_to_the_metadata_service_is_refused_saying_where_it_leads():
    resolver = FakeResolver({"metadata.internal": ["169.254.169.254"]})

    assert refused("http://metadata.internal/latest", resolve=resolver) == (
        "The host metadata.internal resolves to 169.254.169.254, a link-local address."
    )


def test_a_name_with_one_public_and_one_private_address_is_refused():
    resolver = FakeResolver({"mixed.example.com": ["93.184.215.14", "10.0.0.7"]})

    assert refused("https://mixed.example.com/", resolve=resolver) == (
        "The host mixed.example.com resolves to 10.0.0.7, a private address."
    )


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:10.0.0.1", "an IPv4-mapped address of 10.0.0.1, a private address"),
        ("fe80::1%eth0", "a link-local address"),
        ("100.100.100.200", "a shared (carrier-grade NAT) address"),
        ("0.0.0.0", "the unspecified address"),
    ],
)
def test_every_kind_of_refused_address_is_refused_behind_a_name_too(answer, kind):
    resolver = FakeResolver({"hooks.example.com": ["93.184.215.14", answer]})

    assert refused("https://hooks.example.com/", resolve=resolver) == (
        f"The host hooks.example.com resolves to {ipaddress.ip_address(answer)}, {kind}."
    )


def test_localhost_through_the_system_resolver_is_refused():
    assert refused("http://localhost:8080/", resolve=resolve_host).startswith("The host localhost resolves to ")


@pytest.mark.parametrize("answers", [None, []], ids=["unknown name", "empty answer"])
def test_a_name_that_resolves_to_nothing_is_refused_with_its_own_reason(answers):
    resolver = FakeResolver({} if answers is None else {"gone.example.com": answers})

    assert refused("https://gone.example.com/", resolve=resolver) == (
        "The host gone.example.com does not resolve to any address."
    )


# --- the allow-list -------------------------------------------------------------------------------------


def test_an_allowed_network_lets_its_addresses_through_literal_or_resolved():
    allowed = AllowList.parse(["10.20.0.0/16", "127.0.0.1"])
    resolver = FakeResolver({"erp.lan": ["10.20.1.5"]})

    assert check_destination("http://10.20.3.4:8080/", allowed=allowed, resolve=resolver).addresses == ("10.20.3.4",)
    assert check_destination("http://erp.lan/", allowed=allowed, resolve=resolver).addresses == ("10.20.1.5",)
    assert check_destination("http://127.0.0.1:8000/", allowed=allowed, resolve=resolver).addresses == ("127.0.0.1",)
    assert check_destination("http://[::ffff:127.0.0.1]:8000/", allowed=allowed, resolve=resolver).port == 8000


def test_an_allowed_network_lets_nothing_else_through():
    allowed = AllowList.parse(["10.20.0.0/16"])

    assert refused("http://10.21.0.1/", allowed=allowed) == "The host 10.21.0.1 is a private address."
    mixed = FakeResolver({"erp.lan": ["10.20.1.5", "169.254.169.254"]})
    assert refused("http://erp.lan/", allowed=allowed, resolve=mixed) == (
        "The host erp.lan resolves to 169.254.169.254, a link-local address."
    )


def test_an_allowed_host_name_lets_whatever_it_resolves_to_through_but_still_needs_an_answer():
    allowed = AllowList.parse(["ERP.lan."])
    resolver = FakeResolver({"erp.lan": ["192.168.7.7", "fd00::7"]})

    assert check_destination("http://erp.lan:8443/", allowed=allowed, resolve=resolver).addresses == (
        "192.168.7.7",
        "fd00::7",
    )
    assert refused("http://other.lan/", allowed=allowed, resolve=resolver) == (
        "The host other.lan does not resolve to any address."
    )


def test_the_allow_list_lifts_no_rule_about_the_url_itself():
    allowed = AllowList.parse(["127.0.0.0/8", "erp.lan"])

    assert refused("http://127.0.0.1:22/", allowed=allowed).startswith("The port 22 is not allowed")
    assert refused("ftp://erp.lan/", allowed=allowed) == "The URL must start with http:// or https://."
    assert refused("http://u:p@127.0.0.1/", allowed=allowed) == "The URL must not carry a user name or password."


def test_the_allow_list_is_empty_by_default():
    assert AllowList() == AllowList.parse([]) == AllowList.parse(["", " "])


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "10.0.0.300", "not a host", "http://x"])
def test_an_allow_list_entry_that_is_neither_network_nor_host_is_refused(entry):
    with pytest.raises(ValueError, match=repr(entry)):
        AllowList.parse([entry])
