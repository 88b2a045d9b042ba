"""Periodic tasks live in django-celery-beat's tables (editable in the admin); apps create theirs in a migration.

Each app's migration lists its schedule and runs ``schedule_periodic_tasks(SCHEDULE)``;
unapplying it removes exactly those tasks. Beat's ``DatabaseScheduler`` picks them up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations

#: (name, task, every, period, expire_seconds)
Schedule = Sequence[tuple[str, str, int, str, int]]


def schedule_periodic_tasks(schedule: Schedule) -> migrations.RunPython:
    """A migration operation that creates (or updates) the tasks in ``schedule`` and removes them when unapplied."""

    def create(apps: Any, schema_editor: Any) -> None:
        interval_schedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
        for name, task, every, period, expire_seconds in schedule:
            interval, _ = interval_schedule.objects.get_or_create(every=every, period=period)
            periodic_task.objects.update_or_create(
                name=name,
                defaults={"task": task, "interval": interval, "expire_seconds": expire_seconds, "enabled": True},
            )

    def remove(apps: Any, schema_editor: Any) -> None:
        periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
        periodic_task.objects.filter(name__in=[name for name, *_ in schedule]).delete()

    return migrations.RunPython(create, remove)
