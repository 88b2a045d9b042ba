"""The checker the deployment files are held to (entrypoints.problems) finds what would not start."""

import pytest

from .entrypoints import celery_queues, problems, procfile, role_command_problems, role_of


@pytest.mark.parametrize(
    "argv",
    [
        ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py"],
        ["celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=4"],
        ["celery", "-A", "config", "worker", "-Q", "webhooks", "--pool=threads", "--concurrency=8"],
        ["celery", "-A", "config", "worker", "--queues=celery,webhooks"],
        ["celery", "-A", "config", "beat", "--loglevel=INFO"],
        ["python", "manage.py", "drain_outbox", "--loop"],
        ["python", "manage.py", "consume_events", "--consumer", "orders-read", "--shard", "0"],
        ["python", "manage.py", "release"],
        ["python", "manage.py", "check_readiness"],
        ["python", "-m", "config.healthcheck"],
    ],
)
def test_what_the_image_can_run_passes(argv):
    assert problems(argv) == []


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "empty command"),
        (["python", "manage.py", "drain_the_outbox"], "no such management command"),
        (["python", "manage.py", "drain_outbox", "--forever"], "unrecognized arguments: --forever"),
        (["python", "manage.py", "consume_events", "--consumer", "orders-reed"], "no such consumer"),
        (["celery", "-A", "config", "wroker"], "no such subcommand"),
        (["celery", "-A", "config", "worker", "--concurency=4"], "no option --concurency"),
        (["celery", "-A", "config", "worker", "--queue", "webhooks"], "no option --queue"),
        (["celery", "-A", "no_such_module", "worker"], "not the project's app"),
        (["celery", "-A", "config", "purge"], "no such subcommand"),
        (["gunicorn", "config.wsgi:app", "--config", "config/gunicorn.py"], "no such WSGI application"),
        (["gunicorn", "no_such_module:application", "--config", "config/gunicorn.py"], "no such WSGI application"),
        (["gunicorn", "config.wsgi:application"], "no --config"),
        (["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py"], "no such file"),
        (["python", "-m", "config.health"], "no such module"),
        (["uwsgi", "--http", ":8000"], "not a program the image runs"),
    ],
)
def test_what_would_not_start_is_named(argv, complaint):
    found = problems(argv)
    assert len(found) == 1
    assert complaint in found[0]


def test_a_role_running_another_role_s_command_is_named():
    assert role_command_problems("worker", ["celery", "-A", "config", "worker", "--concurrency=4"]) == []
    assert role_command_problems("worker", ["celery", "-A", "config", "beat"]) != []
    assert role_command_problems("api", ["python", "manage.py", "runserver", "0.0.0.0:8000"]) != []
    assert role_command_problems("api", ["python", "manage.py", "runserver"], development=True) == []
    assert role_command_problems("beat", ["python", "manage.py", "runserver"], development=True) != []
    assert role_command_problems("scheduler", ["celery", "-A", "config", "beat"]) != []


def test_a_webhooks_worker_is_a_worker():
    assert role_of("webhooks-worker") == "worker"
    assert role_of("beat") == "beat"
    assert (
        role_command_problems(role_of("webhooks-worker"), ["celery", "-A", "config", "worker", "-Q", "webhooks"]) == []
    )


@pytest.mark.parametrize(
    ("argv", "queues"),
    [
        (["celery", "-A", "config", "worker", "--concurrency=4"], {"celery"}),
        (["celery", "-A", "config", "worker", "-Q", "celery"], {"celery"}),
        (["celery", "-A", "config", "worker", "-Q", "celery,webhooks", "--pool=threads"], {"celery", "webhooks"}),
        (["celery", "-A", "config", "worker", "--queues=webhooks"], {"webhooks"}),
        (["celery", "-A", "config", "worker", "--queues", "webhooks"], {"webhooks"}),
        (["celery", "-A", "config", "worker", "-Qwebhooks"], {"webhooks"}),
    ],
)
def test_the_queues_a_worker_consumes_are_read_from_its_command_line(argv, queues):
    assert celery_queues(argv) == queues


def test_a_procfile_gives_each_process_its_role_and_command():
    text = (
        "# the embedded stack\n"
        "api: PROCESS_ROLE=api python manage.py runserver 127.0.0.1:${WEB_PORT:-8000}\n"
        "beat: PROCESS_ROLE=beat celery -A config beat\n"
        "tool: python manage.py check\n"
    )
    assert procfile(text) == {
        "api": ("api", ["python", "manage.py", "runserver", "127.0.0.1:${WEB_PORT:-8000}"]),
        "beat": ("beat", ["celery", "-A", "config", "beat"]),
        "tool": (None, ["python", "manage.py", "check"]),
    }
