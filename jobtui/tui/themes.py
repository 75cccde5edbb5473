"""Themes: TOML files turned into Textual ``Theme`` objects with a colour per job state.

Shipped themes live in the repository's ``themes/*.toml`` (inside the wheel as
``jobtui/themes``); a user adds or overrides themes in
``<user config dir>/jobtui/themes/*.toml``. A theme file
holds Textual's base colours, a ``[states]`` table (one colour per
``JobState``, exposed to the TCSS and the widgets as ``$state-<state>``) and
an optional ``[variables]`` table of further Textual variables::

    name = "my-theme"
    dark = true
    primary = "#4fa3ff"
    background = "#101418"

    [states]
    failed = "#e0525a"

    [variables]
    block-cursor-text-style = "reverse"

A broken file never stops the app: it is skipped, and the error names the
file, the line and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import platformdirs
from textual.color import Color, ColorParseError
from textual.filter import LineFilter, Monochrome, NoColor
from textual.theme import Theme

from jobtui.errors import ConfigError
from jobtui.model import JobState

__all__ = [
    "STATE_DEFAULTS",
    "ThemeSet",
    "load_theme_file",
    "load_theme_set",
    "load_themes",
    "readable_line_filters",
    "shipped_themes_dir",
    "user_themes_dir",
]

STATE_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "state-queued": "#8fa1b3",
        "state-running": "#4fa3ff",
        "state-paused": "#d7a64a",
        "state-succeeded": "#4ebf71",
        "state-partial": "#e5a50a",
        "state-failed": "#e0525a",
        "state-canceled": "#a08cc0",
        "state-unknown": "#b0b0b0",
    }
)
"""``$state-*`` values for themes that do not set them (Textual's own themes).

An app that may run a theme without ``[states]`` returns these from
``App.get_theme_variable_defaults`` so its TCSS always resolves.
"""

_COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_FLOAT_KEYS = ("luminosity_spread", "text_alpha")
_BOOL_KEYS = ("dark", "ansi")
_TABLES = ("states", "variables")
_KNOWN_KEYS = frozenset({"name", "description", *_COLOR_KEYS, *_FLOAT_KEYS, *_BOOL_KEYS, *_TABLES})
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class ThemeSet:
    """The themes that loaded, and one error per file that did not."""

    themes: list[Theme] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)


def shipped_themes_dir() -> Path:
    """The directory of the shipped themes.

    An installed wheel carries them as ``jobtui/themes``; a source checkout (an
    editable install, ``make``) has them at the top level beside ``jobtui/``.
    """
    packaged = Path(str(resources.files("jobtui") / "themes"))
    if packaged.is_dir():
        return packaged
    return Path(str(resources.files("jobtui"))).parent / "themes"


def user_themes_dir() -> Path:
    """Where a user's own themes live: ``<user config dir>/jobtui/themes``."""
    return platformdirs.user_config_path("jobtui") / "themes"


def _line_of(source: str, table: str | None, key: str) -> int | None:
    """The line defining ``key`` (in ``[table]``, or at the top level), 1-based."""
    current: str | None = None
    pattern = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""")
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[] \t")
            continue
        if current == table and pattern.match(line):
            return number
    return None


def _color(value: object, path: Path, source: str, table: str | None, key: str) -> str:
    line = _line_of(source, table, key)
    dotted = f"{table}.{key}" if table else key
    if not isinstance(value, str):
        raise ConfigError(
            f"expected a colour as a string, got {value!r}", file=path, line=line, key=dotted
        )
    try:
        Color.parse(value)
    except ColorParseError:
        raise ConfigError(
            f"not a colour: {value!r} (use #rrggbb, rgb(…), a colour name or ansi_<name>)",
            file=path,
            line=line,
            key=dotted,
        ) from None
    return value


def load_theme_file(path: Path) -> Theme:
    """Read one theme file; raises ``ConfigError`` naming the file, line and key."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read theme: {error}", file=path) from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_LINE.search(str(error))
        line = int(match.group(1)) if match else None
        raise ConfigError(f"not valid TOML: {error}", file=path, line=line) from None
    for key in data:
        if key not in _KNOWN_KEYS:
            raise ConfigError(
                f"unknown key (known: {', '.join(sorted(_KNOWN_KEYS))})",
                file=path,
                line=_line_of(source, None, key),
                key=key,
            )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            "every theme needs a name (a non-empty string)",
            file=path,
            line=_line_of(source, None, "name"),
            key="name",
        )
    if "primary" not in data:
        raise ConfigError("every theme needs a primary colour", file=path, key="primary")
    colors = {key: _color(data[key], path, source, None, key) for key in _COLOR_KEYS if key in data}
    options: dict[str, float | bool] = {}
    for key in (*_FLOAT_KEYS, *_BOOL_KEYS):
        if key not in data:
            continue
        value = data[key]
        is_flag = key in _BOOL_KEYS
        if is_flag and isinstance(value, bool):
            options[key] = value
        elif (
            not is_flag
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and 0.0 <= value <= 1.0  # refuses nan too; huge values overflow Textual's colour maths
        ):
            options[key] = float(value)
        else:
            raise ConfigError(
                f"expected {'true or false' if is_flag else 'a number from 0 to 1'}, got {value!r}",
                file=path,
                line=_line_of(source, None, key),
                key=key,
            )
    variables = dict(STATE_DEFAULTS)
    variables.update(_states(data.get("states", {}), path, source))
    variables.update(_variables(data.get("variables", {}), path, source))
    if options.get("ansi", False):
        # Textual's ANSI colour system leaves these to the theme, and its widgets'
        # CSS fails to parse without them.
        dark = bool(options.get("dark", True))
        variables.setdefault("ansi-background", "ansi_black" if dark else "ansi_white")
        variables.setdefault("ansi-foreground", "ansi_white" if dark else "ansi_black")
    return Theme(
        name=name.strip(),
        primary=colors.pop("primary"),
        dark=bool(options.get("dark", True)),
        ansi=bool(options.get("ansi", False)),
        luminosity_spread=float(options.get("luminosity_spread", 0.15)),
        text_alpha=float(options.get("text_alpha", 0.95)),
        variables=variables,
        **colors,
    )


