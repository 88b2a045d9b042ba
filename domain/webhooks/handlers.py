"""Command handlers of the webhooks context.

Each takes its command plus keyword-only ports and returns ``Ok(...)`` or an ``Err``
with a domain or application error. None commits: the unit-of-work middleware
commits on ``Ok`` and rolls back on ``Err``.

A signing secret leaves this module in one place only: the ``EndpointWithSecret``
answered by ``subscribe_endpoint`` and ``rotate_endpoint_secret``, for the caller
to show once. No event, error or log line carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from domain.kernel.errors import DomainError, InvalidValueError, ValidationError
from domain.kernel.ids import IdFactory
from domain.kernel.ports import Clock
from domain.kernel.result import Err, Ok, Result, attempt
from domain.webhooks import commands
from domain.webhooks.delivery import (
    AttemptOutcome,
    AttemptResult,
    Delivery,
    RetrySchedule,
    TransportError,
)
from domain.webhooks.errors import DeliveryNotFoundError, EndpointNotFoundError, UnsafeDestinationError
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.model import MAX_ROTATION_OVERLAP, Endpoint, EndpointUrl, SigningSecret, description_text
from domain.webhooks.ports import DestinationGuard, EventCatalogue, SecretGenerator, WebhooksUnitOfWork


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    """An endpoint and the secret it signs with from now on, to be shown once and not kept."""

    endpoint: Endpoint
    secret: SigningSecret

    @property
    def endpoint_id(self) -> UUID:
        return self.endpoint.id


EndpointResult = Result[Endpoint, DomainError | ValidationError]
SecretResult = Result[EndpointWithSecret, DomainError | ValidationError]


def subscribe_endpoint(
    cmd: commands.SubscribeEndpoint,
    *,
    uow: WebhooksUnitOfWork,
    clock: Clock,
    ids: IdFactory,
    secrets: SecretGenerator,
    guard: DestinationGuard,
    catalogue: EventCatalogue,
) -> SecretResult:
    """Subscribe a new endpoint, enabled, with a new secret; answer it with the secret.

    Not idempotent: each run subscribes another endpoint with another id and secret (one
    receiver may rightly be subscribed twice, say with different event types).

    Err: ``ValidationError`` (``url``, ``event_types`` — including filters that match no
    offered event type —, ``description``), ``UnsafeDestinationError`` (the guard's sentence).
    """
    url = _url(cmd.url, cmd.allow_http, guard)
    if isinstance(url, Err):
        return url
    filters = _filters(cmd.event_types, catalogue)
    if isinstance(filters, Err):
        return filters
    description = attempt(lambda: description_text(cmd.description))
    if isinstance(description, Err):
        return description
    now = clock.now()
    secret = secrets.new(now=now)
    endpoint = attempt(
        lambda: Endpoint.subscribe(
            id=ids.new(),
            url=url.value,
            event_types=filters.value,
            description=description.value,
            secret=secret,
            now=now,
        )
    )
    if isinstance(endpoint, Err):
        return endpoint
    uow.endpoints.add(endpoint.value)
    return Ok(EndpointWithSecret(endpoint.value, secret))


def update_endpoint(
    cmd: commands.UpdateEndpoint,
    *,
    uow: WebhooksUnitOfWork,
    clock: Clock,
    guard: DestinationGuard,
    catalogue: EventCatalogue,
) -> EndpointResult:
    """Change what the command gives; a new URL passes the same checks as at subscription, and so
    do new event types. Idempotent: a second run finds nothing to change and records nothing.

    Err: ``EndpointNotFoundError``, ``ValidationError`` (``url``, ``event_types``, ``description``),
    ``UnsafeDestinationError``.
    """
    endpoint = uow.endpoints.get(cmd.endpoint_id)
    if endpoint is None:
        return Err(EndpointNotFoundError("No webhook endpoint has this id."))
    url: EndpointUrl | None = None
    if cmd.url is not None:
        checked = _url(cmd.url, cmd.allow_http, guard)
        if isinstance(checked, Err):
            return checked
        url = checked.value
    filters: EventTypeFilters | None = None
    if cmd.event_types is not None:
        chosen = _filters(cmd.event_types, catalogue)
        if isinstance(chosen, Err):
            return chosen
        filters = chosen.value
    if cmd.description is not None:
        described = attempt(lambda: description_text(cmd.description or ""))
        if isinstance(described, Err):
            return described
    updated = attempt(
        lambda: endpoint.update(now=clock.now(), url=url, event_types=filters, description=cmd.description)
    )
    if isinstance(updated, Err):
        return updated
    return Ok(endpoint)


def rotate_endpoint_secret(
    cmd: commands.RotateEndpointSecret, *, uow: WebhooksUnitOfWork, clock: Clock, secrets: SecretGenerator
) -> SecretResult:
    """Make a new secret current; the previous one keeps signing for the overlap (0 to 7 days).
    Answer the endpoint with the new secret.

    Not idempotent: a second run makes yet another secret, and the one the first run answered
    becomes the previous one, signing only until its own overlap ends.

    Err: ``EndpointNotFoundError``, ``ValidationError`` (``overlap``).
    """
    endpoint = uow.endpoints.get(cmd.endpoint_id)
    if endpoint is None:
        return Err(EndpointNotFoundError("No webhook endpoint has this id."))
    overlap = attempt(lambda: _overlap(cmd.overlap_seconds))
    if isinstance(overlap, Err):
        return overlap
    now = clock.now()
    secret = secrets.new(now=now)
    rotated = attempt(lambda: endpoint.rotate_secret(new_secret=secret, now=now, overlap=overlap.value))
    if isinstance(rotated, Err):
        return rotated
    return Ok(EndpointWithSecret(endpoint, secret))


def disable_endpoint(cmd: commands.DisableEndpoint, *, uow: WebhooksUnitOfWork, clock: Clock) -> EndpointResult:
    """Stop deliveries to the endpoint. Idempotent: a disabled endpoint stays as it was (its first
    reason kept), and nothing is recorded.

    Err: ``EndpointNotFoundError``, ``ValidationError`` (``reason``: empty or too long).
    """
    endpoint = uow.endpoints.get(cmd.endpoint_id)
    if endpoint is None:
        return Err(EndpointNotFoundError("No webhook endpoint has this id."))
    disabled = attempt(lambda: endpoint.disable(reason=cmd.reason, now=clock.now()))
    if isinstance(disabled, Err):
        return disabled
    return Ok(endpoint)


def enable_endpoint(cmd: commands.EnableEndpoint, *, uow: WebhooksUnitOfWork, clock: Clock) -> EndpointResult:
    """Deliver to the endpoint again, its run of failures forgotten. Idempotent: an enabled endpoint
    stays as it was, and nothing is recorded.

    Err: ``EndpointNotFoundError``.
    """
    endpoint = uow.endpoints.get(cmd.endpoint_id)
    if endpoint is None:
        return Err(EndpointNotFoundError("No webhook endpoint has this id."))
    endpoint.enable(now=clock.now())
    return Ok(endpoint)


def redeliver_delivery(
    cmd: commands.RedeliverDelivery, *, uow: WebhooksUnitOfWork, clock: Clock
) -> Result[Delivery, DomainError]:
    """Make a finished delivery pending again, due at once, with a fresh round of retries.

    Not idempotent: a second run finds the delivery pending (or finished again, and sends it once
    more), so it answers ``DeliveryPendingError`` while the first redelivery is under way.

    Err: ``DeliveryNotFoundError``, ``DeliveryPendingError``.
    """
    delivery = uow.deliveries.get(cmd.delivery_id)
    if delivery is None:
        return Err(DeliveryNotFoundError("No delivery has this id."))
    redelivered = delivery.redeliver(now=clock.now())
    if isinstance(redelivered, Err):
        return redelivered
    return Ok(delivery)


def redeliver_since(
    cmd: commands.RedeliverSince, *, uow: WebhooksUnitOfWork, clock: Clock
) -> Result[int, DomainError | ValidationError]:
    """Redeliver every finished delivery of the endpoint created at or after ``since``; answer how
    many. Pending ones are left to their schedule: they are on their way already.

    Safe to run twice: a second run finds the first one's deliveries pending and skips them, so it
    only sends again what has finished since.

    Err: ``EndpointNotFoundError``, ``ValidationError`` (``since`` without a time zone).
    """
    if cmd.since.tzinfo is None or cmd.since.utcoffset() is None:
        return Err(ValidationError.for_field("since", "A time must carry its time zone."))
    if uow.endpoints.get(cmd.endpoint_id) is None:
        return Err(EndpointNotFoundError("No webhook endpoint has this id."))
    now = clock.now()
    count = 0
    for delivery in uow.deliveries.finished_since(cmd.endpoint_id, cmd.since):
        redelivered = delivery.redeliver(now=now)
        if isinstance(redelivered, Err):
            return redelivered
        count += 1
    return Ok(count)


def record_delivery_attempt(
    cmd: commands.RecordDeliveryAttempt,
    *,
    uow: WebhooksUnitOfWork,
    clock: Clock,
    schedule: RetrySchedule,
    disable_after: timedelta,
    random: Callable[[], float],
) -> Result[AttemptResult, DomainError | ValidationError]:
    """Count the attempt on its delivery and tell the endpoint: a success ends its run of failures,
    a 410 Gone disables it at once, any other failure extends the run (and disables it once the run
    has lasted ``disable_after``). Answer what became of the delivery.

    Not idempotent: each run counts one more attempt (the sending task reports each attempt once).

    Err: ``DeliveryNotFoundError``, ``DeliveryNotPendingError`` (an attempt reported after the
    delivery finished; nothing changes), ``ValidationError`` (``outcome``, ``status_code``, ``error``,
    ``retry_after_seconds``).
    """
    outcome = attempt(lambda: _outcome(cmd.status_code, cmd.error))
    if isinstance(outcome, Err):
        return outcome
    if cmd.retry_after_seconds is not None and (
        isinstance(cmd.retry_after_seconds, bool)
        or not isinstance(cmd.retry_after_seconds, int)
        or cmd.retry_after_seconds < 0
    ):
        return Err(ValidationError.for_field("retry_after_seconds", "Retry-After is a whole number of seconds."))
    delivery = uow.deliveries.get(cmd.delivery_id)
    if delivery is None:
        return Err(DeliveryNotFoundError("No delivery has this id."))
    endpoint = uow.endpoints.get(delivery.endpoint_id)
    if endpoint is None:
        return Err(EndpointNotFoundError("The delivery's endpoint no longer exists."))
    now = clock.now()
    retry_after = None if cmd.retry_after_seconds is None else timedelta(seconds=cmd.retry_after_seconds)
    recorded = delivery.record_attempt(
        outcome=outcome.value, now=now, schedule=schedule, random_fraction=random(), retry_after=retry_after
    )
    if isinstance(recorded, Err):
        return recorded
    match recorded.value:
        case AttemptResult.DELIVERED:
            endpoint.record_delivery_succeeded(now=now)
        case AttemptResult.GONE:
            endpoint.record_gone(now=now)
        case AttemptResult.RETRYING | AttemptResult.GAVE_UP:
            endpoint.record_delivery_failed(now=now, disable_after=disable_after)
    return recorded


def _outcome(status_code: int | None, error: str | None) -> AttemptOutcome:
    if error is None:
        return AttemptOutcome(status_code=status_code)
    try:
        kind = TransportError(error)
    except ValueError:
        known = ", ".join(kind.value for kind in TransportError)
        raise InvalidValueError("error", f"A transport error is one of {known}.") from None
    return AttemptOutcome(status_code=status_code, error=kind)


def _url(text: str, allow_http: bool, guard: DestinationGuard) -> Result[EndpointUrl, ValidationError]:
    """The URL checked as text, then by the destination guard."""
    url = attempt(lambda: EndpointUrl(text, allow_http))
    if isinstance(url, Err):
        return url
    try:
        guard.check(url.value.value)
    except UnsafeDestinationError as refused:
        return Err(refused)
    return url


def _filters(patterns: tuple[str, ...], catalogue: EventCatalogue) -> Result[EventTypeFilters, ValidationError]:
    """The filters checked as text, each matching at least one event type offered."""
    filters = attempt(lambda: EventTypeFilters(patterns))
    if isinstance(filters, Err):
        return filters
    unmatched = filters.value.unmatched(catalogue.offered())
    if unmatched:
        names = ", ".join(unmatched)
        return Err(ValidationError.for_field("event_types", f"No event offered matches {names}."))
    return filters


def _overlap(seconds: int) -> timedelta:
    """``seconds`` as an overlap; any whole number of seconds the model accepts (0 to 7 days)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise InvalidValueError("overlap", "The overlap is a whole number of seconds.")
    if not 0 <= seconds <= MAX_ROTATION_OVERLAP.total_seconds():
        raise InvalidValueError("overlap", f"The overlap is between 0 and {MAX_ROTATION_OVERLAP.days} days.")
    return timedelta(seconds=seconds)
