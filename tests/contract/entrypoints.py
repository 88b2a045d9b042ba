"""What the deployment files run, checked against the code: the Procfile, the compose files and the manifests.

``problems(argv)`` answers, for one exec-form command line of the image, what in it does not exist: a
management command, its options (parsed by the command's own parser), a consumer name, a Celery
subcommand or option, gunicorn's application and configuration file, a ``python -m`` module. An empty
list means it would start. ``role_command_problems`` says whether it is the command of the role that
runs it (``role_of`` names the role of a workload with a name of its own), ``celery_queues`` which Celery
queues a worker's command line consumes. ``procfile`` reads the local Procfile, ``kustomize`` renders a
kustomization with kubectl.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError

from tests.support.ci import skip_unless_ci

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deployments" / "local" / "Procfile"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"})

# What each role runs (PROCESS_ROLE, and the release one-shot): the command line starts so.
ROLE_COMMANDS = {
    "api": ["gunicorn", "config.wsgi:application"],
    "worker": ["celery", "-A", "config", "worker"],
    "beat": ["celery", "-A", "config", "beat"],
    "dispatcher": ["python", "manage.py", "drain_outbox", "--loop"],
    "consumer": ["python", "manage.py", "consume_events"],
    "release": ["python", "manage.py", "release"],
}
# The api of `make run` and of the compose dev override: Django's development server, which reloads.
DEVELOPMENT_SERVER = ["python", "manage.py", "runserver"]
# Workloads that run a role under a name of their own (a compose service, a component label): the webhooks'
# workers are workers (PROCESS_ROLE=worker) consuming the webhooks' Celery queue only.
COMPONENT_ROLES = {"webhooks-worker": "worker"}


def role_of(component: str) -> str:
    """The role (PROCESS_ROLE, or release) a workload of this name or component label runs."""
    return COMPONENT_ROLES.get(component, component)


def role_command_problems(role: str, argv: list[str], *, development: bool = False) -> list[str]:
    """Empty when ``argv`` is the command of ``role``; with ``development``, the api may be runserver."""
    if role not in ROLE_COMMANDS:
        return [f"{role}: no such role (one of {sorted(ROLE_COMMANDS)})"]
    expected = [ROLE_COMMANDS[role]] + ([DEVELOPMENT_SERVER] if development and role == "api" else [])
    if any(argv[: len(prefix)] == prefix for prefix in expected):
        return []
    return [f"a {role} runs {argv}, not {' or '.join(str(prefix) for prefix in expected)} ..."]


def procfile(text: str) -> dict[str, tuple[str | None, list[str]]]:
    """Each process of a Procfile: its name, its ``PROCESS_ROLE`` (None when it sets none) and its command."""
    processes = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, command = line.split(":", 1)
        words = shlex.split(command)
        assignments = [word for word in words if re.fullmatch(r"[A-Z_]+=\S*", word)]
        roles = [word.split("=", 1)[1] for word in assignments if word.startswith("PROCESS_ROLE=")]
        processes[name] = (roles[0] if roles else None, words[len(assignments) :])
    return processes


def kustomize(directory: Path) -> str:
    """``kubectl kustomize DIRECTORY``; skipped without kubectl (a failure with CI=true)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        skip_unless_ci("no kubectl to render the manifests with (Debian's kubectl package, v1.32)")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {directory} failed:\n{result.stderr}", pytrace=False)
    return result.stdout


def problems(argv: list[str]) -> list[str]:
    if not argv:
        return ["an empty command (the image's CMD would run: say so explicitly)"]
    program, *args = argv
    if program in {"python", "python3"}:
        if args[:1] == ["manage.py"]:
            return _management_command(args[1:])
        if args[:1] == ["-m"] and len(args) > 1:
            return [] if importlib.util.find_spec(args[1]) else [f"python -m {args[1]}: no such module"]
        return [f"python {' '.join(args)}: neither manage.py nor -m"]
    if program == "celery":
        return _celery(args)
    if program == "gunicorn":
        return _gunicorn(args)
    return [f"{program}: not a program the image runs (python, celery, gunicorn)"]


