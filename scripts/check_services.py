"""Tell whether PostgreSQL, Redis and RabbitMQ answer on localhost, for the integration tests.

Exit status: 0 when all answer; 3 when some do not (the integration tests are left
out, with a note saying so); 1 when some do not and CI=true (in CI a missing
service is a failure, never a skip).
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit

SERVICES = {
    "PostgreSQL": os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/orderflow"),
    "Redis": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    "RabbitMQ": os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
DEFAULT_PORTS = {"postgres": 5432, "redis": 6379, "amqp": 5672}


def answers(url: str, timeout: float = 2.0) -> bool:
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def main() -> int:
    missing = [name for name, url in SERVICES.items() if not answers(url)]
    if not missing:
        print("services: PostgreSQL, Redis and RabbitMQ answer; running the integration tests")
        return 0
    names = ", ".join(missing)
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        print(f"services: {names} not answering; CI needs them all (start them, or see .ci/run)", file=sys.stderr)
        return 1
    print(f"services: {names} not answering; integration tests left out (they run when all three answer)")
    return 3


if __name__ == "__main__":
    sys.exit(main())
