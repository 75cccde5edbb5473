"""Rich ``Text`` built from untrusted strings, never from markup.

Every label the dashboard draws from provider data goes through here:
``Text`` objects are built from plain strings with explicit styles, so a
provider string such as ``"[bold]x[/]"`` shows its brackets, and control or
bidi characters show as escapes (see :func:`jobtui.textsafe.visible`).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from jobtui.textsafe import visible

__all__ = ["StyledPart", "component_text_style", "join_parts", "safe", "safe_text"]

StyledPart = tuple[str, str | Style]
"""A piece of untrusted text and the style to draw it in ("" for none)."""


def safe(text: object) -> str:
    """Return ``text`` (any value, ``str()``-ed) with control and bidi characters escaped."""
    return visible(text if isinstance(text, str) else str(text))


def safe_text(text: object, style: str | Style = "") -> Text:
    """Return a one-line ``Text`` showing ``text`` literally in ``style``."""
    return Text(safe(text), style=style, end="", no_wrap=True)


def join_parts(parts: Iterable[StyledPart], *, separator: str = "") -> Text:
    """Assemble styled pieces of untrusted text into one ``Text``, literally."""
    result = Text(end="", no_wrap=True)
    for index, (value, style) in enumerate(parts):
        if index and separator:
            result.append(separator)
        result.append(safe(value), style=style or None)
    return result


def component_text_style(widget: Widget, name: str, *, background: bool = False) -> Style:
    """A component class's style for text drawn inside ``widget``.

    Textual's ``partial`` component styles leave ``auto`` and translucent colours
    unresolved (``$text-muted`` came out white on a light theme); the full style
    resolves them against the widget's background. The background itself is
    dropped unless asked for, so a cursor or selection drawn over the text shows.
    """
    full = widget.get_component_rich_style(name)
    attributes = widget.get_component_rich_style(name, partial=True).without_color
    if background:
        return Style.from_color(full.color, full.bgcolor) + attributes
    return Style.from_color(full.color) + attributes
