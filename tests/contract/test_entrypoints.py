"""The checker the deployment files are held to (entrypoints.problems) finds what would not start."""

import pytest

from .entrypoints import problems


@pytest.mark.parametrize(
    "argv",
    [
        ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.py"],
        ["celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=4"],
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
