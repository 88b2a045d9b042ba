from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from apps.security.keys import jwks


@require_GET
@cache_control(public=True, max_age=300)
def jwks_view(request: HttpRequest) -> JsonResponse:
    """The public keys that verify our access tokens (RFC 7517), for other services and gateways."""
    return JsonResponse(jwks())
