"""``manage.py release``, the step a deployment runs before its roles start, run as the release Job runs it:
in a fresh process, on a database of its own (SQLite here, PostgreSQL in a cluster)."""

import sqlite3

from tests.support.outages import closed_port

from .test_startup_configuration import PRODUCTION_SECRET, manage

RELEASE_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": PRODUCTION_SECRET,
    "JWT_ALGORITHM": "HS256",
    "JWT_SECRET": "r" * 40,
}


def test_a_release_migrates_declares_the_topology_and_syncs_the_roles_and_can_run_again(tmp_path):
    database = tmp_path / "release.sqlite3"
    environment = {
        **RELEASE_ENVIRONMENT,
        "DATABASE_URL": f"sqlite:///{database}",
        "EVENTS_BROKER_URL": f"filesystem://{tmp_path / 'broker'}",
    }

    first = manage("release", **environment)

    assert first.returncode == 0, first.stderr
    steps = [line for line in first.stdout.splitlines() if line.startswith("release ")]
    assert steps == [
        "release 1/3: database migrations (migrate)",
        "release 2/3: event topology (declare_event_topology)",
        "release 3/3: role groups (sync_roles)",
    ]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM django_migrations WHERE app = 'outbox'").fetchone()[0] >= 4
        groups = {name for (name,) in db.execute("SELECT name FROM auth_group")}
    assert {"customer", "support", "billing_admin", "auditor", "admin"} <= groups

    again = manage("release", "-v", "0", **environment)

    assert again.returncode == 0, again.stderr
    assert "release " not in again.stdout  # -v 0: the steps are not announced


def test_a_release_whose_broker_does_not_answer_stops_with_one_line_naming_the_step(tmp_path):
    result = manage(
        "release",
        DATABASE_URL=f"sqlite:///{tmp_path / 'release.sqlite3'}",
        EVENTS_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{closed_port()}//",
        **RELEASE_ENVIRONMENT,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("orderflow: release stopped at declare_event_topology: ")
    assert "release 3/3" not in result.stdout
