"""Which URLs a webhook may be sent to: the guard against server-side request forgery (SSRF).

A partner names the URL, and orderflow's workers connect to it from inside the network, so an
unchecked URL would let anyone who may subscribe make orderflow call its own database, the cloud
metadata service (169.254.169.254) or any other internal host. ``check_destination`` answers the
addresses it is safe to connect to, or refuses with ``UnsafeDestination``, whose message is one
sentence fit for a 400 problem detail.

The guarantee: every address the host resolves to is globally reachable (or listed in the
``AllowList``), and those vetted addresses are the only ones the transport connects to. The check
runs when a subscription is made and again before every delivery, since a DNS answer may change
between the two; the transport then connects to the address vetted a moment before, never looking the
name up a second time (which would reopen the gap: DNS rebinding).

What is refused:

- schemes other than http and https; a user name or password in the URL; spaces or control characters
  anywhere in it (parsers disagree about those, and the request line must be the URL that was checked);
- ports below 1024 other than 80 and 443. Those are the well-known services (SSH, SMTP, DNS, LDAP, ...)
  that a request carrying an attacker's body could talk to, while receivers, in tests and on premises,
  listen on 80, 443 or a high port such as 8080 or 8443, all of which stay open;
- a host that resolves to nothing, and a host with any address that is loopback, private (RFC 1918,
  IPv6 unique local), shared (100.64.0.0/10, carrier-grade NAT), link-local (169.254.0.0/16 with the
  metadata service, fe80::/10), IPv6 site-local, multicast, unspecified (0.0.0.0, ::), documentation,
  benchmarking or otherwise reserved, or not globally reachable for any other reason ``ipaddress`` knows;
- IPv6 addresses that carry an IPv4 address (IPv4-mapped ``::ffff:10.0.0.1``, IPv4-compatible,
  NAT64 ``64:ff9b::/96``, 6to4, Teredo) are judged by the IPv4 address they lead to. The deprecated
  IPv4-compatible form and Teredo are refused outright, and so is local-use NAT64 (64:ff9b:1::/48),
  whose translation is whatever the local network makes of it.

IPv4 literals in the spellings ``inet_aton`` accepts (``2130706433``, ``0x7f.1``, ``017700000001``,
``127.1``) are recognised as the addresses they denote, whichever resolver is used.

The ``AllowList`` lets chosen networks and host names past the address rules (a receiver on the
private network of an on-premise installation, the local servers of the tests); the scheme, user
name and port rules still apply. It is empty by default (``WEBHOOKS_ALLOWED_NETWORKS``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import unquote, urlsplit

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

Resolve = Callable[[str, int], list[str]]
"""The addresses a host name resolves to (for a TCP connection to ``port``), as strings, in the order
to try them. Raises OSError (socket.gaierror) or answers [] when the name does not resolve."""

SCHEMES = {"http": 80, "https": 443}
# Ports below this are refused, except the schemes' own (80 and 443).
FIRST_UNPRIVILEGED_PORT = 1024
HOST_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*")
# What inet_aton might read as an IPv4 address: digits, dots and hexadecimal with its 0x prefix.
NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")
# No spaces, no control characters, nothing beyond ASCII: the request line must be the URL as checked.
URL_CHARACTERS = re.compile(r"[!-~]+")


class UnsafeDestination(ValueError):
    """A URL webhooks must not be sent to; the message is one sentence saying why."""


# The IPv4 ranges refused, most specific first; anything else not globally reachable is "reserved".
IPV4_REFUSED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), kind)
    for network, kind in (
        ("0.0.0.0/32", "the unspecified address"),
        ("0.0.0.0/8", "a reserved address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "a reserved address"),  # IETF protocol assignments
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a reserved address"),  # the former 6to4 relay anycast
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
    )
)
IPV6_REFUSED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), kind)
    for network, kind in (
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "a deprecated IPv4-compatible address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/32", "a Teredo tunnel address"),
        ("2001:db8::/32", "a documentation address"),
        ("3fff::/20", "a documentation address"),
        ("fc00::/7", "a private (unique local) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
# Global unicast; every other IPv6 address is unassigned or special-purpose.
IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class AllowList:
    """Networks and host names exempt from the address rules; empty, nothing is exempt."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """From CIDRs (``10.0.0.0/8``), single addresses and host names, as ``WEBHOOKS_ALLOWED_NETWORKS``
        lists them; raises ValueError naming the first entry that is neither."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (raw.strip() for raw in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry))
                continue
            except ValueError as exc:
                if "/" in entry or ":" in entry or re.fullmatch(r"[0-9.]+", entry):
                    raise ValueError(f"{entry!r} is not a network ({exc}).") from None
            name = entry.lower().removesuffix(".")
            if not HOST_NAME.fullmatch(name):
                raise ValueError(f"{entry!r} is neither a network (10.0.0.0/8) nor a host name.")
            hosts.add(name)
        return cls(networks=tuple(networks), hosts=frozenset(hosts))

    def allows_host(self, host: str) -> bool:
        return host in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(candidate in network for candidate in candidates for network in self.networks)


