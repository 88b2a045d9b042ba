from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Still argon2id (Django's algorithm name "argon2"), just cheap enough for tests."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
