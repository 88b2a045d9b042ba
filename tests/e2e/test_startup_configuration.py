"""How the service starts (or refuses to) under a given environment, checked in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "p" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = ("DJANGO_", "DEBUG", "SECRET_KEY", "JWT_", "ALLOWED_HOSTS", "SECURE_", "DATABASE_", "REDIS_URL")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    clean.setdefault("PAYMENT_PROVIDER", "simulated")
    clean.update({"DOTENV_FILE": "", "JWT_PRIVATE_KEY_FILE": str(ROOT / "var" / "no-such-key.pem"), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_without_secret_key_and_debug_off_the_service_refuses_to_start_with_one_line():
    result = manage("check", DEBUG="false", JWT_ALGORITHM="HS256", JWT_SECRET="s" * 40)

    assert result.returncode == 2
    assert result.stderr == "orderflow: configuration error: SECRET_KEY is not set; it is required when DEBUG is off.\n"


def test_without_a_jwt_key_and_debug_off_the_service_refuses_to_start_with_one_line():
    result = manage("check", DEBUG="false", SECRET_KEY=PRODUCTION_SECRET)

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "No JWT signing key: set JWT_PRIVATE_KEY" in result.stderr


def test_a_short_hs256_secret_is_refused():
    result = manage("check", DEBUG="false", SECRET_KEY=PRODUCTION_SECRET, JWT_ALGORITHM="HS256", JWT_SECRET="short")

    assert result.returncode == 2
    assert "JWT_SECRET must be at least 32 characters" in result.stderr


def test_with_debug_on_and_no_key_the_system_check_says_how_to_make_one():
    result = manage("check", DEBUG="true")

    assert result.returncode == 1
    assert "security.E001" in result.stderr
    assert "generate_jwt_keys" in result.stderr


def test_hs256_tokens_are_signed_with_the_shared_secret_and_no_key_is_published():
    secret = "a-shared-secret-of-at-least-thirty-two-characters"
    script = (
        "import json, jwt\n"
        "from apps.security.keys import jwks\n"
        "from apps.security.tokens import AccessToken\n"
        "token = AccessToken()\n"
        "token['user_id'] = 'someone'\n"
        f"claims = jwt.decode(str(token), {secret!r}, algorithms=['HS256'], issuer='orderflow')\n"
        "print(json.dumps({'user_id': claims['user_id'], 'jwks': jwks()}))\n"
    )
    result = manage(
        "shell", "-c", script, DEBUG="false", SECRET_KEY=PRODUCTION_SECRET, JWT_ALGORITHM="HS256", JWT_SECRET=secret
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == '{"user_id": "someone", "jwks": {"keys": []}}'