@dataclass(frozen=True)
class Destination:
    """A vetted URL: where to connect (``addresses``, in order) and what to ask for there."""

    scheme: str
    host: str  # lower case, ASCII (IDNA), no brackets and no trailing dot
    port: int
    addresses: tuple[str, ...]  # each vetted; connect to these, never to a new lookup of ``host``
    target: str  # the request target: the path and the query ("/hooks?x=1")

    @property
    def host_header(self) -> str:
        """The ``Host`` header (and the authority of the URL): the host, bracketed if IPv6, and any
        port that is not the scheme's own."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver (getaddrinfo): each address once, in the order it answers.

    It waits as long as the system's resolver configuration says (resolv.conf's timeout and attempts).
    """
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


def check_destination(url: str, *, allowed: AllowList, resolve: Resolve | None = None) -> Destination:
    """The destination ``url`` names, with every address its host resolves to vetted (by ``resolve``;
    by default this module's ``resolve_host``, looked up at each call).

    Raises ``UnsafeDestination`` with one sentence saying why when the URL must not be called.
    """
    if not URL_CHARACTERS.fullmatch(url):
        raise UnsafeDestination(
            "The URL must not contain spaces, control characters or non-ASCII characters "
            "(write an international host name in its xn-- form)."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestination("The URL's port must be a number from 1 to 65535.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeDestination("The URL must start with http:// or https://.")
    if "@" in parts.netloc:
        raise UnsafeDestination("The URL must not carry a user name or password.")
    host = _host(parts.hostname or "")
    port = SCHEMES[scheme] if port is None else port
    if port < FIRST_UNPRIVILEGED_PORT and port not in SCHEMES.values():
        raise UnsafeDestination(f"The port {port} is not allowed: use 80, 443 or a port from 1024 to 65535.")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    literal = _literal_address(host)
    if literal is not None:
        if not allowed.allows_address(literal):
            refused = refusal(literal)
            if refused:
                # inet_aton's other spellings (0x7f.1) say which address they mean
                spelled = f"{literal}, " if literal.version == 4 and str(literal) != host else ""
                raise UnsafeDestination(f"The host {host} is {spelled}{refused}.")
        return Destination(scheme, str(literal), port, (str(literal),), target)

    try:
        answers = (resolve or resolve_host)(host, port)
        addresses = [ipaddress.ip_address(answer) for answer in answers]
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise UnsafeDestination(f"The host {host} does not resolve to any address.")
    if not allowed.allows_host(host):
        for address in addresses:
            refused = None if allowed.allows_address(address) else refusal(address)
            if refused:
                raise UnsafeDestination(f"The host {host} resolves to {address}, {refused}.")
    return Destination(scheme, host, port, tuple(dict.fromkeys(str(a) for a in addresses)), target)


def refusal(address: IPAddress) -> str | None:
    """Why webhooks must not go to ``address`` ("a private address"), or None when they may."""
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_refusal(address)
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        form, ipv4 = embedded
        refused = _ipv4_refusal(ipv4)
        if refused:
            return f"{form} of {ipv4}, {refused}"
        if form in ("an IPv4-mapped address", "a NAT64 address"):
            return None  # both reach exactly the IPv4 address they carry
    for network, kind in IPV6_REFUSED:
        if address in network:
            return kind
    if address not in IPV6_GLOBAL_UNICAST or not address.is_global:
        return "a reserved address"
    return None


def _ipv4_refusal(address: ipaddress.IPv4Address) -> str | None:
    for network, kind in IPV4_REFUSED:
        if address in network:
            return kind
    return None if address.is_global else "a reserved address"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address leads to, and how it carries it, if it does."""
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped address", address.ipv4_mapped
    if address in NAT64:
        return "a NAT64 address", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return "a 6to4 address", address.sixtofour
    if address.teredo is not None:
        return "a Teredo address", address.teredo[1]
    if address in IPV4_COMPATIBLE and int(address) > 1:  # ::a.b.c.d; :: and ::1 are themselves
        return "an IPv4-compatible address", ipaddress.IPv4Address(int(address))
    return None


def _host(hostname: str) -> str:
    if not hostname:
        raise UnsafeDestination("The URL has no host.")
    if ":" in hostname:  # an IPv6 literal; urlsplit has taken the brackets off
        return unquote(hostname)
    name = hostname.removesuffix(".")
    if not HOST_NAME.fullmatch(name):
        raise UnsafeDestination(f"The host {hostname} is not a valid host name.")
    return name


def _literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form ``ipaddress`` or ``inet_aton`` reads, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if ":" in host:
        raise UnsafeDestination(f"The host {host} is not a valid IPv6 address.")
    if NUMERIC_HOST.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None
