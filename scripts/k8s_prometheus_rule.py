"""Write deployments/k8s/components/monitoring/prometheusrule.yaml from deployments/monitoring/prometheus/alerts.yml.

A PrometheusRule's ``spec`` is a rule file's content (``groups:``), so the alerts are copied in verbatim,
comments included, under ``spec:``. Kustomize cannot wrap a file into a resource, hence this script;
``tests/contract/test_k8s_manifests.py`` fails when the two differ. Run ``make k8s-rules`` after editing
alerts.yml (``--check`` only reports whether the file is up to date).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "deployments" / "monitoring" / "prometheus" / "alerts.yml"
RULE = ROOT / "deployments" / "k8s" / "components" / "monitoring" / "prometheusrule.yaml"

HEADER = """\
# Generated from deployments/monitoring/prometheus/alerts.yml by scripts/k8s_prometheus_rule.py
# (`make k8s-rules`); edit alerts.yml, not this file. The spec below is that file, verbatim.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: orderflow
  labels:
    app.kubernetes.io/name: orderflow
    app.kubernetes.io/part-of: orderflow
spec:
"""


def render(alerts: str) -> str:
    indented = "".join(f"  {line}" if line.strip() else line for line in alerts.splitlines(keepends=True))
    return HEADER + indented


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is not up to date")
    args = parser.parse_args(argv)
    wanted = render(ALERTS.read_text())
    if args.check:
        if RULE.read_text() != wanted:
            print(f"{RULE.relative_to(ROOT)} is out of date: run `make k8s-rules`", file=sys.stderr)
            return 1
        return 0
    RULE.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
