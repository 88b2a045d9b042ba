"""The webhooks command handlers on in-memory fakes: no database, no network, a frozen clock,
predictable ids and secrets, and a destination guard that refuses the URLs it is told to."""

import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.kernel.errors import ValidationError
from domain.kernel.ids import SequentialIdFactory
from domain.kernel.ports import FrozenClock
from domain.kernel.result import Err, Ok
from domain.webhooks import commands
from domain.webhooks.delivery import (
    AttemptOutcome,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    RetrySchedule,
    TransportError,
)
from domain.webhooks.errors import (
    DeliveryNotFoundError,
    DeliveryNotPendingError,
    DeliveryPendingError,
    EndpointNotFoundError,
    UnsafeDestinationError,
)
from domain.webhooks.events import (
    EndpointDisabled,
    EndpointEnabled,
    EndpointSecretRotated,
    EndpointSubscribed,
    EndpointUpdated,
)
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.handlers import (
    EndpointWithSecret,
    disable_endpoint,
    enable_endpoint,
    record_delivery_attempt,
    redeliver_delivery,
    redeliver_since,
    rotate_endpoint_secret,
    subscribe_endpoint,
    update_endpoint,
)
from domain.webhooks.model import DisableCause, Endpoint, EndpointUrl, SigningSecret
from domain.webhooks.ports import DeliveryRepository, EndpointRepository
from tests.support.fakes import FakeUnitOfWork, InMemoryRepository

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ENDPOINT_ID = UUID("aaaaaaaa-0000-4000-8000-000000000001")
OTHER_ENDPOINT_ID = UUID("aaaaaaaa-0000-4000-8000-000000000002")
PARTNER = UUID("dddddddd-0000-4000-8000-000000000001")
URL = "https://erp.example.com/hooks?token=abc"
OFFERED = frozenset({"orders.order_placed", "orders.order_paid", "billing.invoice_issued"})
REFUSAL = "The host metadata.internal resolves to 169.254.169.254, a link-local address."


class FakeEndpointRepository(InMemoryRepository[Endpoint], EndpointRepository):
    """The endpoints port adds nothing; the subclass only makes the fake an ``EndpointRepository``."""


class FakeDeliveryRepository(DeliveryRepository):
    def __init__(self, deliveries=()) -> None:
        super().__init__()
        self.rows: dict[UUID, Delivery] = {delivery.id: delivery for delivery in deliveries}

    def _add(self, delivery):
        """Saved on flush."""

    def _get(self, id):
        return self.rows.get(id)

    def _finished_since(self, endpoint_id, since):
        found = [
            d
            for d in self.rows.values()
            if d.endpoint_id == endpoint_id and d.created_at >= since and d.status is not DeliveryStatus.PENDING
        ]
        return sorted(found, key=lambda d: d.created_at)

    def flush(self):
        self.rows.update(self.seen)


class FakeWebhooksUnitOfWork(FakeUnitOfWork):
    """``uow.endpoints`` and ``uow.deliveries``; a commit flushes the deliveries too."""

    def __init__(self, endpoints=(), deliveries=()) -> None:
        super().__init__(endpoints=FakeEndpointRepository(endpoints))
        self.deliveries = FakeDeliveryRepository(deliveries)

    def commit(self):
        self.deliveries.flush()
        self.deliveries.seen.clear()
        super().commit()

    def rollback(self):
        self.deliveries.seen.clear()
        super().rollback()


class CountingSecrets:
    """Secrets of 32 bytes ``n``, ``n`` counting from 1: predictable, and each one new."""

    def __init__(self) -> None:
        self.made: list[SigningSecret] = []

    def new(self, *, now):
        secret = SigningSecret.from_key(bytes([len(self.made) + 1]) * 32, created_at=now)
        self.made.append(secret)
        return secret


