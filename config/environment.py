"""Everything orderflow reads from environment variables, in one typed place.

Each field of ``Environment`` is one variable, named by the field in capitals: ``rate_limit_writes``
is read from ``RATE_LIMIT_WRITES``. Its parser, its default and any other names it answers to are
declared on the field, so a variable is named once, here, and ``config.settings`` takes each field
over in one line. A few fields are worked out from several variables (``database``, the JWT keys);
``load`` derives those after reading the others.

``load(environ)`` is a pure function of the mapping it is given, so the settings module stays
declarative and the mapping can be tested on its own. The seed's variable names (``APP_NAME``,
``DEBUG``, ``DATABASE_URL``, ``REDIS_URL``, ``JWT_SECRET``, ``JWT_ALGORITHM``) keep working; where a
Django-style name exists too (``DJANGO_DEBUG``, ``DJANGO_SECRET_KEY``), that one wins when both are set.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import environ
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET_KEY = "django-insecure-orderflow-development-only-key-never-use-in-production"
DEVELOPMENT_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
SUPPORTED_JWT_ALGORITHMS = ("RS256", "HS256")
MIN_JWT_SECRET_LENGTH = 32
DEFAULT_PAYMENT_PROVIDER_API_BASE = "https://api.stripe.com"
# Signs webhooks on a developer's machine only (DEBUG on and no secret configured).
DEVELOPMENT_PAYMENT_WEBHOOK_SECRET = "whsec_orderflow_development_only"
# What a process of the service does; each needs its own dependencies to be ready (apps.platform.readiness).
PROCESS_ROLES = ("api", "worker", "beat", "dispatcher", "consumer")
MIN_METRICS_TOKEN_LENGTH = 16
METRICS_TOKEN_PATTERN = re.compile(rf"[!-~]{{{MIN_METRICS_TOKEN_LENGTH},}}")
# django-ratelimit's rates: a count per period, the period an optional multiplier and s, m, h or d ("5/m", "100/15m").
RATE_PATTERN = re.compile(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]")


# The spellings pydantic (the seed's Settings) accepted; anything else is a mistake worth a clear error.
TRUE_STRINGS = frozenset({"true", "on", "ok", "y", "yes", "1", "t"})
FALSE_STRINGS = frozenset({"false", "off", "n", "no", "0", "f"})


# --- How a field is read ------------------------------------------------------------------------------

Parse = Callable[[environ.Env, str], Any]
"""Reads the variable of the given name, which is set; answers None when its value holds nothing."""


@dataclass(frozen=True)
class ByDebug:
    """A default that depends on DEBUG: ``on`` with DEBUG on, ``off`` with it off."""

    on: Any
    off: Any


@dataclass(frozen=True)
class Required:
    """No default: an unset variable stops the start with this message (``{name}`` is the variable)."""

    message: str


@dataclass(frozen=True)
class InProject:
    """A default path under the project directory (``load``'s ``base_dir``)."""

    path: str


@dataclass(frozen=True)
class Variable:
    """How one field is read: the parser, the default, and the other names the variable answers to."""

    parse: Parse
    default: Any
    preferred: tuple[str, ...] = ()  # read before the field's own name: DJANGO_DEBUG wins over DEBUG
    older: tuple[str, ...] = ()  # read after it: LOGIN_RATE_LIMIT, the older name of RATE_LIMIT_TOKEN

    def read(self, env: environ.Env, name: str, *, debug: bool | None, base_dir: Path) -> Any:
        for candidate in (*self.preferred, name, *self.older):
            if candidate in env.ENVIRON:
                value = self.parse(env, candidate)
                if value is not None:
                    return value
        default = self.default
        if isinstance(default, ByDebug):
            if debug is None:
                raise TypeError(f"{name}'s default depends on DEBUG, which must be declared before it.")
            default = default.on if debug else default.off
        if isinstance(default, Required):
            raise ImproperlyConfigured(default.message.format(name=name))
        if isinstance(default, InProject):
            return base_dir / default.path
        return copy.deepcopy(default)  # a list default is the caller's to change


def text(default: Any, *, case: Callable[[str], str] | None = None, preferred: tuple[str, ...] = ()) -> Variable:
    def parse(env: environ.Env, name: str) -> str:
        value = str(env.str(name))
        return case(value) if case else value

    return Variable(parse, default, preferred=preferred)


def flag(default: Any, *, preferred: tuple[str, ...] = ()) -> Variable:
    """A boolean, in any spelling the seed's settings accepted."""

    def parse(env: environ.Env, name: str) -> bool:
        raw = _literal(env, name)
        if raw.strip().lower() in TRUE_STRINGS:
            return True
        if raw.strip().lower() in FALSE_STRINGS:
            return False
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")

    return Variable(parse, default, preferred=preferred)


def whole_number(default: Any, *, minimum: int = 1, maximum: int | None = None) -> Variable:
    return Variable(_whole_number(minimum, maximum), default)


def _whole_number(minimum: int, maximum: int | None = None) -> Parse:
    def parse(env: environ.Env, name: str) -> int:
        try:
            value = int(env.int(name))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number.") from None
        if value < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
        if maximum is not None and value > maximum:
            raise ImproperlyConfigured(f"{name} must be at most {maximum}.")
        return value

    return parse


def rate(default: str, *, older: tuple[str, ...] = ()) -> Variable:
    """A django-ratelimit rate ("5/m")."""

    def parse(env: environ.Env, name: str) -> str:
        raw = _literal(env, name).strip()
        if not RATE_PATTERN.fullmatch(raw):
            raise ImproperlyConfigured(
                f"{name} must be a rate like 5/m: a count, a slash, an optional multiplier and s, m, h or d."
            )
        return raw

    return Variable(parse, default, older=older)


def choice(options: tuple[str, ...], default: Any, *, case: Callable[[str], str] = str.lower) -> Variable:
    def parse(env: environ.Env, name: str) -> str:
        value = case(str(env.str(name)))
        if value not in options:
            raise ImproperlyConfigured(f"{name} must be one of {', '.join(options)}; {value!r} is not supported.")
        return value

    return Variable(parse, default)


def listing(default: Any) -> Variable:
    """Comma-separated values."""
    return Variable(lambda env, name: list(env.list(name)), default)


def secret_list(default: Any, *, older: tuple[str, ...] = ()) -> Variable:
    """Comma-separated secrets; a list of blanks counts as unset."""
    return Variable(lambda env, name: [s.strip() for s in env.list(name) if s.strip()] or None, default, older=older)


def metrics_token() -> Variable:
    """A bearer token: printable, no spaces, long enough not to be guessed; empty counts as unset."""

    def parse(env: environ.Env, name: str) -> str | None:
        raw = _literal(env, name).strip()
        if not raw:
            return None
        if not METRICS_TOKEN_PATTERN.fullmatch(raw):
            raise ImproperlyConfigured(
                f"{name} must be at least {MIN_METRICS_TOKEN_LENGTH} printable characters without spaces "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))' makes one)."
            )
        return raw

    return Variable(parse, "")


