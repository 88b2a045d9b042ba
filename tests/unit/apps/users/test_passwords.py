"""The Django password adapters (argon2id with cheap test parameters, see tests/support/hashers.py)."""

import pytest

from apps.users.passwords import DjangoArgon2PasswordHasher, DjangoPasswordPolicy
from domain.users.model import PasswordHash

hasher = DjangoArgon2PasswordHasher()
policy = DjangoPasswordPolicy()


def test_hash_is_argon2id_in_djangos_encoding():
    hashed = hasher.hash("correct horse battery")

    assert hashed.algorithm == "argon2id"
    assert hashed.value.startswith("argon2$argon2id$v=19$")
    assert "correct horse battery" not in hashed.value


def test_verify_accepts_the_password_and_refuses_others():
    hashed = hasher.hash("correct horse battery")

    assert hasher.verify("correct horse battery", hashed) is True
    assert hasher.verify("Correct horse battery", hashed) is False
    assert hasher.verify("", hashed) is False


def test_verify_returns_false_for_a_hash_of_another_algorithm():
    assert hasher.verify("secret", PasswordHash("pbkdf2_sha256$600000$salt$hash")) is False


def test_a_strong_password_has_no_problems():
    assert policy.problems("correct horse battery staple", email="ann@example.com", display_name="Ann") == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "This password is too short. It must contain at least 10 characters."),
        ("password1234", "This password is too common."),
        ("73914058261", "This password is entirely numeric."),
    ],
)
def test_weak_passwords_are_explained(password, problem):
    assert problem in policy.problems(password, email="ann@example.com", display_name="Ann")


def test_a_password_like_the_email_is_a_problem_not_a_crash():
    problems = policy.problems("ann.lee@example.com", email="ann.lee@example.com", display_name="Ann")

    assert any("too similar" in problem for problem in problems)


def test_a_password_like_the_display_name_is_a_problem():
    problems = policy.problems("Gandalf The Grey Wizard", email="g@example.com", display_name="Gandalf The Grey Wizard")

    assert any("too similar" in problem for problem in problems)


def test_a_corrupt_stored_hash_verifies_nothing_instead_of_raising():
    corrupt = PasswordHash(value="argon2$argon2id$not-a-hash")

    assert DjangoArgon2PasswordHasher().verify("anything at all", corrupt) is False
