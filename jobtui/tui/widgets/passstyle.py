"""The widget's own style, looked up once per drawing pass.

``DOMNode.rich_style`` walks every ancestor's styles each time it is read. A
widget that draws line by line and reads it per line pays that walk for every
line of every frame: a third of drawing a full list or tree. Within one call of
``render_lines`` the style cannot change, so it is read once for the pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

__all__ = ["PassStyle"]

if TYPE_CHECKING:
    from textual.widget import Widget

    _Base = Widget
else:
    # Not a widget class itself: Textual follows a widget's first DOM base for its
    # CSS and component classes, and this mixin comes first.
    _Base = object


class PassStyle(_Base):
    """Mixin (listed before the widget class): ``pass_style`` is ``rich_style`` read once
    per ``render_lines``."""

    _pass_style: Style | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the lines in ``crop`` with the widget's style looked up once for them all."""
        self._pass_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._pass_style = None

    @property
    def pass_style(self) -> Style:
        """The widget's ``rich_style``: the pass's when drawing, else read now."""
        style = self._pass_style
        return style if style is not None else self.rich_style
