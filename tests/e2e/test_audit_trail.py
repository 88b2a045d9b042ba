"""The audit trail seen from the API: one entry per command with actor and correlation id, auth events,
and GET /api/v1/audit-log for auditors only."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEntry
from apps.platform.buses import command_bus
from apps.users.models import User as UserRow
from domain.billing.commands import CapturePayment, IssueInvoice
from tests.support.constants import PASSWORD
from tests.support.events import deliver_events
from tests.support.http import account, assert_problem, bearer, make_staff, register, sign_in, tokens

AUDIT_LOG = "/api/v1/audit-log"
ORDER = {"currency": "EUR", "items": [{"sku": "book-123", "quantity": 2, "unit_price": "12.30"}]}


def request_id() -> str:
    return uuid.uuid4().hex


def post(api, path: str, body: dict, correlation_id: str, **headers: str):
    """POST ``body`` as JSON to ``path``, the request carrying ``correlation_id`` as its X-Request-ID."""
    return api.post(path, body, format="json", HTTP_X_REQUEST_ID=correlation_id, **headers)


def entries_of(correlation_id: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(correlation_id=correlation_id).order_by("id"))


def auditor(api, email="audrey@example.com"):
    who = account(api, email)
    UserRow.objects.get(pk=who["id"]).user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    return who


def only_entry(correlation_id: str, action: str) -> AuditEntry:
    matching = [entry for entry in entries_of(correlation_id) if entry.action == action]
    assert len(matching) == 1, [(e.action, e.outcome) for e in entries_of(correlation_id)]
    return matching[0]


@pytest.mark.django_db
def test_every_command_through_the_api_leaves_exactly_one_entry_with_its_actor_and_correlation_id(api):
    registering = request_id()
    response = post(
        api,
        "/api/v1/auth/register",
        {"email": "ada@example.com", "password": PASSWORD, "display_name": "Ada"},
        registering,
        HTTP_USER_AGENT="orderflow-tests/1.0",
    )
    assert response.status_code == 201
    ada_id = response.json()["id"]
    signing_in = request_id()
    pair = sign_in(api, "ada@example.com", HTTP_X_REQUEST_ID=signing_in).json()
    placing = request_id()
    order = post(api, "/api/v2/orders", ORDER, placing, **bearer(pair)).json()
    deliver_events()
    cancelling = request_id()
    cancelled = post(
        api, f"/api/v2/orders/{order['id']}/cancel", {"reason": "found it cheaper"}, cancelling, **bearer(pair)
    )
    assert cancelled.status_code == 200, cancelled.content

    registered = only_entry(registering, "RegisterUser")
    assert (registered.actor, registered.outcome) == ("anonymous", "ok")
    assert (registered.target_type, registered.target_id) == ("User", ada_id)
    assert (registered.ip, registered.user_agent) == ("127.0.0.1", "orderflow-tests/1.0")
    assert registered.changes == {"email": "[redacted]", "password": "[redacted]", "display_name": "[redacted]"}
    signed_in = only_entry(signing_in, "AuthenticateUser")
    assert (signed_in.outcome, signed_in.target_id) == ("ok", ada_id)
    for correlation_id, action in ((placing, "PlaceOrder"), (cancelling, "CancelOrder")):
        entry = only_entry(correlation_id, action)
        assert (entry.actor, str(entry.actor_id), entry.outcome) == (f"user:{ada_id}", ada_id, "ok")
        assert (entry.target_type, entry.target_id) == ("Order", order["id"])
    assert "ada@example.com" not in str(AuditEntry.objects.filter(action="PlaceOrder").values_list("changes"))
    assert PASSWORD not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


@pytest.mark.django_db
def test_a_refused_command_is_audited_once_though_its_changes_were_rolled_back(api):
    ada = account(api, "ada@example.com")
    order = api.post("/api/v2/orders", ORDER, format="json", **ada["auth"]).json()
    deliver_events()
    api.post(f"/api/v2/orders/{order['id']}/cancel", {"reason": "first"}, format="json", **ada["auth"])
    again = request_id()

    response = post(api, f"/api/v2/orders/{order['id']}/cancel", {"reason": "second"}, again, **ada["auth"])

    assert response.status_code == 409
    entry = only_entry(again, "CancelOrder")
    assert entry.outcome.startswith("refused: ")
    assert entry.actor == f"user:{ada['id']}"


@pytest.mark.django_db
def test_a_failed_login_is_audited_as_refused_invalid_credentials(api):
    register(api, "ada@example.com")
    attempt = request_id()

    response = sign_in(api, "ada@example.com", "not the passphrase", HTTP_X_REQUEST_ID=attempt)

    assert response.status_code == 401
    entry = only_entry(attempt, "AuthenticateUser")
    assert (entry.actor, entry.outcome) == ("anonymous", "refused: InvalidCredentialsError")
    assert entry.changes == {"email": "[redacted]", "password": "[redacted]"}


@pytest.mark.django_db
def test_token_refresh_and_logout_are_audited_and_no_token_is_stored(api):
    ada = register(api, "ada@example.com")
    pair = tokens(api, "ada@example.com")
    refreshing, leaving, replaying = request_id(), request_id(), request_id()

    refreshed = post(api, "/api/v1/auth/token/refresh", {"refresh": pair["refresh"]}, refreshing)
    new_refresh = refreshed.json().get("refresh", pair["refresh"])
    logged_out = post(api, "/api/v1/auth/logout", {"refresh": new_refresh}, leaving)
    replayed = post(api, "/api/v1/auth/logout", {"refresh": new_refresh}, replaying)

    assert (refreshed.status_code, logged_out.status_code, replayed.status_code) == (200, 204, 401)
    assert (
        only_entry(refreshing, "auth.token_refreshed").target_id,
        only_entry(leaving, "auth.logged_out").target_id,
    ) == (
        ada["id"],
        ada["id"],
    )
    assert only_entry(replaying, "auth.logged_out").outcome == "refused: InvalidToken"
    stored = str(list(AuditEntry.objects.values_list("changes", "target_id", "user_agent")))
    assert pair["refresh"] not in stored
    assert new_refresh not in stored


@pytest.mark.django_db
def test_a_customer_is_refused_the_audit_log_with_403_and_the_refusal_is_audited(api):
    ada = account(api, "ada@example.com")
    asking = request_id()

    response = api.get(AUDIT_LOG, HTTP_X_REQUEST_ID=asking, **ada["auth"])

    assert_problem(response, 403, "permission-denied")
    entry = only_entry(asking, "auth.permission_denied")
    assert (entry.actor, entry.target_type, entry.target_id) == (f"user:{ada['id']}", "endpoint", f"GET {AUDIT_LOG}")
    assert_problem(api.get(AUDIT_LOG), 401, "not-authenticated")


@pytest.mark.django_db
def test_an_auditor_reads_the_log_newest_first_filtered_by_actor_action_target_and_time(api):
    ada = account(api, "ada@example.com")
    order = api.post("/api/v2/orders", ORDER, format="json", **ada["auth"]).json()
    deliver_events()
    audrey = auditor(api)
    placed = AuditEntry.objects.get(action="PlaceOrder", target_id=order["id"])

    def listed(**params):
        response = api.get(AUDIT_LOG, params, **audrey["auth"])
        assert response.status_code == 200, response.content
        return response.json()

    everything = listed()
    by_actor = listed(actor=f"user:{ada['id']}")
    by_target = listed(target_type="Order", target_id=order["id"])
    by_action = listed(action="PlaceOrder", since=placed.occurred_at.isoformat())
    before = listed(action="PlaceOrder", until=placed.occurred_at.isoformat())

    ids = [entry["id"] for entry in everything["results"]]
    assert ids == sorted(ids, reverse=True)
    assert everything["count"] == AuditEntry.objects.count()
    assert {entry["actor"] for entry in by_actor["results"]} == {f"user:{ada['id']}"}
    assert [entry["action"] for entry in by_actor["results"]] == ["PlaceOrder"]
    assert [entry["id"] for entry in by_target["results"]] == [placed.id]
    assert [entry["id"] for entry in by_action["results"]] == [placed.id]
    assert before["results"] == []
    assert by_target["results"][0]["changes"]["customer_email"] == "[redacted]"
    assert listed(page_size=1)["next"] is not None


@pytest.mark.django_db
def test_a_bad_audit_log_filter_is_a_400_naming_it(api):
    audrey = auditor(api)

    response = api.get(AUDIT_LOG, {"since": "yesterday"}, **audrey["auth"])

    assert_problem(response, 400, "validation-error", with_errors=True)
    assert "since" in response.json()["errors"]


@pytest.mark.django_db
def test_verify_audit_chain_reports_an_intact_chain_after_api_traffic_and_the_entries_awaiting_the_sealer(api, capsys):
    account(api, "ada@example.com")  # registered and signed in: two entries, not sealed yet

    call_command("verify_audit_chain", "--quiet")
    before = capsys.readouterr().out.strip()
    call_command("seal_audit_log", "--quiet")
    sealed = capsys.readouterr().out.strip()
    call_command("verify_audit_chain", "--quiet")
    after = capsys.readouterr().out.strip()

    assert re.fullmatch(
        r"audit chain intact: 0 entries; 2 newer entries await the sealer \(the oldest for [\d.]+ s\)", before
    )
    assert sealed == "sealed 2 audit entries"
    assert after == f"audit chain intact: {AuditEntry.objects.count()} entries" == "audit chain intact: 2 entries"
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "RegisterUser",
        "AuthenticateUser",
    ]


@pytest.mark.django_db
def test_verify_audit_chain_fails_when_entries_have_waited_too_long_for_the_sealer(api, settings):
    account(api, "ada@example.com")
    settings.AUDIT_SEAL_ALERT_SECONDS = 0

    with pytest.raises(CommandError, match=r"^audit chain intact: 0 entries, but 2 more have waited up to \d+ s"):
        call_command("verify_audit_chain", "--quiet")


@pytest.mark.django_db
def test_a_refund_is_audited_once_as_itself_and_once_per_command_it_runs(api):
    ann = register(api, "ann@example.com")
    boss = register(api, "boss@example.com")
    make_staff(boss["id"])
    boss_auth = bearer(tokens(api, "boss@example.com"))
    issued = command_bus().dispatch(
        IssueInvoice(order_id=uuid.uuid4(), customer_id=uuid.UUID(ann["id"]), amount=Decimal("42.50"), currency="EUR")
    )
    invoice_id = issued.value.id
    command_bus().dispatch(CapturePayment(invoice_id, f"pi_{invoice_id.hex}", Decimal("42.50"), "EUR"))
    refunding = request_id()

    response = post(api, f"/api/v2/invoices/{invoice_id}/refund", {"reason": "Goods returned."}, refunding, **boss_auth)

    assert response.status_code == 200, response.content
    refund = only_entry(refunding, "RefundInvoice")
    assert (refund.actor, refund.outcome, refund.target_id) == (f"user:{boss['id']}", "ok", str(invoice_id))
    recorded = only_entry(refunding, "RecordProviderRefund")  # the provider's answer, recorded as the provider
    assert (recorded.actor, recorded.outcome, recorded.target_id) == ("system:payment-provider", "ok", str(invoice_id))
    assert recorded.id < refund.id  # the refund's own entry is written once it has finished


@pytest.mark.django_db
def test_an_order_refused_under_an_idempotency_key_is_audited_and_frees_the_key(api):
    ada = account(api, "ida@example.com")
    bad = {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1.001"}]}
    refused_id = request_id()

    refused = post(api, "/api/v2/orders", bad, refused_id, HTTP_IDEMPOTENCY_KEY="k-1", **ada["auth"])

    assert refused.status_code == 400
    assert only_entry(refused_id, "PlaceOrder").outcome == "refused: ValidationError"
    good = {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1.00"}]}
    assert api.post("/api/v2/orders", good, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **ada["auth"]).status_code == 201


@pytest.mark.django_db
def test_admin_sign_ins_are_audited_without_the_address_tried(client):
    user = UserRow.objects.create_superuser(email="root@example.com", password=PASSWORD)

    client.post("/admin/login/?next=/admin/", {"username": "root@example.com", "password": "wrong"})
    client.post("/admin/login/?next=/admin/", {"username": "root@example.com", "password": PASSWORD})

    failed, succeeded = AuditEntry.objects.filter(action__startswith="auth.admin_login").order_by("id")
    assert (failed.action, failed.outcome) == ("auth.admin_login_failed", "refused: InvalidCredentials")
    assert "root@example.com" not in str(failed.changes)
    assert (succeeded.action, succeeded.target_id) == ("auth.admin_login_succeeded", str(user.pk))
