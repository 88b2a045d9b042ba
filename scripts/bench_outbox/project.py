"""The orderflow code the benchmark drives: every import of ``apps.*`` and ``domain.*`` is here.

Each function imports on call, once Django is set up (``environment.setup_django``), so that the
package itself imports without settings. When a project module moves, its path changes here
and nowhere else.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any


def load(path: str) -> Any:
    """``"package.module"`` (the module) or ``"package.module:name"`` (a name in it), imported now."""
    module, _, name = path.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, name) if name else loaded


# --- what the composition root installs when Django starts -------------------------------------


def users_read_consumer() -> Any:
    """The production users_read consumer (batch path included)."""
    return load("apps.messaging.registry:projection")("users_read").consumer


def command_bus() -> Any:
    """The command bus, as the application builds it."""
    return load("apps.platform.buses:command_bus")()


# --- apps.messaging and apps.outbox -------------------------------------------------------------


def broker_module() -> ModuleType:
    """Connections, the events exchange, the delivery mode."""
    return load("apps.messaging.broker")


def inbox_module() -> ModuleType:
    """The deliver functions the runner calls (through the module, so that they can be timed)."""
    return load("apps.messaging.inbox")


def consumer_runner_class() -> type:
    return load("apps.messaging.runner:ConsumerRunner")


def broker_unavailable_class() -> type[Exception]:
    return load("apps.messaging.publisher:BrokerUnavailable")


def inbox_entry_model() -> Any:
    return load("apps.messaging.models:InboxEntry")


def outbox_entry_model() -> Any:
    return load("apps.outbox.models:OutboxEntry")


def outbox_dispatcher_class() -> Any:
    return load("apps.outbox.dispatcher:OutboxDispatcher")


def envelope_function() -> Callable[[Any], dict[str, Any]]:
    """An outbox row as the message body the dispatcher sends."""
    return load("apps.outbox.dispatcher:envelope")


# --- domain ------------------------------------------------------------------------------------


def user_commands() -> tuple[type, type, type]:
    """``(Ok, RegisterUser, UpdateProfile)``: the commands the lag phase sends, and a success."""
    return (
        load("domain.kernel.result:Ok"),
        load("domain.users.commands:RegisterUser"),
        load("domain.users.commands:UpdateProfile"),
    )