class RefusingGuard:
    """Refuses the URLs it was given, with ``REFUSAL``; remembers every URL checked."""

    def __init__(self, *refused: str) -> None:
        self.refused = set(refused)
        self.checked: list[str] = []

    def check(self, url):
        self.checked.append(url)
        if url in self.refused:
            raise UnsafeDestinationError(REFUSAL)


class Offered:
    def __init__(self, event_types=OFFERED) -> None:
        self.event_types = frozenset(event_types)

    def offered(self):
        return self.event_types


@pytest.fixture
def clock():
    return FrozenClock(T0)


@pytest.fixture
def ports(clock):
    return {
        "clock": clock,
        "ids": SequentialIdFactory(),
        "secrets": CountingSecrets(),
        "guard": RefusingGuard("https://metadata.internal/latest"),
        "catalogue": Offered(),
    }


def run(handler, command, uow, **ports):
    result = handler(command, uow=uow, **ports)
    if isinstance(result, Ok):
        uow.commit()
    else:
        uow.rollback()
    return result


def stored_endpoint(id=ENDPOINT_ID, *, enabled=True) -> Endpoint:
    endpoint = Endpoint.subscribe(
        id=id,
        url=EndpointUrl(URL),
        event_types=EventTypeFilters(["orders.*"]),
        description="ERP sync",
        secret=SigningSecret.from_key(b"\xee" * 32, created_at=T0),
        now=T0,
    )
    if not enabled:
        endpoint.disable(reason="Paused by the partner.", now=T0)
    endpoint.pull_events()
    return endpoint


def subscribe(**overrides):
    arguments = {
        "url": URL,
        "event_types": ("orders.*", "billing.invoice_issued"),
        "description": "ERP sync",
        "requested_by": PARTNER,
    } | overrides
    return commands.SubscribeEndpoint(**arguments)


def field_errors(result):
    assert isinstance(result, Err)
    assert isinstance(result.error, ValidationError)
    return result.error.errors


def carries(event, secret: SigningSecret) -> bool:
    """Whether any field of ``event`` holds the secret, its key or the key's base64."""
    text = " ".join(repr(value) for value in dataclasses.asdict(event).values())
    return secret.value in text or secret.value.removeprefix(SigningSecret.PREFIX) in text or repr(secret.key) in text


# -- subscribe_endpoint


def test_subscribe_stores_an_enabled_endpoint_and_answers_its_secret_once(ports):
    uow = FakeWebhooksUnitOfWork()

    result = run(subscribe_endpoint, subscribe(), uow, **ports)

    assert isinstance(result, Ok)
    assert isinstance(result.value, EndpointWithSecret)
    endpoint, secret = result.value.endpoint, result.value.secret
    assert endpoint.id == UUID(int=1)
    assert uow.endpoints.rows[endpoint.id] is endpoint
    assert endpoint.enabled
    assert str(endpoint.url) == URL
    assert endpoint.event_types.patterns == ("billing.invoice_issued", "orders.*")
    assert secret == ports["secrets"].made[0] == endpoint.current_secret
    assert secret.created_at == T0
    assert [type(event) for event in uow.published] == [EndpointSubscribed]
    assert not any(carries(event, secret) for event in uow.published)
    assert secret.value not in repr(result.value)


def test_subscribe_checks_the_whole_url_with_the_destination_guard(ports):
    run(subscribe_endpoint, subscribe(), FakeWebhooksUnitOfWork(), **ports)

    assert ports["guard"].checked == [URL]


def test_a_refused_destination_is_an_err_carrying_the_guards_sentence(ports):
    uow = FakeWebhooksUnitOfWork()

    result = run(subscribe_endpoint, subscribe(url="https://metadata.internal/latest"), uow, **ports)

    assert isinstance(result, Err)
    assert isinstance(result.error, UnsafeDestinationError)
    assert isinstance(result.error, ValidationError)
    assert result.error.message == REFUSAL
    assert result.error.errors == {"url": [REFUSAL]}
    assert uow.endpoints.rows == {}
    assert ports["secrets"].made == []


