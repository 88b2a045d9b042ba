"""The image's HEALTHCHECK (config/healthcheck.py): the api by its liveness URL, other roles by check_readiness."""

import http.server
import socket
import subprocess
import threading

import pytest

from config import healthcheck


@pytest.fixture
def server():
    answers = {"/health/live": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(answers.get(self.path, 404))
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], answers
    httpd.shutdown()
    httpd.server_close()


def test_the_api_is_healthy_when_its_liveness_url_answers_200(server, monkeypatch):
    port, _answers = server
    monkeypatch.setenv("PORT", str(port))
    monkeypatch.delenv("PROCESS_ROLE", raising=False)
    assert healthcheck.main() == 0


def test_the_api_is_unhealthy_when_liveness_fails_or_nothing_listens(server, monkeypatch, capsys):
    port, answers = server
    monkeypatch.setenv("PROCESS_ROLE", "api")
    monkeypatch.setenv("PORT", str(port))
    answers["/health/live"] = 503
    assert healthcheck.main() == 1
    answers["/health/live"] = 200

    monkeypatch.setenv("PORT", str(unused_port()))
    assert healthcheck.main() == 1
    assert "health/live" in capsys.readouterr().err


def test_other_roles_run_check_readiness_and_take_its_exit_status(monkeypatch):
    calls = []

    def run(argv, check):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 1)

    monkeypatch.setenv("PROCESS_ROLE", "consumer")
    monkeypatch.setattr(healthcheck.subprocess, "run", run)
    assert healthcheck.main() == 1
    ((_python, manage, command),) = calls
    assert manage.endswith("manage.py")
    assert command == "check_readiness"


def unused_port() -> int:
    """A port nothing listens on: bound, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
