"""The Kubernetes manifests (deployments/k8s) against the code they run.

Every overlay is rendered with ``kubectl kustomize``, as the deploy pipeline renders it, and each check reads
the rendered objects: a command must name a management command (with options its parser accepts), the Celery
application and one of its subcommands, or gunicorn's WSGI callable and configuration file; a probe must ask
for a path the URL conf serves, on a port the container declares; every consumer must have exactly one
Deployment; the security context must hold. Each check is a function returning the problems it finds, and
each is also shown to find the problem it is there for. Without kubectl the rendering tests are skipped, except
under CI, where they fail.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from apps.security.keys import generate_private_key_pem
from config.environment import PROCESS_ROLES, load

from .entrypoints import COMPONENT_ROLES, WORKLOAD_KINDS, celery_queues, kustomize, role_command_problems, role_of
from .entrypoints import problems as command_problems

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deployments" / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if (path / "kustomization.yaml").is_file())
ALERTS = ROOT / "deployments" / "monitoring" / "prometheus" / "alerts.yml"
SCHEMAS = {
    "ServiceMonitor": K8S / "schemas" / "servicemonitor.schema.json",
    "PrometheusRule": K8S / "schemas" / "prometheusrule.schema.json",
}
COMPONENT = "app.kubernetes.io/component"
# The roles (PROCESS_ROLE), the release Job and the workloads that run a role under a name of their own (the
# webhooks' workers): each workload's component label is one of them.
COMPONENTS = {*PROCESS_ROLES, *COMPONENT_ROLES, "release"}
# --- Rendering ---------------------------------------------------------------------------------------------


@functools.cache
def _rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(doc for doc in yaml.safe_load_all(kustomize(K8S / "overlays" / overlay)) if doc)


@pytest.fixture(params=OVERLAYS)
def manifests(request) -> list[dict[str, Any]]:
    return copy.deepcopy(list(_rendered(request.param)))


def test_there_are_a_dev_and_a_prod_overlay():
    assert OVERLAYS == ["dev", "prod"]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def workloads(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in manifests if doc["kind"] in WORKLOAD_KINDS]


def containers(workload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = pod_spec(workload)
    yield from spec.get("initContainers", [])
    yield from spec["containers"]


def argv(container: dict[str, Any]) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def env(container: dict[str, Any]) -> dict[str, str | None]:
    return {item["name"]: item.get("value") for item in container.get("env", [])}


def named(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [doc for doc in manifests if doc["kind"] == kind and doc["metadata"]["name"] == name]
    return found


# --- Commands ----------------------------------------------------------------------------------------------


def test_every_container_command_names_code_that_exists(manifests):
    for workload in workloads(manifests):
        for container in containers(workload):
            assert command_problems(argv(container)) == [], workload["metadata"]["name"]


def role_problems(workload: dict[str, Any]) -> list[str]:
    """The component label is a role (or names one, ``role_of``), on the workload and its pods alike;
    PROCESS_ROLE and the command match the role."""
    name = workload["metadata"]["name"]
    component = workload["metadata"].get("labels", {}).get(COMPONENT)
    template = workload["spec"]["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else workload["spec"]
    if component not in COMPONENTS:
        return [f"{name}: component label {component!r} is not one of {sorted(COMPONENTS)}"]
    problems = []
    expected = role_of(component)
    if template["template"]["metadata"].get("labels", {}).get(COMPONENT) != component:
        problems.append(f"{name}: its pods are not labelled {COMPONENT}={component}")
    for container in pod_spec(workload)["containers"]:
        role = env(container).get("PROCESS_ROLE")
        if expected in PROCESS_ROLES and role != expected:
            problems.append(f"{name}: PROCESS_ROLE={role}, but the component {component} is a {expected}")
        if expected not in PROCESS_ROLES and role is not None:
            problems.append(f"{name}: PROCESS_ROLE={role} on a {component}, which is no role the settings accept")
        problems += [f"{name}: {problem}" for problem in role_command_problems(expected, argv(container))]
    return problems


def test_every_workload_runs_the_role_its_label_names(manifests):
    for workload in workloads(manifests):
        assert role_problems(workload) == []
    assert {workload["metadata"]["labels"][COMPONENT] for workload in workloads(manifests)} == COMPONENTS


def test_a_workload_whose_role_and_command_disagree_is_found(manifests):
    worker = named(manifests, "Deployment", "orderflow-worker")
    wrong_role = copy.deepcopy(worker)
    (container,) = pod_spec(wrong_role)["containers"]
    container["env"] = [{"name": "PROCESS_ROLE", "value": "api"}]
    assert role_problems(wrong_role) != []
    wrong_command = copy.deepcopy(worker)
    (container,) = pod_spec(wrong_command)["containers"]
    container["command"] = ["celery", "-A", "config", "beat"]
    assert role_problems(wrong_command) != []
    webhooks_worker = named(manifests, "Deployment", "orderflow-webhooks-worker")
    assert role_problems(webhooks_worker) == []
    wrong_role = copy.deepcopy(webhooks_worker)
    (container,) = pod_spec(wrong_role)["containers"]
    container["env"] = [{"name": "PROCESS_ROLE", "value": "webhooks-worker"}]
    assert role_problems(wrong_role) != []


# --- Celery queues -----------------------------------------------------------------------------------------
# Every queue the tasks are sent to (config/settings.py, CELERY_TASK_ROUTES) has workers, and the webhooks'
# sends, which call partners' URLs, run on workers of their own: the one component the internet-egress
# policy lets out, and the default workers never consume them.
WEBHOOKS_QUEUE = "webhooks"
WEBHOOKS_EGRESS = "orderflow-egress-webhooks"


def selected_components(policy: dict[str, Any]) -> set[str]:
    labels = policy["spec"]["podSelector"].get("matchLabels", {})
    return {labels[COMPONENT]} if COMPONENT in labels else {"every component"}


def queue_problems(manifests: list[dict[str, Any]]) -> list[str]:
    from config.celery import app, task_queues

    consumed: dict[str, set[str]] = {}
    for workload in workloads(manifests):
        component = workload["metadata"]["labels"][COMPONENT]
        for container in containers(workload):
            if role_of(component) == "worker":
                for queue in celery_queues(argv(container)):
                    consumed.setdefault(queue, set()).add(component)
    problems = [f"queue {queue}: no worker consumes it" for queue in task_queues(app) if queue not in consumed]
    problems += [
        f"queue {queue}: consumed, but no task is sent there" for queue in consumed.keys() - {*task_queues(app)}
    ]
    senders = consumed.get(WEBHOOKS_QUEUE, set())
    if len(senders) > 1 or senders & {*PROCESS_ROLES}:
        problems.append(f"queue {WEBHOOKS_QUEUE}: consumed by {sorted(senders)}, not by workers of its own")
    if any(queue != WEBHOOKS_QUEUE for queue, components in consumed.items() if components & senders):
        problems.append(f"the workers of queue {WEBHOOKS_QUEUE} consume other queues too")
    (egress,) = [
        doc for doc in manifests if doc["kind"] == "NetworkPolicy" and doc["metadata"]["name"] == WEBHOOKS_EGRESS
    ]
    if selected_components(egress) != senders:
        problems.append(f"{WEBHOOKS_EGRESS} lets out {sorted(selected_components(egress))}, not {sorted(senders)}")
    return problems


def test_every_task_queue_has_its_workers_and_only_the_webhooks_workers_reach_the_internet(manifests):
    assert queue_problems(manifests) == []


def test_a_queue_without_workers_or_webhooks_sent_by_the_default_workers_is_found(manifests):
    unconsumed = [doc for doc in manifests if doc["metadata"]["name"] != "orderflow-webhooks-worker"]
    assert "queue webhooks: no worker consumes it" in queue_problems(unconsumed)
    shared = copy.deepcopy(manifests)
    (container,) = pod_spec(named(shared, "Deployment", "orderflow-worker"))["containers"]
    container["command"] = ["celery", "-A", "config", "worker", "-Q", "celery,webhooks"]
    assert queue_problems(shared) != []
    everything_out = copy.deepcopy(manifests)
    named(everything_out, "NetworkPolicy", WEBHOOKS_EGRESS)["spec"]["podSelector"] = {
        "matchLabels": {"app.kubernetes.io/name": "orderflow"}
    }
    assert queue_problems(everything_out) != []


def test_the_webhooks_egress_keeps_every_non_public_ipv4_range_out(manifests):
    (rule,) = named(manifests, "NetworkPolicy", WEBHOOKS_EGRESS)["spec"]["egress"]
    (peer,) = rule["to"]
    assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
    expected = {
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/3",
    }
    assert expected <= set(peer["ipBlock"]["except"])


# --- Consumers and singletons ------------------------------------------------------------------------------


def consumer_problems(manifests: list[dict[str, Any]]) -> list[str]:
    """Every registered consumer runs in exactly one Deployment, of one pod that is replaced, never doubled."""
    from apps.messaging.registry import consumers

    runs: dict[str, list[str]] = {consumer.name: [] for consumer in consumers()}
    problems = []
    for workload in workloads(manifests):
        for container in containers(workload):
            command = argv(container)
            if command[:3] != ["python", "manage.py", "consume_events"]:
                continue
            name = workload["metadata"]["name"]
            chosen = [command[i + 1] for i, arg in enumerate(command) if arg == "--consumer"] or list(runs)
            for consumer in chosen:
                runs.setdefault(consumer, []).append(name)
            if workload["kind"] != "Deployment":
                problems.append(f"{name}: consumers run as Deployments")
            elif (
                workload["spec"].get("replicas") != 1 or workload["spec"].get("strategy", {}).get("type") != "Recreate"
            ):
                problems.append(f"{name}: one runner per queue needs replicas 1 and strategy Recreate")
    problems += [
        f"consumer {name}: run by {found or 'no Deployment'}" for name, found in runs.items() if len(found) != 1
    ]
    return problems


def test_every_consumer_has_exactly_one_deployment(manifests):
    assert consumer_problems(manifests) == []


def test_a_consumer_without_a_deployment_or_with_two_is_found(manifests):
    missing = [doc for doc in manifests if doc["metadata"]["name"] != "orderflow-consumer-users-read"]
    assert consumer_problems(missing) == ["consumer users-read: run by no Deployment"]
    doubled = [*manifests, named(manifests, "Deployment", "orderflow-consumer-orders-read")]
    assert len(consumer_problems(doubled)) == 1
    scaled = copy.deepcopy(manifests)
    named(scaled, "Deployment", "orderflow-consumer-orders-read")["spec"]["replicas"] = 2
    assert consumer_problems(scaled) != []


def test_beat_is_exactly_one_pod_replaced_never_doubled(manifests):
    beats = [doc for doc in workloads(manifests) if doc["metadata"]["labels"][COMPONENT] == "beat"]
    assert len(beats) == 1
    (beat,) = beats
    assert beat["kind"] == "Deployment"
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    singletons = {
        doc["metadata"]["name"]
        for doc in workloads(manifests)
        if doc["spec"].get("strategy", {}).get("type") == "Recreate"
    }
    autoscaled = {
        doc["spec"]["scaleTargetRef"]["name"] for doc in manifests if doc["kind"] == "HorizontalPodAutoscaler"
    }
    assert not singletons & autoscaled, "an HPA would run more than one beat or consumer runner"


def test_the_autoscaled_deployments_leave_their_replica_count_to_the_hpa(manifests):
    for hpa in (doc for doc in manifests if doc["kind"] == "HorizontalPodAutoscaler"):
        target = named(manifests, hpa["spec"]["scaleTargetRef"]["kind"], hpa["spec"]["scaleTargetRef"]["name"])
        assert "replicas" not in target["spec"], f"applying {target['metadata']['name']} would reset its HPA's count"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


# --- Probes ------------------------------------------------------------------------------------------------


def probe_problems(container: dict[str, Any]) -> list[str]:
    """Each probe asks for something the process serves: an HTTP path of the URL conf on the Django port, the
    metrics server's /metrics on METRICS_PORT, or a management command."""
    from django.urls import Resolver404, resolve

    from apps.platform.problems import not_found

    ports = {port.get("name"): port["containerPort"] for port in container.get("ports", [])}
    variables = env(container)
    django_port = int(variables.get("PORT") or 8000) if "http" in ports else None
    metrics_port = int(variables["METRICS_PORT"]) if variables.get("METRICS_PORT") else None
    problems = []
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = container.get(kind)
        if probe is None:
            continue
        if "exec" in probe:
            problems += [f"{kind}: {problem}" for problem in command_problems(probe["exec"]["command"])]
            continue
        handler = probe.get("httpGet") or probe.get("tcpSocket")
        if handler is None:
            problems.append(f"{kind}: neither httpGet, tcpSocket nor exec")
            continue
        port = ports.get(handler["port"]) if isinstance(handler["port"], str) else handler["port"]
        if port is None or port not in ports.values():
            problems.append(f"{kind}: port {handler['port']!r} is not a port of the container")
            continue
        if "httpGet" not in probe:
            continue
        path = handler.get("path", "/")
        if port == django_port:
            try:
                match = resolve(path.split("?")[0])
            except Resolver404:
                problems.append(f"{kind}: {path} is not served by the URL conf")
            else:
                if match.func is not_found:
                    problems.append(f"{kind}: {path} is only the catch-all not-found view")
        elif port == metrics_port:
            if path != "/metrics":
                problems.append(f"{kind}: the metrics server on METRICS_PORT serves /metrics, not {path}")
        else:
            problems.append(f"{kind}: nothing serves HTTP on port {port} (neither PORT nor METRICS_PORT)")
    return problems


