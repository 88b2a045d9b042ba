from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register("security")
def jwt_signing_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.SIMPLE_JWT.get("SIGNING_KEY"):
        return []
    return [
        Error(
            "No JWT signing key is configured.",
            hint="Run `python manage.py generate_jwt_keys` for development keys, or set JWT_PRIVATE_KEY.",
            id="security.E001",
        )
    ]
