"""The Django request being served, for code far from the view that needs its context (the audit trail)."""

from __future__ import annotations

import ipaddress
from contextlib import AbstractContextManager

from django.conf import settings
from django.http import HttpRequest

from apps.observability.context import ContextValue

_current: ContextValue[HttpRequest | None] = ContextValue("http_request", default=None)


def serving(request: HttpRequest) -> AbstractContextManager[HttpRequest | None]:
    """The request being served inside the block."""
    return _current.set_to(request)


def current() -> HttpRequest | None:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the TCP peer, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the
    outermost of them saw.

    Each proxy appends its peer to ``X-Forwarded-For``, so with N proxies the client is the N-th entry
    from the right; whatever stands further left came from the client and proves nothing. A header
    shorter than N, or an entry that is not an IP address, means the request did not come through
    the proxies as configured: the TCP peer is taken then.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return peer
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def rate_limit_ip(request: HttpRequest) -> str:
    """``client_ip`` for django-ratelimit (``RATELIMIT_IP_META_KEY``), which needs an address at all times."""
    return client_ip(request) or "0.0.0.0"


def user_agent(request: HttpRequest) -> str:
    return str(request.headers.get("User-Agent", ""))
