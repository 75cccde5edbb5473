"""Config problems in a user's words: key paths, value descriptions, pydantic errors explained.

A pydantic ``ValidationError`` speaks Python ("Input should be a valid
number"); a config user wants ``expected a number, got "often"`` at the key
they wrote. Values echoed back are quoted with control characters escaped, so
a message can never move the cursor of the terminal that prints it.
"""

from __future__ import annotations

import json
import math
import re
import types
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from jobtui.config.lines import KeyPath

__all__ = ["KeyProblem", "describe", "explain", "format_key", "quote"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# C0/C1 controls, DEL and the bidirectional overrides: nothing that can restyle a terminal.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MAX_SHOWN = 60
# Fields whose type alone says too little about what to write.
_FIELD_EXPECTATIONS = {"verify": "true, false or a CA bundle path"}


class KeyProblem(Exception):
    """A problem at one key path; the loader turns it into a located ``ConfigError``."""

    def __init__(self, path: KeyPath, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


def quote(text: str) -> str:
    """``text`` as a double-quoted string, controls escaped, shortened when long."""
    shown = text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
    inner = json.dumps(shown, ensure_ascii=False)[1:-1]
    return '"' + _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", inner) + '"'


def format_key(path: Sequence[str | int]) -> str:
    """A key path as written in messages: ``providers.deepo.poll_interval``, ``jobs[2].id``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _BARE_KEY.fullmatch(part) else quote(part)
        out += f".{name}" if out else name
    return out


def describe(value: object) -> str:
    """A short TOML-like rendering of a (non-secret) value for a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date | time):
        return "a date/time"
    return "a value of another type"


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expectation(annotation: Any) -> str:
    """What a field of type ``annotation`` accepts, in words."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    simple = {bool: "true or false", float: "a number", int: "a whole number", str: "a string"}
    if annotation in simple:
        return simple[annotation]
    if annotation is Path:
        return "a path"
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in args)
    if origin in (Union, types.UnionType):
        parts = [expectation(a) for a in args if a is not type(None)]
        return " or ".join(parts)
    if origin is tuple or origin is list:
        item = args[0] if args else Any
        return "an array of strings" if item is str else "an array"
    if origin is dict:
        return "a table of strings" if args[1:] == (str,) else "a table"
    return "a valid value"


_ELEMENT_EXPECTATIONS = {
    "string_type": "a string",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "an array",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
}

_BOUNDS = {
    "greater_than": ("gt", "must be greater than"),
    "greater_than_equal": ("ge", "must be at least"),
    "less_than": ("lt", "must be less than"),
    "less_than_equal": ("le", "must be at most"),
}


def _is_union(annotation: Any) -> bool:
    if get_origin(annotation) not in (Union, types.UnionType):
        return False
    return len([a for a in get_args(annotation) if a is not type(None)]) > 1


def explain(
    errors: Sequence[ErrorDetails], model: type[BaseModel], data: Mapping[str, object]
) -> tuple[tuple[str | int, ...], str]:
    """The first of ``errors`` (from validating ``data`` as ``model``) as (sub-path, message).

    The sub-path is relative to the table validated: ``("poll_interval",)`` or
    ``("scopes", 1)``.
    """
    error = errors[0]
    loc = tuple(error["loc"])
    field = loc[0] if loc else None
    info = model.model_fields.get(field) if isinstance(field, str) else None
    given = error.get("input")
    if error["type"] == "missing":
        return loc, "missing required key"
    if info is not None and (len(loc) == 1 or _is_union(info.annotation)):
        # A union reports one error per member (``verify.bool``, ``verify.str``):
        # the user wrote one value, so answer with what the whole field accepts.
        loc = loc[:1]
        given = data.get(str(field), given)
    bound = _BOUNDS.get(error["type"])
    if bound is not None:
        limit = (error.get("ctx") or {}).get(bound[0])
        return loc, f"{bound[1]} {_number(limit)}, got {describe(given)}"
    if len(loc) == 1 and info is not None:
        wanted = _FIELD_EXPECTATIONS.get(str(field)) or expectation(info.annotation)
    else:
        wanted = _ELEMENT_EXPECTATIONS.get(error["type"], "a valid value")
    return loc, f"expected {wanted}, got {describe(given)}"
