"""How a policy (one context's reaction to another context's event) runs its command.

A policy turns an event into a command of its own context, or into nothing. It
runs in a consumer, inside the transaction that records the event in the inbox,
so a redelivered event has no second effect; the handlers are idempotent as
well. A business-rule refusal (the object's state no longer allows the command,
say) is logged and the event consumed: retrying cannot change the
answer. Anything else is raised, so the consumer retries and then dead-letters it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from domain.kernel.errors import BusinessRuleViolationError
from domain.kernel.messages import Command
from domain.kernel.result import Err, Result

log = structlog.get_logger(__name__)

Dispatch = Callable[[Command], Result[Any, Exception]]


class PolicyFailedError(Exception):
    """A command issued by a policy failed for a reason other than a business rule."""


def run_policy(envelope: Mapping[str, Any], command: Command | None, dispatch: Dispatch) -> None:
    """Dispatch ``command`` (None: the event asks nothing of this context) and judge its answer."""
    if command is None:
        return
    result = dispatch(command)
    if not isinstance(result, Err):
        return
    if isinstance(result.error, BusinessRuleViolationError):
        log.warning(
            "policy refused by a business rule; event consumed",
            event_id=envelope["event_id"],
            event_type=envelope["event_type"],
            command=type(command).__name__,
            reason=str(result.error),
        )
        return
    failure = f"{type(result.error).__name__}: {result.error}"
    raise PolicyFailedError(f"{type(command).__name__} for event {envelope['event_id']} failed: {failure}")
