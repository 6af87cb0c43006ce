"""The course's deliberate mistakes (catalog 1.4): make the call it shows as an error and record what the library
really does, now."""

from __future__ import annotations

import warnings
from typing import Any, Callable


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """Make a call the course shows as a mistake (catalog 1.4): ('raises <ErrorType>', None) or
    ('no error', result). Recording what the library really does, now, is the point."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "no error", call()
    except Exception as exc:  # noqa: BLE001 - whatever the library raises is the answer
        return f"raises {type(exc).__name__}", None