def test_every_probe_asks_for_something_the_process_serves(manifests):
    for workload in workloads(manifests):
        for container in containers(workload):
            assert probe_problems(container) == [], workload["metadata"]["name"]


def test_every_long_running_container_has_its_probes(manifests):
    for workload in (doc for doc in workloads(manifests) if doc["kind"] == "Deployment"):
        (container,) = pod_spec(workload)["containers"]
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(container), workload["metadata"]["name"]
        api = workload["metadata"]["labels"][COMPONENT] == "api"
        if api:
            assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
            assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        else:
            # Readiness checks the role's dependencies; liveness must not, or an outage restarts every pod.
            assert container["readinessProbe"]["exec"]["command"] == ["python", "-m", "config.healthcheck"]
            assert "exec" not in container["livenessProbe"]
            assert container["readinessProbe"]["timeoutSeconds"] >= 10


def test_a_probe_the_process_does_not_serve_is_found(manifests):
    api = named(manifests, "Deployment", "orderflow-api")
    consumer = named(manifests, "Deployment", "orderflow-consumer-users-read")
    breakages = [
        (api, "readinessProbe", {"httpGet": {"path": "/health/nope", "port": "http"}}),
        (api, "readinessProbe", {"httpGet": {"path": "/api/v1/no-such-thing", "port": "http"}}),
        (api, "livenessProbe", {"httpGet": {"path": "/health/live", "port": "metrics"}}),
        (api, "livenessProbe", {"httpGet": {"path": "/health/live", "port": 8080}}),
        (consumer, "livenessProbe", {"httpGet": {"path": "/health/live", "port": "metrics"}}),
        (consumer, "readinessProbe", {"exec": {"command": ["python", "manage.py", "no_such_command"]}}),
    ]
    for workload, kind, probe in breakages:
        (container,) = copy.deepcopy(pod_spec(workload)["containers"])
        container[kind] = probe
        assert probe_problems(container) != [], probe


