"""Run event consumers: projections (and, later, policies and webhooks) fed from the broker."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from kombu.exceptions import OperationalError

from apps.core.event_handlers import CONSUMERS, consumer_named
from apps.messaging import broker
from apps.messaging.consumers import ConsumerRunner


class Command(BaseCommand):
    help = "Consume integration events from the broker until stopped (Ctrl-C or SIGTERM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consumer",
            action="append",
            dest="names",
            metavar="NAME",
            help=f"Run only this consumer (repeatable). Known: {', '.join(c.name for c in CONSUMERS)}.",
        )
        parser.add_argument(
            "--idle-timeout", type=float, default=None, help="Stop after this many seconds without a message."
        )

    def handle(self, *args: Any, names: list[str] | None, idle_timeout: float | None, **options: Any) -> None:
        try:
            consumers = [consumer_named(name) for name in names] if names else list(CONSUMERS)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        stopping = {"now": False}

        def stop(signum: int, frame: Any) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        runner = ConsumerRunner(consumers)
        self.stdout.write(f"consuming for {', '.join(c.name for c in consumers)} (Ctrl-C stops)")
        while not stopping["now"]:
            try:
                with broker.connection(connect_timeout=3) as conn:
                    conn.ensure_connection(max_retries=1, timeout=3)
                    runner.run(conn, should_stop=lambda: stopping["now"], idle_timeout=idle_timeout)
                break
            except (OSError, OperationalError) as exc:
                if idle_timeout is not None:
                    raise CommandError(f"events broker unavailable: {exc}") from None
                self.stderr.write(f"events broker unavailable ({exc}); retrying in 5 s")
                deadline = time.monotonic() + 5
                while not stopping["now"] and time.monotonic() < deadline:
                    time.sleep(0.1)
        self.stdout.write(f"stopped after {runner.handled} message(s)")
