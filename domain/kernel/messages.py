"""Base classes for what travels on the buses: commands (intent) and queries (questions)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """An imperative request to change state; exactly one handler answers it."""


@dataclass(frozen=True)
class Query:
    """A request for data that changes nothing; answered from read models."""
