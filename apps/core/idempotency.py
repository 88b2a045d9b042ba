"""``Idempotency-Key`` for POST endpoints that create something: a retried request is answered once.

The first request with a key runs and, if it succeeds (2xx), its response is
kept for ``KEY_LIFETIME``. A later request with the same key and the same method,
path and body gets that response again, marked ``Idempotent-Replayed: true``,
without running anything. The same key with another body is a 422; a key whose
first request is still running is a 409. A request that fails (4xx, 5xx, an
exception) spends no key: the client may correct it and retry with the same key.
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

from apps.core.models import IdempotencyRecord
from apps.core.problems import problem, problem_response

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
#: A first request that has not finished after this long is taken to have died with its process.
ABANDONED_AFTER = timedelta(minutes=1)
MAX_KEY_LENGTH = 255

View = Callable[..., Response]


def idempotent(method: View) -> View:
    """Decorate an APIView's ``post``; requests without the header run as usual."""

    @wraps(method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            return _problem(request, 400, f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.")
        fingerprint = _fingerprint(request)
        record, mine = _claim(request, key, fingerprint)
        if not mine:
            return _answer_repeat(request, record, fingerprint)
        try:
            response = method(view, request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            record.response_body = response.data
            record.location = response.get("Location", "")
            record.save(update_fields=["status_code", "response_body", "location"])
        else:
            record.delete()
        return response

    return wrapper


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _claim(request: Request, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """The record of ``key`` and whether this request owns it (is the first, or takes over a dead one)."""
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
                continue  # deleted meanwhile (its request failed): try again
            expired = existing.created_at < now - KEY_LIFETIME
            abandoned = existing.status_code is None and existing.created_at < now - ABANDONED_AFTER
            if not (expired or abandoned):
                return existing, False
            # Whoever deletes it takes it over; a concurrent taker finds it gone and loops.
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()


def _answer_repeat(request: Request, record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return _problem(
            request,
            422,
            f"This {HEADER} was used for a different request; send a new key for a new request.",
            slug="idempotency-key-reused",
        )
    if record.status_code is None:
        return _problem(
            request,
            409,
            f"A request with this {HEADER} is still being processed; retry in a moment.",
            slug="idempotency-key-in-use",
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.response_body, status=record.status_code, headers=headers)


def _problem(request: Request, status: int, detail: str, *, slug: str = "validation-error") -> Response:
    return problem_response(problem(status, detail, slug=slug, instance=request.path))
