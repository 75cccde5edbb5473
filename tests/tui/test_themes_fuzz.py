"""Fuzzing the theme loader: random TOML theme files give a usable theme or a ``ConfigError``.

Documents are built from the keys a theme knows (and some it does not) with
values of every TOML type, plus raw bytes that are not TOML or not UTF-8.
Whatever loads must also produce its colour system, as the app does when the
theme is applied; whatever does not must fail with ``ConfigError`` naming the
file, and never stop the other themes from loading.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobtui.errors import ConfigError
from jobtui.model import JobState
from jobtui.tui.themes import load_theme_file, load_theme_set, load_themes

COLOR_KEYS = [
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
]
OTHER_KEYS = ["name", "description", "dark", "ansi", "luminosity_spread", "text_alpha"]
STATES = [s.value for s in JobState]

colours = st.one_of(
    st.sampled_from(
        [
            "#4fa3ff",
            "#fff",
            "red",
            "ansi_red",
            "rgb(1,2,3)",
            "hsl(20,50%,50%)",
            "#12345678",
            "transparent",
            "ansi_default",
        ]
    ),
    st.from_regex(r"\A#[0-9a-fA-F]{3,8}\Z"),
)
scalars = st.one_of(
    colours,
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just(datetime(2026, 1, 1, tzinfo=UTC)),
    st.just(date(2026, 1, 1)),
    st.just(time(12, 0)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
tables = st.dictionaries(
    st.one_of(st.sampled_from(STATES), st.text(max_size=8)),
    st.one_of(colours, values),
    max_size=5,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        **{key: st.one_of(colours, values) for key in COLOR_KEYS},
        "name": st.one_of(st.text(max_size=12), values),
        "description": values,
        "dark": st.one_of(st.booleans(), values),
        "ansi": st.one_of(st.booleans(), values),
        "luminosity_spread": st.one_of(st.floats(allow_nan=True, allow_infinity=True), values),
        "text_alpha": st.one_of(st.floats(allow_nan=True, allow_infinity=True), values),
        "states": st.one_of(tables, values),
        "variables": st.one_of(
            st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4), values
        ),
        "surprise": values,
    },
)

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""Examples per property: each one builds a whole colour system, so a few hundred."""

FUZZ_DIRECTORIES = settings(FUZZ, max_examples=100)
"""Up to four documents and a binary file per example: as many files as the others read."""


def check_one(path: Path) -> None:
    """Load ``path``: a theme whose colour system builds, or ConfigError naming the file."""
    try:
        theme = load_theme_file(path)
    except ConfigError as error:
        assert path.name in str(error), str(error)
        return
    assert theme.name.strip()
    # What the app does with a theme it applies: the colours must all resolve.
    generated = theme.to_color_system().generate()
    assert generated


@FUZZ
@given(document=documents)
def test_random_theme_documents(tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    check_one(path)


@FUZZ
@given(document=documents.map(lambda d: {"name": "fuzzed", "primary": "#123456", **d}))
def test_random_documents_that_have_the_required_keys(
    tmp_path: Path, document: dict[str, Any]
) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    check_one(path)


@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_random_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(raw)
    check_one(path)


@FUZZ
@given(
    spread=st.floats(allow_nan=True, allow_infinity=True),
    alpha=st.floats(allow_nan=True, allow_infinity=True),
)
def test_odd_numbers_for_the_numeric_keys(tmp_path: Path, spread: float, alpha: float) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "name": "numbers",
                "primary": "#4fa3ff",
                "luminosity_spread": spread,
                "text_alpha": alpha,
            }
        )
    )
    check_one(path)


@FUZZ_DIRECTORIES
@given(documents=st.lists(documents, min_size=1, max_size=4))
def test_a_directory_of_random_themes_never_stops_loading(
    tmp_path: Path, documents: list[dict[str, Any]]
) -> None:
    directory = tmp_path / "themes"
    directory.mkdir(exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    for n, document in enumerate(documents):
        (directory / f"t{n}.toml").write_text(tomli_w.dumps(document))
    (directory / "binary.toml").write_bytes(b"\xff\xfe\x00name = 1")
    found = load_theme_set([directory])
    assert len(found.themes) + len(found.errors) <= len(documents) + 1
    assert all(isinstance(error, ConfigError) for error in found.errors)
    shipped = {theme.name for theme in load_themes(directory)}
    assert "jobtui-dark" in shipped or any(t.name == "jobtui-dark" for t in found.themes)