def networks_and_hosts() -> Variable:
    """Comma-separated networks (CIDRs, or single addresses) and host names, each checked; default none.

    The outbound webhooks' allow-list reads them (``apps.webhooks.destinations.AllowList``, which also
    checks them here, so that a wrong entry stops the start rather than the first delivery)."""

    def parse(env: environ.Env, name: str) -> list[str]:
        from apps.webhooks.destinations import AllowList  # standard library only: no Django needed yet

        try:
            allowed = AllowList.parse(env.list(name))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {exc}") from None
        return [*(str(network) for network in allowed.networks), *sorted(allowed.hosts)]

    return Variable(parse, [])


def path(default: Any) -> Variable:
    return Variable(lambda env, name: Path(env.str(name)), default)


def _literal(env: environ.Env, name: str) -> str:
    """The value as it was written (``load`` escapes every "$")."""
    return str(env.ENVIRON[name]).replace(r"\$", "$")


# --- The variables -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Environment:
    """The configuration: one field per variable (``rate_limit_writes`` from ``RATE_LIMIT_WRITES``).

    A field annotated with a ``Variable`` is read by it; the others ``load`` derives afterwards.
    """

    # Core Django. DEBUG comes first: other defaults depend on it.
    debug: Annotated[bool, flag(False, preferred=("DJANGO_DEBUG",))]
    secret_key: Annotated[
        str,
        text(
            ByDebug(on=DEVELOPMENT_SECRET_KEY, off=Required("{name} is not set; it is required when DEBUG is off.")),
            preferred=("DJANGO_SECRET_KEY",),
        ),
    ]
    app_name: Annotated[str, text("orderflow")]
    # What this process does (the API, a Celery worker, ...): readiness checks what that role needs.
    process_role: Annotated[str, choice(PROCESS_ROLES, "api")]
    allowed_hosts: Annotated[list[str], listing(ByDebug(on=DEVELOPMENT_HOSTS, off=[]))]
    csrf_trusted_origins: Annotated[list[str], listing([])]
    # Database, from DATABASE_URL and DATABASE_CONN_MAX_AGE (derived: _database).
    database: dict[str, Any] = field(default_factory=dict)
    # Cache and rate-limit counters; none: an in-process cache.
    redis_url: Annotated[str | None, text(None)]
    # The read cache: read models cached (default: when REDIS_URL is set), and L1's size per process.
    read_cache_enabled: Annotated[bool | None, flag(None)]
    read_cache_max_entries: Annotated[int, whole_number(10_000)]
    # API.
    api_max_body_size: Annotated[int, whole_number(1024 * 1024)]
    order_max_lines: Annotated[int, whole_number(50)]
    # Tokens (JWT). The keys are derived (_jwt_keys): JWT_SECRET (HS256), or JWT_PRIVATE_KEY or the key file (RS256).
    jwt_algorithm: Annotated[str, choice(SUPPORTED_JWT_ALGORITHMS, "RS256", case=str.upper)]
    jwt_private_key_file: Annotated[Path, path(InProject("var/keys/jwt-private.pem"))]
    jwt_signing_key: str | None = None
    jwt_verifying_key: str | None = None
    jwt_access_token_lifetime: Annotated[int, whole_number(900)]
    jwt_refresh_token_lifetime: Annotated[int, whole_number(7 * 24 * 3600)]
    # Security headers and CORS.
    secure_ssl_redirect: Annotated[bool, flag(ByDebug(on=False, off=True))]
    secure_hsts_seconds: Annotated[int, whole_number(ByDebug(on=0, off=31_536_000), minimum=0)]
    behind_tls_proxy: Annotated[bool, flag(False)]
    cors_allowed_origins: Annotated[list[str], listing([])]
    # Rate limits, and the proxies in front of the service (for the client's address).
    rate_limit_token: Annotated[str, rate("5/m", older=("LOGIN_RATE_LIMIT",))]
    rate_limit_register: Annotated[str, rate("3/m")]
    rate_limit_writes: Annotated[str, rate("60/m")]
    rate_limit_admin_login: Annotated[str, rate("5/m")]
    trusted_proxy_count: Annotated[int, whole_number(0, minimum=0)]
    # Celery, the event broker, the outbox and the consumers.
    celery_broker_url: Annotated[str, text("filesystem://")]
    events_broker_url: Annotated[str, text("filesystem://")]
    outbox_batch_size: Annotated[int, whole_number(500)]
    outbox_max_attempts: Annotated[int, whole_number(10)]
    outbox_retention_days: Annotated[int, whole_number(7)]
    consumer_max_attempts: Annotated[int, whole_number(5)]
    # Queues (and runners) per consumer, split by a hash of the aggregate; at most the routing slots (32).
    events_consumer_shards: Annotated[int, whole_number(1, maximum=32)]
    # The dead-letter queue's bound on RabbitMQ (0: none), and the management API that sets it (empty: derived).
    events_dead_letter_max_length: Annotated[int, whole_number(10_000, minimum=0)]
    events_dead_letter_retention_days: Annotated[int, whole_number(14, minimum=0)]
    events_broker_management_url: Annotated[str, text("")]
    # Payments. Never simulated by accident in production: the simulated provider's refunds move no money.
    payment_provider: Annotated[
        str,
        choice(
            ("simulated", "stripe"),
            ByDebug(
                on="simulated",
                off=Required(
                    "{name} is not set: use stripe (with PAYMENT_PROVIDER_API_KEY) in production, "
                    "or simulated where no money moves (a staging system, the tests)."
                ),
            ),
        ),
    ]
    payment_provider_api_key: Annotated[str, text("")]
    payment_provider_api_base: Annotated[str, text(DEFAULT_PAYMENT_PROVIDER_API_BASE)]
    payment_provider_timeout_seconds: Annotated[int, whole_number(10)]
    payment_provider_max_retries: Annotated[int, whole_number(2, minimum=0)]
    # Secrets that may sign payment webhooks (several during a rotation); none configured means every
    # webhook is refused, except with DEBUG on, where a development secret stands in.
    payment_webhook_secrets: Annotated[
        list[str],
        secret_list(ByDebug(on=[DEVELOPMENT_PAYMENT_WEBHOOK_SECRET], off=[]), older=("PAYMENT_WEBHOOK_SECRET",)),
    ]
    # Outbound webhooks (apps.webhooks): networks and host names exempt from the private-address ban,
    # the timeouts of each delivery, the largest payload sent and the part of a response kept.
    webhooks_allowed_networks: Annotated[list[str], networks_and_hosts()]
    webhooks_connect_timeout_seconds: Annotated[int, whole_number(3, maximum=30)]
    webhooks_read_timeout_seconds: Annotated[int, whole_number(10, maximum=60)]
    webhooks_max_payload_bytes: Annotated[int, whole_number(256 * 1024, minimum=1024, maximum=16 * 1024 * 1024)]
    webhooks_response_body_bytes: Annotated[int, whole_number(2048, minimum=0, maximum=64 * 1024)]
    # Plain http:// endpoint URLs: a developer's machine and the tests only.
    webhooks_allow_http: Annotated[bool, flag(ByDebug(on=True, off=False))]
    # How many deliveries to one endpoint may be on their way at once; the others wait their turn.
    webhooks_max_in_flight_per_endpoint: Annotated[int, whole_number(2, maximum=100)]
    # An endpoint whose every delivery has failed for this many days in a row is disabled.
    webhooks_disable_after_days: Annotated[int, whole_number(5, maximum=365)]
    # Deliveries (with their attempts) older than this are purged by beat; 0 keeps them for good.
    webhooks_history_retention_days: Annotated[int, whole_number(30, minimum=0)]
    # Audit.
    audit_retention_days: Annotated[int, whole_number(0, minimum=0)]
    # verify_audit_chain fails when an entry has waited longer than this for the sealer (beat not running).
    audit_seal_alert_seconds: Annotated[int, whole_number(300)]
    # Metrics (docs/ops/observability.md): the bearer token of GET /metrics (empty: no endpoint, 404),
    # the port processes without HTTP serve theirs on (0: none), how often the database gauges are sampled.
    metrics_token: Annotated[str, metrics_token()]
    metrics_port: Annotated[int, whole_number(0, minimum=0, maximum=65535)]
    metrics_sample_seconds: Annotated[int, whole_number(15)]
    # Logging.
    log_level: Annotated[str, text("INFO", case=str.upper)]
    log_format: Annotated[str, choice(("json", "console"), "json")]
    # Tracing (OpenTelemetry), by the standard variables. The SDK reads the others itself
    # (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER, OTEL_EXPORTER_OTLP_HEADERS, ...).
    otel_sdk_disabled: Annotated[bool, flag(False)]
    # otlp, console, none; comma-separated for more than one. Unset: otlp when an OTLP endpoint is set.
    otel_traces_exporter: Annotated[list[str], listing([])]
    otel_exporter_otlp_endpoint: Annotated[str, text("")]
    otel_exporter_otlp_traces_endpoint: Annotated[str, text("")]
    # Celery tasks whose runs start no trace of their own: beat sends these every second.
    tracing_quiet_tasks: Annotated[list[str], listing(["outbox.drain", "audit.seal"])]
    # The exporters tracing uses; none: tracing is off (derived: _tracing_exporters).
    tracing_exporters: tuple[str, ...] = ()


