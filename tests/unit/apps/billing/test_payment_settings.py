"""The payment variables of config.environment.load: provider choice, its limits, webhook secrets."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.environment import DEVELOPMENT_PAYMENT_WEBHOOK_SECRET, load
from tests.support.environments import PRODUCTION


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_with_debug_off_the_provider_must_be_named(base_dir):
    unnamed = {name: value for name, value in PRODUCTION.items() if name != "PAYMENT_PROVIDER"}

    with pytest.raises(ImproperlyConfigured, match=r"^PAYMENT_PROVIDER is not set: use stripe"):
        load(unnamed, base_dir=base_dir)


def test_with_debug_on_the_simulated_provider_is_the_default(base_dir):
    assert load({"DEBUG": "true"}, base_dir=base_dir).payment_provider == "simulated"


def test_the_simulated_provider_when_named_and_no_webhook_secret_without_one(base_dir):
    env = load(PRODUCTION, base_dir=base_dir)

    assert env.payment_provider == "simulated"
    assert env.payment_provider_api_base == "https://api.stripe.com"
    assert (env.payment_provider_timeout_seconds, env.payment_provider_max_retries) == (10, 2)
    assert env.payment_webhook_secrets == []


def test_with_debug_on_a_development_webhook_secret_stands_in(base_dir):
    assert load({"DEBUG": "true"}, base_dir=base_dir).payment_webhook_secrets == [DEVELOPMENT_PAYMENT_WEBHOOK_SECRET]


@pytest.mark.parametrize("name", ["PAYMENT_WEBHOOK_SECRETS", "PAYMENT_WEBHOOK_SECRET"])
def test_webhook_secrets_are_a_comma_separated_list_taken_literally(base_dir, name):
    env = load({**PRODUCTION, name: "whsec_new, whsec_$old"}, base_dir=base_dir)

    assert env.payment_webhook_secrets == ["whsec_new", "whsec_$old"]


def test_stripe_takes_its_key_base_timeout_and_retries(base_dir):
    env = load(
        {
            **PRODUCTION,
            "PAYMENT_PROVIDER": "Stripe",
            "PAYMENT_PROVIDER_API_KEY": "sk_live_1",
            "PAYMENT_PROVIDER_API_BASE": "http://stripe-mock:12111",
            "PAYMENT_PROVIDER_TIMEOUT_SECONDS": "3",
            "PAYMENT_PROVIDER_MAX_RETRIES": "0",
        },
        base_dir=base_dir,
    )

    assert (env.payment_provider, env.payment_provider_api_key) == ("stripe", "sk_live_1")
    assert env.payment_provider_api_base == "http://stripe-mock:12111"
    assert (env.payment_provider_timeout_seconds, env.payment_provider_max_retries) == (3, 0)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"PAYMENT_PROVIDER": "stripe"}, "PAYMENT_PROVIDER=stripe needs PAYMENT_PROVIDER_API_KEY"),
        ({"PAYMENT_PROVIDER": "paypal"}, "PAYMENT_PROVIDER must be one of simulated, stripe"),
        ({"PAYMENT_PROVIDER_TIMEOUT_SECONDS": "0"}, "PAYMENT_PROVIDER_TIMEOUT_SECONDS must be at least 1"),
        ({"PAYMENT_PROVIDER_MAX_RETRIES": "-1"}, "PAYMENT_PROVIDER_MAX_RETRIES must be at least 0"),
    ],
)
def test_a_bad_payment_setting_is_refused_by_name(base_dir, variables, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load({**PRODUCTION, **variables}, base_dir=base_dir)
