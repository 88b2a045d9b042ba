"""System checks of the billing configuration (run by ``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_payment_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a production deployment would refund without a real provider or refuse every webhook."""
    if settings.DEBUG:
        return []
    found: list[CheckMessage] = []
    if settings.PAYMENT_PROVIDER == "simulated":
        found.append(
            Warning(
                "PAYMENT_PROVIDER is 'simulated': refunds are recorded without any money being returned.",
                hint="Set PAYMENT_PROVIDER=stripe and PAYMENT_PROVIDER_API_KEY.",
                id="billing.W001",
            )
        )
    if not settings.PAYMENT_WEBHOOK_SECRETS:
        found.append(
            Warning(
                "No PAYMENT_WEBHOOK_SECRETS: every payment webhook will be refused, so payments are never recorded.",
                hint="Set PAYMENT_WEBHOOK_SECRETS to the signing secret of the provider's webhook endpoint.",
                id="billing.W002",
            )
        )
    return found