def _variables() -> dict[str, Variable]:
    hints = get_type_hints(Environment, include_extras=True)
    variables = {}
    for declared in fields(Environment):
        for annotation in getattr(hints[declared.name], "__metadata__", ()):
            if isinstance(annotation, Variable):
                variables[declared.name.upper()] = annotation
    return variables


VARIABLES = _variables()
"""Each variable an ``Environment`` field is read from, by name, in the order declared."""


# --- Loading -----------------------------------------------------------------------------------------


def load(environ_: Mapping[str, str], *, base_dir: Path = BASE_DIR) -> Environment:
    """Read and check the configuration; raise ImproperlyConfigured with one clear sentence."""
    env = environ.Env()
    # An empty variable (``SECRET_KEY=`` copied from .env.example) counts as unset.
    # Values are literal: django-environ reads a value starting with "$" as the name of another
    # variable, and a generated secret key may well start with "$". Escaping every "$" (which
    # ``escape_proxy`` undoes after that lookup is skipped) keeps each value as it was written.
    env.escape_proxy = True
    env.ENVIRON = {name: value.replace("$", r"\$") for name, value in environ_.items() if value != ""}
    read: dict[str, Any] = {}
    for name, variable in VARIABLES.items():
        read[name.lower()] = variable.read(env, name, debug=read.get("debug"), base_dir=base_dir)
    loaded = Environment(**read)
    if loaded.payment_provider == "stripe" and not loaded.payment_provider_api_key:
        raise ImproperlyConfigured("PAYMENT_PROVIDER=stripe needs PAYMENT_PROVIDER_API_KEY (a secret key, sk_...).")
    signing_key, verifying_key = _jwt_keys(env, loaded)
    return replace(
        loaded,
        database=_database(env, base_dir),
        jwt_signing_key=signing_key,
        jwt_verifying_key=verifying_key,
        tracing_exporters=_tracing_exporters(loaded),
    )


