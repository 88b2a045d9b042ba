"""config.environment.load: a pure function of the mapping it is given (and the project directory)."""

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ImproperlyConfigured

from apps.security.keys import generate_private_key_pem
from config.environment import BASE_DIR, DEVELOPMENT_SECRET_KEY, VARIABLES, load, read_dotenv

RSA_PEM = generate_private_key_pem(bits=2048).decode()
SECRET = "s3cr3t-" * 8
PRODUCTION = {
    "SECRET_KEY": SECRET,
    "JWT_ALGORITHM": "HS256",
    "JWT_SECRET": "j" * 32,
    "PAYMENT_PROVIDER": "simulated",
}


def pem_of(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    return tmp_path


# --- debug and the secret key ---------------------------------------------------------------------


def test_debug_on_with_nothing_else_runs_on_development_defaults(base_dir):
    env = load({"DEBUG": "true"}, base_dir=base_dir)

    assert env.debug is True
    assert env.secret_key == DEVELOPMENT_SECRET_KEY
    assert env.allowed_hosts == ["localhost", "127.0.0.1", "[::1]", "testserver"]
    assert env.database["ENGINE"] == "django.db.backends.sqlite3"
    assert env.database["NAME"] == str(base_dir / "var" / "orderflow.sqlite3")
    assert env.jwt_algorithm == "RS256"
    assert (env.jwt_signing_key, env.jwt_verifying_key) == (None, None)
    assert env.secure_ssl_redirect is False
    assert env.secure_hsts_seconds == 0
    assert env.redis_url is None


def test_debug_is_off_unless_asked_for(base_dir):
    env = load(PRODUCTION, base_dir=base_dir)

    assert env.debug is False
    assert env.allowed_hosts == []
    assert env.secure_ssl_redirect is True
    assert env.secure_hsts_seconds == 31_536_000


def test_debug_off_without_a_secret_key_is_refused(base_dir):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        load({"JWT_ALGORITHM": "HS256", "JWT_SECRET": "j" * 32}, base_dir=base_dir)


def test_django_secret_key_wins_over_secret_key(base_dir):
    env = load({**PRODUCTION, "DJANGO_SECRET_KEY": "the-django-one"}, base_dir=base_dir)

    assert env.secret_key == "the-django-one"


@pytest.mark.parametrize(("django_debug", "debug", "expected"), [("false", "true", False), ("true", "false", True)])
def test_django_debug_wins_over_debug(base_dir, django_debug, debug, expected):
    env = load({**PRODUCTION, "DJANGO_DEBUG": django_debug, "DEBUG": debug}, base_dir=base_dir)

    assert env.debug is expected


@pytest.mark.parametrize("spelling", ["t", "T", "true", "yes", "on", "1"])
def test_debug_accepts_the_spellings_the_seed_settings_accepted(base_dir, spelling):
    assert load({"DEBUG": spelling}, base_dir=base_dir).debug is True


@pytest.mark.parametrize("name", ["DEBUG", "DJANGO_DEBUG", "SECURE_SSL_REDIRECT", "BEHIND_TLS_PROXY"])
def test_a_flag_that_is_neither_true_nor_false_is_refused_by_name(base_dir, name):
    with pytest.raises(ImproperlyConfigured, match=f"^{name} must be true or false, not 'maybe'.$"):
        load({**PRODUCTION, name: "maybe"}, base_dir=base_dir)


def test_empty_variables_count_as_unset(base_dir):
    env = load(
        {**PRODUCTION, "DJANGO_DEBUG": "", "SECURE_SSL_REDIRECT": "", "SECURE_HSTS_SECONDS": "", "APP_NAME": ""},
        base_dir=base_dir,
    )

    assert env.debug is False
    assert env.secure_ssl_redirect is True
    assert env.secure_hsts_seconds == 31_536_000
    assert env.app_name == "orderflow"


@pytest.mark.parametrize("value", ["$ecret-that-starts-with-a-dollar", "$HOME", "a$b", "\\$x", "${X}"])
def test_values_are_taken_literally_even_when_they_start_with_a_dollar(base_dir, value):
    env = load({**PRODUCTION, "SECRET_KEY": value, "APP_NAME": value, "HOME": "/root", "X": "x"}, base_dir=base_dir)

    assert env.secret_key == value
    assert env.app_name == value


# --- JWT keys -------------------------------------------------------------------------------------


def test_hs256_uses_jwt_secret_to_sign_and_verify(base_dir):
    env = load({**PRODUCTION, "JWT_ALGORITHM": "hs256"}, base_dir=base_dir)

    assert env.jwt_algorithm == "HS256"
    assert env.jwt_signing_key == "j" * 32
    assert env.jwt_verifying_key is None


@pytest.mark.parametrize("secret", ["", "j" * 31])
def test_hs256_needs_a_secret_of_at_least_32_characters(base_dir, secret):
    with pytest.raises(ImproperlyConfigured, match="at least 32 characters"):
        load({**PRODUCTION, "JWT_SECRET": secret}, base_dir=base_dir)


def test_an_unsupported_algorithm_is_refused(base_dir):
    with pytest.raises(ImproperlyConfigured, match="'ES256' is not supported"):
        load({**PRODUCTION, "JWT_ALGORITHM": "es256"}, base_dir=base_dir)


def test_rs256_derives_the_public_key_from_the_private_key(base_dir):
    env = load({"SECRET_KEY": SECRET, "PAYMENT_PROVIDER": "simulated", "JWT_PRIVATE_KEY": RSA_PEM}, base_dir=base_dir)

    assert env.jwt_signing_key == RSA_PEM.strip()
    public = serialization.load_pem_public_key(env.jwt_verifying_key.encode())
    private = serialization.load_pem_private_key(RSA_PEM.encode(), password=None)
    assert public.public_numbers() == private.public_key().public_numbers()


def test_rs256_accepts_a_private_key_written_on_one_line_with_escaped_newlines(base_dir):
    env = load(
        {"SECRET_KEY": SECRET, "PAYMENT_PROVIDER": "simulated", "JWT_PRIVATE_KEY": RSA_PEM.replace("\n", "\\n")},
        base_dir=base_dir,
    )

    assert env.jwt_signing_key == RSA_PEM.strip()


def test_rs256_reads_the_key_file_under_the_project_directory(base_dir):
    key_file = base_dir / "var" / "keys" / "jwt-private.pem"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(RSA_PEM)

    env = load({"SECRET_KEY": SECRET, "PAYMENT_PROVIDER": "simulated"}, base_dir=base_dir)

    assert env.jwt_signing_key == RSA_PEM


def test_rs256_reads_the_key_file_named_by_jwt_private_key_file(base_dir, tmp_path_factory):
    key_file = tmp_path_factory.mktemp("elsewhere") / "signing.pem"
    key_file.write_text(RSA_PEM)

    env = load(
        {"SECRET_KEY": SECRET, "PAYMENT_PROVIDER": "simulated", "JWT_PRIVATE_KEY_FILE": str(key_file)},
        base_dir=base_dir,
    )

    assert env.jwt_signing_key == RSA_PEM


def test_the_key_file_defaults_to_var_keys_under_the_project_directory(base_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "signing.pem"

    assert load(PRODUCTION, base_dir=base_dir).jwt_private_key_file == base_dir / "var" / "keys" / "jwt-private.pem"
    assert load({**PRODUCTION, "JWT_PRIVATE_KEY_FILE": str(elsewhere)}, base_dir=base_dir).jwt_private_key_file == (
        elsewhere
    )


def test_rs256_without_any_key_is_refused_when_debug_is_off_and_says_where_to_put_it(base_dir):
    with pytest.raises(ImproperlyConfigured, match="No JWT signing key") as raised:
        load({"SECRET_KEY": SECRET, "PAYMENT_PROVIDER": "simulated"}, base_dir=base_dir)

    assert str(base_dir / "var" / "keys" / "jwt-private.pem") in str(raised.value)


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("not a key", "not a PEM-encoded"),
        (pem_of(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "at least 2048 bits"),
        (pem_of(ec.generate_private_key(ec.SECP256R1())), "must be an RSA key"),
    ],
    ids=["garbage", "rsa-1024", "ec"],
)
def test_rs256_refuses_keys_it_cannot_use(base_dir, pem, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load({"SECRET_KEY": SECRET, "PAYMENT_PROVIDER": "simulated", "JWT_PRIVATE_KEY": pem}, base_dir=base_dir)


# --- database, numbers, choices -------------------------------------------------------------------


def test_a_postgres_url_keeps_connections_open_and_checks_them(base_dir):
    env = load(
        {**PRODUCTION, "DATABASE_URL": "postgres://app:pw@db.internal:5433/orders", "DATABASE_CONN_MAX_AGE": "0"},
        base_dir=base_dir,
    )

    assert env.database["ENGINE"] == "django.db.backends.postgresql"
    assert (env.database["HOST"], env.database["PORT"], env.database["NAME"]) == ("db.internal", 5433, "orders")
    assert (env.database["USER"], env.database["PASSWORD"]) == ("app", "pw")
    assert env.database["CONN_MAX_AGE"] == 0
    assert env.database["CONN_HEALTH_CHECKS"] is True
    assert env.database["ATOMIC_REQUESTS"] is False


def test_a_postgres_server_that_does_not_answer_fails_within_seconds_unless_the_url_says_otherwise(base_dir):
    default = load({**PRODUCTION, "DATABASE_URL": "postgres://app:pw@db.internal/orders"}, base_dir=base_dir)
    told = load(
        {**PRODUCTION, "DATABASE_URL": "postgres://app:pw@db.internal/orders?connect_timeout=12"}, base_dir=base_dir
    )

    assert default.database["OPTIONS"]["connect_timeout"] == 5
    assert told.database["OPTIONS"]["connect_timeout"] == 12


def test_the_process_role_is_the_api_unless_told(base_dir):
    assert load(PRODUCTION, base_dir=base_dir).process_role == "api"
    assert load({**PRODUCTION, "PROCESS_ROLE": "Consumer"}, base_dir=base_dir).process_role == "consumer"
    with pytest.raises(
        ImproperlyConfigured, match="PROCESS_ROLE must be one of api, worker, beat, dispatcher, consumer"
    ):
        load({**PRODUCTION, "PROCESS_ROLE": "web"}, base_dir=base_dir)


def test_sqlite_waits_for_the_write_lock_and_uses_wal(base_dir):
    env = load({**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/orderflow-test.sqlite3"}, base_dir=base_dir)

    assert env.database["NAME"] == "/tmp/orderflow-test.sqlite3"
    assert env.database["OPTIONS"]["timeout"] == 20
    assert env.database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in env.database["OPTIONS"]["init_command"]


@pytest.mark.filterwarnings("ignore:Engine not recognized")  # django-environ's own complaint
@pytest.mark.parametrize("url", ["nonsense", "://missing-scheme"])
def test_a_database_url_without_a_scheme_is_refused(base_dir, url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        load({**PRODUCTION, "DATABASE_URL": url}, base_dir=base_dir)


@pytest.mark.parametrize("name", ["JWT_ACCESS_TOKEN_LIFETIME", "JWT_REFRESH_TOKEN_LIFETIME", "API_MAX_BODY_SIZE"])
@pytest.mark.parametrize(("value", "message"), [("0", "at least 1"), ("-5", "at least 1"), ("ten", "whole number")])
def test_sizes_and_lifetimes_must_be_positive_whole_numbers(base_dir, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be .*{message}"):
        load({**PRODUCTION, name: value}, base_dir=base_dir)


@pytest.mark.parametrize("name", ["SECURE_HSTS_SECONDS", "DATABASE_CONN_MAX_AGE", "TRUSTED_PROXY_COUNT"])
@pytest.mark.parametrize(("value", "message"), [("-1", "at least 0"), ("a year", "whole number")])
def test_hsts_and_connection_age_must_be_whole_numbers_of_at_least_zero(base_dir, name, value, message):
    environ = {**PRODUCTION, "DATABASE_URL": "postgres://app:pw@db/orders", name: value}

    with pytest.raises(ImproperlyConfigured, match=f"{name} must be .*{message}"):
        load(environ, base_dir=base_dir)


def test_the_dead_letter_queue_is_bounded_by_default_and_zero_lifts_a_bound(base_dir):
    default = load(PRODUCTION, base_dir=base_dir)
    lifted = load(
        {**PRODUCTION, "EVENTS_DEAD_LETTER_MAX_LENGTH": "0", "EVENTS_DEAD_LETTER_RETENTION_DAYS": "0"},
        base_dir=base_dir,
    )

    assert (default.events_dead_letter_max_length, default.events_dead_letter_retention_days) == (10_000, 14)
    assert (lifted.events_dead_letter_max_length, lifted.events_dead_letter_retention_days) == (0, 0)
    assert default.events_broker_management_url == ""


@pytest.mark.parametrize("name", ["EVENTS_DEAD_LETTER_MAX_LENGTH", "EVENTS_DEAD_LETTER_RETENTION_DAYS"])
@pytest.mark.parametrize(("value", "message"), [("-1", "at least 0"), ("lots", "whole number")])
def test_the_dead_letter_bounds_must_be_whole_numbers_of_at_least_zero(base_dir, name, value, message):
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be .*{message}"):
        load({**PRODUCTION, name: value}, base_dir=base_dir)


def test_log_format_must_be_json_or_console(base_dir):
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be one of json, console"):
        load({**PRODUCTION, "LOG_FORMAT": "xml"}, base_dir=base_dir)


def test_lists_are_comma_separated(base_dir):
    env = load(
        {**PRODUCTION, "ALLOWED_HOSTS": "api.example.com,admin.example.com", "CSRF_TRUSTED_ORIGINS": "https://a.b"},
        base_dir=base_dir,
    )

    assert env.allowed_hosts == ["api.example.com", "admin.example.com"]
    assert env.csrf_trusted_origins == ["https://a.b"]


def test_load_reads_only_the_mapping_it_is_given(base_dir, monkeypatch):
    monkeypatch.setenv("APP_NAME", "from-the-process")

    assert load({"DEBUG": "1"}, base_dir=base_dir).app_name == "orderflow"


# --- rate limits and CORS --------------------------------------------------------------------------


def test_rate_limits_default_to_5_per_minute_for_tokens_3_for_sign_ups_and_60_writes(base_dir):
    env = load(PRODUCTION, base_dir=base_dir)

    assert (env.rate_limit_token, env.rate_limit_register, env.rate_limit_writes) == ("5/m", "3/m", "60/m")
    assert env.rate_limit_admin_login == "5/m"


def test_login_rate_limit_still_sets_the_token_rate(base_dir):
    env = load({**PRODUCTION, "LOGIN_RATE_LIMIT": "7/m"}, base_dir=base_dir)

    assert env.rate_limit_token == "7/m"


def test_rate_limit_token_wins_over_login_rate_limit(base_dir):
    env = load({**PRODUCTION, "LOGIN_RATE_LIMIT": "7/m", "RATE_LIMIT_TOKEN": "20/h"}, base_dir=base_dir)

    assert env.rate_limit_token == "20/h"


RATE_VARIABLES = (
    "RATE_LIMIT_TOKEN",
    "LOGIN_RATE_LIMIT",
    "RATE_LIMIT_REGISTER",
    "RATE_LIMIT_WRITES",
    "RATE_LIMIT_ADMIN_LOGIN",
)


@pytest.mark.parametrize("name", RATE_VARIABLES)
@pytest.mark.parametrize("value", ["five", "5", "5/minute", "0/m", "5/0m", "-1/m", "/m"])
def test_a_rate_that_django_ratelimit_cannot_read_is_refused_by_name(base_dir, name, value):
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be a rate like 5/m"):
        load({**PRODUCTION, name: value}, base_dir=base_dir)


@pytest.mark.parametrize("value", ["1/s", "100/15m", "3/h", "1000/d"])
def test_rates_take_an_optional_multiplier_of_the_period(base_dir, value):
    assert load({**PRODUCTION, "RATE_LIMIT_WRITES": value}, base_dir=base_dir).rate_limit_writes == value


def test_cors_allows_no_origin_unless_listed(base_dir):
    assert load(PRODUCTION, base_dir=base_dir).cors_allowed_origins == []
    listed = load({**PRODUCTION, "CORS_ALLOWED_ORIGINS": "https://shop.example.com,https://a.b"}, base_dir=base_dir)
    assert listed.cors_allowed_origins == ["https://shop.example.com", "https://a.b"]


def test_no_proxy_is_trusted_unless_configured(base_dir):
    assert load(PRODUCTION, base_dir=base_dir).trusted_proxy_count == 0
    assert load({**PRODUCTION, "TRUSTED_PROXY_COUNT": "2"}, base_dir=base_dir).trusted_proxy_count == 2


# --- the .env file and .env.example -----------------------------------------------------------------


def test_a_dotenv_file_fills_in_only_what_the_environment_leaves_unset(tmp_path, monkeypatch):
    dotenv = tmp_path / "orderflow.env"
    dotenv.write_text("ORDERFLOW_TEST_SET=from-the-file\nORDERFLOW_TEST_UNSET=from-the-file\n")
    monkeypatch.setenv("DOTENV_FILE", str(dotenv))
    monkeypatch.setenv("ORDERFLOW_TEST_SET", "from-the-environment")
    monkeypatch.setenv("ORDERFLOW_TEST_UNSET", "")
    monkeypatch.delenv("ORDERFLOW_TEST_UNSET")  # unset now; undone (deleted) after the test

    assert read_dotenv() == str(dotenv)
    assert os.environ["ORDERFLOW_TEST_SET"] == "from-the-environment"
    assert os.environ["ORDERFLOW_TEST_UNSET"] == "from-the-file"


def test_the_dotenv_file_is_dot_env_in_the_project_unless_dotenv_file_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("DOTENV_FILE", raising=False)
    assert read_dotenv(tmp_path) == str(tmp_path / ".env")

    monkeypatch.setenv("DOTENV_FILE", "")
    assert read_dotenv(tmp_path) == ""


def example_variables() -> dict[str, str]:
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_env_example_lists_every_variable_and_names_its_other_names():
    example, text = example_variables(), (BASE_DIR / ".env.example").read_text()
    derived = ("DATABASE_URL", "DATABASE_CONN_MAX_AGE", "JWT_PRIVATE_KEY", "JWT_SECRET")

    assert sorted(example) == sorted([*VARIABLES, *derived])
    for variable in VARIABLES.values():
        for name in (*variable.preferred, *variable.older):
            assert f" {name}" in text, name
    assert "# DOTENV_FILE" in text


def test_the_values_in_env_example_are_the_defaults(base_dir):
    written = {name: value for name, value in example_variables().items() if value}

    assert load({**written, **PRODUCTION}, base_dir=base_dir) == load(PRODUCTION, base_dir=base_dir)


# --- tracing ------------------------------------------------------------------------------------------


def test_tracing_is_off_until_an_exporter_or_an_otlp_endpoint_is_configured(base_dir):
    assert load({"DEBUG": "true"}, base_dir=base_dir).tracing_exporters == ()
    assert load({"DEBUG": "true", "OTEL_TRACES_EXPORTER": "none"}, base_dir=base_dir).tracing_exporters == ()
    endpoint = {"DEBUG": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert load(endpoint, base_dir=base_dir).tracing_exporters == ("otlp",)
    traces_endpoint = {"DEBUG": "true", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}
    assert load(traces_endpoint, base_dir=base_dir).tracing_exporters == ("otlp",)


def test_otel_traces_exporter_names_the_exporters_and_rejects_an_unknown_one(base_dir):
    chosen = load({"DEBUG": "true", "OTEL_TRACES_EXPORTER": "Console, otlp,console"}, base_dir=base_dir)
    assert chosen.tracing_exporters == ("console", "otlp")
    with pytest.raises(ImproperlyConfigured, match="OTEL_TRACES_EXPORTER must name otlp, console or none; 'zipkin'"):
        load({"DEBUG": "true", "OTEL_TRACES_EXPORTER": "zipkin"}, base_dir=base_dir)


# --- metrics ---------------------------------------------------------------------------------------------


def test_metrics_are_off_by_default_no_token_no_port_and_sampled_every_15_seconds():
    env = load(PRODUCTION)

    assert (env.metrics_token, env.metrics_port, env.metrics_sample_seconds) == ("", 0, 15)


def test_the_metrics_token_is_taken_as_written_and_blank_means_none():
    assert load({**PRODUCTION, "METRICS_TOKEN": "a-long-enough-token-$42"}).metrics_token == "a-long-enough-token-$42"
    assert load({**PRODUCTION, "METRICS_TOKEN": "   "}).metrics_token == ""


@pytest.mark.parametrize("token", ["short", "has a space in the middle", "tab\tseparated-token-value"])
def test_a_guessable_or_unsendable_metrics_token_stops_the_start(token):
    with pytest.raises(ImproperlyConfigured, match="METRICS_TOKEN must be at least 16 printable characters"):
        load({**PRODUCTION, "METRICS_TOKEN": token})


@pytest.mark.parametrize(
    ("value", "message"), [("65536", "at most 65535"), ("-1", "at least 0"), ("x", "whole number")]
)
def test_a_metrics_port_that_is_no_port_stops_the_start(value, message):
    with pytest.raises(
        ImproperlyConfigured, match=f"METRICS_PORT must be .*{message}|METRICS_PORT must be a {message}"
    ):
        load({**PRODUCTION, "METRICS_PORT": value})