# --- Security ----------------------------------------------------------------------------------------------


def security_problems(workload: dict[str, Any]) -> list[str]:
    """The pod runs as the image's user, read-only, without privileges, token or writable root; /tmp is an emptyDir."""
    spec = pod_spec(workload)
    name = workload["metadata"]["name"]
    pod = spec.get("securityContext", {})
    problems = []
    if pod.get("runAsNonRoot") is not True or pod.get("runAsUser") != 10001:
        problems.append(f"{name}: not runAsNonRoot as user 10001")
    if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: no RuntimeDefault seccomp profile")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: the service account's token is mounted")
    if spec.get("serviceAccountName") in {None, "default"}:
        problems.append(f"{name}: runs as the namespace's default service account")
    empty_dirs = {volume["name"] for volume in spec.get("volumes", []) if "emptyDir" in volume}
    for container in containers(workload):
        context = container.get("securityContext", {})
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: the root filesystem is writable")
        if context.get("privileged"):
            problems.append(f"{name}: privileged")
        if context.get("capabilities", {}).get("drop") != ["ALL"] or context.get("capabilities", {}).get("add"):
            problems.append(f"{name}: capabilities are not all dropped")
        if not any(m["mountPath"] == "/tmp" and m["name"] in empty_dirs for m in container.get("volumeMounts", [])):
            problems.append(f"{name}: no emptyDir at /tmp (PROMETHEUS_MULTIPROC_DIR lives there)")
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(resources.get(bound, {})):
                problems.append(f"{name}: no cpu and memory {bound}")
    return problems


