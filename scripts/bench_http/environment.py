"""Where the benchmark runs: its own database, Redis database and signing key, and the environment every
process of the run shares (the harness, ``manage.py`` commands, gunicorn).

The environment is production's: DEBUG off, PostgreSQL with persistent connections, Redis as the cache,
RS256 tokens signed with a key that ``manage.py generate_jwt_keys`` writes into the run's temporary
directory, JSON logs at INFO (one access line per request, as production writes them), a payment webhook
secret of the run's own. What differs:

- the brokers are kombu's in-memory transport: nothing is published by a read, and the shared RabbitMQ
  stays untouched; a write's commit still sets the outbox waker going, whose thread hands a drain task to
  that transport instead of RabbitMQ (the request never waits on either);
- the limits on sign-in are lifted, and the budget of writes per user (``RATE_LIMIT_WRITES``, 60 a minute
  in production) is raised out of reach: every write still counts itself in Redis as in production, but
  one caller's load never gets a 429.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(BASE_DIR))

SETTINGS_MODULE = "scripts.bench_http.settings"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/orderflow_bench_http"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
#: The writes' budget per user during the run: counted as in production, never reached.
WRITES_PER_MINUTE = 10_000_000


def urls() -> tuple[str, str]:
    """The database and Redis URLs of the run (``BENCH_HTTP_DATABASE_URL``, ``BENCH_HTTP_REDIS_URL``)."""
    database_url = os.environ.get("BENCH_HTTP_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_HTTP_REDIS_URL", DEFAULT_REDIS_URL)
    return database_url, redis_url


def build_environment(run_dir: Path, database_url: str, redis_url: str, log_level: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the caller's orderflow configuration: the run's is set here, entirely.
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EVENTS_", "JWT_", "RATE_LIMIT_"))
        and key not in {"READ_CACHE_ENABLED", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DOTENV_FILE": "",  # a developer's .env must not point the run elsewhere
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            # Behind a TLS proxy, as production is: requests carry X-Forwarded-Proto: https, so no redirect.
            "BEHIND_TLS_PROXY": "true",
            "JWT_ALGORITHM": "RS256",
            "JWT_PRIVATE_KEY_FILE": str(run_dir / "keys" / "jwt-private.pem"),
            # Long enough for a growth run that seeds a million orders between two measurements.
            "JWT_ACCESS_TOKEN_LIFETIME": str(24 * 3600),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": "memory://",
            "EVENTS_BROKER_URL": "memory://",
            "PAYMENT_PROVIDER": "simulated",
            "RATE_LIMIT_TOKEN": "1000/m",
            "RATE_LIMIT_WRITES": f"{WRITES_PER_MINUTE}/m",
            "PAYMENT_WEBHOOK_SECRETS": f"whsec_bench_{secrets.token_hex(16)}",
            "LOG_LEVEL": log_level,
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
            # As the API image: every worker's metrics in files that /metrics adds up (config/gunicorn.py).
            "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "metrics"),
        }
    )
    return env


def manage(env: dict[str, str], *command: str, debug: bool = False, timeout: float | None = None) -> str:
    """``manage.py <command>`` in the run's environment; its stdout. RuntimeError with its stderr on failure."""
    run_env = {**env, "DEBUG": "true"} if debug else env
    result = subprocess.run(
        [sys.executable, "manage.py", *command],
        env=run_env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def generate_key(env: dict[str, str]) -> None:
    """The RS256 signing key, written by orderflow's own command into the run's directory.

    With DEBUG off the settings refuse to load without a key, so this one command runs with DEBUG on
    (as ``make run`` does it); the key is the same kind production uses.
    """
    manage(env, "generate_jwt_keys", "--path", env["JWT_PRIVATE_KEY_FILE"], debug=True)


def flush_redis(redis_url: str) -> None:
    """Empty the run's Redis database (db 12 by default): no cache entry of an earlier run survives."""
    import redis

    parts = urlsplit(redis_url)
    if parts.path.strip("/") in {"", "0"}:
        raise SystemExit(f"bench_http: refusing to flush Redis database 0 ({redis_url}); name a database of its own")
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        client.flushdb()
    finally:
        client.close()


def setup_django(env: dict[str, str]) -> None:
    """Django in this process, configured as the servers are (same settings module, same environment)."""
    os.environ.update(env)
    import django

    django.setup()
