"""Property 1: every valid environment variable ends up, correctly typed, in the loaded configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from apps.security.keys import generate_private_key_pem
from config.environment import load

RSA_PRIVATE_PEM = generate_private_key_pem(bits=2048).decode().strip()

TRUE_SPELLINGS = ("true", "True", "TRUE", "1", "yes", "on", "y", "ok")
FALSE_SPELLINGS = ("false", "False", "FALSE", "0", "no", "off", "n")

# Names and secrets may hold any character (a generated Django secret key may well start with "$"),
# except NUL, which no environment can carry.
free_text = st.one_of(
    st.text(min_size=1),
    st.tuples(st.sampled_from(["$", "\\$", "${", "\\", "#", "'", '"', " "]), st.text()).map("".join),
).filter(lambda value: "\x00" not in value)
hostnames = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,15}[a-z0-9])?(?:\.[a-z]{2,8}){0,2}", fullmatch=True)
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
ports = st.integers(min_value=1, max_value=65535)


def spelled(flag: bool) -> st.SearchStrategy[tuple[str, bool]]:
    return st.sampled_from(TRUE_SPELLINGS if flag else FALSE_SPELLINGS).map(lambda text: (text, flag))


booleans = st.booleans().flatmap(spelled)
"""(how it is written, what it means)"""


@st.composite
def postgres_urls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    user, password = draw(identifiers), draw(st.text(min_size=1, max_size=30))
    host, port, name = draw(hostnames), draw(ports), draw(identifiers)
    url = f"postgres://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{name}"
    expected = {
        "ENGINE": "django.db.backends.postgresql",
        "USER": user,
        "PASSWORD": password,
        "HOST": host,
        "PORT": port,
        "NAME": name,
    }
    return url, expected


@st.composite
def sqlite_urls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    path = "/" + "/".join(draw(st.lists(identifiers, min_size=1, max_size=4))) + ".sqlite3"
    return f"sqlite:///{path}", {"ENGINE": "django.db.backends.sqlite3", "NAME": path}


@st.composite
def environments(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, Any]]:
    """A valid environment and the configuration it must produce, variable by variable."""
    environ: dict[str, str] = {}
    expected: dict[str, Any] = {}

    debug_text, debug = draw(booleans)
    environ["DEBUG"], expected["debug"] = debug_text, debug
    if not debug or draw(st.booleans()):
        environ["SECRET_KEY"] = expected["secret_key"] = draw(free_text)
    if not debug or draw(st.booleans()):
        environ["PAYMENT_PROVIDER"] = expected["payment_provider"] = "simulated"

    algorithm = draw(st.sampled_from(["HS256", "RS256"]))
    environ["JWT_ALGORITHM"] = draw(st.sampled_from([algorithm, algorithm.lower()]))
    expected["jwt_algorithm"] = algorithm
    if algorithm == "HS256":
        secret = draw(free_text.filter(lambda value: len(value) >= 32))
        environ["JWT_SECRET"] = expected["jwt_signing_key"] = secret
        expected["jwt_verifying_key"] = None
    elif not debug or draw(st.booleans()):
        escaped = draw(st.booleans())  # a one-line variable with "\n" escapes, as .env files hold it
        environ["JWT_PRIVATE_KEY"] = RSA_PRIVATE_PEM.replace("\n", "\\n") if escaped else RSA_PRIVATE_PEM
        expected["jwt_signing_key"] = RSA_PRIVATE_PEM
        expected["jwt_verifying_key"] = "-----BEGIN PUBLIC KEY-----"
    else:
        expected["jwt_signing_key"] = expected["jwt_verifying_key"] = None

    optional: dict[str, st.SearchStrategy[tuple[str, Any, Any]]] = {
        "APP_NAME": free_text.map(lambda name: (name, "app_name", name)),
        "ALLOWED_HOSTS": st.lists(hostnames, min_size=1, max_size=4).map(
            lambda hosts: (",".join(hosts), "allowed_hosts", hosts)
        ),
        "CSRF_TRUSTED_ORIGINS": st.lists(hostnames.map(lambda host: f"https://{host}"), min_size=1, max_size=3).map(
            lambda origins: (",".join(origins), "csrf_trusted_origins", origins)
        ),
        "DATABASE_URL": (postgres_urls() | sqlite_urls()).map(lambda url: (url[0], "database", url[1])),
        "REDIS_URL": st.builds(
            lambda host, port, db: f"redis://{host}:{port}/{db}", hostnames, ports, st.integers(0, 15)
        ).map(lambda url: (url, "redis_url", url)),
        "JWT_ACCESS_TOKEN_LIFETIME": st.integers(1, 10**9).map(lambda n: (str(n), "jwt_access_token_lifetime", n)),
        "JWT_REFRESH_TOKEN_LIFETIME": st.integers(1, 10**9).map(lambda n: (str(n), "jwt_refresh_token_lifetime", n)),
        "API_MAX_BODY_SIZE": st.integers(1, 10**12).map(lambda n: (str(n), "api_max_body_size", n)),
        "LOGIN_RATE_LIMIT": st.builds(
            lambda n, unit: f"{n}/{unit}", st.integers(1, 10**6), st.sampled_from("smhd")
        ).map(lambda rate: (rate, "rate_limit_token", rate)),
        **{
            name: st.builds(
                lambda n, multiplier, unit: f"{n}/{multiplier}{unit}",
                st.integers(1, 10**6),
                st.sampled_from(["", "1", "15"]),
                st.sampled_from("smhd"),
            ).map(lambda rate, field=field: (rate, field, rate))
            for name, field in (
                ("RATE_LIMIT_REGISTER", "rate_limit_register"),
                ("RATE_LIMIT_WRITES", "rate_limit_writes"),
                ("RATE_LIMIT_ADMIN_LOGIN", "rate_limit_admin_login"),
            )
        },
        "CORS_ALLOWED_ORIGINS": st.lists(hostnames.map(lambda host: f"https://{host}"), min_size=1, max_size=3).map(
            lambda origins: (",".join(origins), "cors_allowed_origins", origins)
        ),
        "LOG_LEVEL": st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
        .flatmap(lambda level: st.sampled_from([level, level.lower(), level.capitalize()]))
        .map(lambda text: (text, "log_level", text.upper())),
        "LOG_FORMAT": st.sampled_from(["json", "JSON", "console", "Console"]).map(
            lambda text: (text, "log_format", text.lower())
        ),
        "SECURE_SSL_REDIRECT": booleans.map(lambda flag: (flag[0], "secure_ssl_redirect", flag[1])),
        "SECURE_HSTS_SECONDS": st.integers(0, 10**9).map(lambda n: (str(n), "secure_hsts_seconds", n)),
        "BEHIND_TLS_PROXY": booleans.map(lambda flag: (flag[0], "behind_tls_proxy", flag[1])),
    }
    for variable in sorted(draw(st.sets(st.sampled_from(sorted(optional))))):
        text, field, value = draw(optional[variable])
        environ[variable], expected[field] = text, value
    return environ, expected


def defaults(debug: bool, base_dir: Path) -> dict[str, Any]:
    return {
        "app_name": "orderflow",
        "allowed_hosts": ["localhost", "127.0.0.1", "[::1]", "testserver"] if debug else [],
        "csrf_trusted_origins": [],
        "database": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(base_dir / "var" / "orderflow.sqlite3")},
        "redis_url": None,
        "jwt_access_token_lifetime": 900,
        "jwt_refresh_token_lifetime": 7 * 24 * 3600,
        "api_max_body_size": 1024 * 1024,
        "rate_limit_token": "5/m",
        "rate_limit_register": "3/m",
        "rate_limit_writes": "60/m",
        "rate_limit_admin_login": "5/m",
        "cors_allowed_origins": [],
        "log_level": "INFO",
        "log_format": "json",
        "secure_ssl_redirect": not debug,
        "secure_hsts_seconds": 0 if debug else 31_536_000,
        "behind_tls_proxy": False,
    }


# **Feature: architecture-restructuring-2025, Property 1: Configuration Loading from Environment**
# **Validates: Requirements 1.1**
@given(environments())
def test_valid_environment_variables_are_mapped_to_their_configuration_fields(
    base_dir: Path, case: tuple[dict[str, str], dict[str, Any]]
) -> None:
    """For any set of environment variables with valid values, load() produces an Environment whose
    fields hold exactly those values, correctly typed; every variable left out takes its default."""
    environ, expected = case
    expected = {**defaults(expected["debug"], base_dir), **expected}

    loaded = load(environ, base_dir=base_dir)

    for field, value in expected.items():
        actual = getattr(loaded, field)
        if field == "database":
            assert {key: actual.get(key) for key in value} == value
        elif field == "jwt_verifying_key" and value is not None:
            assert actual.startswith(value)
        else:
            assert actual == value, field
    if "SECRET_KEY" not in environ:
        assert loaded.secret_key  # DEBUG on: a development key stands in
