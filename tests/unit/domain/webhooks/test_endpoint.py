"""The Endpoint aggregate: subscribing, secrets and their rotation, edits, and being disabled and enabled."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from standardwebhooks import Webhook

from domain.kernel.errors import InvalidValueError
from domain.kernel.events import to_integration_event
from domain.webhooks.events import (
    EndpointDisabled,
    EndpointEnabled,
    EndpointSecretRotated,
    EndpointSubscribed,
    EndpointUpdated,
)
from domain.webhooks.filters import EventTypeFilters
from domain.webhooks.model import DisableCause, Endpoint, EndpointUrl, SigningSecret

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ENDPOINT_ID = UUID("aaaaaaaa-0000-4000-8000-000000000001")
URL = EndpointUrl("https://erp.example.com/hooks?token=abc")
FILTERS = EventTypeFilters(["orders.*", "billing.invoice_issued"])
THREE_DAYS = timedelta(days=3)


def secret(n: int, at: datetime = T0) -> SigningSecret:
    return SigningSecret.from_key(bytes([n]) * 32, created_at=at)


def subscribed(**overrides) -> Endpoint:
    arguments = {
        "id": ENDPOINT_ID,
        "url": URL,
        "event_types": FILTERS,
        "description": " ERP sync ",
        "secret": secret(1),
        "now": T0,
    } | overrides
    return Endpoint.subscribe(**arguments)


def values(secrets) -> list[str]:
    return [s.value for s in secrets]


# -- signing secrets


def test_a_secret_is_whsec_and_the_base64_of_its_key():
    key = bytes(range(32))
    made = SigningSecret.from_key(key, created_at=T0)

    assert made.value == "whsec_" + base64.b64encode(key).decode()
    assert made.key == key
    assert made.expires_at is None


def test_the_standard_webhooks_library_reads_the_secret_as_is_and_signs_with_its_key():
    made = secret(7)
    payload = '{"type":"orders.order_placed"}'

    signature = Webhook(made.value).sign("msg_1", T0, payload)

    expected = hmac.new(made.key, f"msg_1.{int(T0.timestamp())}.{payload}".encode(), hashlib.sha256).digest()
    assert signature == "v1," + base64.b64encode(expected).decode()


def test_a_secret_never_shows_its_value_in_a_repr():
    made = secret(9)
    assert made.value not in repr(made)
    assert "whsec_" not in repr(made)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sk_" + base64.b64encode(b"k" * 32).decode(), "starts with 'whsec_'"),
        ("whsec_not base64!", "base64"),
        ("whsec_" + base64.b64encode(b"k" * 23).decode(), "24 to 64 bytes; this one 23"),
        ("whsec_" + base64.b64encode(b"k" * 65).decode(), "24 to 64 bytes; this one 65"),
    ],
)
def test_a_secret_that_is_not_a_standard_webhooks_key_of_24_to_64_bytes_is_refused(value, message):
    with pytest.raises(InvalidValueError, match=message) as raised:
        SigningSecret(value, T0)
    assert raised.value.field == "secret"


@pytest.mark.parametrize("size", [24, 64])
def test_keys_of_24_and_64_bytes_are_accepted(size):
    assert len(SigningSecret.from_key(b"k" * size, created_at=T0).key) == size


def test_a_secret_needs_aware_times_and_cannot_expire_before_it_was_made():
    with pytest.raises(InvalidValueError) as raised:
        SigningSecret.from_key(b"k" * 32, created_at=T0.replace(tzinfo=None))
    assert raised.value.field == "created_at"
    with pytest.raises(InvalidValueError) as raised:
        SigningSecret(secret(1).value, T0, T0.replace(tzinfo=None))
    assert raised.value.field == "expires_at"
    with pytest.raises(InvalidValueError, match="before it was made"):
        SigningSecret(secret(1).value, T0, T0 - timedelta(seconds=1))


def test_a_secret_signs_until_its_expiry_and_not_at_it():
    expiring = secret(1).expiring(T0 + timedelta(hours=1))

    assert expiring.signs_at(T0 + timedelta(minutes=59))
    assert not expiring.signs_at(T0 + timedelta(hours=1))
    assert secret(1).signs_at(T0 + timedelta(days=10_000))


# -- subscribing


def test_subscribing_enables_the_endpoint_and_records_endpoint_subscribed_without_secret_or_query():
    endpoint = subscribed()

    assert endpoint.enabled
    assert endpoint.description == "ERP sync"
    assert endpoint.subscribed_at == T0
    assert endpoint.failing_since is None
    assert endpoint.version == 1
    assert endpoint.current_secret == secret(1)
    (event,) = endpoint.pending_events
    assert isinstance(event, EndpointSubscribed)
    assert event.aggregate_type == "webhooks.endpoint"
    payload = to_integration_event(event).payload
    assert payload == {
        "endpoint_id": str(ENDPOINT_ID),
        "url": "https://erp.example.com/hooks",
        "event_types": ["billing.invoice_issued", "orders.*"],
        "description": "ERP sync",
    }
    assert secret(1).value.removeprefix("whsec_") not in str(payload)


def test_a_description_is_at_most_500_characters():
    assert subscribed(description="d" * 500).description == "d" * 500
    with pytest.raises(InvalidValueError) as raised:
        subscribed(description="d" * 501)
    assert raised.value.field == "description"


def test_a_new_endpoints_secret_does_not_expire():
    with pytest.raises(InvalidValueError) as raised:
        subscribed(secret=secret(1).expiring(T0 + THREE_DAYS))
    assert raised.value.field == "secret"


def test_an_endpoint_is_built_with_its_current_secret_first_and_without_expiry():
    with pytest.raises(InvalidValueError):
        Endpoint(id=ENDPOINT_ID, url=URL, event_types=FILTERS, description="", secrets=(), subscribed_at=T0)
    with pytest.raises(InvalidValueError):
        Endpoint(
            id=ENDPOINT_ID,
            url=URL,
            event_types=FILTERS,
            description="",
            secrets=(secret(1).expiring(T0),),
            subscribed_at=T0,
        )


def test_wants_follows_the_filters_and_receives_also_needs_the_endpoint_enabled():
    endpoint = subscribed()

    assert endpoint.wants("orders.order_paid")
    assert endpoint.wants("billing.invoice_issued")
    assert not endpoint.wants("billing.payment_captured")
    assert endpoint.receives("orders.order_paid")
    endpoint.disable(reason="maintenance", now=T0)
    assert endpoint.wants("orders.order_paid")
    assert not endpoint.receives("orders.order_paid")


# -- rotation


def test_rotation_makes_the_new_secret_current_and_keeps_the_old_one_signing_for_the_overlap():
    endpoint = subscribed()
    at = T0 + timedelta(days=1)

    endpoint.rotate_secret(new_secret=secret(2, at), now=at, overlap=timedelta(hours=24))

    assert endpoint.current_secret == secret(2, at)
    assert values(endpoint.signing_secrets(at)) == [secret(2).value, secret(1).value]
    assert values(endpoint.signing_secrets(at + timedelta(hours=23, minutes=59))) == [secret(2).value, secret(1).value]
    assert values(endpoint.signing_secrets(at + timedelta(hours=24))) == [secret(2).value]
    event = endpoint.pending_events[-1]
    assert isinstance(event, EndpointSecretRotated)
    assert event.previous_expires_at == at + timedelta(hours=24)
    assert set(to_integration_event(event).payload) == {"endpoint_id", "previous_expires_at"}


def test_a_rotation_without_overlap_retires_the_old_secret_at_once():
    endpoint = subscribed()

    endpoint.rotate_secret(new_secret=secret(2), now=T0, overlap=timedelta(0))

    assert values(endpoint.secrets) == [secret(2).value]
    assert values(endpoint.signing_secrets(T0)) == [secret(2).value]


def test_rotating_again_keeps_earlier_secrets_only_until_their_own_expiry_and_forgets_expired_ones():
    endpoint = subscribed()
    endpoint.rotate_secret(new_secret=secret(2), now=T0, overlap=timedelta(hours=10))
    endpoint.rotate_secret(new_secret=secret(3), now=T0 + timedelta(hours=1), overlap=timedelta(days=2))

    assert values(endpoint.signing_secrets(T0 + timedelta(hours=5))) == [
        s.value for s in (secret(3), secret(2), secret(1))
    ]
    assert values(endpoint.signing_secrets(T0 + timedelta(hours=11))) == [secret(3).value, secret(2).value]

    endpoint.rotate_secret(new_secret=secret(4), now=T0 + timedelta(hours=12), overlap=timedelta(hours=1))

    assert values(endpoint.secrets) == [secret(4).value, secret(3).value, secret(2).value]


@pytest.mark.parametrize("overlap", [timedelta(seconds=-1), timedelta(days=7, seconds=1)])
def test_the_overlap_is_between_zero_and_seven_days(overlap):
    endpoint = subscribed()
    with pytest.raises(InvalidValueError) as raised:
        endpoint.rotate_secret(new_secret=secret(2), now=T0, overlap=overlap)
    assert raised.value.field == "overlap"
    assert values(endpoint.secrets) == [secret(1).value]
    endpoint.rotate_secret(new_secret=secret(2), now=T0, overlap=timedelta(days=7))


def test_a_new_secret_must_be_new_and_must_not_expire():
    endpoint = subscribed()
    endpoint.rotate_secret(new_secret=secret(2), now=T0, overlap=timedelta(days=1))

    for reused in (secret(1), secret(2)):
        with pytest.raises(InvalidValueError, match="already one of"):
            endpoint.rotate_secret(new_secret=reused, now=T0, overlap=timedelta(days=1))
    with pytest.raises(InvalidValueError, match="does not expire"):
        endpoint.rotate_secret(new_secret=secret(3).expiring(T0 + THREE_DAYS), now=T0, overlap=timedelta(days=1))
    assert endpoint.version == 2


# -- edits


def test_update_changes_what_is_given_and_names_it_in_endpoint_updated():
    endpoint = subscribed()
    new_url = EndpointUrl("https://erp.example.com/v2/hooks?token=xyz")
    later = T0 + timedelta(hours=1)

    endpoint.update(now=later, url=new_url, description="ERP v2")

    assert endpoint.url == new_url
    assert endpoint.description == "ERP v2"
    assert endpoint.event_types == FILTERS
    event = endpoint.pending_events[-1]
    assert isinstance(event, EndpointUpdated)
    assert event.changed == ("url", "description")
    assert event.url == "https://erp.example.com/v2/hooks"
    assert event.event_types == FILTERS.patterns
    assert event.occurred_at == later


def test_an_update_that_changes_nothing_records_nothing():
    endpoint = subscribed()

    endpoint.update(now=T0, url=URL, event_types=EventTypeFilters(["billing.invoice_issued", "orders.*"]))
    endpoint.update(now=T0, description="  ERP sync")
    endpoint.update(now=T0)

    assert endpoint.version == 1


def test_a_new_url_forgets_the_old_urls_run_of_failures_but_other_edits_do_not():
    endpoint = subscribed()
    endpoint.record_delivery_failed(now=T0, disable_after=THREE_DAYS)

    endpoint.update(now=T0, event_types=EventTypeFilters(["orders.*"]), description="x")
    assert endpoint.failing_since == T0
    endpoint.update(now=T0, url=EndpointUrl("https://other.example.com/"))
    assert endpoint.failing_since is None


def test_an_update_with_a_description_too_long_is_refused_and_changes_nothing():
    endpoint = subscribed()
    with pytest.raises(InvalidValueError):
        endpoint.update(now=T0, description="d" * 501)
    assert endpoint.version == 1


# -- disabling and enabling


def test_disabling_keeps_the_reason_and_time_and_records_endpoint_disabled():
    endpoint = subscribed()
    later = T0 + timedelta(hours=2)

    endpoint.disable(reason="  partner migrating ", now=later)

    assert not endpoint.enabled
    assert (endpoint.disabled_reason, endpoint.disabled_cause, endpoint.disabled_at) == (
        "partner migrating",
        DisableCause.REQUESTED,
        later,
    )
    event = endpoint.pending_events[-1]
    assert isinstance(event, EndpointDisabled)
    assert (event.reason, event.cause, event.failing_since) == ("partner migrating", "requested", None)


@pytest.mark.parametrize("reason", ["", "   ", "r" * 501])
def test_disabling_needs_a_reason_of_at_most_500_characters(reason):
    endpoint = subscribed()
    with pytest.raises(InvalidValueError) as raised:
        endpoint.disable(reason=reason, now=T0)
    assert raised.value.field == "reason"
    assert endpoint.enabled


def test_disabling_a_disabled_endpoint_keeps_the_first_reason_and_records_nothing():
    endpoint = subscribed()
    endpoint.disable(reason="first", now=T0)

    endpoint.disable(reason="second", now=T0 + timedelta(hours=1))

    assert (endpoint.disabled_reason, endpoint.disabled_at, endpoint.version) == ("first", T0, 2)


def test_enabling_clears_the_reason_and_the_run_of_failures_and_records_endpoint_enabled():
    endpoint = subscribed()
    endpoint.record_delivery_failed(now=T0, disable_after=timedelta(hours=1))
    endpoint.record_delivery_failed(now=T0 + timedelta(hours=1), disable_after=timedelta(hours=1))
    assert not endpoint.enabled

    endpoint.enable(now=T0 + timedelta(hours=2))

    assert endpoint.enabled
    assert (endpoint.disabled_reason, endpoint.disabled_cause, endpoint.disabled_at) == ("", None, None)
    assert endpoint.failing_since is None
    assert isinstance(endpoint.pending_events[-1], EndpointEnabled)


def test_enabling_an_enabled_endpoint_records_nothing():
    endpoint = subscribed()
    endpoint.enable(now=T0)
    assert endpoint.version == 1


# -- delivery results


def test_the_first_failure_starts_the_run_and_a_success_ends_it_without_an_event():
    endpoint = subscribed()

    assert endpoint.record_delivery_failed(now=T0 + timedelta(hours=1), disable_after=THREE_DAYS) is False
    assert endpoint.record_delivery_failed(now=T0 + timedelta(hours=2), disable_after=THREE_DAYS) is False
    assert endpoint.failing_since == T0 + timedelta(hours=1)
    endpoint.record_delivery_succeeded(now=T0 + timedelta(hours=3))

    assert endpoint.failing_since is None
    assert endpoint.version == 1


def test_a_failure_reported_late_moves_the_start_of_the_run_back():
    endpoint = subscribed()
    endpoint.record_delivery_failed(now=T0 + timedelta(hours=2), disable_after=THREE_DAYS)
    endpoint.record_delivery_failed(now=T0 + timedelta(hours=1), disable_after=THREE_DAYS)
    assert endpoint.failing_since == T0 + timedelta(hours=1)


def test_failing_for_disable_after_in_a_row_disables_the_endpoint_with_the_reason():
    endpoint = subscribed()
    endpoint.record_delivery_failed(now=T0, disable_after=THREE_DAYS)

    assert (
        endpoint.record_delivery_failed(now=T0 + THREE_DAYS - timedelta(seconds=1), disable_after=THREE_DAYS) is False
    )
    assert endpoint.enabled
    assert endpoint.record_delivery_failed(now=T0 + THREE_DAYS, disable_after=THREE_DAYS) is True

    assert not endpoint.enabled
    assert endpoint.disabled_cause is DisableCause.FAILING
    assert endpoint.disabled_at == T0 + THREE_DAYS
    assert endpoint.disabled_reason == (
        "Every delivery failed for 3.0 days, since 2026-03-01T09:00:00+00:00; the endpoint was disabled."
    )
    event = endpoint.pending_events[-1]
    assert isinstance(event, EndpointDisabled)
    assert (event.cause, event.failing_since) == ("failing", T0)
    assert endpoint.version == 2


def test_a_failure_reported_to_a_disabled_endpoint_changes_nothing():
    endpoint = subscribed()
    endpoint.disable(reason="paused", now=T0)

    assert endpoint.record_delivery_failed(now=T0 + timedelta(days=9), disable_after=THREE_DAYS) is False
    assert endpoint.failing_since is None
    assert (endpoint.disabled_cause, endpoint.version) == (DisableCause.REQUESTED, 2)


@pytest.mark.parametrize("disable_after", [timedelta(0), timedelta(seconds=-1)])
def test_the_time_before_disabling_is_positive(disable_after):
    with pytest.raises(InvalidValueError) as raised:
        subscribed().record_delivery_failed(now=T0, disable_after=disable_after)
    assert raised.value.field == "disable_after"


def test_410_gone_disables_at_once_and_says_so():
    endpoint = subscribed()

    assert endpoint.record_gone(now=T0 + timedelta(minutes=1)) is True

    assert not endpoint.enabled
    assert endpoint.disabled_cause is DisableCause.GONE
    assert "410 Gone" in endpoint.disabled_reason
    assert endpoint.pending_events[-1].cause == "gone"
    assert endpoint.record_gone(now=T0 + timedelta(minutes=2)) is False
    assert endpoint.version == 2


def test_no_event_of_the_endpoint_carries_a_secret():
    endpoint = subscribed()
    endpoint.rotate_secret(new_secret=secret(2), now=T0, overlap=timedelta(days=1))
    endpoint.update(now=T0, description="new")
    endpoint.disable(reason="x", now=T0)
    endpoint.enable(now=T0)

    keys = [base64.b64encode(bytes([n]) * 32).decode() for n in (1, 2)]
    for event in endpoint.pending_events:
        text = str(to_integration_event(event).payload)
        assert not any(key in text for key in keys)
    assert [event.aggregate_version for event in endpoint.pending_events] == [1, 2, 3, 4, 5]
