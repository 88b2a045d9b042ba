"""Django settings for orderflow, grouped by concern, one line per setting.

Every value that varies comes from ``config.environment``: each environment variable is named once there,
as a field of ``Environment``, and taken over here in one line.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from urllib.parse import urlsplit

from corsheaders.defaults import default_headers
from csp.constants import NONCE, NONE, SELF

from apps.observability.logging import logging_config
from config import environment

# --- Core Django ---------------------------------------------------------------------------------------
# A .env file (see .env.example) fills in variables the real environment leaves unset.
DOTENV_FILE = environment.read_dotenv()
env = environment.load(os.environ)

BASE_DIR = environment.BASE_DIR
APP_NAME = env.app_name
# api, worker, beat, dispatcher or consumer: what /health/ready and `manage.py check_readiness` check.
PROCESS_ROLE = env.process_role
DEBUG = env.debug
SECRET_KEY = env.secret_key
ALLOWED_HOSTS = env.allowed_hosts
CSRF_TRUSTED_ORIGINS = env.csrf_trusted_origins
# Under /api/ a CSRF failure is a problem (RFC 9457) like every other error; elsewhere Django's page.
CSRF_FAILURE_VIEW = "apps.platform.problems.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_ratelimit",
    "guardian",
    "corsheaders",
    "csp",
    "apps.platform",
    "apps.observability",
    "apps.cache",
    "apps.security",
    "apps.outbox",
    "apps.messaging",
    "apps.users",
    "apps.orders",
    "apps.billing",
    "apps.webhooks",
    "apps.audit",
    "apps.composition",
]

MIDDLEWARE = [
    "apps.observability.middleware.RequestContextMiddleware",
    # Inside the access log's timing, around everything else; it labels each request by its URL pattern.
    "apps.observability.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Above every middleware that may answer by itself (413, 429), so browsers can read those answers too.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.platform.middleware.ProblemDetailsMiddleware",
    "apps.platform.ratelimit.AdminLoginRateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of third-party templates (Swagger UI's page with CSP nonces).
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The admin's assets, compressed and served by the API process itself (WhiteNoise).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Database ------------------------------------------------------------------------------------------
DATABASES = {"default": env.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis) -------------------------------------------------------------------------------------
if env.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": env.redis_url,
            "KEY_PREFIX": APP_NAME,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
    # L2 of the read cache: the same Redis, a short timeout (a read never waits long on it).
    CACHES["reads"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env.redis_url,
        "KEY_PREFIX": f"{APP_NAME}:reads",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": APP_NAME}}
    # The embedded default counts rate limits per process (each gunicorn worker has its own budget);
    # django-ratelimit says so with E003/W001, and only those two are silenced, only here.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# The read cache (apps.cache, ADR-0009): L1 in each process, L2 and invalidations across processes on Redis.
# Without Redis nothing carries a projection's invalidation to the web process, so read models are not
# cached there unless READ_CACHE_ENABLED says so; callers' access and grants are cached either way.
READ_CACHE = {
    "ENABLED": env.read_cache_enabled if env.read_cache_enabled is not None else bool(env.redis_url),
    "MAX_ENTRIES": env.read_cache_max_entries,
    "SHARED_ALIAS": "reads" if env.redis_url else None,
    "BROADCAST_URL": env.redis_url,
    # Pub/sub channels are shared by every database of a Redis server: the channel names the database.
    "CHANNEL": f"{APP_NAME}:read-cache:{urlsplit(env.redis_url).path.strip('/') or '0'}" if env.redis_url else "",
}

# --- API: DRF, OpenAPI ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.security.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1", "v2"],
    "EXCEPTION_HANDLER": "apps.platform.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

# A body larger than this is answered with 413 before any view parses it.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.api_max_body_size
# The most lines one order may have (a bigger order is refused with 400).
ORDER_MAX_LINES = env.order_max_lines

# Swagger UI offers both versions of the API (one schema each) in the top bar's definition selector, which
# only the standalone layout draws; that layout comes with the standalone preset
# (swagger-ui-standalone-preset.js, served from the sidecar), a JavaScript object that JSON cannot name.
SWAGGER_UI_OPTIONS = {
    "urls": [{"url": "/api/schema/", "name": "v1"}, {"url": "/api/schema/v2/", "name": "v2"}],
    "layout": "StandaloneLayout",
    # No badge from validator.swagger.io: the page loads nothing from other origins (CSP below).
    "validatorUrl": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "orderflow API",
    "DESCRIPTION": "Users, orders and billing. Errors are RFC 9457 problem details (application/problem+json).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets ship with the service (no CDN at run time).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI's options above, as JavaScript with the two presets (drf-spectacular passes a string as is).
    "SWAGGER_UI_SETTINGS": (
        f"{{...{json.dumps(SWAGGER_UI_OPTIONS)}, presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset]}}"
    ),
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "WebhookDeliveryStatusEnum": "apps.webhooks.models.DeliveryStatus",
        "WebhookDisableCauseEnum": "apps.webhooks.models.DisableCause",
    },
    "APPEND_COMPONENTS": {"securitySchemes": {"jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
}

# --- Auth, JWT -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
# Django's permissions (roles are groups, `manage.py sync_roles`), then django-guardian's per-object grants.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "guardian.backends.ObjectPermissionBackend"]
ANONYMOUS_USER_NAME = None  # guardian: no stand-in user for anonymous callers; they hold no grants
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "display_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Where `manage.py generate_jwt_keys` writes the RS256 signing key, and where it is read when
# JWT_PRIVATE_KEY is not set.
JWT_PRIVATE_KEY_FILE = env.jwt_private_key_file
SIMPLE_JWT = {
    "ALGORITHM": env.jwt_algorithm,
    "SIGNING_KEY": env.jwt_signing_key,
    "VERIFYING_KEY": env.jwt_verifying_key,
    "ISSUER": APP_NAME,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.jwt_access_token_lifetime),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.jwt_refresh_token_lifetime),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("apps.security.tokens.AccessToken",),
    "TOKEN_REFRESH_SERIALIZER": "apps.security.tokens.TokenRefreshSerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "apps.security.tokens.TokenBlacklistSerializer",
}

# --- Security headers, CORS, CSP -----------------------------------------------------------------------
# Production hardening; `manage.py check --deploy` stays quiet with DEBUG off.
SECURE_SSL_REDIRECT = env.secure_ssl_redirect
# Probes and Prometheus reach a pod over plain HTTP inside the cluster (the metrics need their bearer token).
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.secure_hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Set when a proxy terminates TLS and says so in X-Forwarded-Proto (BEHIND_TLS_PROXY).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.behind_tls_proxy else None
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp): nothing but the service's own origin. The admin
# needs only 'self'; Swagger UI (its assets from the sidecar, under STATIC_URL) adds one inline script and
# style, which carry the request's nonce (config/templates/drf_spectacular/swagger_ui.html), its logo's
# stylesheet, admitted by its hash on that page only (config/urls.py), and SVG icons as data: URLs. API
# responses are JSON and load nothing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# CORS (django-cors-headers): browsers on these origins may call /api/; none by default.
CORS_ALLOWED_ORIGINS = env.cors_allowed_origins
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
# django-cors-headers' defaults, plus the headers of idempotent creates and conditional reads.
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key", "if-none-match")
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Retry-After",
    "X-Request-ID",
    "Location",
    "Idempotent-Replayed",
    "Deprecation",
    "Sunset",
    "Link",
]

# --- Rate limits ---------------------------------------------------------------------------------------
# apps.platform.ratelimit: count/period, per client IP on the auth endpoints and the admin's sign-in form,
# per user on writes.
RATE_LIMIT_TOKEN = env.rate_limit_token
RATE_LIMIT_REGISTER = env.rate_limit_register
RATE_LIMIT_WRITES = env.rate_limit_writes
RATE_LIMIT_ADMIN_LOGIN = env.rate_limit_admin_login
RATELIMIT_VIEW = "apps.platform.problems.rate_limited"
# The client's address behind TRUSTED_PROXY_COUNT proxies, for the per-IP limits and the audit trail.
TRUSTED_PROXY_COUNT = env.trusted_proxy_count
RATELIMIT_IP_META_KEY = "apps.observability.requests.rate_limit_ip"

# --- Celery, broker, events ----------------------------------------------------------------------------
# The embedded default needs no server: kombu's filesystem transport under var/ carries both the
# Celery tasks and the integration events; the real stack points both URLs at RabbitMQ (amqp://).
BROKER_DIR = BASE_DIR / "var" / "broker"


def filesystem_transport_options(url: str, name: str) -> dict[str, object]:
    if not url.startswith("filesystem://"):
        return {}
    folder = BROKER_DIR / name
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        # A folder listing every 0.1 s instead of every second: an event crosses several hops (outbox kick
        # -> worker -> consumer -> policy -> ...) and each would otherwise wait up to a second.
        "polling_interval": 0.1,
    }


CELERY_BROKER_URL = env.celery_broker_url
CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_transport_options(CELERY_BROKER_URL, "celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Every task runs on Celery's default queue ("celery") but the webhooks' sends. webhooks.send calls a
# partner's URL and waits up to its connect and read timeouts (some 50 s) on a receiver that never answers;
# WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT bounds that per endpoint, yet a few dead endpoints could still hold
# every worker of the default queue, which carries outbox.drain (the events' path), audit.seal and the
# other periodic tasks. So the sends have a queue of their own, consumed by workers of their own
# (`celery worker -Q webhooks`; the default workers run `-Q celery`, `make run`'s one worker both).
# webhooks.send_due (beat's 5-second sweep) and webhooks.purge_history are cheap and stay on the default.
CELERY_TASK_ROUTES = {"webhooks.send": {"queue": "webhooks"}}

EVENTS_BROKER_URL = env.events_broker_url
EVENTS_TRANSPORT_OPTIONS = filesystem_transport_options(EVENTS_BROKER_URL, "events")
EVENTS_EXCHANGE = "orderflow.events"
EVENTS_DEAD_LETTER_EXCHANGE = "orderflow.dead-letters"
# On RabbitMQ the dead letters' messages are kept in this queue, bounded by an operator policy that
# declare_event_topology sets through the management HTTP API (ADR-0008): at most this many messages
# (0: no bound), each for at most this many days (0: no bound), the oldest dropped first.
EVENTS_DEAD_LETTER_QUEUE = "orderflow.dead-letters"
EVENTS_DEAD_LETTER_MAX_LENGTH = env.events_dead_letter_max_length
EVENTS_DEAD_LETTER_RETENTION_DAYS = env.events_dead_letter_retention_days
# The management API's URL (http://user:password@host:15672); empty: EVENTS_BROKER_URL's host and
# credentials on port 15672 (15671 for amqps).
EVENTS_BROKER_MANAGEMENT_URL = env.events_broker_management_url

# --- Outbox, consumers ---------------------------------------------------------------------------------
OUTBOX_BATCH_SIZE = env.outbox_batch_size
OUTBOX_MAX_ATTEMPTS = env.outbox_max_attempts
OUTBOX_RETENTION_DAYS = env.outbox_retention_days
# Wake a dispatcher right after a commit instead of waiting for the next beat tick (apps/outbox/wakeup.py);
# after a failed wake-up, stop trying for this long (beat's tick and drain_outbox --loop carry on).
OUTBOX_KICK_ON_COMMIT = True
OUTBOX_KICK_PAUSE_SECONDS = 10.0
CONSUMER_MAX_ATTEMPTS = env.consumer_max_attempts
# Each consumer's queue split in this many shards by a hash of the aggregate (apps/messaging/routing.py);
# `consume_events --shard K` runs one. Changing it: docs/ops/scaling-strategy.md, "Resharding".
EVENTS_CONSUMER_SHARDS = env.events_consumer_shards

# --- Payments ------------------------------------------------------------------------------------------
# "simulated" (the embedded default: refunds granted without any provider) or "stripe" (its API, or a
# server that speaks it at PAYMENT_PROVIDER_API_BASE).
PAYMENT_PROVIDER = env.payment_provider
PAYMENT_PROVIDER_API_KEY = env.payment_provider_api_key
PAYMENT_PROVIDER_API_BASE = env.payment_provider_api_base
PAYMENT_PROVIDER_TIMEOUT_SECONDS = env.payment_provider_timeout_seconds
PAYMENT_PROVIDER_MAX_RETRIES = env.payment_provider_max_retries
# Secrets that may sign inbound payment webhooks; more than one while a secret is being rotated.
PAYMENT_WEBHOOK_SECRETS = env.payment_webhook_secrets

# --- Outbound webhooks (apps.webhooks) ----------------------------------------------------------------
# Networks (CIDRs) and host names a webhook may reach although they are private, loopback or link-local:
# on-premise receivers and the tests. Empty: only globally reachable addresses.
WEBHOOKS_ALLOWED_NETWORKS = env.webhooks_allowed_networks
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = env.webhooks_connect_timeout_seconds
# Bounds the whole wait for the answer, headers and body, not each read.
WEBHOOKS_READ_TIMEOUT_SECONDS = env.webhooks_read_timeout_seconds
# A larger payload is not sent at all; only this much of a response is read and kept.
WEBHOOKS_MAX_PAYLOAD_BYTES = env.webhooks_max_payload_bytes
WEBHOOKS_RESPONSE_BODY_BYTES = env.webhooks_response_body_bytes
# Plain http:// endpoint URLs are accepted (DEBUG's default); https only otherwise.
WEBHOOKS_ALLOW_HTTP = env.webhooks_allow_http
# Deliveries to one endpoint on their way at once: a receiver that never answers holds this many workers.
WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT = env.webhooks_max_in_flight_per_endpoint
WEBHOOKS_DISABLE_AFTER_DAYS = env.webhooks_disable_after_days
WEBHOOKS_HISTORY_RETENTION_DAYS = env.webhooks_history_retention_days

# --- Audit ---------------------------------------------------------------------------------------------
#: Days audit entries are kept before beat's daily purge removes them; 0 keeps them for good.
AUDIT_RETENTION_DAYS = env.audit_retention_days
AUDIT_SEAL_ALERT_SECONDS = env.audit_seal_alert_seconds

# --- Metrics (apps.observability, docs/ops/observability.md) ----------------------------------
# GET /metrics answers Prometheus to "Authorization: Bearer <METRICS_TOKEN>"; no token: 404.
METRICS_TOKEN = env.metrics_token
# Processes without HTTP (worker, beat, dispatcher, consumers) serve their metrics on this port; 0: none.
METRICS_PORT = env.metrics_port
# The database and broker gauges are computed at most once per this many seconds for every process.
METRICS_SAMPLE_SECONDS = env.metrics_sample_seconds

# --- Logging -------------------------------------------------------------------------------------------
LOG_LEVEL = env.log_level
LOG_FORMAT = env.log_format
LOGGING = logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT)

# --- Tracing (OpenTelemetry: apps.observability.tracing; docs/ops/observability.md) -------------------
#: otlp and/or console; empty: tracing is off (no SDK, no instrumentation).
TRACING_EXPORTERS = env.tracing_exporters
TRACING_QUIET_TASKS = env.tracing_quiet_tasks
OTEL_SDK_DISABLED = env.otel_sdk_disabled
