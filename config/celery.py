"""The Celery application: tasks live in each app's ``tasks.py``; the schedule lives in the database."""

import fcntl
import os
from pathlib import Path

from celery import Celery

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
        _declare_default_queue(sender, Path(options["control_folder"]))


def _declare_default_queue(app: Celery, control_folder: Path) -> None:
    # The filesystem transport creates an exchange's binding table empty, then fills it: a second process
    # binding the same exchange in between reads an empty file and fails (the worker and beat starting
    # together on a new var/). Bind once here, one process at a time; later bindings find a full table.
    with (control_folder / ".declare.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        with app.connection_for_write() as connection:
            app.amqp.queues[app.conf.task_default_queue].bind(connection.default_channel).declare()
