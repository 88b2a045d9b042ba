"""A Celery task acts as ``system:celery``, and only while it runs; run eagerly for a user, it stays theirs."""

from __future__ import annotations

from uuid import UUID

from apps.security import actors
from config.celery import app

seen: list[actors.Actor] = []


@app.task(name="tests.audit.who_acts")
def who_acts() -> None:
    seen.append(actors.current())


def test_a_task_acts_as_the_celery_system_actor_while_it_runs():
    before = actors.current()

    who_acts.apply()

    assert seen[-1] == actors.CELERY
    assert actors.current() == before


def test_a_task_run_eagerly_for_a_signed_in_user_acts_as_that_user():
    ada = actors.Actor.for_user_id(UUID("0d1c7a56-3f2e-4b8a-9c61-7e5d4f3a2b10"))

    with actors.acting_as(ada):
        who_acts.apply()

    assert seen[-1] == ada