def test_a_filter_matching_no_offered_event_type_is_refused_by_name(ports):
    uow = FakeWebhooksUnitOfWork()

    result = run(
        subscribe_endpoint, subscribe(event_types=("orders.*", "orders.order_shiped", "users.*")), uow, **ports
    )

    assert field_errors(result) == {"event_types": ["No event offered matches orders.order_shiped, users.*."]}
    assert uow.endpoints.rows == {}
    assert ports["secrets"].made == []


def test_a_wildcard_matching_an_offered_event_type_is_accepted(ports):
    result = run(subscribe_endpoint, subscribe(event_types=("billing.*",)), FakeWebhooksUnitOfWork(), **ports)

    assert isinstance(result, Ok)
    assert result.value.endpoint.event_types.patterns == ("billing.*",)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "ftp://erp.example.com/"}, "url"),
        ({"url": "https://user:pw@erp.example.com/"}, "url"),
        ({"url": ""}, "url"),
        ({"event_types": ()}, "event_types"),
        ({"event_types": ("Orders.Placed",)}, "event_types"),
        ({"description": "x" * 501}, "description"),
    ],
)
def test_subscribe_refuses_invalid_input_per_field(ports, overrides, field):
    uow = FakeWebhooksUnitOfWork()

    result = run(subscribe_endpoint, subscribe(**overrides), uow, **ports)

    assert list(field_errors(result)) == [field]
    assert uow.endpoints.rows == {}
    assert uow.published == []


def test_plain_http_only_when_allowed(ports):
    refused = run(subscribe_endpoint, subscribe(url="http://erp.example.com/"), FakeWebhooksUnitOfWork(), **ports)
    allowed = run(
        subscribe_endpoint, subscribe(url="http://erp.example.com/", allow_http=True), FakeWebhooksUnitOfWork(), **ports
    )

    assert field_errors(refused) == {"url": ["An endpoint URL must use https."]}
    assert isinstance(allowed, Ok)
    assert allowed.value.endpoint.url.scheme == "http"


def test_subscribing_twice_makes_two_endpoints_with_different_secrets(ports):
    uow = FakeWebhooksUnitOfWork()

    first = run(subscribe_endpoint, subscribe(), uow, **ports)
    second = run(subscribe_endpoint, subscribe(), uow, **ports)

    assert first.value.endpoint.id != second.value.endpoint.id
    assert first.value.secret.value != second.value.secret.value
    assert len(uow.endpoints.rows) == 2


# -- update_endpoint


def update_ports(ports):
    return {name: ports[name] for name in ("clock", "guard", "catalogue")}


def test_update_changes_what_is_given_and_records_it(ports, clock):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])
    clock.advance(timedelta(hours=1))
    command = commands.UpdateEndpoint(
        ENDPOINT_ID, PARTNER, url="https://erp.example.com/v2", event_types=("billing.*",), description="v2"
    )

    result = run(update_endpoint, command, uow, **update_ports(ports))

    assert isinstance(result, Ok)
    endpoint = uow.endpoints.rows[ENDPOINT_ID]
    assert (str(endpoint.url), endpoint.event_types.patterns, endpoint.description) == (
        "https://erp.example.com/v2",
        ("billing.*",),
        "v2",
    )
    assert ports["guard"].checked == ["https://erp.example.com/v2"]
    [event] = uow.published
    assert isinstance(event, EndpointUpdated)
    assert (event.changed, event.occurred_at) == (("url", "event_types", "description"), T0 + timedelta(hours=1))


def test_update_twice_records_one_change(ports):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])
    command = commands.UpdateEndpoint(ENDPOINT_ID, PARTNER, description="Warehouse")

    first = run(update_endpoint, command, uow, **update_ports(ports))
    second = run(update_endpoint, command, uow, **update_ports(ports))

    assert isinstance(first, Ok)
    assert isinstance(second, Ok)
    assert [type(event) for event in uow.published] == [EndpointUpdated]


