"""Records as plain data (dicts, lists, numbers, text) for the JSON export.

`dataclasses.asdict` deep-copies every leaf it meets; a trace's leaves are floats and strings,
which need no copy, and a big trace has tens of thousands of records. This walks each record
once and copies nothing but the containers.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from functools import cache
from typing import Any

_LEAVES = (float, int, str, bool, type(None))


@cache
def _fields(kind: type) -> tuple[tuple[str, Any], ...] | None:
    """A record type's field names with their defaults (MISSING: none); None for other types."""
    if not is_dataclass(kind):
        return None
    return tuple((f.name, f.default) for f in fields(kind))


def plain(value: Any) -> Any:
    """A record (a dataclass), and what it holds, as dicts and lists; other values as they are."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _fields(kind)
    if names is not None:
        return {name: plain(getattr(value, name)) for name, _ in names}
    if kind is list or kind is tuple:
        return [plain(item) for item in value]
    if kind is dict:
        return {key: plain(item) for key, item in value.items()}
    return value


def without_defaults(record: Any) -> dict:
    """A flat record's fields that differ from their defaults, tuples as lists."""
    found = {}
    for name, default in _fields(type(record)) or ():
        value = getattr(record, name)
        if default is MISSING or value != default:
            found[name] = list(value) if isinstance(value, tuple) else value
    return found
