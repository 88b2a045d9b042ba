"""Static checks of the deployment files (no Docker engine runs here): they must match the repository."""

import importlib
import json
import re
import tomllib
from pathlib import Path

from config.environment import PROCESS_ROLES

from .entrypoints import PROCFILE, celery_queues, problems, procfile, role_command_problems

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deployments" / "docker" / "Dockerfile"
DOCKERFILES = sorted((ROOT / "deployments" / "docker").glob("*Dockerfile"))


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def exec_form(dockerfile: Path, op: str) -> list[str]:
    (args,) = [args for found, args in instructions(dockerfile) if found == op]
    assert args.startswith("["), f"{op} is in shell form"
    return json.loads(args)


def test_one_image_serves_every_role():
    assert DOCKERFILES == [DOCKERFILE]


def test_every_file_a_dockerfile_copies_from_the_context_exists():
    for dockerfile in DOCKERFILES:
        for op, args in instructions(dockerfile):
            if op != "COPY" or args.startswith("--from"):
                continue
            *sources, _target = args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which is not in the repository"


def test_the_images_use_the_pinned_uv_and_a_python_the_project_supports():
    pinned_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = tuple(int(part) for part in requires.removeprefix(">=").split("."))
    for dockerfile in DOCKERFILES:
        text = dockerfile.read_text()
        assert f"uv=={pinned_uv}" in text, f"{dockerfile.name} installs another uv than the Makefile"
        for version in re.findall(r"^FROM python:(\d+\.\d+)", text, re.M):
            assert tuple(int(part) for part in version.split(".")) >= minimum


def test_the_image_default_command_starts_the_api():
    command = exec_form(DOCKERFILE, "CMD")
    assert command[0] == "gunicorn"
    assert problems(command) == []


def local_processes() -> dict[str, tuple[str | None, list[str]]]:
    return procfile(PROCFILE.read_text())


def test_the_local_stack_runs_every_role_each_under_its_name():
    processes = local_processes()
    assert set(processes) == set(PROCESS_ROLES)
    for name, (role, _command) in processes.items():
        assert role == name, f"the {name} process tells readiness it is {role}"


def test_every_command_the_procfile_runs_exists_and_is_its_role_s():
    for name, (role, command) in local_processes().items():
        assert problems(command) == [], name
        assert role_command_problems(role, command, development=True) == [], name


def test_the_local_worker_consumes_every_task_queue():
    # `make run` has one worker: it takes the default queue's tasks and the webhooks' sends alike.
    from config.celery import app, task_queues

    (_role, command) = local_processes()["worker"]
    assert celery_queues(command) == set(task_queues(app))


def test_the_api_image_runs_gunicorn_with_the_hooks_that_keep_multiprocess_metrics_right():
    dockerfile = DOCKERFILE
    command = exec_form(dockerfile, "CMD")
    config = command[command.index("--config") + 1]
    hooks = importlib.import_module(config.removesuffix(".py").replace("/", "."))
    assert callable(hooks.on_starting)
    assert callable(hooks.child_exit)
    environment = [args for op, args in instructions(dockerfile) if op == "ENV"]
    assert any(re.search(r"(^|\s)PROMETHEUS_MULTIPROC_DIR=/tmp/", args) for args in environment)


def test_make_run_gives_every_process_one_metrics_directory_emptied_first():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") : makefile.index("\ntest:")]
    assert "rm -rf var/metrics && mkdir -p var/metrics" in run
    assert 'PROMETHEUS_MULTIPROC_DIR="$(CURDIR)/var/metrics"' in run
    assert run.index("rm -rf var/metrics") < run.index("honcho")


def test_the_image_health_check_is_the_role_aware_module_in_exec_form():
    healthcheck = [args for op, args in instructions(DOCKERFILE) if op == "HEALTHCHECK"]
    (args,) = healthcheck
    command = json.loads(args[args.index("CMD") + len("CMD") :].strip())
    assert command[:2] == ["python", "-m"]
    assert callable(importlib.import_module(command[2]).main)


def test_the_image_runs_as_a_numeric_non_root_user():
    (user,) = [args for op, args in instructions(DOCKERFILE) if op == "USER"]
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), f"USER {user}: not a numeric uid"
    assert int(uid) > 0, "the image runs as root"
    assert not gid or gid.isdigit(), f"USER {user}: not a numeric gid"
