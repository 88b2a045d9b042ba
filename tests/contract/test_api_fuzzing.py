"""Both API versions fuzzed against their committed OpenAPI files, every schemathesis check on.

Each operation of ``docs/api/openapi.yaml`` (v1) and ``docs/api/openapi-v2.yaml`` (v2) is run
once as a signed-in customer and once as an admin (a staff member with the ``admin`` role, which
includes ``integrator`` and so manages webhooks), so the generated requests reach the handlers rather
than stopping at 401 or 403. The cases are
schemathesis's: the schema's examples, the coverage phase's boundary and negative values, and
Hypothesis' generated ones; then scenarios chain calls along the links schemathesis infers
(place an order, read it, cancel or ship it, ...). All of it is derandomized: the same cases on
every run. Every response goes through every check schemathesis has: no 5xx; status code,
content type, headers and body as documented; schema-violating requests rejected and valid
ones accepted; authentication not ignored; a created resource found and a deleted one gone;
and the rest. The rate limits are raised for this run only (the ``settings`` fixture).

The API keeps a few rules no JSON Schema can state, each spanning two fields or two requests;
the valid requests are made to keep them (``honour_cross_field_rules``), so that a 400 for
any other reason still fails. No check and no operation is left out.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections import Counter
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.handlers.wsgi import WSGIHandler
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIClient
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode
from schemathesis.generation.stateful import run_state_machine_as_test

from apps.platform.idempotency import HEADER as IDEMPOTENCY_HEADER
from apps.platform.idempotency import MAX_KEY_LENGTH
from apps.webhooks import destinations
from domain.kernel.money import minor_unit
from tests.support.ci import skip_unless_ci
from tests.support.constants import PASSWORD
from tests.support.events import deliver_events
from tests.support.http import account

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {"v1": ROOT / "docs" / "api" / "openapi.yaml", "v2": ROOT / "docs" / "api" / "openapi-v2.yaml"}
APP = WSGIHandler()  # the production request path: middleware, URL conf, problem rendering
WEBHOOK_SECRET = "whsec_contract_fuzzing"
#: Where subscribed webhook endpoints point: a public address, so the destination guard accepts it unresolved.
WEBHOOK_ENDPOINT_URL = "https://1.1.1.1/hooks/orderflow"
#: Generated cases per operation and actor, on top of the explicit and coverage cases.
GENERATED_PER_OPERATION = 12
#: Scenarios per API version and actor, and the calls in each at most.
SCENARIOS_PER_VERSION = 15
STEPS_PER_SCENARIO = 8
#: The floor the run is held to, counted below rather than trusted.
MINIMUM_CASES = 1_000
RAISED_RATE = "1000000/m"
PRICE_BOUND = Decimal("1000000")

# The schema's amounts are decimal strings (``format: decimal``), "12.30".
schemathesis.openapi.format(
    "decimal",
    st.decimals(min_value=0, max_value=PRICE_BOUND, places=4, allow_nan=False, allow_infinity=False).map(str),
)

KEYS = itertools.count(1)

#: Cases run, per operation label and actor.
CASES: Counter[tuple[str, str]] = Counter()


class Signed:
    """The bearer token of the actor the running test item signed in as (None: no one)."""

    access: str | None = None


def load(path: Path) -> Any:
    schema = schemathesis.openapi.from_path(path)
    schema.app = APP
    # DRF refuses NUL in any string (PostgreSQL text cannot hold it) with a 400 problem; JSON Schema has no
    # way to say so short of a pattern on every string, so the valid cases leave it out. The refusal is
    # covered by tests/e2e/test_problem_details.py.
    schema.config.generation.update(allow_x00=False)

    @schema.auth(refresh_interval=None)
    class Bearer:
        def get(self, case: Any, context: Any) -> str | None:
            return Signed.access

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return schema


v1 = load(SCHEMAS["v1"])
v2 = load(SCHEMAS["v2"])


@pytest.fixture(autouse=True)
def no_name_resolves(monkeypatch):
    """Webhook URLs the fuzzer makes up name hosts that must not be looked up in the real DNS (slow, or out
    of reach in CI): every name answers nothing, so a subscription to one is refused as any unknown host is."""

    def unresolvable(host: str, port: int) -> list[str]:
        raise OSError(f"{host} is not looked up during fuzzing")

    monkeypatch.setattr(destinations, "resolve_host", unresolvable)


@pytest.fixture(params=["customer", "admin"])
def actor(request, db, settings):
    """A signed-in customer or admin; the rate limits raised for this run only, so volume is not refused."""
    settings.RATE_LIMIT_TOKEN = settings.RATE_LIMIT_REGISTER = RAISED_RATE
    settings.RATE_LIMIT_WRITES = settings.RATE_LIMIT_ADMIN_LOGIN = RAISED_RATE
    settings.PAYMENT_WEBHOOK_SECRETS = [WEBHOOK_SECRET]
    who = account(APIClient(), f"{request.param}@example.com", role=None if request.param == "customer" else "admin")
    Signed.access = who["auth"]["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    yield request.param
    Signed.access = None


def moment(value: str) -> datetime | None:
    """A query string's date-time as the API reads it (DRF's DateTimeField; UTC when naive), None if it cannot.

    One it cannot read is left to the request, whose 400 then fails the case.
    """
    try:
        return serializers.DateTimeField().to_internal_value(value)
    except serializers.ValidationError:
        return None


def honour_cross_field_rules(case: Any) -> None:
    """A valid case made to keep the rules no schema can state, each tying two fields or two requests together
    (a negative case is left as it is).

    - a time range (``since``/``until``, ``created_from``/``created_to``) does not end before it starts;
    - an order has one line per SKU, and its prices have no more decimals than its currency;
    - a new password is not a common one nor too like the e-mail address or display name (Django's
      validators: the schema states their length and all-digits rules, not their word lists);
    - an Idempotency-Key names one request: a key another case already sent with another body is a 422;
    - a payment webhook is signed by the provider (the fuzzer cannot sign, so the test does);
    - a webhook endpoint's URL must resolve to public addresses and its event types must match events that are
      offered: a generated one gets a public address written as a literal (nothing is looked up, nothing is
      sent: deliveries are queued only after a commit) and an offered context.
    """
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return
    headers = case.headers or {}
    if isinstance(headers.get(IDEMPOTENCY_HEADER), str):
        suffix = f"-{next(KEYS)}"
        headers[IDEMPOTENCY_HEADER] = headers[IDEMPOTENCY_HEADER][: MAX_KEY_LENGTH - len(suffix)] + suffix
    query = case.query or {}
    for start, end in (("since", "until"), ("created_from", "created_to")):
        since, until = moment(query.get(start, "")), moment(query.get(end, ""))
        if since is not None and until is not None and until < since:
            query[start], query[end] = query[end], query[start]
    body = case.body
    if case.operation.path.endswith("/orders") and case.method == "POST":
        cent = Decimal(1).scaleb(-minor_unit(body["currency"]))
        lines: dict[str, dict[str, Any]] = {}
        for line in body["items"]:
            lines.setdefault(line["sku"].upper(), line)
            # A price the schema allows (a decimal string or a positive number), kept to the currency's minor unit
            # and under a bound that keeps 50 lines of 10,000 within the 18 digits of an order total.
            price = min(max(Decimal(str(line["unit_price"])), cent), PRICE_BOUND)
            line["unit_price"] = str(max(price.quantize(cent, rounding=ROUND_DOWN), cent))
        body["items"] = list(lines.values())
    if case.operation.path.endswith("/auth/register"):
        user = SimpleNamespace(email=body["email"], display_name=body["display_name"])
        try:
            validate_password(body["password"], user=user)
        except DjangoValidationError:
            body["password"] = PASSWORD
    if "/webhooks/endpoints" in case.operation.path and isinstance(body, dict):
        if "url" in body:
            body["url"] = WEBHOOK_ENDPOINT_URL
        if "event_types" in body:
            body["event_types"] = ["orders.*"]
    if case.operation.path.endswith("/webhooks/payments") and isinstance(body, dict):
        at = int(time.time())
        raw = json.dumps(body).encode()
        digest = hmac.new(WEBHOOK_SECRET.encode(), f"{at}.".encode() + raw, hashlib.sha256).hexdigest()
        case.headers = {**(case.headers or {}), "Stripe-Signature": f"t={at},v1={digest}"}


FUZZING = settings(
    max_examples=GENERATED_PER_OPERATION,
    derandomize=True,  # a fixed seed per test: the same cases on every run
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # explicit: the schema's examples and the coverage phase
    suppress_health_check=list(HealthCheck),
)
SCENARIOS = settings(
    max_examples=SCENARIOS_PER_VERSION,
    stateful_step_count=STEPS_PER_SCENARIO,
    derandomize=True,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def run(case: Any, actor: str) -> None:
    CASES[(case.operation.label, actor)] += 1
    honour_cross_field_rules(case)
    case.call_and_validate()


@v1.parametrize()
@FUZZING
def test_api_v1(case, actor):
    run(case, actor)


@v2.parametrize()
@FUZZING
def test_api_v2(case, actor):
    run(case, actor)


def scenarios(schema: Any) -> Any:
    """Chains of calls along the links schemathesis infers (an order placed, then read, cancelled, shipped...)."""

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        # Each scenario starts from the data the test began with: what an earlier scenario wrote (an e-mail
        # registered, an order placed, an Idempotency-Key used) would change the answers a later one gets for
        # the same steps, and with them the links it can follow, which Hypothesis reads as generation that
        # depends on external state. A savepoint per scenario, rolled back when it ends.
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.savepoint()

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def before_call(self, case: Any) -> None:
            CASES[(case.operation.label, "scenario")] += 1
            honour_cross_field_rules(case)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            # Reads answer from the read models, which the consumers bring up to date after the commit; a scenario
            # lets them catch up before its next step, as the e2e tests do (a read straight after a write may
            # not see it yet: the read side is eventually consistent by design).
            deliver_events()

    return Scenarios


@pytest.mark.parametrize("schema", [v1, v2], ids=["v1", "v2"])
def test_api_scenarios(schema, actor):
    run_state_machine_as_test(scenarios(schema), settings=SCENARIOS)


def test_every_check_schemathesis_has_is_on():
    """A configuration file (schemathesis.toml) turning a check off would make the runs above prove less."""
    load_all_checks()
    for schema in (v1, v2):
        config = schema.config.checks_config_for()
        assert [name for name in CHECKS.get_all_names() if not config.get_by_name(name=name).enabled] == []


def test_the_fuzzing_ran_every_operation_and_enough_cases(request):
    """Counted, not assumed: every operation of both versions as both actors, and the floor in all."""
    operations = [operation.ok() for schema in (v1, v2) for operation in schema.get_all_operations()]
    fuzzing = ("test_api_v1[", "test_api_v2[", "test_api_scenarios[")
    if sum(item.name.startswith(fuzzing) for item in request.session.items) < 2 * len(operations) + 4:
        skip_unless_ci("only part of the fuzzing was selected")

    per_operation = {key for key in CASES if key[1] != "scenario"}
    assert per_operation == {(operation.label, who) for operation in operations for who in ("customer", "admin")}
    total = sum(CASES.values())
    in_scenarios = sum(count for (_, kind), count in CASES.items() if kind == "scenario")
    print(f"\nschemathesis: {total} cases over {len(operations)} operations ({in_scenarios} of them in scenarios)")
    assert total >= MINIMUM_CASES, CASES
