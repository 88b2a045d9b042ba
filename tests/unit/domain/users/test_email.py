import pytest

from domain.kernel.errors import InvalidValueError
from domain.users.model import Email


def test_an_email_is_trimmed_and_lower_cased():
    email = Email("  Ann.Lee+Orders@Example.COM \n")

    assert email.value == "ann.lee+orders@example.com"
    assert str(email) == "ann.lee+orders@example.com"


def test_emails_differing_only_in_letter_case_are_equal():
    assert Email("ANN@EXAMPLE.COM") == Email("ann@example.com")
    assert hash(Email("ANN@EXAMPLE.COM")) == hash(Email("ann@example.com"))


@pytest.mark.parametrize(
    "address",
    [
        "a@b.co",
        "first.last@sub.domain.example",
        "o'hara@example.ie",
        "x_y-z!#$%&*+/=?^`{|}~@example.org",
        "user@xn--bcher-kva.example",
        "user@example.xn--p1ai",
        "digits123@123.example.com",
        f"{'a' * 64}@example.com",
    ],
)
def test_valid_addresses_are_accepted(address: str):
    assert Email(address).value == address


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "Enter an e-mail address."),
        ("   ", "Enter an e-mail address."),
        ("plainaddress", "Enter a valid e-mail address."),
        ("@example.com", "Enter a valid e-mail address."),
        ("ann@", "Enter a valid e-mail address."),
        ("ann@localhost", "Enter a valid e-mail address."),
        ("ann@example.c", "Enter a valid e-mail address."),
        ("ann@example.c0m", "Enter a valid e-mail address."),
        ("ann@-example.com", "Enter a valid e-mail address."),
        ("ann@example-.com", "Enter a valid e-mail address."),
        ("ann@exa_mple.com", "Enter a valid e-mail address."),
        ("ann@example..com", "Enter a valid e-mail address."),
        (".ann@example.com", "Enter a valid e-mail address."),
        ("ann.@example.com", "Enter a valid e-mail address."),
        ("an..n@example.com", "Enter a valid e-mail address."),
        ("an n@example.com", "Enter a valid e-mail address."),
        ("ann@exam ple.com", "Enter a valid e-mail address."),
        ("ann@@example.com", "Enter a valid e-mail address."),
        ("anné@example.com", "Enter a valid e-mail address."),
        ("ann@exämple.com", "Enter a valid e-mail address."),
        (f"{'a' * 65}@example.com", "Enter a valid e-mail address."),
        (f"ann@{'a' * 64}.com", "Enter a valid e-mail address."),
    ],
)
def test_invalid_addresses_are_refused_with_a_message_for_the_email_field(address: str, message: str):
    with pytest.raises(InvalidValueError) as raised:
        Email(address)

    assert raised.value.field == "email"
    assert raised.value.message == message


def test_an_address_longer_than_254_characters_is_refused():
    address = f"{'a' * 64}@{'.'.join(['b' * 60] * 3)}.{'c' * 10}"
    assert len(address) > 254

    with pytest.raises(InvalidValueError) as raised:
        Email(address)

    assert raised.value.message == "An e-mail address has at most 254 characters."


def test_an_address_of_exactly_254_characters_is_accepted():
    address = f"{'a' * 64}@{'.'.join(['b' * 61] * 3)}.{'c' * 3}"
    assert len(address) == 254

    assert Email(address).value == address
