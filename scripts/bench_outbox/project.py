"""The orderflow code the benchmark drives: every import of ``apps.*`` and ``domain.*`` is here.

Each function imports on call, once Django is set up (``environment.setup_django``), so that the
package itself imports without settings. When a project module moves, its import changes here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

# --- what the composition root installs when Django starts -------------------------------------


def users_read_consumer() -> Any:
    """The production users_read consumer (batch path included)."""
    from apps.messaging.registry import projection

    return projection("users_read").consumer


def command_bus() -> Any:
    """The command bus, as the application builds it."""
    from apps.platform.buses import command_bus

    return command_bus()


# --- apps.messaging ----------------------------------------------------------------------------


def broker_module() -> ModuleType:
    """``apps.messaging.broker``: connections, the events exchange, the delivery mode."""
    from apps.messaging import broker

    return broker


def inbox_module() -> ModuleType:
    """``apps.messaging.inbox``: the deliver functions the runner calls (through the module, so they can be timed)."""
    from apps.messaging import inbox

    return inbox


def consumer_runner_class() -> type:
    """``apps.messaging.runner.ConsumerRunner``."""
    from apps.messaging.runner import ConsumerRunner

    return ConsumerRunner


def broker_unavailable_class() -> type[Exception]:
    from apps.messaging.publisher import BrokerUnavailable

    return BrokerUnavailable


def inbox_entry_model() -> Any:
    from apps.messaging.models import InboxEntry

    return InboxEntry


# --- apps.outbox -------------------------------------------------------------------------------


def outbox_entry_model() -> Any:
    from apps.outbox.models import OutboxEntry

    return OutboxEntry


def outbox_dispatcher_class() -> Any:
    from apps.outbox.dispatcher import OutboxDispatcher

    return OutboxDispatcher


def envelope_function() -> Callable[[Any], dict[str, Any]]:
    """``apps.outbox.dispatcher.envelope``: an outbox row as the message body the dispatcher sends."""
    from apps.outbox.dispatcher import envelope

    return envelope


# --- domain ------------------------------------------------------------------------------------


def user_commands() -> tuple[type, type, type]:
    """``(Ok, RegisterUser, UpdateProfile)``: the commands the lag phase sends, and a success."""
    from domain.kernel.result import Ok
    from domain.users.commands import RegisterUser, UpdateProfile

    return Ok, RegisterUser, UpdateProfile