def test_every_pod_runs_locked_down(manifests):
    for workload in workloads(manifests):
        assert security_problems(workload) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("securityContext", "runAsUser"), 0),
        (("securityContext", "runAsNonRoot"), False),
        (("automountServiceAccountToken",), True),
        (("containers", 0, "securityContext", "readOnlyRootFilesystem"), False),
        (("containers", 0, "securityContext", "allowPrivilegeEscalation"), True),
        (("containers", 0, "securityContext", "capabilities"), {"drop": ["ALL"], "add": ["NET_ADMIN"]}),
        (("containers", 0, "volumeMounts"), []),
        (("containers", 0, "resources"), {"requests": {"cpu": "100m", "memory": "128Mi"}}),
    ],
)
def test_a_pod_that_is_not_locked_down_is_found(manifests, path, value):
    workload = copy.deepcopy(named(manifests, "Deployment", "orderflow-api"))
    target = pod_spec(workload)
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert security_problems(workload) != []


# The keys of the Secret orderflow-secrets (deployments/k8s/README.md lists them): never a literal value in a
# ConfigMap or a container's env.
SECRET_KEYS = {
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EVENTS_BROKER_URL",
    "JWT_PRIVATE_KEY",
    "PAYMENT_PROVIDER_API_KEY",
    "PAYMENT_WEBHOOK_SECRETS",
    "METRICS_TOKEN",
}


