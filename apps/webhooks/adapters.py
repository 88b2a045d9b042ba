"""The webhooks context's ports as this process fills them: secrets from the operating system's
random source, and destinations checked by resolving their host now."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings

from apps.webhooks.destinations import AllowList, UnsafeDestination, check_destination
from domain.webhooks.errors import UnsafeDestinationError
from domain.webhooks.model import SigningSecret

#: Bytes of a new signing secret's key: 256 bits, the HMAC-SHA256 block's worth of entropy.
SECRET_BYTES = 32


class RandomSecrets:
    """``SecretGenerator``: keys from ``secrets.token_bytes``."""

    def new(self, *, now: datetime) -> SigningSecret:
        return SigningSecret.from_key(secrets.token_bytes(SECRET_BYTES), created_at=now)


def allow_list() -> AllowList:
    """``WEBHOOKS_ALLOWED_NETWORKS`` as an allow-list (the settings loader has validated it)."""
    return AllowList.parse(settings.WEBHOOKS_ALLOWED_NETWORKS)


class ResolvingGuard:
    """``DestinationGuard``: the URL's host is resolved now and every address checked."""

    def check(self, url: str) -> None:
        try:
            check_destination(url, allowed=allow_list())
        except UnsafeDestination as refused:
            raise UnsafeDestinationError(str(refused)) from None
