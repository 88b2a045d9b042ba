"""generate_jwt_keys: where it writes the development signing key, and when it leaves one alone."""

import stat

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError


def test_the_key_goes_to_the_jwt_private_key_file_setting_readable_by_the_owner_only(tmp_path, settings):
    settings.JWT_PRIVATE_KEY_FILE = tmp_path / "keys" / "signing.pem"

    call_command("generate_jwt_keys")

    written = settings.JWT_PRIVATE_KEY_FILE
    assert serialization.load_pem_private_key(written.read_bytes(), password=None).key_size >= 2048
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_path_overrides_the_setting(tmp_path, settings):
    settings.JWT_PRIVATE_KEY_FILE = tmp_path / "from-the-setting.pem"

    call_command("generate_jwt_keys", "--path", str(tmp_path / "given.pem"))

    assert (tmp_path / "given.pem").is_file()
    assert not settings.JWT_PRIVATE_KEY_FILE.exists()


def test_an_existing_key_is_kept_unless_forced(tmp_path, settings):
    settings.JWT_PRIVATE_KEY_FILE = tmp_path / "signing.pem"
    settings.JWT_PRIVATE_KEY_FILE.write_text("kept")

    call_command("generate_jwt_keys", "--if-missing")
    with pytest.raises(CommandError, match="already exists; pass --force"):
        call_command("generate_jwt_keys")

    assert settings.JWT_PRIVATE_KEY_FILE.read_text() == "kept"