def test_update_without_a_url_does_not_call_the_guard(ports):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])

    run(update_endpoint, commands.UpdateEndpoint(ENDPOINT_ID, PARTNER, description="x"), uow, **update_ports(ports))

    assert ports["guard"].checked == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"url": "https://metadata.internal/latest"}, {"url": [REFUSAL]}),
        ({"url": "http://erp.example.com/"}, {"url": ["An endpoint URL must use https."]}),
        ({"event_types": ("payments.*",)}, {"event_types": ["No event offered matches payments.*."]}),
        ({"event_types": ()}, {"event_types": ["Choose at least one event type."]}),
        ({"description": "x" * 501}, {"description": ["A description has at most 500 characters."]}),
    ],
)
def test_update_refuses_what_subscribe_refuses_and_changes_nothing(ports, changes, expected):
    endpoint = stored_endpoint()
    uow = FakeWebhooksUnitOfWork([endpoint])
    command = commands.UpdateEndpoint(ENDPOINT_ID, PARTNER, **({"event_types": ("orders.order_paid",)} | changes))

    result = run(update_endpoint, command, uow, **update_ports(ports))

    assert field_errors(result) == expected
    assert endpoint.event_types.patterns == ("orders.*",)
    assert str(endpoint.url) == URL
    assert endpoint.pull_events() == []


def test_a_refused_new_url_surfaces_as_unsafe_destination(ports):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])
    command = commands.UpdateEndpoint(ENDPOINT_ID, PARTNER, url="https://metadata.internal/latest")

    result = run(update_endpoint, command, uow, **update_ports(ports))

    assert isinstance(result.error, UnsafeDestinationError)
    assert result.error.message == REFUSAL


def test_plain_http_on_update_only_when_allowed(ports):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])
    command = commands.UpdateEndpoint(ENDPOINT_ID, PARTNER, url="http://erp.example.com/", allow_http=True)

    result = run(update_endpoint, command, uow, **update_ports(ports))

    assert isinstance(result, Ok)
    assert str(result.value.url) == "http://erp.example.com/"


# -- rotate_endpoint_secret


def rotate_ports(ports):
    return {name: ports[name] for name in ("clock", "secrets")}


def test_rotate_answers_the_new_secret_and_keeps_the_previous_one_signing_for_the_overlap(ports, clock):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])
    clock.advance(timedelta(days=1))
    now = T0 + timedelta(days=1)

    result = run(
        rotate_endpoint_secret, commands.RotateEndpointSecret(ENDPOINT_ID, 3600, PARTNER), uow, **rotate_ports(ports)
    )

    assert isinstance(result, Ok)
    new = result.value.secret
    endpoint = uow.endpoints.rows[ENDPOINT_ID]
    assert result.value.endpoint is endpoint
    assert new == ports["secrets"].made[0] == endpoint.current_secret
    assert new.created_at == now
    assert [s.expires_at for s in endpoint.signing_secrets(now)] == [None, now + timedelta(hours=1)]
    [event] = uow.published
    assert isinstance(event, EndpointSecretRotated)
    assert event.previous_expires_at == now + timedelta(hours=1)
    assert not carries(event, new)
    assert not carries(event, endpoint.secrets[1])


def test_rotating_twice_makes_two_secrets(ports):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])
    command = commands.RotateEndpointSecret(ENDPOINT_ID, 600, PARTNER)

    first = run(rotate_endpoint_secret, command, uow, **rotate_ports(ports))
    second = run(rotate_endpoint_secret, command, uow, **rotate_ports(ports))

    assert first.value.secret != second.value.secret
    assert uow.endpoints.rows[ENDPOINT_ID].current_secret == second.value.secret
    assert [type(event) for event in uow.published] == [EndpointSecretRotated, EndpointSecretRotated]