def secret_problems(manifests: list[dict[str, Any]]) -> list[str]:
    problems = [
        f"Secret {doc['metadata']['name']} holds values"
        for doc in manifests
        if doc["kind"] == "Secret" and (doc.get("data") or doc.get("stringData"))
    ]
    for config_map in (doc for doc in manifests if doc["kind"] == "ConfigMap"):
        written = SECRET_KEYS & set(config_map.get("data", {}))
        problems += [f"ConfigMap {config_map['metadata']['name']}: {key}" for key in written]
    for workload in workloads(manifests):
        for container in containers(workload):
            if {"secretRef": {"name": "orderflow-secrets"}} not in container.get("envFrom", []):
                problems.append(f"{workload['metadata']['name']}: does not read orderflow-secrets")
            literal = {item["name"] for item in container.get("env", []) if "value" in item}
            problems += [f"{workload['metadata']['name']}: {key} written in its env" for key in SECRET_KEYS & literal]
    return problems


def test_no_secret_value_is_committed_and_every_container_reads_the_secrets_by_reference(manifests):
    assert secret_problems(manifests) == []


def test_a_secret_written_into_the_manifests_is_found(manifests):
    settings = next(doc for doc in manifests if doc["kind"] == "ConfigMap" and "PUBLIC_HOSTS" in doc["data"])
    settings["data"]["DATABASE_URL"] = "postgres://orderflow:hunter2@db:5432/orderflow"
    api = named(manifests, "Deployment", "orderflow-api")
    pod_spec(api)["containers"][0]["env"].append({"name": "JWT_PRIVATE_KEY", "value": "-----BEGIN PRIVATE KEY-----"})
    assert len(secret_problems(manifests)) == 2


