"""Property 11: the argon2id password hasher accepts the hashed password and nothing else."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from apps.users.passwords import DjangoArgon2PasswordHasher

hasher = DjangoArgon2PasswordHasher()


# **Feature: architecture-restructuring-2025, Property 11: Password Hash Verification**
# **Validates: Requirements 9.1**
@given(password=st.text(), other=st.text())
def test_a_password_verifies_against_its_own_argon2id_hash_and_no_other_password_does(
    password: str, other: str
) -> None:
    """For any password, verify(password, hash(password)) is True, verify(other, hash(password)) is
    False for any different password, and the hash is argon2id."""
    assume(other != password)

    hashed = hasher.hash(password)

    assert hasher.verify(password, hashed) is True
    assert hasher.verify(other, hashed) is False
    assert hashed.algorithm == "argon2id"
    assert hashed.value.startswith("argon2$argon2id$")


# **Feature: architecture-restructuring-2025, Property 11: Password Hash Verification**
# **Validates: Requirements 9.1**
@given(st.text())
def test_hashing_the_same_password_twice_gives_two_hashes_that_both_verify(password: str) -> None:
    """For any password, two hashes differ (a fresh salt each time) and each verifies the password."""
    first, second = hasher.hash(password), hasher.hash(password)

    assert first.value != second.value
    assert hasher.verify(password, first)
    assert hasher.verify(password, second)
