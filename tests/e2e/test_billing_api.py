"""Invoices over HTTP: list and detail in both versions, ownership, and the staff-only refund."""

import uuid
from decimal import Decimal

import pytest

from apps.billing.models import InvoiceReadModel
from apps.messaging.registry import projection
from apps.platform.buses import command_bus
from apps.platform.versioning import deprecation_headers
from domain.billing.commands import CapturePayment, IssueInvoice
from domain.billing.errors import PaymentProviderError, PaymentProviderUnavailableError
from domain.kernel.result import Ok
from tests.support.events import deliver_events as deliver_all_events
from tests.support.http import assert_problem, bearer, signed_in

INVOICES_READ = projection("invoices_read")

pytestmark = pytest.mark.django_db


def deliver_events() -> int:
    """Bring invoices_read up to date (the invoices here bill orders that were never placed, so the
    orders read model, which would wait for those orders, is left out)."""
    return deliver_all_events(INVOICES_READ.consumer)


@pytest.fixture
def ann(api):
    return signed_in(api, "ann@example.com", "Ann")


@pytest.fixture
def bob(api):
    return signed_in(api, "bob@example.com", "Bob")


def issue(customer: dict, amount: str = "42.50", currency: str = "EUR", *, paid: bool = False) -> uuid.UUID:
    result = command_bus().dispatch(
        IssueInvoice(
            order_id=uuid.uuid4(), customer_id=uuid.UUID(customer["id"]), amount=Decimal(amount), currency=currency
        )
    )
    assert isinstance(result, Ok)
    invoice_id = result.value.id
    if paid:
        captured = command_bus().dispatch(CapturePayment(invoice_id, f"pi_{invoice_id.hex}", Decimal(amount), currency))
        assert isinstance(captured, Ok)
    deliver_events()
    return invoice_id


# --- v1 -------------------------------------------------------------------------------------------------------


def test_v1_detail_shows_the_invoice_with_money_as_a_string_and_its_payments(api, ann):
    invoice_id = issue(ann, "42.5", paid=True)

    response = api.get(f"/api/v1/invoices/{invoice_id}", **bearer(ann["tokens"]))

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("id", "customer_id", "status", "amount", "currency")} == {
        "id": str(invoice_id),
        "customer_id": ann["id"],
        "status": "paid",
        "amount": "42.50",
        "currency": "EUR",
    }
    (payment,) = body["payments"]
    assert {k: payment[k] for k in ("provider_payment_id", "amount", "currency", "status", "reason")} == {
        "provider_payment_id": f"pi_{invoice_id.hex}",
        "amount": "42.50",
        "currency": "EUR",
        "status": "captured",
        "reason": "",
    }
    assert body["paid_at"] is not None
    assert body["voided_at"] is None
    assert body["refunded_at"] is None


def test_v1_responses_announce_their_deprecation_and_v2_successor(api, ann):
    invoice_id = issue(ann)
    path = f"/api/v1/invoices/{invoice_id}"

    ok = api.get(path, **bearer(ann["tokens"]))
    missing = api.get(f"/api/v1/invoices/{uuid.uuid4()}", **bearer(ann["tokens"]))

    for response in (ok, missing):
        for name, value in deprecation_headers(response.wsgi_request.path).items():
            assert response[name] == value
    assert ok["Link"] == f'</api/v2/invoices/{invoice_id}>; rel="successor-version"'


def test_v1_list_shows_only_the_callers_invoices_newest_first_a_page_at_a_time(api, ann, bob):
    mine = [issue(ann, "10.00"), issue(ann, "20.00"), issue(ann, "30.00")]
    issue(bob)

    first = api.get("/api/v1/invoices?page_size=2", **bearer(ann["tokens"]))
    second = api.get("/api/v1/invoices?page_size=2&page=2", **bearer(ann["tokens"]))

    assert first.status_code == 200
    assert first.json()["count"] == 3
    ids = [row["id"] for row in first.json()["results"] + second.json()["results"]]
    assert ids == [str(invoice_id) for invoice_id in reversed(mine)]
    assert first.json()["results"][0]["amount"] == "30.00"


def test_v1_list_filters_by_status_and_orders_oldest_first_on_request(api, ann):
    open_one = issue(ann)
    paid_one = issue(ann, paid=True)

    paid = api.get("/api/v1/invoices?status=paid", **bearer(ann["tokens"])).json()["results"]
    oldest_first = api.get("/api/v1/invoices?ordering=created_at", **bearer(ann["tokens"])).json()["results"]

    assert [row["id"] for row in paid] == [str(paid_one)]
    assert [row["id"] for row in oldest_first] == [str(open_one), str(paid_one)]


def test_v1_list_refuses_an_unknown_status(api, ann):
    response = api.get("/api/v1/invoices?status=lost", **bearer(ann["tokens"]))

    assert "status" in assert_problem(response, 400, "validation-error", with_errors=True)["errors"]


