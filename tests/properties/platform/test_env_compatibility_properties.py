"""Property 16: the seed's environment variables keep working beside the Django-style names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from config.environment import load

# The seed's Settings (pydantic) parsed booleans case-insensitively from these spellings.
SEED_TRUE = ("1", "on", "t", "true", "y", "yes")
SEED_FALSE = ("0", "off", "f", "false", "n", "no")

any_case = st.sampled_from([str.lower, str.upper, str.capitalize])
seed_booleans = st.one_of(
    st.tuples(st.sampled_from(SEED_TRUE), any_case).map(lambda t: (t[1](t[0]), True)),
    st.tuples(st.sampled_from(SEED_FALSE), any_case).map(lambda t: (t[1](t[0]), False)),
)
"""(how the seed's .env wrote it, what it meant)"""

texts = st.text(min_size=1).filter(lambda value: "\x00" not in value)
secrets = st.one_of(texts, st.tuples(st.just("$"), texts).map("".join)).filter(lambda value: len(value) >= 32)
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(?:\.[a-z]{2,6})?", fullmatch=True)
names = st.from_regex(r"[a-z_][a-z0-9_]{0,20}", fullmatch=True)


@st.composite
def seed_environments(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, Any]]:
    """An environment written for the seed's Settings, and what each of its variables must become."""
    debug_text, debug = draw(seed_booleans)
    host, port, name = draw(hosts), draw(st.integers(1, 65535)), draw(names)
    redis_url = f"redis://{draw(hosts)}:{draw(st.integers(1, 65535))}/{draw(st.integers(0, 15))}"
    app_name, secret = draw(texts), draw(secrets)
    environ = {
        "APP_NAME": app_name,
        "DEBUG": debug_text,
        "DATABASE_URL": f"postgresql://orderflow:secret@{host}:{port}/{name}",
        "REDIS_URL": redis_url,
        "JWT_SECRET": secret,
        "JWT_ALGORITHM": draw(st.sampled_from(["HS256", "hs256", "Hs256"])),
        "SECRET_KEY": draw(texts),
        "PAYMENT_PROVIDER": "simulated",
    }
    expected = {
        "app_name": app_name,
        "debug": debug,
        "database": {"ENGINE": "django.db.backends.postgresql", "HOST": host, "PORT": port, "NAME": name},
        "redis_url": redis_url,
        "jwt_signing_key": secret,
        "jwt_verifying_key": None,
        "jwt_algorithm": "HS256",
        "secret_key": environ["SECRET_KEY"],
    }
    return environ, expected


# **Feature: architecture-restructuring-2025, Property 16: Environment Variable Backward Compatibility**
# **Validates: Requirements 17.4**
@given(seed_environments())
def test_seed_variables_are_accepted_and_interpreted_as_the_seed_settings_did(
    base_dir: Path, case: tuple[dict[str, str], dict[str, Any]]
) -> None:
    """For any valid values of the seed's APP_NAME, DEBUG, DATABASE_URL, REDIS_URL, JWT_SECRET and
    JWT_ALGORITHM (booleans in any spelling the seed accepted), load() accepts them and each lands,
    with the same meaning, in its configuration field."""
    environ, expected = case

    loaded = load(environ, base_dir=base_dir)

    for field, value in expected.items():
        actual = getattr(loaded, field)
        if field == "database":
            assert {key: actual[key] for key in value} == value
        else:
            assert actual == value, field


# **Feature: architecture-restructuring-2025, Property 16: Environment Variable Backward Compatibility**
# **Validates: Requirements 17.4**
@given(
    seed_debug=seed_booleans,
    django_debug=seed_booleans,
    seed_secret=texts,
    django_secret=st.none() | texts,
)
def test_django_style_names_win_over_seed_names_when_both_are_set(
    base_dir: Path,
    seed_debug: tuple[str, bool],
    django_debug: tuple[str, bool],
    seed_secret: str,
    django_secret: str | None,
) -> None:
    """For any values of DEBUG beside DJANGO_DEBUG and of SECRET_KEY beside DJANGO_SECRET_KEY, the
    Django-style name decides; a seed name alone still works."""
    environ = {
        "DEBUG": seed_debug[0],
        "DJANGO_DEBUG": django_debug[0],
        "SECRET_KEY": seed_secret,
        "JWT_ALGORITHM": "HS256",
        "JWT_SECRET": "s" * 32,
        "PAYMENT_PROVIDER": "simulated",
    }
    if django_secret is not None:
        environ["DJANGO_SECRET_KEY"] = django_secret

    loaded = load(environ, base_dir=base_dir)
    alone = load({key: value for key, value in environ.items() if not key.startswith("DJANGO_")}, base_dir=base_dir)

    assert loaded.debug is django_debug[1]
    assert loaded.secret_key == (django_secret if django_secret is not None else seed_secret)
    assert alone.debug is seed_debug[1]
    assert alone.secret_key == seed_secret
