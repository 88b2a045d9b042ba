"""Rate limits on the shared cache: django-ratelimit's counters, orderflow's answers.

Three budgets, each a rate from the environment (``config.environment``):

- per client IP on the auth endpoints (``RATE_LIMIT_TOKEN``, ``RATE_LIMIT_REGISTER``) and on the admin's
  sign-in form (``RATE_LIMIT_ADMIN_LOGIN``);
- per signed-in user on writes (``RATE_LIMIT_WRITES``), one budget shared by every write endpoint.

django-ratelimit counts in fixed windows: a window of ``period`` seconds ends at
``ts - ts % period + crc32(key) % period`` (the jitter spreads the ends of different clients' windows),
and a window ending at second ``W`` counts the requests of whole seconds ``W - period + 1 .. W``. The
(N+1)-th request of a window is answered 429 with ``Retry-After: W + 1 - now``, the seconds until the
first second of the next window (at least 1, at most the period).

When the cache cannot be reached (Redis down), a budget that fails open lets the request through and a
budget that fails closed answers 503 (``service-unavailable``) with ``Retry-After``; either way the outage
is reported as one warning every few seconds (``outages``). The auth endpoints fail closed, so a Redis
outage never lifts the brute-force guard on passwords; writes fail open, since they need a valid
access token already and an outage of the cache should not stop writes. Reads are not counted at all,
so they never depend on the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_ratelimit.core import _split_rate, get_usage
from django_ratelimit.exceptions import Ratelimited
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response

from apps.observability.metrics import RATE_LIMIT_REJECTIONS
from apps.platform import outages
from apps.platform.problems import ServiceUnavailable, problem, problem_json, rate_limited

LIMITED_DETAIL = "Too many requests; slow down and try again later."
UNAVAILABLE_DETAIL = "The rate-limit store (Redis) cannot be reached; try again in a few seconds."
# How long a client should wait before trying again while the rate-limit store is down.
UNAVAILABLE_RETRY_AFTER = outages.RETRY_AFTER
# What a cache backend raises when its server cannot be reached (django-redis re-raises redis' own errors).
STORE_ERRORS: tuple[type[Exception], ...] = (RedisError, ConnectionInterrupted, OSError)

View = Callable[..., Response]


class RateLimitStoreUnavailable(ServiceUnavailable):
    """503: a budget that fails closed cannot be checked."""

    default_detail = UNAVAILABLE_DETAIL
    default_code = "rate_limit_store_unavailable"


class RateLimitExceeded(Ratelimited):
    """For plain Django views: the problem view (RATELIMIT_VIEW) reads ``retry_after``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(LIMITED_DETAIL)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Verdict:
    count: int
    limit: int
    retry_after: int

    @property
    def limited(self) -> bool:
        return self.count > self.limit


def consume(request: HttpRequest | Request, *, group: str, key: str, rate: str, fail_open: bool) -> Verdict | None:
    """Count one request against ``group``'s budget for ``key`` (a django-ratelimit key: "ip", "user").

    None when nothing was counted: rate limiting is switched off (RATELIMIT_ENABLE) or the store is down
    and the budget fails open. Raises RateLimitStoreUnavailable when the store is down and it fails closed.
    """
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    except STORE_ERRORS as exc:
        _store_down(group, fail_open, exc)
        return None
    if usage is None:
        return None
    if usage["limit"] == 0 and usage["time_left"] == -1:
        # django-ratelimit's own answer when the cache returned no count (a backend that swallows errors).
        _store_down(group, fail_open, None)
        return None
    # time_left is W - int(now): the window still counts the whole second W.
    retry_after = min(max(usage["time_left"] + 1, 1), _period(rate))
    return Verdict(count=usage["count"], limit=usage["limit"], retry_after=retry_after)


def _store_down(group: str, fail_open: bool, exc: Exception | None) -> None:
    """Report the outage; raise when the budget fails closed."""
    outages.report(outages.REDIS, exc, rate_limit=group, outcome="allowed" if fail_open else "refused")
    if not fail_open:
        raise RateLimitStoreUnavailable() from exc


def _period(rate: str) -> int:
    return int(_split_rate(rate)[1])  # django-ratelimit's own parser of rates


def rate_limit(group: str, setting: str, *, key: str, fail_open: bool) -> Callable[[View], View]:
    """Decorate an APIView's handler method; the rate is read from ``settings.<setting>`` on each call."""

    def decorator(method: View) -> View:
        @wraps(method)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            verdict = consume(request, group=group, key=key, rate=getattr(settings, setting), fail_open=fail_open)
            if verdict is not None and verdict.limited:
                RATE_LIMIT_REJECTIONS.labels(group).inc()
                throttled = Throttled(detail=LIMITED_DETAIL)
                throttled.wait = verdict.retry_after  # the problem's Retry-After; the detail stays one sentence
                raise throttled
            return method(view, request, *args, **kwargs)

        return wrapper

    return decorator


def per_ip(group: str, setting: str) -> Callable[[View], View]:
    """The auth endpoints' budget: per client IP, failing closed."""
    return rate_limit(group, setting, key="ip", fail_open=False)


# One budget per signed-in user shared by every write endpoint, failing open.
limit_writes = rate_limit("writes", "RATE_LIMIT_WRITES", key="user", fail_open=True)


@cache
def _admin_login_path() -> str:
    return reverse("admin:login")  # the URL conf is fixed for the life of the process (tests aside: below)


@receiver(setting_changed)
def _forget_admin_login_path(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":
        _admin_login_path.cache_clear()


class AdminLoginRateLimitMiddleware:
    """Per-IP budget on the admin's sign-in form (POST /admin/login/), failing closed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == _admin_login_path():
            try:
                verdict = consume(
                    request, group="admin.login", key="ip", rate=settings.RATE_LIMIT_ADMIN_LOGIN, fail_open=False
                )
            except RateLimitStoreUnavailable:
                body = problem(503, UNAVAILABLE_DETAIL, slug="service-unavailable", instance=request.path)
                return problem_json(body, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})
            if verdict is not None and verdict.limited:
                RATE_LIMIT_REJECTIONS.labels("admin.login").inc()
                return rate_limited(request, RateLimitExceeded(verdict.retry_after))
        return self.get_response(request)
