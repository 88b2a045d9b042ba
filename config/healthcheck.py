"""The health check of every role, for the image's HEALTHCHECK and Kubernetes' readiness probes
(``python -m config.healthcheck``).

The api is alive when gunicorn answers ``/health/live`` on ``PORT``; a role without HTTP (``PROCESS_ROLE``
worker, beat, dispatcher or consumer) is ready when ``manage.py check_readiness`` passes. Only the
standard library is imported for the api, so the check costs a few milliseconds, not a Django start.
Exit status 0 is healthy, 1 unhealthy (Docker's convention).
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

TIMEOUT_SECONDS = 4.0
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def host_header() -> str:
    """A name Django accepts as ``Host``: the first of ``ALLOWED_HOSTS`` (a request from 127.0.0.1 is still
    answered 400 when the host it names is not allowed, ``/health/*`` included)."""
    names = [name.strip() for name in os.environ.get("ALLOWED_HOSTS", "").split(",") if name.strip()]
    if not names or names[0] == "*":
        return "localhost"  # DEBUG's default list has it
    return names[0].lstrip(".")  # ".example.com" allows example.com itself


def main() -> int:
    role = os.environ.get("PROCESS_ROLE", "api") or "api"
    if role == "api":
        url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/live"
        request = urllib.request.Request(url, headers={"Host": host_header()})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # nosec B310
                return 0 if response.status == 200 else 1
        except OSError as exc:
            print(f"healthcheck: {url}: {exc}", file=sys.stderr)
            return 1
    # Not in the role's metrics directory: each check is a process of its own, whose metric files would
    # pile up there (one pair per probe) and be read by every scrape.
    environment = {name: value for name, value in os.environ.items() if name != MULTIPROC_DIR}
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    completed = subprocess.run([sys.executable, str(manage), "check_readiness"], env=environment, check=False)
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
