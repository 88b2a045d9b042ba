"""Settings for the test suite: production settings with test keys, fast hashing and no TLS redirect."""

import os

from apps.security.keys import generate_private_key_pem

os.environ["DOTENV_FILE"] = ""  # a developer's .env must not change the tests
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks-0123456789")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("PAYMENT_PROVIDER", "simulated")  # refunds granted in-process; no money moves
# Events travel through kombu's in-memory transport unless a real broker is named (the integration run).
os.environ.setdefault("EVENTS_BROKER_URL", "memory://")
# Each suite runs in one process, where the projections' invalidations reach the cache directly.
os.environ.setdefault("READ_CACHE_ENABLED", "true")
if os.environ.get("JWT_ALGORITHM", "RS256").upper() == "RS256":
    os.environ.setdefault("JWT_PRIVATE_KEY", generate_private_key_pem(bits=2048).decode())

from config.settings import *  # noqa: F403

# argon2id all the same, with cheap parameters so hundreds of hashes take seconds, not minutes.
PASSWORD_HASHERS = ["tests.support.hashers.FastArgon2PasswordHasher"]
RATE_LIMIT_TOKEN = "1000/m"
# The suite registers and writes from one address far faster than people do; rate-limit tests set their own.
RATE_LIMIT_REGISTER = RATE_LIMIT_WRITES = RATE_LIMIT_ADMIN_LOGIN = "100000/m"

# Tests drive the dispatcher and consumers themselves; nothing is queued behind their back.
OUTBOX_KICK_ON_COMMIT = False
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
