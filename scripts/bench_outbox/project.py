"""The orderflow code the benchmark drives: every import of ``apps.*`` and ``domain.*`` is here.

Each function imports on call, once Django is set up (``environment.setup_django``), so that the
package itself imports without settings. When a project module moves, its path changes here
and nowhere else.
"""

from __future__ import annotations

import importlib
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


# --- the rest, loaded by path with ``load`` -----------------------------------------------------

BROKER = "apps.messaging.broker"  # connections, the events exchange, the delivery mode
INBOX = "apps.messaging.inbox"  # the deliver functions the runner calls, through the module so they can be timed
CONSUMER_RUNNER = "apps.messaging.runner:ConsumerRunner"
BROKER_UNAVAILABLE = "apps.messaging.publisher:BrokerUnavailable"
INBOX_ENTRY = "apps.messaging.models:InboxEntry"
OUTBOX_ENTRY = "apps.outbox.models:OutboxEntry"
OUTBOX_DISPATCHER = "apps.outbox.dispatcher:OutboxDispatcher"
ENVELOPE = "apps.outbox.dispatcher:envelope"  # an outbox row as the message body the dispatcher sends
# The success and the commands the lag phase sends.
OK = "domain.kernel.result:Ok"
REGISTER_USER = "domain.users.commands:RegisterUser"
UPDATE_PROFILE = "domain.users.commands:UpdateProfile"