def read_dotenv(base_dir: Path = BASE_DIR) -> str:
    """Fill in the variables the process environment leaves unset from the .env file that DOTENV_FILE
    names (default: .env in the project; empty: none), and answer that file's name. Unlike ``load``,
    this reads and changes ``os.environ``: the settings module calls it once, before ``load``."""
    dotenv_file = os.environ.get("DOTENV_FILE", str(base_dir / ".env"))
    if dotenv_file and os.path.isfile(dotenv_file):
        environ.Env.read_env(dotenv_file)
    return dotenv_file


TRACES_EXPORTERS = ("otlp", "console", "none")


def _tracing_exporters(loaded: Environment) -> tuple[str, ...]:
    """OTEL_TRACES_EXPORTER's exporters, "none" left out; unset, otlp if an OTLP endpoint is configured.

    The SDK's own default is otlp to localhost; here nothing is exported until asked for.
    """
    chosen = [name.strip().lower() for name in loaded.otel_traces_exporter if name.strip()]
    unknown = [name for name in chosen if name not in TRACES_EXPORTERS]
    if unknown:
        raise ImproperlyConfigured(
            f"OTEL_TRACES_EXPORTER must name otlp, console or none; {', '.join(map(repr, unknown))} is not supported."
        )
    if not chosen and (loaded.otel_exporter_otlp_endpoint or loaded.otel_exporter_otlp_traces_endpoint):
        chosen = ["otlp"]
    return tuple(dict.fromkeys(name for name in chosen if name != "none"))


