"""Waking the dispatcher after a commit, without the request ever waiting on a broker.

A commit that wrote outbox entries calls ``kick()``. That only sets a flag and returns; a daemon
thread of the process (the waker) sees the flag and sends one ``outbox.drain`` task through the
Celery broker. Commits that arrive while a send is under way fold into the next one, so a busy
process sends one wake-up per broker round trip, not one per commit.

When a send fails (broker down, slow or refusing), the waker stops sending for ``pause`` seconds
and drops the kicks that arrive meanwhile: beat's one-second tick and the ``drain_outbox --loop``
dispatcher keep publishing, and waking them earlier is all a kick ever did. Nothing is lost by a
dropped kick: the entries are committed and stay pending until a dispatcher claims them.
ADR-0007 gives the reasons for this design.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import structlog
from django.conf import settings

from apps.outbox.tasks import drain_outbox

log = structlog.get_logger(__name__)


class Waker:
    """One per process: a flag set by commits and a daemon thread that turns it into a Celery task."""

    def __init__(self, *, pause: float, send: Callable[[], object] | None = None) -> None:
        self.pause = pause
        self.send = send or send_drain_task
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.paused_until = 0.0  # time.monotonic(); kicks before it are dropped
        self.sending = False  # a send to the broker is under way
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def kick(self) -> None:
        """Ask for a drain; returns at once whatever the broker does."""
        if time.monotonic() < self.paused_until:
            self.dropped += 1
            return
        self._ensure_thread()
        self._wanted.set()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-waker", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            self.sending = True
            try:
                self.send()
            except Exception as exc:  # any failure: stop kicking for a while, the tick and the loop carry on
                self.paused_until = time.monotonic() + self.pause
                self._wanted.clear()  # the kicks folded into this failed send are dropped with it
                self.failed += 1
                log.warning(
                    "could not wake the outbox dispatcher; kicks paused, beat and drain_outbox --loop publish",
                    error=f"{type(exc).__name__}: {exc}",
                    paused_seconds=self.pause,
                )
            else:
                self.sent += 1
            finally:
                self.sending = False


def send_drain_task() -> None:
    """Celery's producer pool, as for any task this process sends; a broker that does not answer
    costs the waker's thread up to CELERY_BROKER_CONNECTION_TIMEOUT (and kombu's retries), never a request."""
    drain_outbox.apply_async(kwargs={}, retry=False, expires=30)


_waker: Waker | None = None
_waker_lock = threading.Lock()


def waker() -> Waker:
    global _waker
    if _waker is None:
        with _waker_lock:
            if _waker is None:
                _waker = Waker(pause=settings.OUTBOX_KICK_PAUSE_SECONDS)
    return _waker


def kick() -> None:
    """Called by ``transaction.on_commit`` after outbox entries were committed."""
    waker().kick()


def _forget_in_child() -> None:
    # A forked child (a gunicorn worker, say) inherits the parent's waker but not its thread, and maybe a
    # lock held at the moment of the fork: it starts afresh, with a waker and a thread of its own.
    global _waker, _waker_lock
    _waker, _waker_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
