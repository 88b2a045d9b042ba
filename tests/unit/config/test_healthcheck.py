"""The image's HEALTHCHECK (config/healthcheck.py): the api by its liveness URL, other roles by check_readiness."""

import http.server
import subprocess
import threading

import pytest

from config import healthcheck
from tests.support.outages import closed_port


@pytest.fixture
def server():
    answers = {"/health/live": 200}
    hosts = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hosts.append(self.headers["Host"])
            self.send_response(answers.get(self.path, 404))
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    answers["hosts"] = hosts
    yield httpd.server_address[1], answers
    httpd.shutdown()
    httpd.server_close()


def test_the_api_is_healthy_when_its_liveness_url_answers_200(server, monkeypatch):
    port, answers = server
    monkeypatch.setenv("PORT", str(port))
    monkeypatch.delenv("PROCESS_ROLE", raising=False)
    monkeypatch.setenv("ALLOWED_HOSTS", "orderflow.example.com,10.1.2.3")
    assert healthcheck.main() == 0
    # Django answers 400 to a Host outside ALLOWED_HOSTS, probes included: the check names an allowed one.
    assert answers["hosts"] == ["orderflow.example.com"]


@pytest.mark.parametrize(
    ("allowed", "host"),
    [("", "localhost"), ("*", "localhost"), (".example.com, api", "example.com"), ("api,localhost", "api")],
)
def test_the_host_the_check_names_is_one_django_allows(monkeypatch, allowed, host):
    monkeypatch.setenv("ALLOWED_HOSTS", allowed)
    assert healthcheck.host_header() == host


def test_the_api_is_unhealthy_when_liveness_fails_or_nothing_listens(server, monkeypatch, capsys):
    port, answers = server
    monkeypatch.setenv("PROCESS_ROLE", "api")
    monkeypatch.setenv("PORT", str(port))
    answers["/health/live"] = 503
    assert healthcheck.main() == 1
    answers["/health/live"] = 200

    monkeypatch.setenv("PORT", str(closed_port()))
    assert healthcheck.main() == 1
    assert "health/live" in capsys.readouterr().err


def test_other_roles_run_check_readiness_and_take_its_exit_status(monkeypatch):
    calls = []

    def run(argv, env, check):
        calls.append((argv, env))
        return subprocess.CompletedProcess(argv, 1)

    monkeypatch.setenv("PROCESS_ROLE", "consumer")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/orderflow-metrics")
    monkeypatch.setattr(healthcheck.subprocess, "run", run)
    assert healthcheck.main() == 1
    (((_python, manage, command), env),) = calls
    assert manage.endswith("manage.py")
    assert command == "check_readiness"
    # A probe every few seconds must not leave its metric files in the role's directory.
    assert "PROMETHEUS_MULTIPROC_DIR" not in env
    assert env["PROCESS_ROLE"] == "consumer"
