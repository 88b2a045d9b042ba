import os

import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "ci",
    max_examples=100,
    phases=[Phase.generate, Phase.target, Phase.shrink],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _fresh_read_cache():
    """Every test starts with an empty read cache in this process (the database is new for each test)."""
    from apps.platform.caching import read_cache

    cache = read_cache()
    forget = getattr(cache, "clear_local", None)
    if forget is not None:
        forget()
