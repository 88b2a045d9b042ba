"""Where views, tasks, admin actions and policies find the command and query buses.

They never build them: the composition root (``apps.composition``) installs the
factory when Django starts, and the buses are built on first use, once per
process. The platform, which every context imports, so never imports a context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from domain.kernel.bus import CommandBus, QueryBus
from domain.kernel.messages import Command
from domain.kernel.result import Result


@dataclass(frozen=True)
class Buses:
    commands: CommandBus
    queries: QueryBus


_factory: Callable[[], Buses] | None = None


def install(factory: Callable[[], Buses]) -> None:
    """Make ``factory`` the builder of this process's buses (the next use builds them anew)."""
    global _factory
    _factory = factory
    buses.cache_clear()


@cache
def buses() -> Buses:
    if _factory is None:
        raise RuntimeError("no buses are installed: apps.composition must be in INSTALLED_APPS")
    return _factory()


def command_bus() -> CommandBus:
    return buses().commands


def query_bus() -> QueryBus:
    return buses().queries


def dispatch(command: Command) -> Result[Any, Exception]:
    """Send ``command`` through this process's command bus, like any other caller (how policies act)."""
    return command_bus().dispatch(command)
