"""The orders API over HTTP, v1 and v2: placing, listing, reading, cancelling and shipping orders."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderReadModel
from domain.orders.commands import MarkOrderPaid
from tests.support.commands import dispatch
from tests.support.events import deliver_events
from tests.support.http import account, assert_problem

pytestmark = pytest.mark.django_db

V1 = "/api/v1/orders"
V2 = "/api/v2/orders"
TWO_LINES = {
    "currency": "EUR",
    "items": [
        {"sku": "book-123", "quantity": 2, "unit_price": "12.30"},
        {"sku": "PEN.BLUE", "quantity": 1, "unit_price": 1.5},
    ],
}


@pytest.fixture
def ada(api):
    return account(api, "ada@example.com")


@pytest.fixture
def staff(api):
    return account(api, "boss@example.com", role="admin")


def place(api, who, body=None, *, base=V1, **headers):
    response = api.post(base, body or TWO_LINES, format="json", **who["auth"], **headers)
    assert response.status_code == 201, response.content
    deliver_events()
    return response.json()


def paid(order_id):
    dispatch(MarkOrderPaid(order_id=uuid.UUID(order_id), invoice_id=uuid.uuid4()))
    deliver_events()


# --- placing ----------------------------------------------------------------------------------------------------


def test_placing_an_order_answers_201_with_the_order_and_its_location(api, ada):
    response = api.post(V1, TWO_LINES, format="json", **ada["auth"])

    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{V1}/{body['id']}"
    assert {key: body[key] for key in ("customer_id", "customer_email", "status", "currency", "total")} == {
        "customer_id": ada["id"],
        "customer_email": "ada@example.com",
        "status": "pending_payment",
        "currency": "EUR",
        "total": "26.10",
    }
    assert body["item_count"] == 3
    assert body["lines"] == [
        {"sku": "BOOK-123", "quantity": 2, "unit_price": "12.30", "line_total": "24.60"},
        {"sku": "PEN.BLUE", "quantity": 1, "unit_price": "1.50", "line_total": "1.50"},
    ]
    row = OrderRow.objects.get(pk=body["id"])
    assert (row.status, row.version, row.lines.count()) == ("pending_payment", 1, 2)


def test_the_total_comes_from_the_lines_never_from_the_body(api, ada):
    body = {**TWO_LINES, "total": "0.01"}

    assert api.post(V1, body, format="json", **ada["auth"]).json()["total"] == "26.10"


def test_a_placed_order_reaches_the_read_side_through_the_outbox(api, ada):
    placed = place(api, ada)

    response = api.get(f"{V1}/{placed['id']}", **ada["auth"])

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("id", "status", "total", "lines", "placed_at")} == {
        key: placed[key] for key in ("id", "status", "total", "lines", "placed_at")
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"currency": ["This field is required."], "items": ["This field is required."]}),
        ({"currency": "EUR", "items": []}, {"items": ["An order needs at least one line."]}),
        ({"currency": "EURO", "items": [{"sku": "A", "quantity": 1, "unit_price": "1"}]}, None),
        ({"currency": "XYZ", "items": [{"sku": "A", "quantity": 1, "unit_price": "1"}]}, None),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1.001"}]},
            {"items[0].unit_price": ["A EUR price has at most 2 decimal places."]},
        ),
        (
            {"currency": "JPY", "items": [{"sku": "A", "quantity": 1, "unit_price": "10.5"}]},
            {"items[0].unit_price": ["A JPY price has at most 0 decimal places."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "0"}]},
            {"items[0].unit_price": ["A unit price must be greater than zero."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "-3.00"}]},
            {"items[0].unit_price": ["A unit price must be greater than zero."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "twelve"}]},
            {"items[0].unit_price": ['Enter a decimal number, such as "12.30".']},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1e1000000"}]},
            {"items[0].unit_price": ["A unit price is out of range."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1e400"}]},
            {"items[0].unit_price": ["An amount has at most 18 digits."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": True}]},
            {"items[0].unit_price": ['Enter a decimal number, such as "12.30".']},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 0, "unit_price": "1"}]},
            {"items[0].quantity": ["A quantity must be between 1 and 10000."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1.5, "unit_price": "1"}]},
            {"items[0].quantity": ["A valid integer is required."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "no spaces", "quantity": 1, "unit_price": "1"}]},
            {"items[0].sku": ["A SKU may contain only letters, digits, '.', '_' and '-'."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1}]},
            {"items[0].unit_price": ["This field is required."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1"}] * 2},
            {"items[1].sku": ["SKU A is already ordered in line 0; order it once with the whole quantity."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": f"S{n}", "quantity": 1, "unit_price": "1"} for n in range(51)]},
            {"items": ["An order has at most 50 lines."]},
        ),
        ({"currency": "EUR", "items": "A"}, {"items": ['Expected a list of items but got type "str".']}),
        # Each field takes only its JSON type: DRF alone would read 978 as "978" and "2" as 2.
        ({"currency": 978, "items": [{"sku": "A", "quantity": 1, "unit_price": "1"}]}, None),
        (
            {"currency": "EUR", "items": [{"sku": 123, "quantity": 1, "unit_price": "1"}]},
            {"items[0].sku": ["Not a valid string."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": "2", "unit_price": "1"}]},
            {"items[0].quantity": ["A valid integer is required."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "A", "quantity": 2.0, "unit_price": "1"}]},
            {"items[0].quantity": ["A valid integer is required."]},
        ),
        # The currency is an upper-case ISO 4217 code, as the schema's enum lists them.
        ({"currency": "eur", "items": [{"sku": "A", "quantity": 1, "unit_price": "1"}]}, None),
        # A SKU is sent as it is; only its letters' case is normalised (the schema's pattern).
        (
            {"currency": "EUR", "items": [{"sku": " A", "quantity": 1, "unit_price": "1"}]},
            {"items[0].sku": ["A SKU may contain only letters, digits, '.', '_' and '-'."]},
        ),
        (
            {"currency": "EUR", "items": [{"sku": "straße", "quantity": 1, "unit_price": "1"}]},
            {"items[0].sku": ["A SKU may contain only letters, digits, '.', '_' and '-'."]},
        ),
    ],
)
def test_every_bad_order_is_a_400_problem_naming_the_field(api, ada, body, errors):
    response = api.post(V1, body, format="json", **ada["auth"])

    problem = assert_problem(response, 400, "validation-error", with_errors=True)
    if errors is None:
        assert list(problem["errors"]) == ["currency"]
    else:
        assert problem["errors"] == errors
    assert not OrderRow.objects.filter(customer_id=ada["id"]).exists()


def test_placing_needs_a_signed_in_customer(api):
    assert_problem(api.post(V1, TWO_LINES, format="json"), 401, "not-authenticated")


# --- Idempotency-Key --------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(api, ada):
    first = api.post(V1, TWO_LINES, format="json", HTTP_IDEMPOTENCY_KEY="order-1", **ada["auth"])
    again = api.post(V1, TWO_LINES, format="json", HTTP_IDEMPOTENCY_KEY="order-1", **ada["auth"])

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert OrderRow.objects.filter(customer_id=ada["id"]).count() == 1


def test_the_same_idempotency_key_with_another_body_is_422(api, ada):
    api.post(V1, TWO_LINES, format="json", HTTP_IDEMPOTENCY_KEY="order-2", **ada["auth"])
    other = {"currency": "EUR", "items": [{"sku": "OTHER", "quantity": 1, "unit_price": "1.00"}]}

    response = api.post(V1, other, format="json", HTTP_IDEMPOTENCY_KEY="order-2", **ada["auth"])

    assert_problem(response, 422, "idempotency-key-reused")
    assert OrderRow.objects.filter(customer_id=ada["id"]).count() == 1


# --- reading ----------------------------------------------------------------------------------------------------


def test_another_customers_order_is_404_and_so_is_an_unknown_one(api, ada, bob, staff):
    order = place(api, ada)

    assert_problem(api.get(f"{V1}/{order['id']}", **bob["auth"]), 404, "not-found")
    assert_problem(api.get(f"{V1}/{uuid.uuid4()}", **ada["auth"]), 404, "not-found")
    assert api.get(f"{V1}/{order['id']}", **staff["auth"]).status_code == 200


def test_the_list_shows_only_the_customers_own_orders_and_staff_sees_all(api, ada, bob, staff):
    mine = place(api, ada)
    theirs = place(api, bob)

    ada_list = api.get(V1, **ada["auth"]).json()
    staff_ids = {order["id"] for order in api.get(V1, {"page_size": 100}, **staff["auth"]).json()["results"]}

    assert [order["id"] for order in ada_list["results"]] == [mine["id"]]
    assert ada_list["count"] == 1
    assert {mine["id"], theirs["id"]} <= staff_ids


def test_the_list_is_paginated_newest_first(api, ada):
    ids = [place(api, ada)["id"] for _ in range(3)]

    first = api.get(V1, {"page_size": 2}, **ada["auth"])
    second = api.get(V1, {"page_size": 2, "page": 2}, **ada["auth"])

    assert first.status_code == 200
    assert first.json()["count"] == 3
    assert [order["id"] for order in first.json()["results"]] == ids[::-1][:2]
    assert first.json()["next"].endswith("page=2&page_size=2")
    assert [order["id"] for order in second.json()["results"]] == ids[::-1][2:]
    assert second.json()["next"] is None


def test_the_list_filters_by_status_and_creation_time_and_orders_by_total(api, ada):
    small = place(api, ada, {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": "1.00"}]})
    large = place(api, ada, {"currency": "EUR", "items": [{"sku": "A", "quantity": 9, "unit_price": "9.00"}]})
    api.post(f"{V1}/{small['id']}/cancel", {}, format="json", **ada["auth"])
    deliver_events()
    now = datetime.now(UTC)

    def ids(**params):
        response = api.get(V1, params, **ada["auth"])
        assert response.status_code == 200, response.content
        return [order["id"] for order in response.json()["results"]]

    assert ids(status="cancelled") == [small["id"]]
    assert ids(status="pending_payment") == [large["id"]]
    assert ids(status="shipped") == []
    assert ids(created_from=(now - timedelta(hours=1)).isoformat()) == [large["id"], small["id"]]
    assert ids(created_from=(now + timedelta(hours=1)).isoformat()) == []
    assert ids(created_to=(now - timedelta(days=1)).date().isoformat()) == []
    assert ids(ordering="total") == [small["id"], large["id"]]
    assert ids(ordering="-total") == [large["id"], small["id"]]
    assert ids(ordering="created_at") == [small["id"], large["id"]]
    assert ids(ordering="status") == [small["id"], large["id"]]  # cancelled < pending_payment


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "lost"}, "status"),
        ({"created_from": "yesterday"}, "created_from"),
        ({"created_to": "2026-13-45"}, "created_to"),
        ({"ordering": "price"}, "ordering"),
    ],
)
def test_a_bad_filter_value_is_a_400_problem_naming_the_parameter(api, ada, params, parameter):
    problem = assert_problem(api.get(V1, params, **ada["auth"]), 400, "validation-error", with_errors=True)

    assert list(problem["errors"]) == [parameter]


@pytest.mark.parametrize("base", [V1, V2])
@pytest.mark.parametrize(
    ("query", "errors"),
    [
        # An empty value is a value: not "no filter".
        ("status=", {"status": ['"" is not a valid choice.']}),
        ("ordering=", {"ordering": ['"" is not a valid choice.']}),
        # A parameter given twice is ambiguous, whichever of its values would have been read.
        ("status=paid&status=shipped", {"status": ["Give this parameter once."]}),
        ("page_size=abc&page_size=5", {"page_size": ["Give this parameter once."]}),
        # A page size is a whole number from 1; DRF's own pagination would quietly use 20 instead.
        ("page_size=abc", {"page_size": ["Enter a whole number from 1."]}),
        ("page_size=0", {"page_size": ["Enter a whole number from 1."]}),
        ("page_size=-5", {"page_size": ["Enter a whole number from 1."]}),
        ("page_size=2.5", {"page_size": ["Enter a whole number from 1."]}),
        ("page_size=", {"page_size": ["Enter a whole number from 1."]}),
    ],
)
def test_a_list_query_string_is_read_strictly(api, ada, base, query, errors):
    place(api, ada)

    problem = assert_problem(api.get(f"{base}?{query}", **ada["auth"]), 400, "validation-error", with_errors=True)

    assert problem["errors"] == errors


@pytest.mark.parametrize("base", [V1, V2])
def test_a_page_size_over_the_maximum_is_capped_not_refused(api, ada, base):
    place(api, ada)

    response = api.get(f"{base}?page_size=1000", **ada["auth"])

    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


# --- cancelling and shipping ------------------------------------------------------------------------------------


def test_the_customer_cancels_an_order_awaiting_payment_with_a_reason(api, ada):
    order = place(api, ada)

    response = api.post(f"{V1}/{order['id']}/cancel", {"reason": "found it cheaper"}, format="json", **ada["auth"])
    deliver_events()

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_at"] is not None
    assert OrderRow.objects.get(pk=order["id"]).cancellation_reason == "found it cheaper"
    assert api.get(f"{V1}/{order['id']}", **ada["auth"]).json()["status"] == "cancelled"


def test_cancelling_twice_is_a_409_illegal_transition(api, ada):
    order = place(api, ada)
    api.post(f"{V1}/{order['id']}/cancel", format="json", **ada["auth"])

    response = api.post(f"{V1}/{order['id']}/cancel", format="json", **ada["auth"])

    problem = assert_problem(response, 409, "business-rule-violation")
    assert "cancelled" in problem["detail"]


def test_another_customer_cannot_cancel_and_learns_nothing(api, ada, bob):
    order = place(api, ada)

    assert_problem(api.post(f"{V1}/{order['id']}/cancel", format="json", **bob["auth"]), 404, "not-found")
    assert OrderRow.objects.get(pk=order["id"]).status == "pending_payment"


def test_staff_can_cancel_any_customers_order(api, ada, staff):
    order = place(api, ada)

    response = api.post(f"{V1}/{order['id']}/cancel", format="json", **staff["auth"])

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_a_too_long_cancellation_reason_is_400(api, ada):
    order = place(api, ada)

    response = api.post(f"{V1}/{order['id']}/cancel", {"reason": "x" * 501}, format="json", **ada["auth"])

    assert list(assert_problem(response, 400, "validation-error", with_errors=True)["errors"]) == ["reason"]


def test_staff_ships_a_paid_order(api, ada, staff):
    order = place(api, ada)
    paid(order["id"])

    response = api.post(f"{V1}/{order['id']}/ship", format="json", **staff["auth"])
    deliver_events()

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "shipped"
    detail = api.get(f"{V1}/{order['id']}", **ada["auth"]).json()
    assert detail["status"] == "shipped"
    assert detail["paid_at"] is not None
    assert detail["shipped_at"] is not None


def test_shipping_an_unpaid_order_is_409_and_a_customer_may_not_ship(api, ada, staff):
    order = place(api, ada)

    assert_problem(api.post(f"{V1}/{order['id']}/ship", format="json", **staff["auth"]), 409, "business-rule-violation")
    assert_problem(api.post(f"{V1}/{order['id']}/ship", format="json", **ada["auth"]), 403, "permission-denied")
    assert_problem(api.post(f"{V1}/{uuid.uuid4()}/ship", format="json", **staff["auth"]), 404, "not-found")


def test_a_paid_order_cannot_be_cancelled(api, ada):
    order = place(api, ada)
    paid(order["id"])

    assert_problem(api.post(f"{V1}/{order['id']}/cancel", format="json", **ada["auth"]), 409, "business-rule-violation")


# --- versions ---------------------------------------------------------------------------------------------------


def test_v1_answers_carry_the_deprecation_headers_errors_too(api, ada):
    order = place(api, ada)

    for response in (
        api.get(V1, **ada["auth"]),
        api.get(f"{V1}/{order['id']}", **ada["auth"]),
        api.get(f"{V1}/{uuid.uuid4()}", **ada["auth"]),
    ):
        path = response.wsgi_request.path
        assert response["Deprecation"].startswith("@")
        assert response["Sunset"].endswith("GMT")
        assert response["Link"] == f'<{path.replace("/api/v1/", "/api/v2/")}>; rel="successor-version"'
    assert "Deprecation" not in api.get(V2, **ada["auth"])


def test_v2_shows_money_as_amount_and_currency_objects(api, ada):
    response = api.post(V2, TWO_LINES, format="json", **ada["auth"])
    deliver_events()

    assert response.status_code == 201, response.content
    assert response["Location"] == f"{V2}/{response.json()['id']}"
    for body in (response.json(), api.get(f"{V2}/{response.json()['id']}", **ada["auth"]).json()):
        assert body["total"] == {"amount": "26.10", "currency": "EUR"}
        assert body["lines"][0] == {
            "sku": "BOOK-123",
            "quantity": 2,
            "unit_price": {"amount": "12.30", "currency": "EUR"},
            "line_total": {"amount": "24.60", "currency": "EUR"},
        }


def test_v2_pages_with_opaque_cursors_newest_first_and_filters(api, ada, bob):
    ids = [place(api, ada, base=V2)["id"] for _ in range(3)]
    place(api, bob, base=V2)

    first = api.get(V2, {"page_size": 2}, **ada["auth"]).json()
    second = api.get(first["next"], **ada["auth"]).json()
    cancelled = api.get(V2, {"status": "cancelled"}, **ada["auth"]).json()

    assert set(first) == {"next", "previous", "results"}
    assert [order["id"] for order in first["results"]] == ids[::-1][:2]
    assert "cursor=" in first["next"]
    assert [order["id"] for order in second["results"]] == ids[::-1][2:]
    assert second["next"] is None
    assert cancelled["results"] == []
    assert_problem(api.get(V2, {"status": "lost"}, **ada["auth"]), 400, "validation-error", with_errors=True)


def test_v2_cancel_and_ship_answer_in_the_v2_shape(api, ada, staff):
    order = place(api, ada, base=V2)
    other = place(api, ada, base=V2)
    paid(other["id"])

    cancelled = api.post(f"{V2}/{order['id']}/cancel", format="json", **ada["auth"])
    shipped = api.post(f"{V2}/{other['id']}/ship", format="json", **staff["auth"])

    assert (cancelled.status_code, shipped.status_code) == (200, 200)
    assert cancelled.json()["status"] == "cancelled"
    assert shipped.json()["total"] == {"amount": "26.10", "currency": "EUR"}
    assert OrderReadModel.objects.get(pk=other["id"]).total == Decimal("26.10")


@pytest.mark.parametrize(
    ("ordering", "expected"), [("total", ["1.00", "2.00", "3.00"]), ("-total", ["3.00", "2.00", "1.00"])]
)
def test_v2_orders_can_be_ordered_by_total_across_cursor_pages(api, ada, ordering, expected):
    for price in ("2.00", "3.00", "1.00"):
        place(api, ada, {"currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unit_price": price}]}, base=V2)

    first = api.get(V2, {"ordering": ordering, "page_size": 2}, **ada["auth"]).json()
    second = api.get(first["next"], **ada["auth"]).json()

    assert [o["total"]["amount"] for o in first["results"] + second["results"]] == expected
