"""gunicorn's configuration for the api image (``gunicorn config.wsgi:application --config config/gunicorn.py``).

The image's command is only that line: the listening port, the number of workers and threads come from
the environment (``PORT``, ``WEB_CONCURRENCY``, ``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``,
``FORWARDED_ALLOW_IPS``), and flags on a command line still win over them.

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

# Every interface of the container: the orchestrator publishes the port.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# The proxies whose X-Forwarded-* headers gunicorn believes: in a cluster, the ingress controller's pods,
# whose addresses are not known in advance (NetworkPolicy lets only them reach the api).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# Each worker's heartbeat file (made with mkstemp, nothing secret in it) in memory: never on the read-only
# image filesystem, and never stalled by a slow disk behind /tmp.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # nosec B108
control_socket_disable = True  # its default is under $HOME, read-only in the image; nothing here uses it


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
