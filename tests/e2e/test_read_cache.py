"""The read cache seen through the API: nothing leaks between callers, access changes count at once,
projections show through, and a client that holds a representation gets 304."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderGroupObjectPermission, OrderReadModel
from apps.orders.queries import ORDERS
from apps.platform.caching import read_cache
from apps.users.models import User
from tests.support.events import deliver_events
from tests.support.http import account, assert_problem

pytestmark = pytest.mark.django_db

ORDER = {"currency": "EUR", "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "10.00"}]}


def place(api, who: dict) -> str:
    response = api.post("/api/v2/orders", ORDER, format="json", **who["auth"])
    assert response.status_code == 201, response.content
    deliver_events()
    return response.json()["id"]


def listed(api, who: dict, version: str = "v2") -> list[str]:
    response = api.get(f"/api/{version}/orders", **who["auth"])
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def served_without_queries(api, url: str, who: dict) -> bool:
    with CaptureQueriesContext(connection) as reading:
        assert api.get(url, **who["auth"]).status_code == 200
    return not reading.captured_queries


def test_the_read_cache_is_on_in_this_suite():
    assert read_cache().enabled(ORDERS)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_another_customer_gets_404_and_an_empty_list_after_the_owners_reads_were_cached(api, ann, bob, version):
    order_id = place(api, ann)
    invoice_id = OrderReadModel.objects.get(pk=order_id).invoice_id
    for url in (f"/api/{version}/orders/{order_id}", f"/api/{version}/orders", f"/api/{version}/invoices/{invoice_id}"):
        api.get(url, **ann["auth"])
        assert served_without_queries(api, url, ann)  # cached now

    assert_problem(api.get(f"/api/{version}/orders/{order_id}", **bob["auth"]), 404, "not-found")
    assert_problem(api.get(f"/api/{version}/invoices/{invoice_id}", **bob["auth"]), 404, "not-found")
    assert listed(api, bob, version) == []
    assert api.get(f"/api/{version}/invoices", **bob["auth"]).json()["results"] == []
    assert listed(api, ann, version) == [order_id]


def test_a_support_agent_loses_cached_access_the_moment_the_grant_is_revoked(api, ann):
    agent = account(api, "sam@example.com", role="support")
    order_id = place(api, ann)
    call_command("grant_access", "sam@example.com", customer="ann@example.com", verbosity=0)
    assert api.get(f"/api/v2/orders/{order_id}", **agent["auth"]).status_code == 200
    assert listed(api, agent) == [order_id]
    assert served_without_queries(api, f"/api/v2/orders/{order_id}", agent)
    assert served_without_queries(api, "/api/v2/orders", agent)

    call_command("grant_access", "sam@example.com", customer="ann@example.com", revoke=True, verbosity=0)

    assert_problem(api.get(f"/api/v2/orders/{order_id}", **agent["auth"]), 404, "not-found")
    assert listed(api, agent) == []


def test_a_removed_role_counts_at_once_for_reads(api, ann):
    auditor = account(api, "audrey@example.com", role="billing_admin")
    order_id = place(api, ann)
    assert api.get(f"/api/v2/orders/{order_id}", **auditor["auth"]).status_code == 200
    assert listed(api, auditor) == [order_id]
    # a role permission (orders.view_all_orders) checked from the cached access: no query at all
    assert served_without_queries(api, f"/api/v2/orders/{order_id}", auditor)

    User.objects.get(pk=auditor["id"]).groups.clear()

    assert_problem(api.get(f"/api/v2/orders/{order_id}", **auditor["auth"]), 404, "not-found")
    assert listed(api, auditor) == []


def test_a_deactivated_account_is_refused_at_once_though_its_access_was_cached(api, ann):
    admin = account(api, "ada@example.com", role="admin")
    assert api.get("/api/v1/users/me", **ann["auth"]).status_code == 200

    deactivated = api.post(
        f"/api/v1/users/{ann['id']}/deactivate", {"reason": "closed"}, format="json", **admin["auth"]
    )

    assert deactivated.status_code == 200, deactivated.content
    assert_problem(api.get("/api/v1/users/me", **ann["auth"]), 401, "authentication-failed")
    assert_problem(api.post("/api/v2/orders", ORDER, format="json", **ann["auth"]), 401, "authentication-failed")


def test_a_projected_change_shows_at_once_with_a_new_etag(api, ann):
    order_id = place(api, ann)
    url = f"/api/v2/orders/{order_id}"
    first = api.get(url, **ann["auth"])
    assert first.json()["status"] == "pending_payment"

    assert api.post(f"{url}/cancel", {}, format="json", **ann["auth"]).status_code == 200
    deliver_events()
    second = api.get(url, **ann["auth"])

    assert second.json()["status"] == "cancelled"
    assert second["ETag"] != first["ETag"]
    assert listed(api, ann) == [order_id]
    assert api.get("/api/v2/orders", {"status": "cancelled"}, **ann["auth"]).json()["results"][0]["id"] == order_id


@pytest.mark.parametrize("kind", ["order", "invoice", "me", "list"])
def test_a_client_holding_the_current_representation_gets_304_without_a_body(api, ann, kind):
    order_id = place(api, ann)
    invoice_id = OrderReadModel.objects.get(pk=order_id).invoice_id
    url = {
        "order": f"/api/v2/orders/{order_id}",
        "invoice": f"/api/v2/invoices/{invoice_id}",
        "me": "/api/v1/users/me",
        "list": "/api/v2/orders",
    }[kind]
    first = api.get(url, **ann["auth"])
    etag = first["ETag"]

    again = api.get(url, HTTP_IF_NONE_MATCH=etag, **ann["auth"])
    other = api.get(url, HTTP_IF_NONE_MATCH='"something-else"', **ann["auth"])

    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert other.status_code == 200
    assert other.content == first.content


def test_304_is_only_for_the_caller_who_may_see_it(api, ann, bob):
    order_id = place(api, ann)
    etag = api.get(f"/api/v2/orders/{order_id}", **ann["auth"])["ETag"]
    assert_problem(api.get(f"/api/v2/orders/{order_id}", HTTP_IF_NONE_MATCH=etag, **bob["auth"]), 404, "not-found")


def test_an_account_saved_outside_the_commands_is_read_again(api, ann):
    """What Django's own tooling saves (the admin's forms, ``createsuperuser``) reaches the access cache too."""
    assert api.get("/api/v1/users/me", **ann["auth"]).status_code == 200
    user = User.objects.get(pk=ann["id"])
    user.is_active = False
    user.save()

    assert_problem(api.get("/api/v1/users/me", **ann["auth"]), 401, "authentication-failed")


def test_leaving_a_group_ends_its_object_grants_at_once(api, ann):
    agent = account(api, "sam@example.com", role="support")
    order_id = place(api, ann)
    desk = Group.objects.create(name="desk")
    permission = Permission.objects.get(content_type__app_label="orders", codename="view_order")
    OrderGroupObjectPermission.objects.create(
        group=desk, permission=permission, content_object=OrderRow.objects.get(pk=order_id)
    )
    desk.user_set.add(User.objects.get(pk=agent["id"]))
    assert api.get(f"/api/v2/orders/{order_id}", **agent["auth"]).status_code == 200
    assert listed(api, agent) == [order_id]

    desk.user_set.remove(User.objects.get(pk=agent["id"]))

    assert_problem(api.get(f"/api/v2/orders/{order_id}", **agent["auth"]), 404, "not-found")
    assert listed(api, agent) == []


def test_preconditions_for_writes_leave_a_read_alone(api, ann):
    order_id = place(api, ann)
    url = f"/api/v2/orders/{order_id}"

    assert api.get(url, HTTP_IF_MATCH='"no-such-tag"', **ann["auth"]).status_code == 200
    assert api.get(url, HTTP_IF_UNMODIFIED_SINCE="Mon, 01 Jan 2001 00:00:00 GMT", **ann["auth"]).status_code == 200
    assert api.get(url, HTTP_IF_NONE_MATCH="*", **ann["auth"]).status_code == 304