def _states(table: object, path: Path, source: str) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError("expected a table of state colours", file=path, key="states")
    known = {state.value for state in JobState}
    result = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"unknown state (known: {', '.join(sorted(known))})",
                file=path,
                line=_line_of(source, "states", key),
                key=f"states.{key}",
            )
        result[f"state-{key}"] = _color(value, path, source, "states", key)
    return result


def _variables(table: object, path: Path, source: str) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError("expected a table of Textual variables", file=path, key="variables")
    result = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise ConfigError(
                f"expected a string, got {value!r}",
                file=path,
                line=_line_of(source, "variables", key),
                key=f"variables.{key}",
            )
        result[key] = value
    return result


def load_theme_set(directories: Iterable[Path]) -> ThemeSet:
    """Load every ``*.toml`` of each directory, in order: a later theme replaces one of its name.

    Missing directories are fine; broken files are skipped and reported.
    """
    by_name: dict[str, Theme] = {}
    errors: list[ConfigError] = []
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ConfigError as error:
                errors.append(error)
                continue
            by_name[theme.name] = theme
    return ThemeSet(list(by_name.values()), errors)


def load_themes(user_dir: Path | None = None) -> list[Theme]:
    """The shipped themes and the user's, broken files left out.

    Use :func:`load_theme_set` to also get the errors (to show them).
    """
    return load_theme_set([shipped_themes_dir(), user_dir or user_themes_dir()]).themes


_NO_COLOR = NoColor()


def readable_line_filters(filters: Sequence[LineFilter], *, ansi: bool) -> list[LineFilter]:
    """Line filters that keep ANSI themes readable under ``NO_COLOR``.

    Textual picks its ``NO_COLOR`` filter once, from the theme active at start-up:
    ``Monochrome`` for a truecolor theme. Switch to an ANSI theme later and
    ``Monochrome`` turns the terminal's default colours into black on black. With
    an ANSI theme this swaps it for ``NoColor`` (the terminal's own colours).
    An app uses it from its ``get_line_filters``::

        def get_line_filters(self) -> Sequence[LineFilter]:
            return readable_line_filters(super().get_line_filters(), ansi=self.native_ansi_color)
    """
    if not ansi:
        return list(filters)
    return [_NO_COLOR if isinstance(f, Monochrome) else f for f in filters]
