"""Publish pending outbox entries to the events broker, once or in a loop."""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.utils import timezone

from apps.messaging.publisher import BrokerUnavailable
from apps.observability import exposition
from apps.outbox.dispatcher import BatchResult, OutboxDispatcher
from apps.platform.commands import OrderflowCommand, one_line, stop_on_signals

PROGRESS_EVERY_SECONDS = 2.0


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} must be 1 or more")
    return value


def positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{raw!r} must be more than 0")
    return value


@dataclass
class Drained:
    """What one drain (batches until none is due) did."""

    batches: int = 0
    published: int = 0
    failed: int = 0
    dead: int = 0
    idle: bool = False  # it stopped because no more entries were due
    unavailable: str | None = None  # "events broker" or "database", when the drain stopped on an outage
    error: str = ""

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        self.published += result.published
        self.failed += result.failed
        self.dead += result.dead

    def summary(self) -> str:
        text = f"published {self.published} outbox {'entry' if self.published == 1 else 'entries'}"
        extras = []
        if self.failed:
            extras.append(f"{self.failed} failed, will retry")
        if self.dead:
            extras.append(f"{self.dead} dead, their aggregates parked")
        return f"{text} ({'; '.join(extras)})" if extras else text


class Command(OrderflowCommand):
    help = (
        "Publish the pending outbox entries to the events broker, oldest first and in order per aggregate. "
        "By default drain once, until no entry is due, and print how many were published. With --loop keep "
        "draining, sleeping --interval seconds whenever the outbox is idle, until Ctrl-C or SIGTERM (the "
        "current batch is finished first). Safe beside other dispatchers and the Celery drain task."
    )

    # A process role that a supervisor restarts: back at work sooner without Django's system checks, which
    # the release runs (``check --deploy``, ``migrate``) before any role starts.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep draining until interrupted; an unavailable broker or database is waited out, not fatal.",
        )
        parser.add_argument(
            "--interval",
            type=positive_seconds,
            default=1.0,
            metavar="SECONDS",
            help="With --loop: how long to sleep when no entry is due (default: 1).",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=None,
            metavar="N",
            help=f"Entries claimed and published per batch (default: OUTBOX_BATCH_SIZE, {settings.OUTBOX_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--max-batches",
            type=positive_int,
            default=None,
            metavar="N",
            help="Stop a drain after N batches even if more entries are due (default: no limit).",
        )

    def handle(
        self,
        *args: Any,
        loop: bool,
        interval: float,
        batch_size: int | None,
        max_batches: int | None,
        verbosity: int,
        **options: Any,
    ) -> None:
        self.verbosity = verbosity
        dispatcher = OutboxDispatcher(batch_size=batch_size)
        try:
            with stop_on_signals(on_first=self._stopping) as stop:
                if loop:
                    self._loop(dispatcher, stop, interval, max_batches)
                else:
                    self._once(dispatcher, stop, max_batches)
        except KeyboardInterrupt:
            raise CommandError("interrupted; unfinished entries stay pending", returncode=130) from None
        finally:
            dispatcher.publisher.close()

    def _once(self, dispatcher: OutboxDispatcher, stop: threading.Event, max_batches: int | None) -> None:
        drained = self._drain(dispatcher, stop, max_batches, progress=self.verbosity >= 1)
        if drained.unavailable:
            done = f" after {drained.summary()}" if drained.batches else ""
            raise CommandError(f"{drained.error}{done}")
        if self.verbosity >= 1:
            self.stdout.write(drained.summary())

    def _loop(
        self, dispatcher: OutboxDispatcher, stop: threading.Event, interval: float, max_batches: int | None
    ) -> None:
        try:
            exposition.serve_on_port()  # METRICS_PORT, when set: a dispatcher serves no HTTP otherwise
        except exposition.MetricsPortUnavailable as exc:
            raise CommandError(str(exc)) from None
        if self.verbosity >= 1:
            self.stdout.write(
                f"draining the outbox every {interval:g} s when idle, {dispatcher.batch_size} per batch; "
                "Ctrl-C or SIGTERM stops"
            )
        total, outage = 0, None
        while not stop.is_set():
            close_old_connections()  # a long-running process: drop connections that are broken or too old
            started = time.monotonic()
            drained = self._drain(dispatcher, stop, max_batches, progress=False)
            total += drained.published
            if (drained.published or drained.failed or drained.dead) and self.verbosity >= 1:
                self.stdout.write(
                    f"{timezone.now():%Y-%m-%dT%H:%M:%S%z} {drained.summary()} in {drained.batches} "
                    f"batch{'es' if drained.batches != 1 else ''}, {time.monotonic() - started:.2f} s "
                    f"(total {total})"
                )
            if drained.unavailable != outage:  # one line when an outage starts, one when it ends
                if drained.unavailable:
                    self.stderr.write(f"orderflow: {drained.error}; retrying every {interval:g} s")
                else:
                    self.stderr.write(f"orderflow: {outage} available again", self.style.SUCCESS)
                outage = drained.unavailable
            if drained.idle or drained.unavailable:
                stop.wait(interval)
        if self.verbosity >= 1:
            self.stdout.write(f"stopped; published {total} in total")

    def _drain(
        self, dispatcher: OutboxDispatcher, stop: threading.Event, max_batches: int | None, *, progress: bool
    ) -> Drained:
        """Batches until none is due (as ``dispatch_pending``), a stop, or ``max_batches``."""
        drained = Drained()
        last_report = time.monotonic()
        while not stop.is_set() and (max_batches is None or drained.batches < max_batches):
            try:
                result = dispatcher.dispatch_batch()
            except BrokerUnavailable as exc:
                drained.unavailable, drained.error = "events broker", f"events broker unavailable: {exc}"
                break
            except (OperationalError, InterfaceError) as exc:
                drained.unavailable, drained.error = "database", f"database unavailable: {one_line(exc)}"
                break
            except DatabaseError as exc:  # not an outage (a missing table, say): waiting will not help
                raise CommandError(f"database error: {one_line(exc)}") from None
            drained.add(result)
            if result.published + result.failed + result.dead < dispatcher.batch_size:
                drained.idle = True
                break
            if progress and time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
                self.stderr.write(f"... {drained.summary()} so far", _plain)
                last_report = time.monotonic()
        return drained

    def _stopping(self, signal_name: str) -> None:
        self.stderr.write(f"{signal_name}: stopping after the current batch (again to interrupt at once)", _plain)


def _plain(text: str) -> str:
    return text