@pytest.mark.parametrize("seconds", [-1, 7 * 86400 + 1, 10**20, True])
def test_rotate_refuses_an_overlap_out_of_bounds(ports, seconds):
    endpoint = stored_endpoint()
    uow = FakeWebhooksUnitOfWork([endpoint])

    result = run(
        rotate_endpoint_secret, commands.RotateEndpointSecret(ENDPOINT_ID, seconds, PARTNER), uow, **rotate_ports(ports)
    )

    assert list(field_errors(result)) == ["overlap"]
    assert len(endpoint.secrets) == 1
    assert ports["secrets"].made == []


@pytest.mark.parametrize("seconds", [0, 7 * 86400])
def test_rotate_accepts_the_bounds_of_the_overlap(ports, seconds):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])

    result = run(
        rotate_endpoint_secret, commands.RotateEndpointSecret(ENDPOINT_ID, seconds, PARTNER), uow, **rotate_ports(ports)
    )

    assert isinstance(result, Ok)


# -- disable_endpoint, enable_endpoint


def test_disable_then_enable(ports, clock):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])

    disabled = run(disable_endpoint, commands.DisableEndpoint(ENDPOINT_ID, " Migrating ", PARTNER), uow, clock=clock)

    assert isinstance(disabled, Ok)
    endpoint = uow.endpoints.rows[ENDPOINT_ID]
    assert (endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at) == (False, "Migrating", T0)

    clock.advance(timedelta(hours=2))
    enabled = run(enable_endpoint, commands.EnableEndpoint(ENDPOINT_ID, PARTNER), uow, clock=clock)

    assert isinstance(enabled, Ok)
    assert (endpoint.enabled, endpoint.disabled_reason) == (True, "")
    assert [type(event) for event in uow.published] == [EndpointDisabled, EndpointEnabled]


def test_disabling_or_enabling_twice_records_once(clock):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])

    for _ in range(2):
        assert isinstance(
            run(disable_endpoint, commands.DisableEndpoint(ENDPOINT_ID, "Paused", PARTNER), uow, clock=clock), Ok
        )
    for _ in range(2):
        assert isinstance(run(enable_endpoint, commands.EnableEndpoint(ENDPOINT_ID, PARTNER), uow, clock=clock), Ok)

    assert [type(event) for event in uow.published] == [EndpointDisabled, EndpointEnabled]


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_disable_needs_a_reason(clock, reason):
    endpoint = stored_endpoint()
    uow = FakeWebhooksUnitOfWork([endpoint])

    result = run(disable_endpoint, commands.DisableEndpoint(ENDPOINT_ID, reason, PARTNER), uow, clock=clock)

    assert list(field_errors(result)) == ["reason"]
    assert endpoint.enabled


# -- not found


@pytest.mark.parametrize(
    ("handler", "command", "port_names"),
    [
        (
            update_endpoint,
            commands.UpdateEndpoint(OTHER_ENDPOINT_ID, PARTNER, description="x"),
            ("clock", "guard", "catalogue"),
        ),
        (rotate_endpoint_secret, commands.RotateEndpointSecret(OTHER_ENDPOINT_ID, 60, PARTNER), ("clock", "secrets")),
        (disable_endpoint, commands.DisableEndpoint(OTHER_ENDPOINT_ID, "Paused", PARTNER), ("clock",)),
        (enable_endpoint, commands.EnableEndpoint(OTHER_ENDPOINT_ID, PARTNER), ("clock",)),
        (redeliver_since, commands.RedeliverSince(OTHER_ENDPOINT_ID, T0, PARTNER), ("clock",)),
    ],
)
def test_an_unknown_endpoint_is_not_found(ports, handler, command, port_names):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])

    result = run(handler, command, uow, **{name: ports[name] for name in port_names})

    assert result == Err(EndpointNotFoundError("No webhook endpoint has this id."))


def test_an_unknown_delivery_is_not_found(clock):
    result = run(
        redeliver_delivery, commands.RedeliverDelivery(UUID(int=404), PARTNER), FakeWebhooksUnitOfWork(), clock=clock
    )

    assert result == Err(DeliveryNotFoundError("No delivery has this id."))


