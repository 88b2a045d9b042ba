"""Serializers and fields every context's API shares."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string field that takes only a JSON string: DRF's own turns ``12`` into ``"12"``.

    The API documents its text fields as ``type: string``; a number or a boolean there is
    a 400 like any other value of the wrong type.
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictIntegerField(serializers.IntegerField):
    """An integer field that takes only a JSON integer: DRF's own takes ``"5"``, ``5.0`` and ``"5.0"``."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


@extend_schema_serializer(component_name="Money")
class MoneyOutput(serializers.Serializer):
    """Money as API v2 writes it: the amount as a decimal string (no float loses a digit) and its currency."""

    amount = serializers.CharField(help_text="A decimal string with the currency's decimal places.")
    currency = serializers.CharField(help_text="An upper-case ISO 4217 code.")
