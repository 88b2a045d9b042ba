"""What a test does when something it needs is missing: skipped on a developer's machine, a failure in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_unless_ci(reason: str) -> NoReturn:
    """Skip with ``reason``; with ``CI`` set, fail with it instead: CI runs every test or says why not."""
    if IN_CI:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
