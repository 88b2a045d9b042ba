"""Run event consumers: projections (and, later, policies and webhooks) fed from the broker."""

from __future__ import annotations

from typing import Any

from django import db
from django.core.management.base import CommandError, CommandParser
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError

from apps.messaging import broker
from apps.messaging.registry import consumer_named, consumers
from apps.messaging.runner import ConsumerRunner
from apps.observability import exposition
from apps.platform.commands import OrderflowCommand, one_line, stop_on_signals


class Command(OrderflowCommand):
    help = "Consume integration events from the broker until stopped (Ctrl-C or SIGTERM)."

    # A process role that a supervisor restarts: back at work sooner without Django's system checks, which
    # the release runs (``check --deploy``, ``migrate``) before any role starts.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consumer",
            action="append",
            dest="names",
            metavar="NAME",
            help=f"Run only this consumer (repeatable). Known: {', '.join(c.name for c in consumers())}.",
        )
        parser.add_argument(
            "--shard",
            action="append",
            dest="shards",
            type=int,
            metavar="K",
            help="Run only shard K (0 to EVENTS_CONSUMER_SHARDS - 1) of each consumer's queue (repeatable); "
            "default: every shard. One runner per shard keeps each aggregate's order.",
        )
        parser.add_argument(
            "--idle-timeout", type=float, default=None, help="Stop after this many seconds without a message."
        )

    def handle(
        self,
        *args: Any,
        names: list[str] | None,
        shards: list[int] | None,
        idle_timeout: float | None,
        **options: Any,
    ) -> None:
        try:
            chosen = [consumer_named(name) for name in names] if names else list(consumers())
            runner = ConsumerRunner(chosen, only_shards=shards)
        except (LookupError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        layout = (
            "" if runner.shards == 1 else f", shard(s) {', '.join(map(str, runner.only_shards))} of {runner.shards}"
        )
        try:
            exposition.serve_on_port()  # METRICS_PORT, when set: this process serves no HTTP otherwise
        except exposition.MetricsPortUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"consuming for {', '.join(c.name for c in chosen)}{layout} (Ctrl-C stops)")
        with stop_on_signals() as stop:
            while not stop.is_set():
                try:
                    with broker.connection(connect_timeout=3) as conn:
                        conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
                        runner.run(conn, should_stop=stop.is_set, idle_timeout=idle_timeout)
                    break
                except (OSError, OperationalError) as exc:
                    if idle_timeout is not None:
                        raise CommandError(f"events broker unavailable: {one_line(exc)}") from None
                    self.stderr.write(f"events broker unavailable ({one_line(exc)}); retrying in 5 s")
                    stop.wait(5)
                except (DatabaseOperationalError, DatabaseInterfaceError) as exc:
                    # The unacknowledged messages go back to their queues with the connection; wait, reconnect.
                    if idle_timeout is not None:
                        raise CommandError(f"database unavailable: {one_line(exc)}") from None
                    self.stderr.write(f"database unavailable ({one_line(exc)}); retrying in 5 s")
                    db.connections.close_all()
                    stop.wait(5)
        self.stdout.write(f"stopped after {runner.handled} message(s)")
