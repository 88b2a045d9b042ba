"""What orderflow's management commands share: errors as one line, and a clean stop on a signal."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper, SystemCheckError
from tqdm import tqdm


class OrderflowCommand(BaseCommand):
    """A command whose failure is one line on stderr, ``orderflow: <what went wrong>``, and a non-zero exit.

    Raise ``CommandError`` with a short message. Called from the command line the
    message is printed without Django's ``CommandError:`` prefix (``--traceback``
    still shows the traceback); through ``call_command`` the error propagates.
    """

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if not self._called_from_command_line or options.get("traceback") or isinstance(exc, SystemCheckError):
                raise
            self.stderr.write(f"orderflow: {exc}")
            sys.exit(exc.returncode)


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (driver errors often span several)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def stop_on_signals(on_first: Any = None) -> Iterator[threading.Event]:
    """An event set by the first SIGINT or SIGTERM, so that work stops between two units of it.

    A second signal interrupts at once (``KeyboardInterrupt``). Outside the main
    thread, where handlers cannot be installed, the event is only set by the caller.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        if on_first is not None:
            on_first(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Unterminated:
    """A command's output stream as a file for tqdm: Django's wrapper would end every redraw with a newline."""

    def __init__(self, output: OutputWrapper) -> None:
        self._output = output

    def write(self, text: str) -> None:
        self._output.write(text, ending="")

    def flush(self) -> None:
        self._output.flush()


def progress_bar(output: OutputWrapper, *, total: int, description: str, unit: str, quiet: bool = False) -> tqdm[Any]:
    """A progress bar on ``output`` (a command's stdout), redrawn at most once a second; nothing when ``quiet``."""
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        file=_Unterminated(output),
        mininterval=1.0,
        ascii=not output.isatty(),
        disable=quiet,
        leave=True,
    )
