"""Serializers every context's API shares."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(component_name="Money")
class MoneyOutput(serializers.Serializer):
    """Money as API v2 writes it: the amount as a decimal string (no float loses a digit) and its currency."""

    amount = serializers.CharField(help_text="A decimal string with the currency's decimal places.")
    currency = serializers.CharField(help_text="An upper-case ISO 4217 code.")
