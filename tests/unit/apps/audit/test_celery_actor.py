"""A Celery task acts as ``system:celery``, and only while it runs."""

from __future__ import annotations

from apps.audit import actors
from config.celery import app

seen: list[actors.Actor] = []


@app.task(name="tests.audit.who_acts")
def who_acts() -> None:
    seen.append(actors.current())


def test_a_task_acts_as_the_celery_system_actor_while_it_runs():
    before = actors.current()

    who_acts.apply()

    assert seen == [actors.CELERY]
    assert actors.current() == before
