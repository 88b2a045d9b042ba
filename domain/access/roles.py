"""Roles: named sets of permissions that inherit the permissions of their parent roles.

A role has what it is given and everything its parents have, transitively. The
graph of roles must be acyclic: a role that would inherit from itself is
refused when the graph is built, so a permission check never loops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.kernel.errors import InvalidValueError


class RoleGraphError(InvalidValueError):
    """The roles do not form a valid graph (an unknown parent, a duplicate name, a cycle)."""

    def __init__(self, message: str) -> None:
        super().__init__("roles", message)


@dataclass(frozen=True)
class Role:
    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    parents: tuple[str, ...] = ()


class RoleGraph:
    """The roles by name, each with its permissions resolved (own and inherited) once, when built."""

    def __init__(self, roles: Iterable[Role]) -> None:
        by_name: dict[str, Role] = {}
        for role in roles:
            if role.name in by_name:
                raise RoleGraphError(f"The role {role.name!r} is defined twice.")
            by_name[role.name] = role
        for role in by_name.values():
            unknown = [parent for parent in role.parents if parent not in by_name]
            if unknown:
                raise RoleGraphError(f"The role {role.name!r} inherits from unknown role(s) {', '.join(unknown)}.")
        self._roles: Mapping[str, Role] = by_name
        self._resolved: dict[str, frozenset[str]] = {}
        for name in by_name:
            self._resolve(name, ())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._roles)

    def role(self, name: str) -> Role:
        return self._roles[name]

    def permissions_of(self, role: str) -> frozenset[str]:
        """Every permission of ``role``: its own and its ancestors'. KeyError for an unknown role."""
        return self._resolved[role]

    def has_permission(self, role: str, permission: str) -> bool:
        """True iff ``permission`` is the role's own or inherited from a parent role; False for an unknown role."""
        resolved = self._resolved.get(role)
        return resolved is not None and permission in resolved

    def ancestors_of(self, role: str) -> frozenset[str]:
        """The roles ``role`` inherits from, directly or not."""
        found: set[str] = set()
        pending = list(self._roles[role].parents)
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending.extend(self._roles[name].parents)
        return frozenset(found)

    def _resolve(self, name: str, path: tuple[str, ...]) -> frozenset[str]:
        if name in path:
            cycle = " -> ".join((*path[path.index(name) :], name))
            raise RoleGraphError(f"The roles inherit in a cycle: {cycle}.")
        if name in self._resolved:
            return self._resolved[name]
        role = self._roles[name]
        permissions = set(role.permissions)
        for parent in role.parents:
            permissions |= self._resolve(parent, (*path, name))
        self._resolved[name] = frozenset(permissions)
        return self._resolved[name]
