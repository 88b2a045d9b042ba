"""Base classes for what travels on the buses: commands (intent) and queries (questions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Command:
    """An imperative request to change state; exactly one handler answers it.

    The command bus runs each handler in a unit of work of its own (one database
    transaction), unless the command sets ``transactional = False``: its handler
    then coordinates other commands itself, each in its own unit of work, because
    it must call something outside the database between them (a payment provider)
    and no transaction may stay open across that call.
    """

    transactional: ClassVar[bool] = True


@dataclass(frozen=True)
class Query:
    """A request for data that changes nothing; answered from read models."""