def test_the_readme_lists_the_keys_of_the_secret():
    readme = (K8S / "README.md").read_text()
    start, end = (
        readme.index("Secret **`orderflow-secrets`**"),
        readme.index("Optional: **`orderflow-release-secrets`**"),
    )
    table = readme[start:end]
    assert set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M)) == SECRET_KEYS


def configuration(
    manifests: list[dict[str, Any]], container: dict[str, Any], secrets: dict[str, str]
) -> dict[str, str]:
    """The environment the container starts with: its ConfigMaps and the Secret (envFrom), then its own env,
    where ``$(NAME)`` reads a variable defined before it (as the kubelet expands it); values from the
    downward API are an address."""
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in manifests if doc["kind"] == "ConfigMap"}
    environment: dict[str, str] = {}

    def expand(reference: re.Match[str]) -> str:
        return environment.get(reference.group(1), reference.group(0))

    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            environment.update(config_maps[source["configMapRef"]["name"]])
        elif source["secretRef"]["name"] == "orderflow-secrets":
            environment.update(secrets)
    for item in container.get("env", []):
        if "value" in item:
            environment[item["name"]] = re.sub(r"\$\((\w+)\)", expand, item["value"])
        elif "fieldRef" in item.get("valueFrom", {}):
            environment[item["name"]] = "10.1.2.3"
    return environment


def test_every_container_starts_with_a_configuration_the_settings_accept(manifests, tmp_path):
    # Placeholders of the right shape for the Secret: what matters is the rest, the ConfigMap and each
    # container's env, read by the settings' own loader (a typo such as PAYMENT_PROVIDER=stripee stops a pod).
    secrets = {
        "SECRET_KEY": "k8s-contract-test-" + "s" * 50,
        "DATABASE_URL": "postgres://orderflow:password@db:5432/orderflow",
        "REDIS_URL": "redis://redis:6379/0",
        "CELERY_BROKER_URL": "amqp://orderflow:password@rabbitmq:5672/orderflow",
        "EVENTS_BROKER_URL": "amqp://orderflow:password@rabbitmq:5672/orderflow",
        "JWT_PRIVATE_KEY": generate_private_key_pem().decode(),
        "PAYMENT_PROVIDER_API_KEY": "sk_test_contract",
        "PAYMENT_WEBHOOK_SECRETS": "whsec_contract",
        "METRICS_TOKEN": "m" * 32,
    }
    assert set(secrets) == SECRET_KEYS
    for workload in workloads(manifests):
        role = workload["metadata"]["labels"][COMPONENT]
        for container in containers(workload):
            environment = configuration(manifests, container, secrets)
            loaded = load(environment, base_dir=tmp_path)
            assert not loaded.debug, workload["metadata"]["name"]
            expected = role_of(role) if role_of(role) in PROCESS_ROLES else "api"
            assert loaded.process_role == expected, workload["metadata"]["name"]
            if role == "api":
                assert "10.1.2.3" in loaded.allowed_hosts  # the probes' Host: the pod's own address


# --- Services, monitoring, alerts --------------------------------------------------------------------------


