"""gunicorn's hooks for the api image (``gunicorn --config config/gunicorn.py``); the command line sets the rest.

With ``PROMETHEUS_MULTIPROC_DIR`` set (the image sets it), every worker writes its metrics to files
in that directory and ``/metrics`` adds them up, whichever worker answers the scrape. The master
empties the directory when it starts, so nothing of an earlier run is counted again; a worker that
exits (restarted, or killed after a timeout) leaves its counters there, to be added up still, but
its live gauges must go: prometheus-client's ``mark_process_dead``.

Only prometheus-client is imported here: the master never loads Django.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def on_starting(server: Any) -> None:
    directory = os.environ.get(MULTIPROC_DIR)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    directory = os.environ.get(MULTIPROC_DIR)
    if directory:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, directory)
