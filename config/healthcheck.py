"""The image's HEALTHCHECK, for whichever role the container runs (``python -m config.healthcheck``).

The api is alive when gunicorn answers ``/health/live`` on ``PORT``; a role without HTTP (``PROCESS_ROLE``
worker, beat, dispatcher or consumer) is healthy when ``manage.py check_readiness`` passes. Only the
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


def main() -> int:
    role = os.environ.get("PROCESS_ROLE", "api") or "api"
    if role == "api":
        url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health/live"
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # nosec B310
                return 0 if response.status == 200 else 1
        except OSError as exc:
            print(f"healthcheck: {url}: {exc}", file=sys.stderr)
            return 1
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    completed = subprocess.run([sys.executable, str(manage), "check_readiness"], check=False)
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
