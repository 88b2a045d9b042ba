"""Which payment provider the settings pick, and the simulated one's behaviour."""

from decimal import Decimal

import pytest
import structlog

from apps.billing import provider
from apps.billing.checks import check_payment_configuration
from apps.billing.provider import money_from_stripe, stripe_amount
from domain.kernel.money import Money

EUR = Money(Decimal("42.50"), "EUR")


def test_the_simulated_provider_is_the_default(settings):
    assert settings.PAYMENT_PROVIDER == "simulated"
    assert isinstance(provider.payment_provider(), provider.SimulatedPaymentProvider)


def test_stripe_is_picked_with_its_settings(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.PAYMENT_PROVIDER_API_KEY = "sk_test_123"

    assert isinstance(provider.payment_provider(), provider.StripePaymentProvider)


def test_the_simulated_provider_grants_one_refund_per_idempotency_key_and_warns_once(monkeypatch):
    monkeypatch.setattr(provider.SimulatedPaymentProvider, "_warned", False)
    simulated = provider.SimulatedPaymentProvider()

    with structlog.testing.capture_logs() as logs:
        first = simulated.refund(provider_payment_id="pi_1", amount=EUR, idempotency_key="k1")
        again = simulated.refund(provider_payment_id="pi_1", amount=EUR, idempotency_key="k1")
        other = simulated.refund(provider_payment_id="pi_2", amount=EUR, idempotency_key="k2")

    assert first == again != other
    assert first.startswith("re_sim_")
    assert len(first) == len("re_sim_") + 32
    warnings = [log for log in logs if log["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "without any real payment provider" in warnings[0]["event"]


@pytest.mark.parametrize(
    ("debug", "payment_provider", "secrets", "ids"),
    [
        (False, "simulated", ["whsec_1"], ["billing.W001"]),
        (False, "stripe", [], ["billing.W002"]),
        (False, "stripe", ["whsec_1"], []),
        (True, "simulated", [], []),
    ],
)
def test_the_deploy_check_warns_about_a_simulated_provider_and_missing_webhook_secrets(
    settings, debug, payment_provider, secrets, ids
):
    settings.DEBUG = debug
    settings.PAYMENT_PROVIDER = payment_provider
    settings.PAYMENT_WEBHOOK_SECRETS = secrets

    assert [message.id for message in check_payment_configuration()] == ids


@pytest.mark.parametrize(
    ("money", "amount"),
    [
        (Money("12.30", "EUR"), 1230),
        (Money("500", "JPY"), 500),
        (Money("1.234", "KWD"), 1234),
        (Money("123", "ISK"), 12300),  # ISO 4217 has no minor unit for ISK; Stripe counts hundredths
        (Money("5000", "MGA"), 5000),  # ISO 4217 gives MGA two digits; Stripe counts whole ariary
        (Money("10.500", "IQD"), 1050),  # ISO 4217 gives IQD three digits; Stripe two
    ],
)
def test_amounts_are_counted_the_way_stripe_counts_them_both_ways(money, amount):
    assert stripe_amount(money) == amount
    assert money_from_stripe(amount, money.currency.lower()) == money
