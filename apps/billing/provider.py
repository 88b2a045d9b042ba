"""Payment provider adapters: Stripe (or any server that speaks its API), and a simulation.

``payment_provider()`` picks one from the settings: ``PAYMENT_PROVIDER`` is
``"simulated"`` (the embedded default: no network, every refund granted) or
``"stripe"`` (``PAYMENT_PROVIDER_API_KEY``, ``PAYMENT_PROVIDER_API_BASE``,
``PAYMENT_PROVIDER_TIMEOUT_SECONDS``, ``PAYMENT_PROVIDER_MAX_RETRIES``).
"""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import stripe
import structlog
from django.conf import settings
from opentelemetry.trace import SpanKind

from apps.observability import tracing
from apps.security.actors import Actor, acting_as
from domain.billing.errors import PaymentProviderError, PaymentProviderUnavailableError
from domain.billing.ports import PaymentProvider
from domain.kernel.money import Money

log = structlog.get_logger(__name__)

PAYMENT_PROVIDER = Actor("system:payment-provider")
"""Who records what the provider reported (a verified webhook, its answer to a refund): a system actor,
so only these paths, never a user, may send the commands that record it."""


def as_provider_report(dispatch: Any) -> Any:
    """``dispatch`` for commands that record what the provider answered, sent as ``PAYMENT_PROVIDER``."""

    def dispatch_report(command: Any) -> Any:
        with acting_as(PAYMENT_PROVIDER):
            return dispatch(command)

    return dispatch_report


#: Stripe counts these currencies in whole units and these in thousandths; every other in hundredths.
#: Where ISO 4217 disagrees (ISK is 0 there, MGA 2, IQD and LYD 3), Stripe's count is what its API means.
STRIPE_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def stripe_minor_unit(currency: str) -> int:
    """Digits after the decimal point in Stripe's integer amounts for ``currency``."""
    code = currency.upper()
    return 0 if code in STRIPE_ZERO_DECIMAL else 3 if code in STRIPE_THREE_DECIMAL else 2


def stripe_amount(money: Money) -> int:
    """``money`` as the integer amount Stripe's API expects (12.30 EUR is 1230, 500 JPY is 500, 123 ISK is 12300)."""
    return int(money.amount.scaleb(stripe_minor_unit(money.currency)))


def money_from_stripe(amount: int, currency: str) -> Money:
    """The money of a Stripe integer amount, kept to the currency's ISO 4217 minor unit."""
    return Money(Decimal(amount).scaleb(-stripe_minor_unit(currency)), currency)


DEFAULT_API_BASE = "https://api.stripe.com"


class StripePaymentProvider:
    """Refunds through Stripe's Refunds API with the official client.

    Connection and read timeouts are explicit, and failures that are safe to
    repeat (connection errors, timeouts, 409 and 5xx answers) are retried up to
    ``max_retries`` times with Stripe's backoff; the idempotency key makes a
    repeated request return the first refund instead of making a second.
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str = DEFAULT_API_BASE,
        connect_timeout: float = 10.0,
        read_timeout: float = 10.0,
        max_retries: int = 2,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=max_retries,
            http_client=stripe.RequestsClient(timeout=(connect_timeout, read_timeout)),
        )

    def refund(self, *, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        # The client's HTTP requests (retries included) are spans of their own, inside this one.
        with tracing.span("payment provider refund", kind=SpanKind.CLIENT, attributes={"orderflow.provider": "stripe"}):
            return self._refund(provider_payment_id, amount, idempotency_key)

    def _refund(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": provider_payment_id, "amount": stripe_amount(amount)},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            log.warning(
                "payment provider refused or failed a refund",
                provider_payment_id=provider_payment_id,
                error=type(exc).__name__,
                http_status=exc.http_status,
                detail=exc.user_message or str(exc),
            )
            failed_on_its_side = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
                exc.http_status is not None and exc.http_status >= 500
            )
            kind = PaymentProviderUnavailableError if failed_on_its_side else PaymentProviderError
            raise kind(f"The payment provider could not refund the payment: {_describe(exc)}") from exc
        return str(refund.id)


class SimulatedPaymentProvider:
    """Grants every refund without moving any money: for development and demos only.

    It warns once per process, so nobody mistakes it for a real provider.
    """

    _warned = False
    _lock = threading.Lock()

    def refund(self, *, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        with tracing.span(
            "payment provider refund", kind=SpanKind.CLIENT, attributes={"orderflow.provider": "simulated"}
        ):
            return self._refund(provider_payment_id, amount, idempotency_key)

    def _refund(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        self._warn_once()
        refund_id = f"re_sim_{uuid.uuid5(uuid.NAMESPACE_URL, f'refund:{idempotency_key}').hex}"
        log.info("simulated refund granted", provider_payment_id=provider_payment_id, amount=str(amount))
        return refund_id

    @classmethod
    def _warn_once(cls) -> None:
        with cls._lock:
            if cls._warned:
                return
            cls._warned = True
        log.warning(
            "PAYMENT_PROVIDER is 'simulated': refunds are granted without any real payment provider; "
            "set PAYMENT_PROVIDER=stripe in production"
        )


def payment_provider() -> PaymentProvider:
    """The adapter the settings ask for."""
    if settings.PAYMENT_PROVIDER == "stripe":
        return StripePaymentProvider(
            api_key=settings.PAYMENT_PROVIDER_API_KEY,
            api_base=settings.PAYMENT_PROVIDER_API_BASE,
            connect_timeout=settings.PAYMENT_PROVIDER_TIMEOUT_SECONDS,
            read_timeout=settings.PAYMENT_PROVIDER_TIMEOUT_SECONDS,
            max_retries=settings.PAYMENT_PROVIDER_MAX_RETRIES,
        )
    return SimulatedPaymentProvider()


def _describe(exc: stripe.StripeError) -> str:
    if isinstance(exc, stripe.APIConnectionError):
        return "it could not be reached in time."
    return exc.user_message or f"it answered with HTTP {exc.http_status}."
