from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory without var/keys/jwt-private.pem, so no real key file is picked up."""
    return tmp_path_factory.mktemp("project")