def _management_command(args: list[str]) -> list[str]:
    if not args:
        return ["manage.py without a command"]
    name, *options = args
    commands = get_commands()
    if name not in commands:
        return [f"manage.py {name}: no such management command"]
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    try:
        parsed = parser.parse_args(options)
    except CommandError as exc:
        return [f"manage.py {name}: {exc}"]
    if name == "consume_events" and parsed.names:
        from apps.messaging.registry import consumers

        known = {consumer.name for consumer in consumers()}
        return [f"consume_events --consumer {n}: no such consumer" for n in parsed.names if n not in known]
    return []


# The long-running subcommands a role may be; the others (purge, inspect, ...) are one-off tools.
CELERY_SUBCOMMANDS = {"worker", "beat"}


def celery_queues(argv: list[str]) -> set[str]:
    """The Celery queues a ``celery -A app worker`` command line consumes: those of ``-Q``/``--queues``,
    else the default queue alone (the queues the task routes name are created for sending, not consumed)."""
    from config.celery import app

    queues: list[str] = []
    for position, arg in enumerate(argv):
        if arg in {"-Q", "--queues"} and position + 1 < len(argv):
            queues += argv[position + 1].split(",")
        elif arg.startswith("--queues="):
            queues += arg.removeprefix("--queues=").split(",")
        elif arg.startswith("-Q") and len(arg) > 2:
            queues += arg[2:].removeprefix("=").split(",")
    return {queue.strip() for queue in queues if queue.strip()} or {app.conf.task_default_queue}


def _celery(args: list[str]) -> list[str]:
    from celery import Celery
    from celery.app.utils import find_app
    from celery.bin.celery import celery

    if args[:1] != ["-A"] or len(args) < 3:
        return [f"celery {' '.join(args)}: not `celery -A <app> <subcommand> ...`"]
    app_name, subcommand, options = args[1], args[2], args[3:]
    found = []
    try:
        app = find_app(app_name)
    except (ImportError, AttributeError) as exc:
        found.append(f"celery -A {app_name}: not the project's app ({exc})")
    else:
        if not isinstance(app, Celery):
            found.append(f"celery -A {app_name}: not the project's app ({app!r} is no Celery application)")
    if subcommand not in CELERY_SUBCOMMANDS:
        return [
            *found,
            f"celery: no such subcommand {subcommand} among the long-running ones {sorted(CELERY_SUBCOMMANDS)}",
        ]
    known = {flag for param in celery.commands[subcommand].params for flag in param.opts}
    flags = [arg.split("=", 1)[0] for arg in options if arg.startswith("-")]
    return [*found, *(f"celery {subcommand}: no option {flag}" for flag in flags if flag not in known)]


def _gunicorn(args: list[str]) -> list[str]:
    from apps.security import actors

    if not args or ":" not in args[0]:
        return [f"gunicorn {' '.join(args)}: no module:application"]
    module, attribute = args[0].split(":", 1)
    found = []
    # Importing the WSGI module marks this process as a web server (outside a request: nobody acts); the
    # tests that run after are no web server, so the mark is put back.
    mark = actors._web_process
    try:
        application = getattr(importlib.import_module(module), attribute, None)
    except ImportError as exc:
        application = None
        found.append(f"gunicorn {args[0]}: no such WSGI application ({exc})")
    finally:
        actors._web_process = mark
    if not found and not callable(application):
        found.append(f"gunicorn {args[0]}: no such WSGI application")
    if "--config" not in args:
        found.append("gunicorn: no --config (config/gunicorn.py reads PORT, WEB_CONCURRENCY, ... from the environment)")
    else:
        config = args[args.index("--config") + 1]
        if not (ROOT / config).is_file():  # the image's WORKDIR is the repository's root
            found.append(f"gunicorn --config {config}: no such file")
    return found
