"""``Idempotency-Key`` for POST endpoints that create something: a retried request is answered once.

The first request with a key runs in one transaction with the key's record: if it
succeeds (2xx), its response is stored with the key and both commit together; if
it is refused, the key is deleted (its command rolled back on its own) and the
refusal's audit entry stays; if it raises, or the process dies, everything rolls
back. In every case the key is free again. So a
key never outlives a request that did not finish, and a finished request never
loses its key. A later request with the same key and the same method, path and
body gets the stored response, marked ``Idempotent-Replayed: true``, without
running anything; the same key with another body is a 422. A request that
arrives while the first is still running waits for it (the key's row is locked
until the first commits) and then gets its answer. Keys are kept for
``KEY_LIFETIME``; ``purge_expired`` (a daily task) forgets older ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from apps.platform.models import IdempotencyRecord
from apps.platform.problems import problem, problem_response

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255

View = Callable[..., Response]


def idempotent(method: View | None = None, *, withheld: tuple[str, ...] = ()) -> Any:
    """Decorate an APIView's ``post``; requests without the header run as usual.

    ``@idempotent(withheld=("secret",))`` keeps those fields of the answer out of the stored record:
    what must be shown once (a signing secret) is not written a second time, and a replay lacks it.
    """
    if method is None:
        return lambda view_method: _idempotent(view_method, withheld)
    return _idempotent(method, withheld)


def _idempotent(method: View, withheld: tuple[str, ...]) -> View:
    @wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            return _problem(request, 400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.")
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record, first = _claim(request, key, fingerprint)
            if not first:
                return _answer_repeat(request, record, fingerprint)
            response = method(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                # The command's own writes were rolled back with its unit of work; the key goes too, so the
                # client may retry with it. What stays is the refusal's audit entry.
                record.delete()
                return response
            record.status_code = response.status_code
            record.response_body = _without(response.data, withheld)
            record.location = response.get("Location", "")
            record.save(update_fields=["status_code", "response_body", "location"])
        return response

    return wrapper


def _without(data: Any, withheld: tuple[str, ...]) -> Any:
    if not withheld or not isinstance(data, dict):
        return data
    return {name: value for name, value in data.items() if name not in withheld}


def purge_expired() -> int:
    """Forget keys older than ``KEY_LIFETIME``; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEY_LIFETIME).delete()
    return deleted


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _claim(request: Request, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """The key's record, and whether this request is the first to use it (an expired one is replaced).

    On PostgreSQL the insert waits while another transaction holds the same key,
    and fails once that one has committed: the request then answers from its record.
    """
    now = timezone.now()
    owner = request.user.id
    while True:
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner_id=owner,
                    key=key,
                    method=request.method or "",
                    path=request.path,
                    fingerprint=fingerprint,
                    created_at=now,
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(owner_id=owner, key=key).first()
            if existing is None:
                continue  # its request failed and rolled back meanwhile: try again
            if existing.created_at >= now - KEY_LIFETIME:
                return existing, False
            existing.delete()  # expired: the key is free for a new request


def _answer_repeat(request: Request, record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return _problem(
            request,
            422,
            f"This {HEADER} was used for a different request; send a new key for a new request.",
            slug="idempotency-key-reused",
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.response_body, status=record.status_code, headers=headers)


def _problem(request: Request, status: int, detail: str, *, slug: str = "validation-error") -> Response:
    return problem_response(problem(status, detail, slug=slug, instance=request.path))
