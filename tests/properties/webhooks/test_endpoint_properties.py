"""Properties of the Endpoint aggregate: event-type matching, secret rotation and failing runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.model import MAX_ROTATION_OVERLAP, Endpoint, EndpointUrl, SigningSecret

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# Few, overlapping names, so that filters and event types often meet (and nearly meet: orders_x).
contexts = st.sampled_from(["orders", "orders_x", "billing", "users"]) | st.from_regex(r"[a-z_]{1,8}", fullmatch=True)
names = st.sampled_from(["order_placed", "order_paid", "invoice_issued"]) | st.from_regex(
    r"[a-z_]{1,8}", fullmatch=True
)
event_types = st.builds("{}.{}".format, contexts, names)
patterns = event_types | st.builds("{}.*".format, contexts)


def secret(n: int, at: datetime) -> SigningSecret:
    return SigningSecret.from_key(n.to_bytes(32, "big"), created_at=at)


def endpoint_with(first_secret: SigningSecret, filters: EventTypeFilters | None = None) -> Endpoint:
    return Endpoint.subscribe(
        id=UUID(int=1),
        url=EndpointUrl("https://receiver.example.com/hooks"),
        event_types=filters or EventTypeFilters(["orders.*"]),
        description="",
        secret=first_secret,
        now=T0,
    )


# **Feature: outbound-webhooks, Property 2: Event-Type Filter Matching**
# **Validates: Issue 16, Subscriptions**
@given(st.lists(patterns, min_size=1, max_size=8), event_types)
def test_an_endpoint_wants_exactly_the_event_types_its_filters_name_or_whose_context_they_cover(
    chosen: list[str], event_type: str
) -> None:
    """For any filters and event type, ``wants`` is true exactly when one filter is the event type
    or is ``<context>.*`` for the event type's context."""
    context = event_type.partition(".")[0]
    expected = event_type in chosen or f"{context}.*" in chosen

    assert endpoint_with(secret(0, T0), EventTypeFilters(chosen)).wants(event_type) is expected


rotations = st.lists(
    st.tuples(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)),
        st.timedeltas(min_value=timedelta(0), max_value=MAX_ROTATION_OVERLAP),
    ),
    max_size=8,
)


# **Feature: outbound-webhooks, Property 3: Rotated Secrets Sign Only Until They Expire**
# **Validates: Issue 16, Subscriptions**
@given(rotations, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)))
def test_a_secret_signs_exactly_while_it_is_current_or_its_overlap_lasts(
    history: list[tuple[timedelta, timedelta]], wait: timedelta
) -> None:
    """For any rotations at any times with any overlaps, at any moment after the last one the
    endpoint signs with the current secret first, then with exactly those rotated-out secrets whose
    overlap has not ended."""
    endpoint = endpoint_with(secret(0, T0))
    expires: dict[int, datetime] = {}
    now = T0
    for n, (gap, overlap) in enumerate(history, start=1):
        now += gap
        expires[n - 1] = now + overlap
        endpoint.rotate_secret(new_secret=secret(n, now), now=now, overlap=overlap)
    at = now + wait
    current = len(history)

    signing = endpoint.signing_secrets(at)

    assert signing[0].key == secret(current, T0).key
    expected = {current} | {n for n, expiry in expires.items() if at < expiry}
    assert {int.from_bytes(s.key, "big") for s in signing} == expected
    assert len(signing) == len(expected)


failure_runs = st.lists(
    st.tuples(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)), st.booleans()),
    max_size=30,
)


# **Feature: outbound-webhooks, Property 4: Failing Endpoints Are Disabled**
# **Validates: Issue 16, Retries**
@given(failure_runs, st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=4)))
def test_an_endpoint_is_disabled_exactly_when_a_run_of_failures_lasts_disable_after(
    reports: list[tuple[timedelta, bool]], disable_after: timedelta
) -> None:
    """For any sequence of delivery successes and failures in time order, the endpoint ends up
    disabled exactly when some failure came ``disable_after`` or more after the first failure of its
    run (the failures since the last success), and it recorded one event for it."""
    endpoint = endpoint_with(secret(0, T0))
    timeline: list[tuple[datetime, bool]] = []
    now = T0
    for gap, succeeded in reports:
        now += gap
        timeline.append((now, succeeded))
        if succeeded:
            endpoint.record_delivery_succeeded(now=now)
        else:
            endpoint.record_delivery_failed(now=now, disable_after=disable_after)

    run_started: datetime | None = None
    expected = False
    for at, succeeded in timeline:
        if succeeded:
            run_started = None
            continue
        run_started = run_started or at
        expected = expected or at - run_started >= disable_after

    assert endpoint.enabled is not expected
    assert endpoint.version == (2 if expected else 1)
