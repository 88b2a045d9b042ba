"""Property 14: N requests in a window pass, the (N+1)-th is refused and says when to come back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

from django.core.cache import cache
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from apps.platform.ratelimit import consume

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

rates = st.builds(
    lambda count, multiplier, unit: (f"{count}/{multiplier}{unit}", count, PERIODS[unit] * int(multiplier or 1)),
    st.integers(1, 12),
    st.sampled_from(["", "1", "2", "15"]),
    st.sampled_from(sorted(PERIODS)),
)
ips = st.ip_addresses(v=4).map(str)
# Any moment of the next century, to the microsecond.
moments = st.floats(min_value=1.7e9, max_value=4.8e9, allow_nan=False, allow_infinity=False)


class Clock:
    """Stands in for the ``time`` module django-ratelimit reads the time from."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@contextmanager
def clock_at(now: float) -> Iterator[Clock]:
    """A clean cache and django-ratelimit's clock set to ``now``."""
    cache.clear()
    clock = Clock(now)
    with mock.patch("django_ratelimit.core.time", SimpleNamespace(time=clock.time)):
        yield clock


def request_from(ip: str) -> object:
    return RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR=ip)


# **Feature: architecture-restructuring-2025, Property 14: Rate Limiter Request Counting**
# **Validates: Requirements 9.4**
@given(rate=rates, ip=ips, start=moments, spread=st.floats(0, 1, exclude_max=True))
def test_n_requests_pass_and_the_next_one_is_told_when_the_window_ends(
    rate: tuple[str, int, int], ip: str, start: float, spread: float
) -> None:
    """For any rate of N per period: N requests within one window are allowed, the (N+1)-th is refused with a
    Retry-After of 1..period seconds; one second earlier than that it is still refused, at that moment it passes."""
    text, limit, period = rate
    request = request_from(ip)
    with clock_at(start) as clock:
        verdicts = [consume(request, group="property", key="ip", rate=text, fail_open=False) for _ in range(limit)]
        refused = consume(request, group="property", key="ip", rate=text, fail_open=False)
        # Anywhere before Retry-After has passed, the window is the same one and still full.
        clock.now = start + (refused.retry_after - 1) * spread if refused else start
        still = consume(request, group="property", key="ip", rate=text, fail_open=False)
        clock.now = start + refused.retry_after if refused else start
        later = consume(request, group="property", key="ip", rate=text, fail_open=False)

    assert all(verdict is not None and not verdict.limited for verdict in verdicts)
    assert refused is not None
    assert refused.limited
    assert 1 <= refused.retry_after <= period
    assert still is not None
    assert still.limited
    assert later is not None
    assert not later.limited
    assert later.count == 1


# **Feature: architecture-restructuring-2025, Property 14: Rate Limiter Request Counting**
# **Validates: Requirements 9.4**
@given(rate=rates, ips=st.lists(ips, min_size=2, max_size=2, unique=True), start=moments)
def test_each_client_address_has_its_own_budget(rate: tuple[str, int, int], ips: list[str], start: float) -> None:
    """Filling one address's window leaves another address's N requests untouched."""
    text, limit, _ = rate
    first, second = (request_from(ip) for ip in ips)
    with clock_at(start):
        for _ in range(limit + 1):
            consume(first, group="property", key="ip", rate=text, fail_open=False)
        verdicts = [consume(second, group="property", key="ip", rate=text, fail_open=False) for _ in range(limit)]

    assert all(verdict is not None and not verdict.limited for verdict in verdicts)
