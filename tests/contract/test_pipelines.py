"""The CI/CD pipelines (deployments/ci-cd/) run what a laptop and .ci/run run, and build what there is to build.

Both pipelines (GitHub Actions, GitLab CI) call ``make`` targets rather than the tools themselves, so the checks cannot
drift apart: every target a pipeline calls must exist in the Makefile, and the targets each pipeline calls, spread over
its jobs, must be the very set .ci/run's ``make test`` stands for. The image they build must come from the Dockerfile
in the repository, the scripts they run must be there and executable, the integration job must point the tests at its
own service containers, and every GitHub action must be pinned to a commit.
"""

import os
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "Makefile"
CI_RUN = ROOT / ".ci" / "run"
CI_CD = ROOT / "deployments" / "ci-cd"
GITHUB_WORKFLOWS = sorted((CI_CD / "github-actions").glob("*.yml"))
GITLAB_CI = CI_CD / "gitlab-ci" / ".gitlab-ci.yml"
PIPELINES = ["github", "gitlab"]
SERVICE_URLS = ("TEST_DATABASE_URL", "TEST_REDIS_URL", "TEST_BROKER_URL")

# `make` as a command: at a line's start or after a shell operator or keyword, followed by its arguments.
MAKE_COMMAND = re.compile(r"(?:^|[;&|({]|\b(?:then|do|else)\b)\s*make((?:[ \t]+[^\s;&|()]+)*)", re.M)
RULE = re.compile(r"^([^\t#=:][^=:]*?)\s*:(?![=:])(.*)$")


def makefile_rules(text: str) -> dict[str, tuple[list[str], bool]]:
    """Each named target of a Makefile: its prerequisites, and whether it has a recipe of its own."""
    rules: dict[str, tuple[list[str], bool]] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = RULE.match(line)
        if not match or "$(" in match.group(1):
            continue
        prerequisites = match.group(2).split("#", 1)[0].split("|", 1)[0].split()
        following = lines[number + 1] if number + 1 < len(lines) else ""
        for target in match.group(1).split():
            if not target.startswith("."):
                rules[target] = (prerequisites, following.startswith("\t"))
    return rules


RULES = makefile_rules(MAKEFILE.read_text())


def make_targets(commands: list[str]) -> list[str]:
    """The targets the ``make`` commands among ``commands`` (shell text) name; comments are left out."""
    targets = []
    for command in commands:
        text = "\n".join(line for line in command.splitlines() if not line.lstrip().startswith("#"))
        for match in MAKE_COMMAND.finditer(text):
            arguments = [word for word in shlex.split(match.group(1)) if not word.startswith("-") and "=" not in word]
            targets.extend(arguments or [next(iter(RULES))])  # no target: the Makefile's first
    return targets


def expand(targets: list[str] | set[str]) -> set[str]:
    """The targets ``targets`` stand for: a target with no recipe that only groups named targets is its targets."""
    expanded: set[str] = set()
    for target in targets:
        prerequisites, has_recipe = RULES.get(target, ([], True))
        if not has_recipe and prerequisites and all(name in RULES for name in prerequisites):
            expanded |= expand(prerequisites)
        else:
            expanded.add(target)
    return expanded


def github_jobs() -> dict[str, dict]:
    jobs: dict[str, dict] = {}
    for path in GITHUB_WORKFLOWS:
        jobs.update({f"{path.name}:{name}": job for name, job in yaml.safe_load(path.read_text())["jobs"].items()})
    return jobs


def gitlab_jobs() -> dict[str, dict]:
    document = yaml.safe_load(GITLAB_CI.read_text())
    return {name: job for name, job in document.items() if isinstance(job, dict) and name not in {"workflow"}}


def commands(job: dict) -> list[str]:
    """The shell a job runs: GitHub's steps' ``run``, GitLab's ``before_script``, ``script`` and ``after_script``."""
    found = [step["run"] for step in job.get("steps", []) if "run" in step]
    for key in ("before_script", "script", "after_script"):
        value = job.get(key, [])
        found.extend([value] if isinstance(value, str) else value)
    return found


def pipeline_jobs(pipeline: str) -> dict[str, dict]:
    return github_jobs() if pipeline == "github" else gitlab_jobs()


def pipeline_commands(pipeline: str) -> list[str]:
    return [command for job in pipeline_jobs(pipeline).values() for command in commands(job)]


def ci_run_targets() -> set[str]:
    return expand(make_targets([CI_RUN.read_text()]))


def test_the_pipelines_are_there():
    assert GITHUB_WORKFLOWS, "no GitHub Actions workflow in deployments/ci-cd/github-actions/"
    assert GITLAB_CI.is_file()


