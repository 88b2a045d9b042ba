"""The compose files (deployments/docker/) held to the code: no Docker engine runs here, so what compose would
start is checked statically. Their schema is checked by `make compose` (check-jsonschema)."""

from pathlib import Path

import pytest
import yaml

from config.environment import PROCESS_ROLES, load

from .entrypoints import COMPONENT_ROLES, celery_queues, problems, role_command_problems, role_of

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deployments" / "docker"
LOCAL = DOCKER / "docker-compose.local.yml"
DEV = DOCKER / "docker-compose.dev.yml"
IMAGE = "orderflow:local"


def services(path: Path) -> dict[str, dict]:
    return yaml.safe_load(path.read_text())["services"]


def merged() -> dict[str, dict]:
    """docker-compose.local.yml with the dev override on top, merged as compose merges them."""
    result = {name: dict(service) for name, service in services(LOCAL).items()}
    for name, override in services(DEV).items():
        base = result.setdefault(name, {})
        for key, value in override.items():
            if key == "environment":
                base[key] = {**base.get(key, {}), **value}
            elif key == "volumes":
                base[key] = [*base.get(key, []), *value]
            else:
                base[key] = value
    return result


def roles(stack: dict[str, dict]) -> dict[str, dict]:
    return {name: service for name, service in stack.items() if service.get("image") == IMAGE}


def test_the_local_stack_runs_every_role_once_plus_the_release_and_the_services():
    stack = services(LOCAL)
    assert set(roles(stack)) == {*PROCESS_ROLES, *COMPONENT_ROLES, "release"}
    assert {"postgres", "redis", "rabbitmq"} <= set(stack)
    for name in {*PROCESS_ROLES, *COMPONENT_ROLES}:
        assert stack[name]["environment"]["PROCESS_ROLE"] == role_of(name), f"{name} tells readiness another role"


def test_every_task_queue_has_its_worker_and_the_webhooks_sends_one_of_their_own():
    from config.celery import app, task_queues

    consumed: dict[str, set[str]] = {}
    for name, service in roles(services(LOCAL)).items():
        if role_of(name) == "worker":
            for queue in celery_queues(service["command"]):
                consumed.setdefault(queue, set()).add(name)
    assert set(consumed) == set(task_queues(app))
    assert consumed["webhooks"] == {"webhooks-worker"}
    assert "webhooks-worker" not in set().union(*(names for queue, names in consumed.items() if queue != "webhooks"))


@pytest.mark.parametrize(("stack", "development"), [(services(LOCAL), False), (merged(), True)], ids=["local", "dev"])
def test_every_command_compose_runs_exists_and_is_its_role_s(stack, development):
    for name, service in roles(stack).items():
        assert problems(service["command"]) == [], name
        assert role_command_problems(role_of(name), service["command"], development=development) == [], name


def test_every_role_waits_for_the_release_to_complete_and_every_service_has_a_health_check():
    stack = merged()
    for name, service in stack.items():
        if name == "release":
            assert service["healthcheck"] == {"disable": True}  # a one-shot: waited for until it completes
            continue
        assert service["healthcheck"]["test"][0] == "CMD", f"{name} has no exec-form health check"
        if name in roles(stack):
            assert service["depends_on"]["release"] == {"condition": "service_completed_successfully"}
    for name in ("postgres", "rabbitmq"):
        assert stack["release"]["depends_on"][name] == {"condition": "service_healthy"}


@pytest.mark.parametrize("stack", [services(LOCAL), merged()], ids=["local", "local+dev"])
def test_every_role_environment_is_a_valid_configuration(stack, tmp_path):
    # The settings' own loader: a variable compose sets wrong (a short JWT secret, an unknown role, a
    # stripe provider without its key) would stop the container at its start.
    for name, service in roles(stack).items():
        env = load(service["environment"], base_dir=tmp_path)
        assert env.database["ENGINE"].endswith("postgresql"), name
        assert env.process_role == service["environment"].get("PROCESS_ROLE", "api")


def test_the_dev_override_mounts_the_source_without_hiding_the_image_environment():
    # A mount of the whole repository on /app would hide the image's .venv and collected static files.
    for name, service in roles(merged()).items():
        targets = [volume.split(":")[1] for volume in service.get("volumes", [])]
        assert "/app" not in targets, name
        assert {"/app/apps", "/app/config", "/app/domain"} <= set(targets), name


def test_the_dev_stack_scrapes_every_role_that_serves_metrics():
    config = yaml.safe_load((DOCKER / "dev" / "prometheus.yml").read_text())
    targets = {
        target.split(":")[0]: int(target.split(":")[1])
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    stack = services(LOCAL)
    serving = {
        name: int(s["environment"]["METRICS_PORT"])
        for name, s in roles(stack).items()
        if "METRICS_PORT" in s["environment"]
    }
    assert targets == {"api": 8000, **serving}
    (job,) = config["scrape_configs"]
    assert job["authorization"]["credentials"] == stack["api"]["environment"]["METRICS_TOKEN"]
