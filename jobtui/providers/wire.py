"""The pieces every provider's wire models share: the id type and the model bases.

Each ``providers/<kind>/wire.py`` describes one native format; what they have
in common is that they keep unknown fields, are immutable, and read ids as
text whichever JSON type carried them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = [
    "CamelWire",
    "IdText",
    "Wire",
]


def _id_text(value: object) -> object:
    """Ids are strings in the docs and integers in some answers; keep them as text.

    A boolean is refused: ``true`` as an id is a broken answer, not the id ``"True"``.
    """
    if isinstance(value, bool):
        raise ValueError("an id must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    return value


IdText = Annotated[str, BeforeValidator(_id_text)]
"""An identifier kept as text, whatever JSON type carried it."""


class Wire(BaseModel):
    """A wire model with snake_case field names as sent: unknown fields kept, frozen."""

    model_config = ConfigDict(extra="allow", frozen=True)


class CamelWire(BaseModel):
    """A wire model whose JSON names are camelCase (``jobId``), read by either name."""

    model_config = ConfigDict(
        extra="allow", frozen=True, alias_generator=to_camel, populate_by_name=True
    )