# Seconds libpq waits for a PostgreSQL server to accept a connection (its minimum is 2).
DATABASE_CONNECT_TIMEOUT = 5
# Seconds a PostgreSQL connection stays open; part of ``database``, so read there.
CONN_MAX_AGE = Variable(_whole_number(minimum=0), 60)


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
        database["CONN_MAX_AGE"] = CONN_MAX_AGE.read(env, "DATABASE_CONN_MAX_AGE", debug=None, base_dir=base_dir)
        database["CONN_HEALTH_CHECKS"] = True
        # A server that does not answer fails a request within seconds (503), not after the system's TCP
        # timeout of minutes; ?connect_timeout=N in DATABASE_URL sets another bound.
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    return database


def _jwt_keys(env: environ.Env, loaded: Environment) -> tuple[str | None, str | None]:
    if loaded.jwt_algorithm == "HS256":
        secret = env.str("JWT_SECRET", "")
        if len(secret) < MIN_JWT_SECRET_LENGTH:
            raise ImproperlyConfigured(
                f"JWT_SECRET must be at least {MIN_JWT_SECRET_LENGTH} characters when JWT_ALGORITHM=HS256."
            )
        return secret, None
    pem = env.str("JWT_PRIVATE_KEY", "").replace("\\n", "\n").strip()
    key_file = loaded.jwt_private_key_file
    if not pem and key_file.is_file():
        pem = key_file.read_text()
    if not pem:
        if loaded.debug:
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
