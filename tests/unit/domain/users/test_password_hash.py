import pytest

from domain.kernel.errors import InvalidValueError
from domain.users.model import PasswordHash

ENCODED = "argon2$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"


def test_a_password_hash_is_argon2id_by_default():
    hashed = PasswordHash(ENCODED)

    assert hashed.algorithm == "argon2id"
    assert hashed.value == ENCODED


@pytest.mark.parametrize("algorithm", ["argon2i", "pbkdf2_sha256", "md5", ""])
def test_other_algorithms_are_refused(algorithm: str):
    with pytest.raises(InvalidValueError) as raised:
        PasswordHash(ENCODED, algorithm=algorithm)

    assert raised.value.field == "password"


def test_an_empty_hash_is_refused():
    with pytest.raises(InvalidValueError, match="cannot be empty"):
        PasswordHash("")


def test_repr_never_shows_the_hash():
    assert ENCODED not in repr(PasswordHash(ENCODED))
    assert repr(PasswordHash(ENCODED)) == "PasswordHash(algorithm='argon2id', value='***')"