def test_staff_see_every_invoice(api, ann, bob, staff):
    issue(ann)
    issue(bob)

    response = api.get("/api/v1/invoices", **bearer(staff["tokens"]))

    assert {row["customer_id"] for row in response.json()["results"]} == {ann["id"], bob["id"]}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_another_customers_invoice_is_not_found(api, ann, bob, version):
    invoice_id = issue(bob)

    response = api.get(f"/api/{version}/invoices/{invoice_id}", **bearer(ann["tokens"]))

    assert_problem(response, 404, "not-found")


def test_invoices_need_a_signed_in_caller(api):
    assert_problem(api.get("/api/v2/invoices"), 401, "not-authenticated")


# --- v2 -------------------------------------------------------------------------------------------------------


def test_v2_shows_money_as_objects_and_has_no_deprecation_headers(api, ann):
    invoice_id = issue(ann, "1000", "JPY", paid=True)

    response = api.get(f"/api/v2/invoices/{invoice_id}", **bearer(ann["tokens"]))

    assert response.status_code == 200
    body = response.json()
    assert body["amount"] == {"amount": "1000", "currency": "JPY"}
    assert "currency" not in body
    assert body["payments"][0]["amount"] == {"amount": "1000", "currency": "JPY"}
    assert "Deprecation" not in response


def test_v2_list_pages_with_opaque_cursors(api, ann):
    mine = [issue(ann) for _ in range(3)]

    first = api.get("/api/v2/invoices?page_size=2", **bearer(ann["tokens"])).json()
    second = api.get(first["next"], **bearer(ann["tokens"])).json()

    assert set(first) == {"next", "previous", "results"}
    assert first["results"][0]["amount"] == {"amount": "42.50", "currency": "EUR"}
    assert [row["id"] for row in first["results"] + second["results"]] == [str(i) for i in reversed(mine)]
    assert second["next"] is None


def test_v2_list_oldest_first_pages_in_that_order(api, ann):
    mine = [issue(ann) for _ in range(3)]

    first = api.get("/api/v2/invoices?page_size=2&ordering=created_at", **bearer(ann["tokens"])).json()
    second = api.get(first["next"], **bearer(ann["tokens"])).json()

    assert [row["id"] for row in first["results"] + second["results"]] == [str(i) for i in mine]


# --- refund ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_staff_refund_a_paid_invoice(api, ann, staff, version):
    invoice_id = issue(ann, paid=True)

    response = api.post(
        f"/api/{version}/invoices/{invoice_id}/refund",
        {"reason": "Goods returned."},
        format="json",
        **bearer(staff["tokens"]),
    )
    deliver_events()

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "refunded"
    assert response.json()["refunded_at"] is not None
    assert InvoiceReadModel.objects.get(pk=invoice_id).status == "refunded"


def test_a_customer_may_not_refund_even_their_own_invoice(api, ann):
    invoice_id = issue(ann, paid=True)

    response = api.post(
        f"/api/v1/invoices/{invoice_id}/refund", {"reason": "please"}, format="json", **bearer(ann["tokens"])
    )

    assert_problem(response, 403, "permission-denied")
    assert InvoiceReadModel.objects.get(pk=invoice_id).status == "paid"


def test_refunding_an_open_invoice_is_a_409(api, ann, staff):
    invoice_id = issue(ann)

    response = api.post(
        f"/api/v2/invoices/{invoice_id}/refund", {"reason": "oops"}, format="json", **bearer(staff["tokens"])
    )

    assert_problem(response, 409, "business-rule-violation")


def test_refunding_an_unknown_invoice_is_a_404_and_a_refund_needs_a_reason(api, staff):
    unknown = api.post(
        f"/api/v2/invoices/{uuid.uuid4()}/refund", {"reason": "x"}, format="json", **bearer(staff["tokens"])
    )
    no_reason = api.post(f"/api/v2/invoices/{uuid.uuid4()}/refund", {}, format="json", **bearer(staff["tokens"]))

    assert_problem(unknown, 404, "not-found")
    assert "reason" in assert_problem(no_reason, 400, "validation-error", with_errors=True)["errors"]


@pytest.mark.parametrize(
    ("error", "version", "status", "code", "detail"),
    [
        (
            PaymentProviderError("The payment provider could not refund the payment: it answered with HTTP 402."),
            "v2",
            422,
            "unprocessable",
            "HTTP 402",
        ),
        (
            PaymentProviderUnavailableError(
                "The payment provider could not refund the payment: it could not be reached in time."
            ),
            "v1",
            502,
            "upstream-unavailable",
            "reached in time",
        ),
    ],
    ids=["refused-is-a-422", "unreachable-is-a-502"],
)
def test_a_refund_the_provider_fails_is_a_problem_and_changes_nothing(
    api, ann, staff, monkeypatch, error, version, status, code, detail
):
    from apps.billing import provider

    def fail(self, **kwargs):
        raise error

    monkeypatch.setattr(provider.SimulatedPaymentProvider, "refund", fail)
    invoice_id = issue(ann, paid=True)

    response = api.post(
        f"/api/{version}/invoices/{invoice_id}/refund", {"reason": "x"}, format="json", **bearer(staff["tokens"])
    )
    deliver_events()

    assert detail in assert_problem(response, status, code)["detail"]
    assert InvoiceReadModel.objects.get(pk=invoice_id).status == "paid"
