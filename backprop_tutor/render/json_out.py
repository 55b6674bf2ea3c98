"""The whole trace as one JSON document: header, every id with its value, and the events."""

from __future__ import annotations

import json

from ..trace import Trace


def trace_json(trace: Trace) -> str:
    """Full float precision, so other tools can apply their own rounding."""
    return json.dumps(trace.to_dict(), indent=2, ensure_ascii=False)
