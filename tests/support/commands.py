"""Commands through the production command bus, for tests that need state made the real way."""

from typing import Any

from apps.platform.buses import command_bus
from domain.kernel.result import Ok


def dispatch(command: Any) -> Any:
    """Dispatch ``command`` and return its ``Ok`` value; anything else fails the test."""
    result = command_bus().dispatch(command)
    assert isinstance(result, Ok), result
    return result.value
