"""The shape of a context's ``wiring.py``: each use case bound once, with its handler and its rule.

A ``Binding`` names a message type, the handler that answers it (already bound
to its adapters), the authorization rule that decides who may send it
(``apps.security.authorization``) and, for a query, the cache policy it is
answered under, if any. The composition root registers every
context's bindings on the buses and gives the rules to the authorization
middleware, so a message cannot have a handler without a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from apps.platform.caching import CachePolicy
from domain.kernel.ids import IdFactory
from domain.kernel.ports import Clock
from domain.kernel.result import Result


class Rule(Protocol):
    def authorize(self, caller: Any, message: Any) -> Result[Any, Exception]:
        """``Ok`` to go on (for a list: ``Ok(scope)``, the rows the caller may see), ``Err`` to refuse."""
        ...


@dataclass(frozen=True)
class Binding:
    message: type
    handler: Callable[[Any], Result[Any, Exception]]
    rule: Rule
    cache: CachePolicy | None = None
    """For a query: answered from the read cache under this policy (``apps.platform.caching.CachingMiddleware``)."""


@dataclass(frozen=True)
class Ports:
    """What every context's handlers share: time and new ids."""

    clock: Clock
    ids: IdFactory
