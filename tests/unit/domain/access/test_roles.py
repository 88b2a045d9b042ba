import pytest

from domain.access.catalogue import ROLES
from domain.access.roles import Role, RoleGraph, RoleGraphError


def test_a_role_has_its_own_permissions_and_its_ancestors():
    graph = RoleGraph([Role("a", frozenset({"x"})), Role("b", frozenset({"y"}), ("a",)), Role("c", parents=("b",))])

    assert graph.permissions_of("c") == {"x", "y"}
    assert graph.has_permission("c", "x")
    assert not graph.has_permission("a", "y")
    assert graph.ancestors_of("c") == {"a", "b"}


def test_an_unknown_role_has_no_permission():
    assert not ROLES.has_permission("intern", "orders.place_order")


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([Role("a", parents=("a",))], "The roles inherit in a cycle: a -> a."),
        ([Role("a", parents=("b",)), Role("b", parents=("c",)), Role("c", parents=("a",))], "cycle: a -> b -> c -> a."),
        ([Role("a", parents=("ghost",))], "The role 'a' inherits from unknown role(s) ghost."),
        ([Role("a"), Role("a")], "The role 'a' is defined twice."),
    ],
    ids=["self", "three", "unknown-parent", "duplicate"],
)
def test_a_graph_that_is_not_a_dag_of_known_roles_is_refused(roles, message):
    with pytest.raises(RoleGraphError) as refused:
        RoleGraph(roles)

    assert message in refused.value.message


def test_the_catalogue_support_reads_as_a_customer_and_admin_inherits_everything():
    assert ROLES.permissions_of("customer") <= ROLES.permissions_of("support")
    for role in ("customer", "support", "billing_admin", "auditor"):
        assert ROLES.permissions_of(role) <= ROLES.permissions_of("admin")
    assert ROLES.has_permission("auditor", "audit.view_auditentry")
    assert not ROLES.has_permission("customer", "billing.refund_invoice")
    assert not ROLES.has_permission("billing_admin", "orders.ship_order")
