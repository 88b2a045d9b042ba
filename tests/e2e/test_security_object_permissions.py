"""Roles, ownership and per-object grants over HTTP: owners reach what is theirs with no grant row, a support
agent sees the customers granted to them and nobody else's, billing admins and auditors get what their roles
say, and a list is filtered in the database however many objects it holds."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.models import AuditEntry
from apps.billing.models import InvoiceUserObjectPermission
from apps.orders.models import Order as OrderRow
from apps.orders.models import OrderGroupObjectPermission, OrderReadModel, OrderUserObjectPermission
from apps.orders.queries import ORDERS
from apps.platform.caching import read_cache
from apps.users.models import User as UserRow
from domain.billing.commands import CapturePayment
from tests.support.commands import dispatch
from tests.support.effects import assert_audit_chain_intact, audit_outcomes, outbox_events
from tests.support.events import deliver_events
from tests.support.http import account, assert_problem

pytestmark = pytest.mark.django_db

VERSIONS = ["v1", "v2"]
ORDER = {"currency": "EUR", "items": [{"sku": "BOOK-1", "quantity": 1, "unit_price": "10.00"}]}


def place(api, who: dict) -> str:
    response = api.post("/api/v2/orders", ORDER, format="json", **who["auth"])
    assert response.status_code == 201, response.content
    deliver_events()  # the read model, and billing's policy issues the invoice
    return response.json()["id"]


def invoice_of(order_id: str) -> uuid.UUID:
    invoice_id = OrderReadModel.objects.get(pk=order_id).invoice_id
    assert invoice_id is not None
    return invoice_id


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def agent(api):
    return account(api, "sam@example.com", role="support")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_customer_reaches_their_own_order_and_invoice_as_owner_without_any_grant(api, ann, bob, version):
    order_id = place(api, ann)
    invoice_id = invoice_of(order_id)

    assert not OrderUserObjectPermission.objects.filter(content_object_id=order_id).exists()
    assert not InvoiceUserObjectPermission.objects.filter(content_object_id=invoice_id).exists()
    assert api.get(f"/api/{version}/orders/{order_id}", **ann["auth"]).status_code == 200
    assert api.get(f"/api/{version}/invoices/{invoice_id}", **ann["auth"]).status_code == 200
    assert ids(api.get(f"/api/{version}/orders", **ann["auth"])) == {order_id}
    assert_problem(api.get(f"/api/{version}/orders/{order_id}", **bob["auth"]), 404, "not-found")
    assert_problem(api.get(f"/api/{version}/invoices/{invoice_id}", **bob["auth"]), 404, "not-found")
    assert ids(api.get(f"/api/{version}/orders", **bob["auth"])) == set()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_support_agent_sees_the_customer_granted_to_them_and_no_other(api, ann, bob, agent, version):
    anns, bobs = place(api, ann), place(api, bob)
    before = api.get(f"/api/{version}/orders/{anns}", **agent["auth"])

    call_command("grant_access", "sam@example.com", customer="ann@example.com", verbosity=0)

    assert_problem(before, 404, "not-found")
    assert api.get(f"/api/{version}/orders/{anns}", **agent["auth"]).status_code == 200
    assert api.get(f"/api/{version}/invoices/{invoice_of(anns)}", **agent["auth"]).status_code == 200
    assert ids(api.get(f"/api/{version}/orders", **agent["auth"])) == {anns}
    assert ids(api.get(f"/api/{version}/invoices", **agent["auth"])) == {str(invoice_of(anns))}
    assert_problem(api.get(f"/api/{version}/orders/{bobs}", **agent["auth"]), 404, "not-found")
    assert_problem(api.get(f"/api/{version}/invoices/{invoice_of(bobs)}", **agent["auth"]), 404, "not-found")


def test_a_support_agent_reads_a_granted_order_but_cannot_cancel_it(api, ann, agent):
    order_id = place(api, ann)
    call_command("grant_access", "sam@example.com", customer="ann@example.com", verbosity=0)

    response = api.post(f"/api/v2/orders/{order_id}/cancel", {}, format="json", **agent["auth"])

    assert assert_problem(response, 404, "not-found")["detail"] == "No order has this id."
    assert OrderRow.objects.get(pk=order_id).status == "pending_payment"
    assert outbox_events(order_id) == ["orders.order_placed"]
    assert audit_outcomes("CancelOrder") == ["refused: OrderNotFoundError"]
    assert api.post(f"/api/v2/orders/{order_id}/cancel", {}, format="json", **ann["auth"]).status_code == 200


def test_revoking_takes_the_access_back_and_both_changes_are_audited(api, ann, agent):
    order_id = place(api, ann)
    call_command("grant_access", "sam@example.com", customer="ann@example.com", verbosity=0)

    call_command("grant_access", "sam@example.com", customer="ann@example.com", revoke=True, verbosity=0)

    assert_problem(api.get(f"/api/v2/orders/{order_id}", **agent["auth"]), 404, "not-found")
    assert ids(api.get("/api/v2/orders", **agent["auth"])) == set()
    assert api.get(f"/api/v2/orders/{order_id}", **ann["auth"]).status_code == 200  # the owner keeps theirs
    entries = AuditEntry.objects.filter(action__startswith="access.").order_by("id")
    assert [(entry.action, entry.target_id, entry.changes["orders"]) for entry in entries] == [
        ("access.granted", ann["id"], 1),
        ("access.revoked", ann["id"], 1),
    ]


def test_grant_access_refuses_an_agent_without_the_support_role_and_an_unknown_account(api, ann, bob):
    with pytest.raises(CommandError, match=r"bob@example\.com has no role that reads granted orders"):
        call_command("grant_access", "bob@example.com", customer="ann@example.com")
    with pytest.raises(CommandError, match=r"no account with the e-mail nobody@example\.com"):
        call_command("grant_access", "nobody@example.com", customer="ann@example.com")

    assert not OrderUserObjectPermission.objects.filter(user_id=bob["id"]).exists()


def test_a_grant_to_a_group_reaches_its_support_members_but_not_a_plain_customer(api, ann, bob, agent):
    order_id = place(api, ann)
    desk = Group.objects.create(name="desk")
    desk.user_set.add(bob["id"], agent["id"])
    view = Permission.objects.get(content_type__app_label="orders", codename="view_order")

    OrderGroupObjectPermission.objects.create(group=desk, permission=view, content_object_id=order_id)

    assert api.get(f"/api/v2/orders/{order_id}", **agent["auth"]).status_code == 200
    assert ids(api.get("/api/v2/orders", **agent["auth"])) == {order_id}
    # A customer sees their own orders only, whatever grant reaches them: reading others' takes the support role.
    assert_problem(api.get(f"/api/v2/orders/{order_id}", **bob["auth"]), 404, "not-found")
    assert ids(api.get("/api/v2/orders", **bob["auth"])) == set()


def test_an_agent_taken_off_support_no_longer_sees_what_they_were_granted(api, ann, agent):
    order_id = place(api, ann)
    call_command("grant_access", "sam@example.com", customer="ann@example.com", verbosity=0)
    assert api.get(f"/api/v2/orders/{order_id}", **agent["auth"]).status_code == 200

    Group.objects.get(name="support").user_set.remove(agent["id"])

    assert_problem(api.get(f"/api/v2/orders/{order_id}", **agent["auth"]), 404, "not-found")
    assert_problem(api.get(f"/api/v2/invoices/{invoice_of(order_id)}", **agent["auth"]), 404, "not-found")
    assert ids(api.get("/api/v2/orders", **agent["auth"])) == set()
    assert ids(api.get("/api/v2/invoices", **agent["auth"])) == set()


@pytest.mark.parametrize("version", VERSIONS)
def test_a_billing_admin_sees_and_refunds_every_invoice_but_ships_nothing(api, ann, version):
    admin = account(api, "bill@example.com", role="billing_admin")
    order_id = place(api, ann)
    invoice_id = invoice_of(order_id)
    dispatch(CapturePayment(invoice_id, "pi_1", Decimal("10.00"), "EUR"))
    deliver_events()

    listed = ids(api.get(f"/api/{version}/invoices", **admin["auth"]))
    refund = api.post(
        f"/api/{version}/invoices/{invoice_id}/refund", {"reason": "Returned"}, format="json", **admin["auth"]
    )
    ship = api.post(f"/api/{version}/orders/{order_id}/ship", **admin["auth"])

    assert listed == {str(invoice_id)}
    assert refund.status_code == 200, refund.content
    body = assert_problem(ship, 403, "permission-denied")
    assert body["detail"] == "Your roles do not allow this (it takes the permission orders.ship_order)."
    deliver_events()
    assert OrderRow.objects.get(pk=order_id).status == "refunded"  # by the refund's policy, not shipped
    assert "orders.order_shipped" not in outbox_events(order_id)
    assert audit_outcomes("ShipOrder") == ["refused: AuthorizationError"]
    assert_audit_chain_intact()


def test_an_auditor_reads_the_audit_log_and_a_customer_may_not(api, ann):
    auditor = account(api, "audrey@example.com", role="auditor")

    assert api.get("/api/v1/audit-log", **auditor["auth"]).status_code == 200
    refused = assert_problem(api.get("/api/v1/audit-log", **ann["auth"]), 403, "permission-denied")
    assert refused["detail"] == "Your roles do not allow this (it takes the permission audit.view_auditentry)."


def test_a_refused_command_is_audited_with_its_reason(api, ann):
    order_id = place(api, ann)

    api.post(f"/api/v2/orders/{order_id}/ship", **ann["auth"])

    entry = AuditEntry.objects.filter(action="ShipOrder").get()
    assert (entry.actor, entry.outcome, entry.target_id) == (
        f"user:{ann['id']}",
        "refused: AuthorizationError",
        order_id,
    )


def test_the_order_list_costs_the_same_queries_for_one_order_as_for_twenty(api, ann):
    place(api, ann)
    with CaptureQueriesContext(connection) as one:
        assert len(ids(api.get("/api/v2/orders", {"page_size": 100}, **ann["auth"]))) == 1
    for _ in range(19):
        place(api, ann)

    with CaptureQueriesContext(connection) as twenty:
        assert len(ids(api.get("/api/v2/orders", {"page_size": 100}, **ann["auth"]))) == 20

    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_the_back_office_lists_who_holds_which_grant_and_edits_none(api, ann, agent, client):
    order_id = place(api, ann)
    call_command("grant_access", "sam@example.com", customer="ann@example.com", verbosity=0)
    client.force_login(UserRow.objects.create_superuser("root@example.com", "a sufficiently long passphrase"))

    found = client.get("/admin/orders/orderuserobjectpermission/", {"q": "sam@example.com"})
    add = client.get("/admin/orders/orderuserobjectpermission/add/")

    assert found.status_code == 200
    assert order_id in found.content.decode()
    assert found.context["cl"].result_count == 1  # view_order: reading only
    assert add.status_code == 403


def test_placing_an_order_writes_no_grant_and_reads_no_permission(api, ann):
    with CaptureQueriesContext(connection) as placing:
        response = api.post("/api/v2/orders", ORDER, format="json", **ann["auth"])
        statements = [query["sql"] for query in placing.captured_queries]

    assert response.status_code == 201
    assert not [sql for sql in statements if "_grants" in sql or "auth_permission" in sql]
    # the caller, the order and its lines, the outbox entry, the audit entry (unsealed: no lock, no read of the
    # chain), and the unit of work's savepoint and its release
    assert len(statements) == 7, "\n".join(s[:110] for s in statements)


def test_cancelling_ones_own_order_reads_no_permission(api, ann):
    order_id = place(api, ann)

    with CaptureQueriesContext(connection) as cancelling:
        response = api.post(
            f"/api/v2/orders/{order_id}/cancel", {"reason": "Changed my mind"}, format="json", **ann["auth"]
        )
        statements = [query["sql"] for query in cancelling.captured_queries]

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    # the owner settles it: the baseline lets a customer cancel their own order, so no role permission is read
    assert not [sql for sql in statements if "auth_permission" in sql or "_grants" in sql]
    # the caller, the order's owner, the order and its lines, its update, the outbox entry, the audit entry
    # (unsealed), the unit of work's savepoint pair
    assert len(statements) == 9, "\n".join(statements)


def test_support_cancelling_anothers_order_is_refused_after_reading_its_roles(api, ann, agent):
    order_id = place(api, ann)

    with CaptureQueriesContext(connection) as cancelling:
        response = api.post(f"/api/v2/orders/{order_id}/cancel", {}, format="json", **agent["auth"])
        statements = [query["sql"] for query in cancelling.captured_queries]

    assert_problem(response, 404, "not-found")
    assert OrderRow.objects.get(pk=order_id).status == "pending_payment"
    # not the owner, so the role permissions are read (fresh, as every write's are): they lack cancel_any_order
    assert [sql for sql in statements if "auth_permission" in sql]


def test_reading_an_order_costs_one_query_with_the_caller_cached_and_none_on_a_cache_hit(api, ann):
    order_id = place(api, ann)
    api.get(f"/api/v2/orders/{order_id}", **ann["auth"])  # the caller's access is cached now, and the order
    read_cache().invalidate(ORDERS, {ORDERS.key(order_id): None})  # the order alone forgotten

    with CaptureQueriesContext(connection) as cold:
        first = api.get(f"/api/v2/orders/{order_id}", **ann["auth"])
    with CaptureQueriesContext(connection) as warm:
        again = api.get(f"/api/v2/orders/{order_id}", **ann["auth"])

    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    # the read row, which carries its owner: no grant table, no write table, no permission query
    assert [query["sql"] for query in cold.captured_queries if "orders_read" not in query["sql"]] == []
    assert len(cold.captured_queries) == 1
    assert warm.captured_queries == []