# -- redeliver_delivery, redeliver_since

SCHEDULE = RetrySchedule()


def delivery(n: int, *, created_at: datetime, status: DeliveryStatus, endpoint_id=ENDPOINT_ID) -> Delivery:
    made = Delivery.create(
        endpoint_id=endpoint_id,
        event_id=UUID(int=n),
        event_type="orders.order_placed",
        occurred_at=created_at,
        now=created_at,
    )
    if status is DeliveryStatus.SUCCEEDED:
        made.record_attempt(
            outcome=AttemptOutcome.from_status(204), now=created_at, schedule=SCHEDULE, random_fraction=0.5
        )
    elif status is DeliveryStatus.FAILED:
        made.record_attempt(
            outcome=AttemptOutcome.from_status(410), now=created_at, schedule=SCHEDULE, random_fraction=0.5
        )
    assert made.status is status
    return made


def test_redeliver_makes_a_finished_delivery_pending_and_due_now(clock):
    failed = delivery(1, created_at=T0, status=DeliveryStatus.FAILED)
    uow = FakeWebhooksUnitOfWork([stored_endpoint()], [failed])
    clock.advance(timedelta(days=1))

    result = run(redeliver_delivery, commands.RedeliverDelivery(failed.id, PARTNER), uow, clock=clock)

    assert result == Ok(failed)
    stored = uow.deliveries.rows[failed.id]
    assert (stored.status, stored.next_attempt_at, stored.attempts, stored.attempts_this_round) == (
        DeliveryStatus.PENDING,
        T0 + timedelta(days=1),
        1,
        0,
    )
    assert uow.published == []


def test_redelivering_a_pending_delivery_is_refused(clock):
    pending = delivery(1, created_at=T0, status=DeliveryStatus.PENDING)
    uow = FakeWebhooksUnitOfWork([stored_endpoint()], [pending])

    result = run(redeliver_delivery, commands.RedeliverDelivery(pending.id, PARTNER), uow, clock=clock)

    assert isinstance(result, Err)
    assert isinstance(result.error, DeliveryPendingError)


def test_redeliver_since_sends_again_every_finished_delivery_from_the_moment_on(clock):
    moment = T0 + timedelta(hours=1)
    before = delivery(1, created_at=T0, status=DeliveryStatus.FAILED)
    at_moment = delivery(2, created_at=moment, status=DeliveryStatus.SUCCEEDED)
    failed = delivery(3, created_at=moment + timedelta(minutes=1), status=DeliveryStatus.FAILED)
    succeeded = delivery(4, created_at=moment + timedelta(minutes=2), status=DeliveryStatus.SUCCEEDED)
    pending = delivery(5, created_at=moment + timedelta(minutes=3), status=DeliveryStatus.PENDING)
    elsewhere = delivery(6, created_at=moment, status=DeliveryStatus.FAILED, endpoint_id=OTHER_ENDPOINT_ID)
    uow = FakeWebhooksUnitOfWork(
        [stored_endpoint(), stored_endpoint(OTHER_ENDPOINT_ID)],
        [before, at_moment, failed, succeeded, pending, elsewhere],
    )
    clock.advance(timedelta(days=1))
    now = T0 + timedelta(days=1)
    pending_due = pending.next_attempt_at

    result = run(redeliver_since, commands.RedeliverSince(ENDPOINT_ID, moment, PARTNER), uow, clock=clock)

    assert result == Ok(3)
    for redelivered in (at_moment, failed, succeeded):
        assert (redelivered.status, redelivered.next_attempt_at) == (DeliveryStatus.PENDING, now)
    assert (pending.status, pending.next_attempt_at) == (DeliveryStatus.PENDING, pending_due)
    assert before.status is DeliveryStatus.FAILED
    assert elsewhere.status is DeliveryStatus.FAILED
    assert uow.published == []

    again = run(redeliver_since, commands.RedeliverSince(ENDPOINT_ID, moment, PARTNER), uow, clock=clock)

    assert again == Ok(0)


