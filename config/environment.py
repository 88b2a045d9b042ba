"""Everything orderflow reads from environment variables, in one typed place.

``load(environ)`` is a pure function of the mapping it is given, so the
settings module stays declarative and the mapping can be tested on its own.
The seed's variable names (``APP_NAME``, ``DEBUG``, ``DATABASE_URL``,
``REDIS_URL``, ``JWT_SECRET``, ``JWT_ALGORITHM``) keep working; where a
Django-style name exists too (``DJANGO_DEBUG``, ``DJANGO_SECRET_KEY``), that one
wins when both are set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import environ
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET_KEY = "django-insecure-orderflow-development-only-key-never-use-in-production"
SUPPORTED_JWT_ALGORITHMS = ("RS256", "HS256")
MIN_JWT_SECRET_LENGTH = 32
DEFAULT_PAYMENT_PROVIDER_API_BASE = "https://api.stripe.com"
# Signs webhooks on a developer's machine only (DEBUG on and no secret configured).
DEVELOPMENT_PAYMENT_WEBHOOK_SECRET = "whsec_orderflow_development_only"
# django-ratelimit's rates: a count per period, the period an optional multiplier and s, m, h or d ("5/m", "100/15m").
RATE_PATTERN = re.compile(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]")


# The spellings pydantic (the seed's Settings) accepted; anything else is a mistake worth a clear error.
TRUE_STRINGS = frozenset({"true", "on", "ok", "y", "yes", "1", "t"})
FALSE_STRINGS = frozenset({"false", "off", "n", "no", "0", "f"})


@dataclass(frozen=True)
class Environment:
    app_name: str
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    database: dict[str, Any]
    redis_url: str | None
    jwt_algorithm: str
    jwt_signing_key: str | None
    jwt_verifying_key: str | None
    jwt_access_token_lifetime: int
    jwt_refresh_token_lifetime: int
    api_max_body_size: int
    rate_limit_token: str
    rate_limit_register: str
    rate_limit_writes: str
    rate_limit_admin_login: str
    cors_allowed_origins: list[str]
    celery_broker_url: str
    events_broker_url: str
    outbox_batch_size: int
    outbox_max_attempts: int
    outbox_retention_days: int
    audit_retention_days: int
    consumer_max_attempts: int
    order_max_lines: int
    log_level: str
    log_format: str
    secure_ssl_redirect: bool
    secure_hsts_seconds: int
    behind_tls_proxy: bool
    trusted_proxy_count: int
    payment_provider: str
    payment_provider_api_key: str
    payment_provider_api_base: str
    payment_provider_timeout_seconds: int
    payment_provider_max_retries: int
    payment_webhook_secrets: list[str]


def load(environ_: Mapping[str, str], *, base_dir: Path = BASE_DIR) -> Environment:
    """Read and check the configuration; raise ImproperlyConfigured with one clear sentence."""
    env = environ.Env()
    # An empty variable (``SECRET_KEY=`` copied from .env.example) counts as unset.
    # Values are literal: django-environ reads a value starting with "$" as the name of another
    # variable, and a generated secret key may well start with "$". Escaping every "$" (which
    # ``escape_proxy`` undoes after that lookup is skipped) keeps each value as it was written.
    env.escape_proxy = True
    env.ENVIRON = {name: value.replace("$", r"\$") for name, value in environ_.items() if value != ""}
    debug = _flag(env, ("DJANGO_DEBUG", "DEBUG"), False)
    secret_key = _first(env, ("DJANGO_SECRET_KEY", "SECRET_KEY"), str, "")
    if not secret_key:
        if not debug:
            raise ImproperlyConfigured("SECRET_KEY is not set; it is required when DEBUG is off.")
        secret_key = DEVELOPMENT_SECRET_KEY
    algorithm = env.str("JWT_ALGORITHM", "RS256").upper()
    if algorithm not in SUPPORTED_JWT_ALGORITHMS:
        raise ImproperlyConfigured(
            f"JWT_ALGORITHM={algorithm!r} is not supported; use one of {', '.join(SUPPORTED_JWT_ALGORITHMS)}."
        )
    signing_key, verifying_key = _jwt_keys(env, algorithm, debug=debug, base_dir=base_dir)
    default_hosts = ["localhost", "127.0.0.1", "[::1]", "testserver"] if debug else []
    if not debug and not env.str("PAYMENT_PROVIDER", ""):
        # Never by accident in production: the simulated provider reports refunds that move no money.
        raise ImproperlyConfigured(
            "PAYMENT_PROVIDER is not set: use stripe (with PAYMENT_PROVIDER_API_KEY) in production, "
            "or simulated where no money moves (a staging system, the tests)."
        )
    provider = _choice(env, "PAYMENT_PROVIDER", ("simulated", "stripe"), "simulated")
    provider_api_key = env.str("PAYMENT_PROVIDER_API_KEY", "")
    if provider == "stripe" and not provider_api_key:
        raise ImproperlyConfigured("PAYMENT_PROVIDER=stripe needs PAYMENT_PROVIDER_API_KEY (a secret key, sk_...).")
    return Environment(
        app_name=env.str("APP_NAME", "orderflow"),
        debug=debug,
        secret_key=secret_key,
        allowed_hosts=env.list("ALLOWED_HOSTS", default=default_hosts),
        csrf_trusted_origins=env.list("CSRF_TRUSTED_ORIGINS", default=[]),
        database=_database(env, base_dir),
        redis_url=env.str("REDIS_URL", "") or None,
        jwt_algorithm=algorithm,
        jwt_signing_key=signing_key,
        jwt_verifying_key=verifying_key,
        jwt_access_token_lifetime=_whole_number(env, "JWT_ACCESS_TOKEN_LIFETIME", 900),
        jwt_refresh_token_lifetime=_whole_number(env, "JWT_REFRESH_TOKEN_LIFETIME", 7 * 24 * 3600),
        api_max_body_size=_whole_number(env, "API_MAX_BODY_SIZE", 1024 * 1024),
        rate_limit_token=_rate(env, ("RATE_LIMIT_TOKEN", "LOGIN_RATE_LIMIT"), "5/m"),
        rate_limit_register=_rate(env, ("RATE_LIMIT_REGISTER",), "3/m"),
        rate_limit_writes=_rate(env, ("RATE_LIMIT_WRITES",), "60/m"),
        rate_limit_admin_login=_rate(env, ("RATE_LIMIT_ADMIN_LOGIN",), "5/m"),
        cors_allowed_origins=env.list("CORS_ALLOWED_ORIGINS", default=[]),
        celery_broker_url=env.str("CELERY_BROKER_URL", "filesystem://"),
        events_broker_url=env.str("EVENTS_BROKER_URL", "filesystem://"),
        outbox_batch_size=_whole_number(env, "OUTBOX_BATCH_SIZE", 500),
        outbox_max_attempts=_whole_number(env, "OUTBOX_MAX_ATTEMPTS", 10),
        outbox_retention_days=_whole_number(env, "OUTBOX_RETENTION_DAYS", 7),
        audit_retention_days=_whole_number(env, "AUDIT_RETENTION_DAYS", 0, minimum=0),
        consumer_max_attempts=_whole_number(env, "CONSUMER_MAX_ATTEMPTS", 5),
        order_max_lines=_whole_number(env, "ORDER_MAX_LINES", 50),
        log_level=env.str("LOG_LEVEL", "INFO").upper(),
        log_format=_choice(env, "LOG_FORMAT", ("json", "console"), "json"),
        secure_ssl_redirect=_flag(env, ("SECURE_SSL_REDIRECT",), not debug),
        secure_hsts_seconds=_whole_number(env, "SECURE_HSTS_SECONDS", 0 if debug else 31_536_000, minimum=0),
        behind_tls_proxy=_flag(env, ("BEHIND_TLS_PROXY",), False),
        trusted_proxy_count=_whole_number(env, "TRUSTED_PROXY_COUNT", 0, minimum=0),
        payment_provider=provider,
        payment_provider_api_key=provider_api_key,
        payment_provider_api_base=env.str("PAYMENT_PROVIDER_API_BASE", DEFAULT_PAYMENT_PROVIDER_API_BASE),
        payment_provider_timeout_seconds=_whole_number(env, "PAYMENT_PROVIDER_TIMEOUT_SECONDS", 10),
        payment_provider_max_retries=_whole_number(env, "PAYMENT_PROVIDER_MAX_RETRIES", 2, minimum=0),
        payment_webhook_secrets=_payment_webhook_secrets(env, debug=debug),
    )


def _first(env: environ.Env, names: tuple[str, ...], cast: type, default: Any) -> Any:
    for name in names:
        if name in env.ENVIRON:
            try:
                return env.get_value(name, cast=cast)
            except (ValueError, ImproperlyConfigured) as exc:
                raise ImproperlyConfigured(f"{name} has an invalid value: {exc}") from None
    return default


def _flag(env: environ.Env, names: tuple[str, ...], default: bool) -> bool:
    """The first of ``names`` that is set, read as a boolean; the first name wins."""
    for name in names:
        if name in env.ENVIRON:
            raw = str(env.ENVIRON[name]).replace(r"\$", "$")
            if raw.strip().lower() in TRUE_STRINGS:
                return True
            if raw.strip().lower() in FALSE_STRINGS:
                return False
            raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")
    return default


def _whole_number(env: environ.Env, name: str, default: int, *, minimum: int = 1) -> int:
    try:
        value = env.int(name, default)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return int(value)


def _rate(env: environ.Env, names: tuple[str, ...], default: str) -> str:
    """The first of ``names`` that is set, as a django-ratelimit rate; the first name wins."""
    for name in names:
        if name in env.ENVIRON:
            raw = str(env.ENVIRON[name]).replace(r"\$", "$").strip()
            if not RATE_PATTERN.fullmatch(raw):
                raise ImproperlyConfigured(
                    f"{name} must be a rate like 5/m: a count, a slash, an optional multiplier and s, m, h or d."
                )
            return raw
    return default


def _choice(env: environ.Env, name: str, options: tuple[str, ...], default: str) -> str:
    value = env.str(name, default).lower()
    if value not in options:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(options)}.")
    return str(value)


def _payment_webhook_secrets(env: environ.Env, *, debug: bool) -> list[str]:
    """Secrets that may sign payment webhooks (several during a rotation); none configured means
    every webhook is refused, except with DEBUG on, where a development secret stands in."""
    for name in ("PAYMENT_WEBHOOK_SECRETS", "PAYMENT_WEBHOOK_SECRET"):
        secrets = [secret.strip() for secret in env.list(name, default=[]) if secret.strip()]
        if secrets:
            return secrets
    return [DEVELOPMENT_PAYMENT_WEBHOOK_SECRET] if debug else []


def _database(env: environ.Env, base_dir: Path) -> dict[str, Any]:
    default = f"sqlite:///{base_dir / 'var' / 'orderflow.sqlite3'}"
    try:
        database = env.db_url("DATABASE_URL", default=default)
    except (ImproperlyConfigured, KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Django understands: {exc}") from None
    if not database.get("ENGINE"):  # django-environ answers {} for a URL without a known scheme
        raise ImproperlyConfigured("DATABASE_URL is not a database URL Django understands: no database scheme.")
    database["ATOMIC_REQUESTS"] = False
    if database["ENGINE"].endswith("sqlite3"):
        # WAL lets the web server read while a worker writes; the busy timeout
        # makes a writer wait for the lock instead of failing at once.
        database.setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
        database["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    else:
        database["CONN_MAX_AGE"] = _whole_number(env, "DATABASE_CONN_MAX_AGE", 60, minimum=0)
        database["CONN_HEALTH_CHECKS"] = True
    return database


def _jwt_keys(env: environ.Env, algorithm: str, *, debug: bool, base_dir: Path) -> tuple[str | None, str | None]:
    if algorithm == "HS256":
        secret = env.str("JWT_SECRET", "")
        if len(secret) < MIN_JWT_SECRET_LENGTH:
            raise ImproperlyConfigured(
                f"JWT_SECRET must be at least {MIN_JWT_SECRET_LENGTH} characters when JWT_ALGORITHM=HS256."
            )
        return secret, None
    pem = env.str("JWT_PRIVATE_KEY", "").replace("\\n", "\n").strip()
    key_file = Path(env.str("JWT_PRIVATE_KEY_FILE", str(base_dir / "var" / "keys" / "jwt-private.pem")))
    if not pem and key_file.is_file():
        pem = key_file.read_text()
    if not pem:
        if debug:
            return None, None  # a system check says how to create development keys
        raise ImproperlyConfigured(f"No JWT signing key: set JWT_PRIVATE_KEY or put an RSA private key at {key_file}.")
    try:
        private_key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ImproperlyConfigured("JWT_PRIVATE_KEY is not a PEM-encoded, unencrypted private key.") from None
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < 2048:
        raise ImproperlyConfigured("JWT_PRIVATE_KEY must be an RSA key of at least 2048 bits for RS256.")
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public_pem.decode()
