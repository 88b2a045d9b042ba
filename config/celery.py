"""The Celery application: tasks live in each app's ``tasks.py``; the schedule lives in the database."""

import fcntl
import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, worker_init, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("orderflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport (the embedded default) expects its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    if "control_folder" in options:
        _declare_queues(sender, Path(options["control_folder"]))


def task_queues(app: Celery) -> list[str]:
    """The queues tasks are sent to: the default one, then those of the task routes (settings.py)."""
    names = [app.conf.task_default_queue]
    for route in (app.conf.task_routes or {}).values():
        queue = route.get("queue") if isinstance(route, dict) else None
        if queue and queue not in names:
            names.append(queue)
    return names


def _declare_queues(app: Celery, control_folder: Path) -> None:
    # The filesystem transport creates an exchange's binding table empty, then fills it: a second process
    # binding the same exchange in between reads an empty file and fails (the worker and beat starting
    # together on a new var/). Bind every task queue once here, one process at a time; later bindings
    # find a full table.
    with (control_folder / ".declare.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        with app.connection_for_write() as connection:
            for name in task_queues(app):
                app.amqp.queues[name].bind(connection.default_channel).declare()


# --- Metrics (apps.observability.exposition) ------------------------------------------------------------
# A worker and beat serve no HTTP: with METRICS_PORT set, the main process serves the metrics there. With
# PROMETHEUS_MULTIPROC_DIR set, a prefork worker's children write theirs to that directory, which the main
# process's server adds up, and each child's live gauges are forgotten when it exits.


@worker_init.connect
@beat_init.connect
def _serve_metrics(**kwargs: object) -> None:
    from apps.observability.exposition import serve_on_port

    serve_on_port()


@worker_process_shutdown.connect
def _forget_child(pid: int | None = None, **kwargs: object) -> None:
    from apps.observability.exposition import mark_process_dead

    mark_process_dead(pid or os.getpid())