def test_redeliver_since_reaches_a_disabled_endpoints_deliveries(clock):
    failed = delivery(1, created_at=T0, status=DeliveryStatus.FAILED)
    uow = FakeWebhooksUnitOfWork([stored_endpoint(enabled=False)], [failed])

    assert run(redeliver_since, commands.RedeliverSince(ENDPOINT_ID, T0, PARTNER), uow, clock=clock) == Ok(1)


def test_redeliver_since_needs_an_aware_moment(clock):
    uow = FakeWebhooksUnitOfWork([stored_endpoint()])

    result = run(redeliver_since, commands.RedeliverSince(ENDPOINT_ID, datetime(2026, 3, 1), PARTNER), uow, clock=clock)

    assert field_errors(result) == {"since": ["A time must carry its time zone."]}


# -- secrets never in events


def test_no_event_of_any_handler_carries_a_secret(ports, clock):
    uow = FakeWebhooksUnitOfWork()
    subscribed = run(subscribe_endpoint, subscribe(), uow, **ports).value
    endpoint_id = subscribed.endpoint.id
    rotated = run(
        rotate_endpoint_secret, commands.RotateEndpointSecret(endpoint_id, 3600, PARTNER), uow, **rotate_ports(ports)
    ).value
    run(update_endpoint, commands.UpdateEndpoint(endpoint_id, PARTNER, description="v2"), uow, **update_ports(ports))
    run(disable_endpoint, commands.DisableEndpoint(endpoint_id, "Paused", PARTNER), uow, clock=clock)
    run(enable_endpoint, commands.EnableEndpoint(endpoint_id, PARTNER), uow, clock=clock)

    assert [type(event) for event in uow.published] == [
        EndpointSubscribed,
        EndpointSecretRotated,
        EndpointUpdated,
        EndpointDisabled,
        EndpointEnabled,
    ]
    for event in uow.published:
        for secret in (subscribed.secret, rotated.secret):
            assert not carries(event, secret)
            assert all(not isinstance(value, SigningSecret) for value in dataclasses.asdict(event).values())


# -- record_delivery_attempt


def pending_delivery(endpoint_id=ENDPOINT_ID, event=1) -> Delivery:
    return Delivery.create(
        endpoint_id=endpoint_id, event_id=UUID(int=event), event_type="orders.order_placed", occurred_at=T0, now=T0
    )


def record(uow, clock, delivery_id, *, disable_after=timedelta(days=5), **outcome):
    return run(
        record_delivery_attempt,
        commands.RecordDeliveryAttempt(delivery_id, **outcome),
        uow,
        clock=clock,
        schedule=RetrySchedule(jitter=0),
        disable_after=disable_after,
        random=lambda: 0.5,
    )


def test_a_2xx_attempt_delivers_and_ends_the_endpoints_run_of_failures(clock):
    endpoint, delivery = stored_endpoint(), pending_delivery()
    endpoint.failing_since = T0 - timedelta(days=1)
    uow = FakeWebhooksUnitOfWork([endpoint], [delivery])

    result = record(uow, clock, delivery.id, status_code=204)

    assert result == Ok(AttemptResult.DELIVERED)
    assert uow.deliveries.rows[delivery.id].status is DeliveryStatus.SUCCEEDED
    assert endpoint.failing_since is None
    assert endpoint.pending_events == ()  # bookkeeping, not a fact: the version does not move


def test_a_failed_attempt_schedules_a_retry_and_starts_the_run_of_failures(clock):
    endpoint, delivery = stored_endpoint(), pending_delivery()
    uow = FakeWebhooksUnitOfWork([endpoint], [delivery])

    result = record(uow, clock, delivery.id, status_code=500)

    assert result == Ok(AttemptResult.RETRYING)
    stored = uow.deliveries.rows[delivery.id]
    assert (stored.status, stored.attempts, stored.next_attempt_at) == (
        DeliveryStatus.PENDING,
        1,
        T0 + timedelta(seconds=5),
    )
    assert endpoint.failing_since == T0
    assert endpoint.enabled


