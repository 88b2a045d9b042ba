import re
import sys
import unicodedata

import pytest

from domain.kernel.errors import InvalidValueError
from domain.users.model import CONTROL_CHARACTERS, UserProfile


def test_the_display_name_is_trimmed():
    assert UserProfile("  Ann Lee \t").display_name == "Ann Lee"


def test_the_display_name_is_stored_in_nfc_form():
    decomposed = "Zoe\u0308"  # "e" + combining diaeresis

    profile = UserProfile(decomposed)

    assert profile.display_name == "Zo\u00eb"
    assert profile == UserProfile("Zo\u00eb")


def test_profiles_are_equal_by_display_name():
    assert UserProfile("Ann") == UserProfile(" Ann ")
    assert UserProfile("Ann") != UserProfile("ann")


@pytest.mark.parametrize("name", ["A", "a" * 100, "李小龍", "Zoë O'Brien-Smith", "🙂 emoji fan"])
def test_names_of_1_to_100_printable_characters_are_accepted(name: str):
    assert UserProfile(name).display_name == name


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_an_empty_name_is_refused(name: str):
    with pytest.raises(InvalidValueError) as raised:
        UserProfile(name)

    assert raised.value.field == "display_name"
    assert raised.value.message == "Enter a display name."


def test_a_name_longer_than_100_characters_is_refused():
    with pytest.raises(InvalidValueError) as raised:
        UserProfile("a" * 101)

    assert raised.value.field == "display_name"
    assert raised.value.message == "A display name has at most 100 characters."


def test_length_is_checked_after_trimming():
    assert UserProfile("  " + "a" * 100 + "  ").display_name == "a" * 100


@pytest.mark.parametrize(
    "name",
    ["Ann\x00Lee", "Ann\nLee", "Ann\x1bLee", "Ann\u200bLee", "Ann\u202eLee", "Ann\u2028Lee", "Ann\u2029Lee"],
)
def test_control_and_format_characters_are_refused(name: str):
    with pytest.raises(InvalidValueError) as raised:
        UserProfile(name)

    assert raised.value.message == "A display name cannot contain control characters."


def test_the_refused_characters_are_unicodes_control_format_and_separator_characters_of_the_bmp():
    """The table (which the API's schema states as a pattern) is what this Python's Unicode database says."""
    refused = re.compile(f"[{CONTROL_CHARACTERS}]")
    expected = {chr(point) for point in range(0x10000) if unicodedata.category(chr(point)) in {"Cc", "Cf", "Zl", "Zp"}}

    assert {chr(point) for point in range(sys.maxunicode + 1) if refused.fullmatch(chr(point))} == expected


def test_the_tags_of_an_emoji_flag_are_allowed():
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"

    assert UserProfile(f"Ann {scotland}").display_name == f"Ann {scotland}"


@pytest.mark.parametrize(
    "name",
    [
        "Ann\U000e0041\U000e0042Lee",  # tag letters outside a flag: invisible
        "Ann\U000e0001Lee",  # the language tag
        "Ann\U0001d173Lee",  # a musical format control
        "Ann\U000e0067\U000e007f",  # tags and a cancel tag with no flag before them
    ],
)
def test_format_characters_beyond_the_bmp_are_refused_outside_an_emoji_flag(name: str):
    with pytest.raises(InvalidValueError, match="cannot contain control characters"):
        UserProfile(name)
