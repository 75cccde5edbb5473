"""Helpers every provider's pure ``parse`` shares: turning validation failures into words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from jobtui.errors import PayloadError
from jobtui.model import Job

__all__ = [
    "json_type",
    "payload_error",
    "read_object",
]


def read_object(
    name: str, payload: object, build: Callable[[dict[str, Any]], Job], *, what: str = "job"
) -> Job:
    """``build(payload)`` for a JSON object, every failure turned into a ``PayloadError``.

    ``name`` is the provider named in the error and ``what`` the field blamed when
    the payload is not an object at all. A validation failure names its field; any
    other failure while reading (a value too deep, too large, of an odd type) is
    "unreadable" with the exception's type only, never its text, which may quote
    the payload.
    """
    if not isinstance(payload, dict):
        raise PayloadError(name, what, f"expected a JSON object, got {json_type(payload)}")
    try:
        return build(payload)
    except ValidationError as exc:
        raise payload_error(name, exc) from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise PayloadError(name, what, f"unreadable: {type(exc).__name__}") from None


def payload_error(name: str, exc: ValidationError) -> PayloadError:
    """The first validation failure as a ``PayloadError`` naming the field, never its value."""
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "job"
    return PayloadError(name, field, first["msg"])


def json_type(value: object) -> str:
    """What JSON value this is, for "expected a JSON object, got …"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__