def test_a_transport_failure_is_recorded_by_its_kind(clock):
    delivery = pending_delivery()
    uow = FakeWebhooksUnitOfWork([stored_endpoint()], [delivery])

    result = record(uow, clock, delivery.id, error="timeout")

    assert result == Ok(AttemptResult.RETRYING)
    assert uow.deliveries.rows[delivery.id].last_error is TransportError.TIMEOUT


def test_retry_after_on_503_postpones_the_next_attempt(clock):
    delivery = pending_delivery()
    uow = FakeWebhooksUnitOfWork([stored_endpoint()], [delivery])

    record(uow, clock, delivery.id, status_code=503, retry_after_seconds=120)

    assert uow.deliveries.rows[delivery.id].next_attempt_at == T0 + timedelta(seconds=120)


def test_410_fails_the_delivery_and_disables_the_endpoint_at_once(clock):
    endpoint, delivery = stored_endpoint(), pending_delivery()
    uow = FakeWebhooksUnitOfWork([endpoint], [delivery])

    result = record(uow, clock, delivery.id, status_code=410)

    assert result == Ok(AttemptResult.GONE)
    assert uow.deliveries.rows[delivery.id].status is DeliveryStatus.FAILED
    assert (endpoint.enabled, endpoint.disabled_cause) == (False, DisableCause.GONE)
    assert [type(event) for event in uow.published] == [EndpointDisabled]


def test_failing_for_disable_after_in_a_row_disables_the_endpoint_with_the_reason(clock):
    endpoint, delivery = stored_endpoint(), pending_delivery()
    endpoint.failing_since = T0 - timedelta(days=5)
    uow = FakeWebhooksUnitOfWork([endpoint], [delivery])

    result = record(uow, clock, delivery.id, status_code=500)

    assert result == Ok(AttemptResult.RETRYING)
    assert (endpoint.enabled, endpoint.disabled_cause) == (False, DisableCause.FAILING)
    assert "5.0 days" in endpoint.disabled_reason


def test_an_attempt_for_a_finished_delivery_is_refused_and_changes_nothing(clock):
    endpoint, delivery = stored_endpoint(), pending_delivery()
    delivery.record_attempt(
        outcome=AttemptOutcome.from_status(200), now=T0, schedule=RetrySchedule(), random_fraction=0.5
    )
    uow = FakeWebhooksUnitOfWork([endpoint], [delivery])

    result = record(uow, clock, delivery.id, status_code=500)

    assert isinstance(result, Err)
    assert isinstance(result.error, DeliveryNotPendingError)
    assert (delivery.attempts, endpoint.failing_since) == (1, None)


@pytest.mark.parametrize(
    ("outcome", "field"),
    [
        ({"status_code": 700}, "status_code"),
        ({"error": "teapot"}, "error"),
        ({}, "outcome"),
        ({"status_code": 200, "error": "timeout"}, "outcome"),
        ({"status_code": 503, "retry_after_seconds": -1}, "retry_after_seconds"),
    ],
)
def test_an_outcome_that_makes_no_sense_is_a_validation_error(clock, outcome, field):
    delivery = pending_delivery()
    uow = FakeWebhooksUnitOfWork([stored_endpoint()], [delivery])

    assert field in field_errors(record(uow, clock, delivery.id, **outcome))
    assert delivery.attempts == 0


def test_an_attempt_for_an_unknown_delivery_is_not_found(clock):
    result = record(FakeWebhooksUnitOfWork(), clock, UUID(int=404), status_code=200)

    assert isinstance(result, Err)
    assert isinstance(result.error, DeliveryNotFoundError)