def test_the_services_and_the_ingress_point_at_what_exists(manifests):
    services = {doc["metadata"]["name"]: doc for doc in manifests if doc["kind"] == "Service"}
    for ingress in (doc for doc in manifests if doc["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["port"]["name"] in {port["name"] for port in services[backend["name"]]["spec"]["ports"]}
            assert not [p for p in rule["http"]["paths"] if p["path"].startswith(("/metrics", "/health"))]
    pods = [pod_spec(doc) | {"labels": doc["spec"]["template"]["metadata"]["labels"]} for doc in workloads(manifests)]
    for service in services.values():
        selector = service["spec"]["selector"]
        for port in service["spec"]["ports"]:
            serving = [
                pod
                for pod in pods
                if selector.items() <= pod["labels"].items()
                and any(p.get("name") == port["targetPort"] for c in pod["containers"] for p in c.get("ports", []))
            ]
            assert serving, f"no pod serves {service['metadata']['name']}'s port {port['name']}"


def monitoring_schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMAS[document["kind"]].read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def test_the_monitoring_resources_match_the_operators_schemas(manifests):
    monitoring = [doc for doc in manifests if doc["kind"] in SCHEMAS]
    assert sorted(doc["kind"] for doc in monitoring) == sorted(SCHEMAS)
    for document in monitoring:
        assert monitoring_schema_errors(document) == []


def test_a_misspelt_or_malformed_monitoring_field_is_found(manifests):
    monitor = copy.deepcopy(named(manifests, "ServiceMonitor", "orderflow"))
    monitor["spec"]["endpoints"][0]["intervall"] = "15s"
    assert monitoring_schema_errors(monitor) != []
    rule = copy.deepcopy(named(manifests, "PrometheusRule", "orderflow"))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "two minutes"
    assert monitoring_schema_errors(rule) != []


def test_every_scrape_target_is_the_job_the_alerts_read(manifests):
    # alerts.yml and the dashboard read job="orderflow"; the ServiceMonitor names the job after the Services' label.
    monitor = named(manifests, "ServiceMonitor", "orderflow")
    selector = monitor["spec"]["selector"]["matchLabels"]
    selected = [
        doc for doc in manifests if doc["kind"] == "Service" and selector.items() <= doc["metadata"]["labels"].items()
    ]
    assert {doc["metadata"]["labels"][monitor["spec"]["jobLabel"]] for doc in selected} == {"orderflow"}
    ports = {port["name"] for doc in selected for port in doc["spec"]["ports"]}
    endpoints = {endpoint["port"]: endpoint for endpoint in monitor["spec"]["endpoints"]}
    assert set(endpoints) == ports == {"http", "metrics"}
    assert endpoints["http"]["authorization"]["credentials"] == {"name": "orderflow-secrets", "key": "METRICS_TOKEN"}


def alerts_drift(rule: dict[str, Any], alerts: dict[str, Any]) -> list[str]:
    """The alerts that the PrometheusRule and alerts.yml do not hold alike, by name."""

    def by_name(groups: dict[str, Any]) -> dict[str, Any]:
        rules = [rule for group in groups.get("groups", []) for rule in group.get("rules", [])]
        return {rule.get("alert") or rule.get("record"): rule for rule in rules}

    ours, theirs = by_name(rule["spec"]), by_name(alerts)
    drift = sorted(name for name in ours.keys() | theirs.keys() if ours.get(name) != theirs.get(name))
    if not drift and rule["spec"] != alerts:
        drift = ["the groups' layout"]
    return drift


def test_the_prometheus_rule_holds_exactly_the_alerts_of_alerts_yml(manifests):
    alerts = yaml.safe_load(ALERTS.read_text())
    assert alerts_drift(named(manifests, "PrometheusRule", "orderflow"), alerts) == [], "run `make k8s-rules`"


def test_the_generated_rule_file_is_up_to_date():
    from scripts import k8s_prometheus_rule

    assert k8s_prometheus_rule.main(["--check"]) == 0, "run `make k8s-rules`"


def test_an_alert_changed_on_one_side_only_is_found():
    alerts = yaml.safe_load(ALERTS.read_text())
    rule = {"spec": copy.deepcopy(alerts)}
    rule["spec"]["groups"][0]["rules"][0]["for"] = "30m"
    assert alerts_drift(rule, alerts) == [alerts["groups"][0]["rules"][0]["alert"]]
    rule = {"spec": copy.deepcopy(alerts)}
    dropped = rule["spec"]["groups"][0]["rules"].pop()
    assert alerts_drift(rule, alerts) == [dropped["alert"]]
