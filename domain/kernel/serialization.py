"""JSON-safe conversion of frozen dataclasses (commands, queries, events, DTOs).

``to_primitive`` turns a dataclass into dicts, lists, strings, numbers, booleans
and ``None``; ``from_primitive`` rebuilds it from its type hints. UUIDs and
datetimes travel as ISO strings, Decimals as strings (no float rounding), enums
by value, tuples as lists.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, get_args, get_origin
from uuid import UUID

T = TypeVar("T")


_PLAIN = frozenset({str, int, float, bool, type(None)})
_AS_STRING = frozenset({UUID, Decimal})


def to_primitive(value: Any) -> Any:
    # The most common exact types first (a StrEnum, a UUID subclass... take the general way below).
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind in _AS_STRING:
        return str(value)
    if kind is datetime:
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_primitive(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, enum.Enum):
        return to_primitive(value.value)
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset | set):
        return [to_primitive(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_primitive(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def from_primitive(cls: type[T], data: Any) -> T:
    """Rebuild an instance of dataclass ``cls`` from ``to_primitive`` output.

    Raises ``TypeError`` or ``ValueError`` when ``data`` does not fit ``cls``.
    """
    return typing.cast(T, _decode(cls, data))


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in _fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any) -> Any:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, data)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise ValueError(f"{data!r} fits none of {tp}: {'; '.join(errors)}")
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in _expect(list, data))
        return tuple(_decode(arg, item) for arg, item in zip(args, _expect(list, data), strict=True))
    if origin in (list, frozenset, set):
        (arg,) = get_args(tp)
        return origin(_decode(arg, item) for item in _expect(list, data))
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        args = get_args(tp) or (str, Any)
        return {key: _decode(args[1], item) for key, item in _expect(dict, data).items()}
    if tp is Any:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        fields = _expect(dict, data)
        return tp(**{f.name: _decode(hints[f.name], fields[f.name]) for f in _fields(tp) if f.name in fields})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is UUID:
        return UUID(_expect(str, data))
    if tp is Decimal:
        return Decimal(_expect(str, data))
    if tp is datetime:
        return datetime.fromisoformat(_expect(str, data))
    if tp is date:
        return date.fromisoformat(_expect(str, data))
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in (bool, int, float, str):
        return _expect(tp, data)
    if tp is type(None):
        if data is not None:
            raise ValueError(f"expected null, got {data!r}")
        return None
    raise TypeError(f"cannot deserialise into {tp!r}")


def _expect(tp: type[T], data: Any) -> T:
    if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
        raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
    return data
