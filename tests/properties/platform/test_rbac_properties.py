"""Property 13: a role has exactly its own permissions and those inherited from its parent roles."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.access.roles import Role, RoleGraph

PERMISSIONS = st.sampled_from([f"app.perm_{n}" for n in range(12)])


@st.composite
def role_graphs(draw: st.DrawFn) -> list[Role]:
    """Acyclic by construction: role i may only inherit from roles before it."""
    count = draw(st.integers(1, 8))
    roles = []
    for index in range(count):
        parents = draw(st.lists(st.integers(0, index - 1), unique=True, max_size=3)) if index else []
        roles.append(
            Role(f"role{index}", frozenset(draw(st.sets(PERMISSIONS, max_size=4))), tuple(f"role{p}" for p in parents))
        )
    return roles


def reference_permissions(roles: list[Role], name: str) -> set[str]:
    """The definition, walked naively: own permissions plus, recursively, every parent's."""
    role = next(role for role in roles if role.name == name)
    found = set(role.permissions)
    for parent in role.parents:
        found |= reference_permissions(roles, parent)
    return found


# **Feature: architecture-restructuring-2025, Property 13: RBAC Permission Composition**
# **Validates: Requirements 9.3**
@given(roles=role_graphs(), permission=PERMISSIONS, data=st.data())
def test_a_role_has_a_permission_iff_it_is_its_own_or_inherited(roles, permission, data):
    graph = RoleGraph(roles)
    name = data.draw(st.sampled_from([role.name for role in roles]))

    expected = permission in reference_permissions(roles, name)

    assert graph.has_permission(name, permission) is expected
    assert graph.permissions_of(name) == reference_permissions(roles, name)
