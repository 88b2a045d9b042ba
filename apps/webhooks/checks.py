"""System checks of the outbound webhooks' configuration (run by ``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_webhooks_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a production deployment would accept plain-http endpoints."""
    if settings.DEBUG or not settings.WEBHOOKS_ALLOW_HTTP:
        return []
    return [
        Warning(
            "WEBHOOKS_ALLOW_HTTP is on: webhook endpoints may be plain http://, so payloads and their "
            "signatures would cross the network in clear.",
            hint="Unset WEBHOOKS_ALLOW_HTTP (it is off by default when DEBUG is off).",
            id="webhooks.W001",
        )
    ]
