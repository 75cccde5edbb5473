"""Helpers every provider's pure ``parse`` shares: turning validation failures into words."""

from __future__ import annotations

from pydantic import ValidationError

from jobtui.errors import PayloadError

__all__ = [
    "json_type",
    "payload_error",
]


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
