"""Static checks of the dashboard and the alerting rules (deployments/monitoring/) against orderflow's metrics.

``METRICS`` is the contract between the service's /metrics and everything that reads it: every metric the service
defines (``apps.observability.metrics``), with its type. A name the dashboard or an alert uses must be one of them, or
the panel stays empty and the alert never fires; and every one of them must be on the dashboard. promtool checks the
rules' syntax and runs their unit tests (``make monitoring``); these tests check what promtool does not: the
dashboard's expressions, the names, and that every alert has its runbook section and its test cases.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.ci import skip_unless_ci

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deployments" / "monitoring"
DASHBOARD = MONITORING / "grafana" / "orderflow.json"
ALERTS = MONITORING / "prometheus" / "alerts.yml"
ALERT_TESTS = MONITORING / "prometheus" / "alerts.test.yml"
SCRAPE_CONFIG = MONITORING / "prometheus" / "prometheus.yml"
OBSERVABILITY_DOC = ROOT / "docs" / "ops" / "observability.md"


def exported_metrics() -> dict[str, str]:
    """Every metric the service exports, by the name PromQL reads, with its type: the contract.

    Taken from the definitions themselves (``apps.observability.metrics``), so the dashboard and the
    alerts cannot read a name the service does not export.
    """
    from prometheus_client.metrics import MetricWrapperBase

    from apps.observability import metrics

    found: dict[str, str] = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                found[f"{family.name}_total" if family.type == "counter" else family.name] = family.type
        elif isinstance(value, metrics.SampledGauge):
            found[value.name] = "gauge"
    return found


METRICS = exported_metrics()
# Series Prometheus writes itself for every scrape target.
SCRAPE_SERIES = {"up"}
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
SEVERITIES = {"critical", "warning"}
# The dashboard's template variables, replaced by values of the same type before promtool parses an expression.
VARIABLES = {"$__rate_interval": "5m", "$job": "orderflow"}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels() -> list[dict]:
    """Every panel, those inside collapsed rows included."""
    found = []
    for panel in dashboard()["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries() -> list[tuple[str, str]]:
    """(panel title, expression) of every query on the dashboard."""
    return [(panel["title"], target["expr"]) for panel in panels() for target in panel.get("targets", [])]


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def expressions() -> list[tuple[str, str]]:
    """(where, expression) of every query on the dashboard and every alert."""
    return [(f"panel {title!r}", expr) for title, expr in queries()] + [
        (f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules()
    ]


def series_names(expr: str) -> set[str]:
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    names = set(re.findall(r"\b(orderflow_[a-z0-9_]+)\b", without_strings))
    return names | (SCRAPE_SERIES & set(re.findall(r"\b([a-z_]+)\s*\{", without_strings)))


def series_kind(name: str) -> str | None:
    """The contract's type for a series name: a histogram's _bucket/_sum/_count count as counters."""
    if name in SCRAPE_SERIES:
        return "gauge"
    if METRICS.get(name) in ("counter", "gauge"):
        return METRICS[name]
    stem, _, suffix = name.rpartition("_")
    if f"_{suffix}" in HISTOGRAM_SERIES and METRICS.get(stem) == "histogram":
        return "counter"
    return None


def heading_anchor(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's, Grafana's, mkdocs') gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_dashboard_reads_prometheus_through_a_datasource_variable():
    board = dashboard()
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert board["schemaVersion"] >= 39, "export the dashboard from Grafana 10.4 or later"
    assert board["uid"] == "orderflow"


def test_every_panel_queries_the_datasource_variable_with_an_expression():
    graphs = [panel for panel in panels() if panel["type"] != "row"]
    assert graphs
    for panel in graphs:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel.get("targets"), f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            assert target["expr"].strip(), f"panel {panel['title']!r} has an empty query"
            assert target.get("datasource", panel["datasource"]) == panel["datasource"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), f"panel {panel['title']!r} repeats a refId"


def test_panel_ids_are_unique():
    ids = [panel["id"] for panel in panels()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_dashboard_has_a_row_for_each_part_of_the_service():
    rows = [panel["title"] for panel in dashboard()["panels"] if panel["type"] == "row"]
    assert rows == [
        "API",
        "Command and query buses",
        "Outbox",
        "Consumers and dead letters",
        "Rate limits, payment webhooks, cache",
        "Webhooks",
        "Audit trail",
        "Metrics sampler",
    ]


def unknown_series(found: list[tuple[str, str]]) -> list[str]:
    """What each expression reads that the metrics contract does not name."""
    problems = []
    for where, expr in found:
        names = series_names(expr)
        if not names:
            problems.append(f"{where} reads no orderflow series: {expr}")
        problems += [
            f"{where} reads {name}, which is not in the metrics contract" for name in names if not series_kind(name)
        ]
    return problems


def misread_series(found: list[tuple[str, str]]) -> list[str]:
    """Counters read without rate() or increase(), and gauges read through them."""
    problems = []
    for where, expr in found:
        expr = re.sub(r'"[^"]*"', '""', expr)
        for match in re.finditer(r"\b(orderflow_[a-z0-9_]+)\b", expr):
            through = re.search(r"\b(\w+)\(\s*$", expr[: match.start()])
            function = through.group(1) if through else None
            if series_kind(match.group(1)) == "counter":
                if function not in ("rate", "increase"):
                    problems.append(f"{where} reads the counter {match.group(1)} raw")
            elif function in ("rate", "irate", "increase"):
                problems.append(f"{where} takes {function} of the gauge {match.group(1)}")
    return problems


def test_every_series_the_dashboard_and_the_alerts_read_is_one_the_service_exports():
    assert unknown_series(expressions()) == []


def test_every_metric_of_the_contract_is_on_the_dashboard():
    shown = {name for _, expr in queries() for name in series_names(expr)}
    for name, kind in METRICS.items():
        wanted = {f"{name}{suffix}" for suffix in HISTOGRAM_SERIES} if kind == "histogram" else {name}
        assert shown & wanted, f"no panel shows {name}"


def test_counters_are_read_through_rate_or_increase_and_gauges_never():
    assert misread_series(expressions()) == []


def test_every_dashboard_expression_is_valid_promql(tmp_path):
    promtool = shutil.which(os.environ.get("PROMTOOL", "promtool"))
    if promtool is None:
        skip_unless_ci("no promtool (Debian's prometheus package; `make monitoring` installs it)")
    rules = []
    for number, (_, expr) in enumerate(queries()):
        for variable, value in VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"an expression uses a variable the test does not know: {expr}"
        rules.append({"record": f"dashboard:query_{number}", "expr": expr})
    rule_file = tmp_path / "dashboard.rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run([promtool, "check", "rules", str(rule_file)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alerts_form_the_orderflow_group_and_each_names_its_severity_and_runbook():
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    assert [group["name"] for group in groups] == ["orderflow"]
    doc = OBSERVABILITY_DOC.read_text()
    alerts_section = doc.split("\n## Alerts\n", 1)[1].split("\n## ", 1)[0]
    anchors = {heading_anchor(heading) for heading in re.findall(r"^### (.+)$", alerts_section, re.M)}
    for rule in alert_rules():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"].strip(), rule["alert"]
        assert annotations["description"].strip(), rule["alert"]
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/ops/observability.md", rule["alert"]
        assert anchor in anchors, f"{rule['alert']}'s runbook_url names no section under ## Alerts: #{anchor}"


def test_every_alert_has_a_case_that_fires_it_and_one_that_must_not():
    cases = [case for test in yaml.safe_load(ALERT_TESTS.read_text())["tests"] for case in test["alert_rule_test"]]
    for rule in alert_rules():
        outcomes = [bool(case["exp_alerts"]) for case in cases if case["alertname"] == rule["alert"]]
        assert True in outcomes, f"no test fires {rule['alert']}"
        assert False in outcomes, f"no test shows when {rule['alert']} must not fire"


def test_the_example_scrape_config_reads_the_token_from_a_file_and_loads_the_alerts():
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    assert config["rule_files"] == [ALERTS.name]
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "orderflow"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    assert job["authorization"]["credentials_file"].startswith("/")
    target_down = next(rule for rule in alert_rules() if rule["alert"] == "OrderflowTargetDown")
    assert 'job="orderflow"' in target_down["expr"]


@pytest.mark.parametrize(
    ("expr", "complaint"),
    [
        ("sum(rate(orderflow_outbox_dead[5m]))", "takes rate of the gauge orderflow_outbox_dead"),
        ("sum(orderflow_outbox_published_total)", "reads the counter orderflow_outbox_published_total raw"),
        ("max(orderflow_outbox_pending_total)", "reads orderflow_outbox_pending_total, which is not in"),
        ("histogram_quantile(0.99, sum by (le) (rate(orderflow_consumer_lag_seconds[5m])))", "which is not in"),
        ('sum(rate(http_requests_total{route="orderflow_x"}[5m]))', "reads no orderflow series"),
        # A label value that looks like a metric's name is no series read.
        ('sum(rate(orderflow_outbox_published_total{job="orderflow_outbox_dead"}[5m]))', None),
        ("histogram_quantile(0.5, sum by (le) (rate(orderflow_bus_dispatch_duration_seconds_bucket[5m])))", None),
    ],
)
def test_the_series_checks_catch_what_they_are_meant_to(expr, complaint):
    problems = unknown_series([("panel 'x'", expr)]) + misread_series([("panel 'x'", expr)])
    if complaint is None:
        assert problems == []
    else:
        assert any(complaint in problem for problem in problems), problems


def test_the_links_of_the_observability_page_lead_to_existing_sections():
    doc = OBSERVABILITY_DOC.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", doc):
        if "://" in target:
            continue
        page, _, anchor = target.partition("#")
        path = OBSERVABILITY_DOC.parent / page if page else OBSERVABILITY_DOC
        assert path.is_file(), f"observability.md links to {page}, which does not exist"
        if anchor:
            headings = re.findall(r"^#{1,6} (.+)$", path.read_text(), re.M)
            assert anchor in {heading_anchor(heading) for heading in headings}, f"no section #{anchor} in {path.name}"
