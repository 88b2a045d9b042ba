"""The C4 diagrams against what runs and what exists (docs/architecture/c4-container.md, c4-component.md).

The container diagram has one ``Container`` per role, its alias the role's name. The roles that run are
the ``PROCESS_ROLE`` values of the local Procfile and the ``app.kubernetes.io/component`` labels of the
workloads ``kubectl kustomize deployments/k8s/base`` renders; the two sets must be equal, stores
(``ContainerDb``, ``ContainerQueue``) aside. Every component names, in its technology field, the Python
module or modules (comma-separated) that implement it, and each must be importable.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from .entrypoints import WORKLOAD_KINDS, kustomize, procfile

ROOT = Path(__file__).resolve().parents[2]
ARCHITECTURE = ROOT / "docs" / "architecture"
CONTAINER_DOC = ARCHITECTURE / "c4-container.md"
COMPONENT_DOC = ARCHITECTURE / "c4-component.md"
CONTEXT_DOC = ARCHITECTURE / "c4-context.md"
PROCFILE = ROOT / "deployments" / "local" / "Procfile"
K8S_BASE = ROOT / "deployments" / "k8s" / "base"

COMPONENT_LABEL = "app.kubernetes.io/component"
MODULE_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)^```", re.M | re.S)
MACRO_START = re.compile(r"\s*(\w+)\(")


# --- Reading the diagrams ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Element:
    """One macro call of a Mermaid C4 diagram: ``Container(api, "API", "gunicorn", "...")``."""

    kind: str
    arguments: tuple[str, ...]

    @property
    def alias(self) -> str:
        return self.arguments[0] if self.arguments else ""

    def argument(self, index: int) -> str:
        return self.arguments[index] if index < len(self.arguments) else ""


def mermaid_blocks(markdown: str) -> list[str]:
    return MERMAID_BLOCK.findall(markdown)


def split_arguments(text: str) -> tuple[tuple[str, ...], str]:
    """The comma-separated arguments of a macro call whose opening parenthesis precedes ``text``, with quotes
    removed (a quoted argument may hold commas and parentheses), and what follows the closing parenthesis."""
    arguments: list[str] = []
    current: list[str] = []
    quoted = False
    for position, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            arguments.append("".join(current).strip())
            current = []
        elif char == ")" and not quoted:
            arguments.append("".join(current).strip())
            return tuple(argument for argument in arguments if argument), text[position + 1 :]
        else:
            current.append(char)
    raise ValueError(f"unclosed macro call: {text!r}")


def elements(diagram: str) -> list[Element]:
    """Every macro call of a diagram, one per line (as Mermaid's C4 syntax has them)."""
    found = []
    for line in diagram.splitlines():
        match = MACRO_START.match(line)
        if match:
            arguments, _rest = split_arguments(line[match.end() :])
            found.append(Element(kind=match.group(1), arguments=arguments))
    return found


def containers(markdown: str) -> set[str]:
    """The aliases of the diagram's ``Container`` elements: the roles. Stores and external systems
    (``ContainerDb``, ``ContainerQueue``, ``Container_Ext``, ...) are other macros and do not count."""
    return {
        element.alias
        for block in mermaid_blocks(markdown)
        for element in elements(block)
        if element.kind == "Container"
    }


def components(markdown: str) -> list[Element]:
    return [
        element
        for block in mermaid_blocks(markdown)
        for element in elements(block)
        if element.kind.startswith("Component") and not element.kind.endswith("_Ext")
    ]


# --- What runs -----------------------------------------------------------------------------------------------


def procfile_roles(text: str) -> set[str]:
    return {role for role, _command in procfile(text).values() if role}


def manifest_roles(rendered: str) -> set[str]:
    """The ``app.kubernetes.io/component`` label of every workload in rendered manifests; a workload without
    one shows as ``<Kind>/<name> without app.kubernetes.io/component``, so it cannot go unnoticed."""
    roles = set()
    for document in yaml.safe_load_all(rendered):
        if not isinstance(document, dict) or document.get("kind") not in WORKLOAD_KINDS:
            continue
        metadata = document.get("metadata") or {}
        role = (metadata.get("labels") or {}).get(COMPONENT_LABEL)
        roles.add(role or f"{document['kind']}/{metadata.get('name')} without {COMPONENT_LABEL}")
    return roles


# --- The checks ----------------------------------------------------------------------------------------------


def container_mismatches(on_diagram: set[str], running: set[str]) -> list[str]:
    """What the container diagram and the running roles disagree on, one line each; empty when they agree."""
    problems = [f"on the container diagram, but no process runs it: {role}" for role in sorted(on_diagram - running)]
    problems += [f"runs, but is not a Container on the diagram: {role}" for role in sorted(running - on_diagram)]
    return problems


def module_exists(path: str) -> bool:
    try:
        return importlib.util.find_spec(path) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def component_problems(found: list[Element]) -> list[str]:
    """Components whose technology field is not a list of existing modules, one line each."""
    problems = []
    for component in found:
        modules = [module.strip() for module in component.argument(2).split(",") if module.strip()]
        if not modules:
            problems.append(f"component {component.alias} names no module")
        for module in modules:
            if not MODULE_PATH.fullmatch(module):
                problems.append(f"component {component.alias}: {module!r} is not a dotted module path")
            elif not module_exists(module):
                problems.append(f"component {component.alias}: no module {module}")
    return problems


# --- The repository ------------------------------------------------------------------------------------------


def test_the_container_diagram_names_exactly_the_roles_the_procfile_and_the_manifests_run():
    kustomization = K8S_BASE / "kustomization.yaml"
    if not kustomization.exists():
        pytest.fail(
            f"{kustomization.relative_to(ROOT)} is missing: the roles the manifests run cannot be read, "
            "so the container diagram cannot be checked against them",
            pytrace=False,
        )
    running = procfile_roles(PROCFILE.read_text()) | manifest_roles(kustomize(K8S_BASE))
    assert container_mismatches(containers(CONTAINER_DOC.read_text()), running) == []


def test_every_component_names_modules_that_exist():
    found = components(COMPONENT_DOC.read_text())
    assert len(found) > 10
    assert component_problems(found) == []


def test_each_diagram_is_a_mermaid_c4_diagram_of_its_level():
    for doc, level in ((CONTEXT_DOC, "C4Context"), (CONTAINER_DOC, "C4Container"), (COMPONENT_DOC, "C4Component")):
        blocks = mermaid_blocks(doc.read_text())
        assert blocks, f"{doc.name} has no mermaid block"
        assert all(block.lstrip().startswith(level) for block in blocks), f"{doc.name}: every diagram is {level}"


# --- The checks themselves can fail --------------------------------------------------------------------------

DIAGRAM = """\
# containers

```mermaid
C4Container
  Person(customer, "Customer", "Uses the API (v1, v2)")
  System_Boundary(orderflow, "orderflow") {
    Container(api, "API", "Django + DRF on gunicorn", "Commands, queries; any number")
    Container(worker, "Worker", "Celery worker", "Tasks")
    ContainerDb(postgres, "PostgreSQL", "SQL", "Everything durable")
    ContainerQueue(rabbitmq, "RabbitMQ", "AMQP", "Events, tasks")
  }
  Rel(customer, api, "Uses", "HTTPS")
```
"""


def test_arguments_may_hold_commas_and_parentheses_inside_quotes():
    (element,) = elements('  Container(api, "API (v1, v2)", "gunicorn", "a, b (c)") {')
    assert element == Element("Container", ("api", "API (v1, v2)", "gunicorn", "a, b (c)"))


def test_stores_are_not_roles():
    assert containers(DIAGRAM) == {"api", "worker"}


def test_a_diagram_that_agrees_with_the_running_roles_reports_nothing():
    assert container_mismatches(containers(DIAGRAM), {"api", "worker"}) == []


def test_a_container_no_process_runs_is_reported():
    assert container_mismatches(containers(DIAGRAM), {"api"}) == [
        "on the container diagram, but no process runs it: worker"
    ]


def test_a_role_missing_from_the_diagram_is_reported():
    assert container_mismatches(containers(DIAGRAM), {"api", "worker", "beat"}) == [
        "runs, but is not a Container on the diagram: beat"
    ]


def test_the_procfile_roles_are_its_process_role_values():
    procfile = (
        "# the embedded stack\n"
        "api: PROCESS_ROLE=api python manage.py runserver\n"
        "beat: PROCESS_ROLE=beat celery -A config beat\n"
    )
    assert procfile_roles(procfile) == {"api", "beat"}


RENDERED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orderflow-api
  labels: {app.kubernetes.io/component: api}
---
apiVersion: v1
kind: Service
metadata:
  name: orderflow-api
  labels: {app.kubernetes.io/component: gateway}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: orderflow-release
  labels: {app.kubernetes.io/component: release}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orderflow-unlabelled
"""


def test_the_manifest_roles_are_the_workloads_component_labels_and_an_unlabelled_workload_shows():
    assert manifest_roles(RENDERED) == {
        "api",
        "release",
        "Deployment/orderflow-unlabelled without app.kubernetes.io/component",
    }


def write_kustomization(directory: Path, workloads: dict[str, str]) -> None:
    """A small kustomize base: one Deployment per long-running role, a Job for ``release``, and a Service."""
    resources = []
    for name, role in workloads.items():
        kind, api_version = ("Job", "batch/v1") if role == "release" else ("Deployment", "apps/v1")
        spec = {"template": {"metadata": {"labels": {COMPONENT_LABEL: role}}, "spec": {"containers": []}}}
        if kind == "Deployment":
            spec["selector"] = {"matchLabels": {COMPONENT_LABEL: role}}
        document = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "labels": {COMPONENT_LABEL: role}},
            "spec": spec,
        }
        (directory / f"{name}.yaml").write_text(yaml.safe_dump(document))
        resources.append(f"{name}.yaml")
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "labels": {COMPONENT_LABEL: "edge"}}}
    (directory / "service.yaml").write_text(yaml.safe_dump(service))
    resources.append("service.yaml")
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources}
    (directory / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))


def test_a_rendered_kustomization_yields_its_workloads_roles(tmp_path):
    write_kustomization(
        tmp_path,
        {"api": "api", "consumer-orders-read": "consumer", "consumer-users-read": "consumer", "release": "release"},
    )
    assert manifest_roles(kustomize(tmp_path)) == {"api", "consumer", "release"}


def test_a_rendered_kustomization_with_a_role_the_diagram_lacks_is_reported(tmp_path):
    write_kustomization(tmp_path, {"api": "api", "worker": "worker", "beat": "beat"})
    running = manifest_roles(kustomize(tmp_path))
    assert container_mismatches(containers(DIAGRAM), running) == ["runs, but is not a Container on the diagram: beat"]


def test_a_component_naming_a_missing_module_or_no_module_is_reported():
    diagram = """\
```mermaid
C4Component
  Container_Boundary(api, "api") {
    Component(dispatch, "Dispatcher", "apps.outbox.dispatcher", "Exists")
    Component(gone, "Gone", "apps.outbox.dispatcher, apps.outbox.no_such_module", "One of two is missing")
    Component(orphan, "Orphan", "no_such_package.module", "Its package is missing")
    Component(prose, "Prose", "Celery worker", "Not a module path")
    Component(bare, "Bare")
  }
```
"""
    assert component_problems(components(diagram)) == [
        "component gone: no module apps.outbox.no_such_module",
        "component orphan: no module no_such_package.module",
        "component prose: 'Celery worker' is not a dotted module path",
        "component bare names no module",
    ]