def test_ci_run_runs_the_whole_suite():
    # `make test` in .ci/run stands for the static checks and every suite; the comparisons below start from it.
    assert {"check", "unit", "contract", "integration"} <= ci_run_targets()


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_every_make_target_a_pipeline_calls_exists(pipeline):
    targets = make_targets(pipeline_commands(pipeline))
    assert targets, f"the {pipeline} pipeline calls no make target"
    missing = sorted(set(targets) - set(RULES))
    assert not missing, f"the {pipeline} pipeline calls make targets the Makefile does not have: {missing}"


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_each_pipeline_runs_the_targets_ci_run_runs(pipeline):
    runs, expected = expand(make_targets(pipeline_commands(pipeline))), ci_run_targets()
    assert runs == expected, (
        f"the {pipeline} pipeline runs {sorted(runs)}; .ci/run's make test runs {sorted(expected)}: "
        f"missing {sorted(expected - runs)}, extra {sorted(runs - expected)}"
    )


@pytest.mark.parametrize(
    ("shell", "targets"),
    [
        ("make check", ["check"]),
        ("set -e; make install && make unit e2e", ["install", "unit", "e2e"]),
        ("if true; then make --no-print-directory CI=true browser; fi", ["browser"]),
        ("# make sure the cache is warm\necho make-up", []),
        ("make no-such-target", ["no-such-target"]),
    ],
)
def test_make_commands_are_read_as_make_reads_them(shell, targets):
    assert make_targets([shell]) == targets


def test_a_pipeline_that_leaves_a_suite_out_or_calls_a_missing_target_is_caught():
    assert expand(["install", "check", "unit", "e2e", "browser", "contract"]) != ci_run_targets()
    assert expand(["test"]) == ci_run_targets()
    assert "no-such-target" not in RULES


def github_builds() -> list[tuple[str, str]]:
    return [
        (step["with"].get("context", "."), step["with"].get("file", "Dockerfile"))
        for job in github_jobs().values()
        for step in job.get("steps", [])
        if step.get("uses", "").startswith("docker/build-push-action@")
    ]


def gitlab_builds() -> list[tuple[str, str]]:
    builds = []
    for command in pipeline_commands("gitlab"):
        words = shlex.split(command.replace("\n", " "), comments=True)
        if words[:3] != ["docker", "buildx", "build"] and words[:2] != ["docker", "build"]:
            continue
        options = {
            words[index]: words[index + 1] for index in range(len(words) - 1) if words[index] in {"--file", "-f"}
        }
        builds.append((words[-1], options.get("--file", options.get("-f", "Dockerfile"))))
    return builds


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_image_a_pipeline_builds_comes_from_the_repository_s_dockerfile(pipeline):
    builds = github_builds() if pipeline == "github" else gitlab_builds()
    assert builds, f"the {pipeline} pipeline builds no image"
    for context, dockerfile in builds:
        assert context == ".", "the image's build context is the repository root"
        assert (ROOT / dockerfile).is_file(), f"the {pipeline} pipeline builds {dockerfile}, which does not exist"


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_scripts_a_pipeline_runs_exist_and_are_executable(pipeline):
    shell = "\n".join(pipeline_commands(pipeline))
    scripts = set(re.findall(r"(?<![\w/.])((?:deployments|scripts)/[\w./-]+\.(?:sh|py))", shell))
    assert scripts, f"the {pipeline} pipeline runs none of the repository's scripts"
    for script in scripts:
        path = ROOT / script
        assert path.is_file(), f"the {pipeline} pipeline runs {script}, which does not exist"
        assert path.suffix == ".py" or os.access(path, os.X_OK), f"{script} is not executable"


def service_hosts(pipeline: str, job: dict) -> set[str]:
    if pipeline == "github":
        return set(job.get("services", {}))
    return {service["alias"] for service in job.get("services", []) if isinstance(service, dict) and "alias" in service}


@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_integration_tests_reach_the_service_containers_of_their_job(pipeline):
    jobs = [job for job in pipeline_jobs(pipeline).values() if "integration" in make_targets(commands(job))]
    assert len(jobs) == 1, f"the {pipeline} pipeline runs make integration in {len(jobs)} jobs"
    (job,) = jobs
    variables = job.get("env" if pipeline == "github" else "variables", {})
    hosts = service_hosts(pipeline, job)
    for name in SERVICE_URLS:
        assert name in variables, f"the {pipeline} integration job does not set {name}"
        host = urlsplit(variables[name]).hostname
        assert host in hosts, f"{name} points at {host}, which is none of the job's services {sorted(hosts)}"


def test_every_github_action_is_pinned_to_a_commit():
    for name, job in github_jobs().items():
        for step in job.get("steps", []):
            action = step.get("uses")
            if action and not action.startswith(("./", "docker://")):
                pinned = re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action)
                assert pinned, f"{name}: {action} is not pinned to a commit"
