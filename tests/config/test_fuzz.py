"""Fuzzing the loader: whatever the file holds, load_config returns a Config or raises ConfigError.

Documents are built from the real keys (so validation runs deep) mixed with
random ones and random values, written by tomli-w; raw random text covers the
syntax-error path. A located error always points at a line of the file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobtui.config import load_config
from jobtui.config.lines import KeyLines
from jobtui.config.model import PROVIDER_CONFIG_TYPES, DefaultsConfig, UiConfig
from jobtui.config.secrets import SECRET_SUFFIXES
from jobtui.errors import ConfigError

FUZZ = settings(
    max_examples=150,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

PROVIDER_KEYS = sorted(
    {field for model in PROVIDER_CONFIG_TYPES.values() for field in model.model_fields}
    | {
        key + suffix
        for key in ("api_key", "token", "client_secret", "private_key")
        for suffix in SECRET_SUFFIXES
    }
)

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "https://api.deepomatic.com",
            "http://10.1.1.1/x",
            "http://127.0.0.1:9",
            "ask",
            "segment",
            "failures",
            "deepomatic",
            "",
            "~/key",
            "KEY_VAR",
        ]
    ),
    st.datetimes(timezones=st.just(UTC)) | st.dates() | st.times(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def table_of(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=10), values, max_size=6)


provider_tables = st.builds(
    lambda kind, rest: {"kind": kind, **rest} if kind is not None else rest,
    st.sampled_from([*PROVIDER_CONFIG_TYPES, "nope", None]) | values,
    table_of(PROVIDER_KEYS),
)
job_tables = st.dictionaries(
    st.sampled_from(["provider", "id", "label"]) | st.text(max_size=6),
    st.sampled_from(["deepomatic", "p0", "p1"]) | values,
    max_size=4,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "ui": table_of(list(UiConfig.model_fields)) | values,
        "defaults": table_of(list(DefaultsConfig.model_fields)) | values,
        "providers": st.dictionaries(
            st.sampled_from(["p0", "p1", "deepomatic"]) | st.text(max_size=8),
            provider_tables | values,
            max_size=4,
        )
        | values,
        "jobs": st.lists(job_tables | values, max_size=4) | values,
        "extra": values,
    },
)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def load_only_config_errors(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    path.chmod(0o600)
    try:
        config = load_config(path)
    except ConfigError as error:
        if error.line is not None:
            assert 1 <= error.line <= content.count(b"\n") + 1, str(error)
        assert error.file == path
    else:
        assert all(isinstance(w, str) for w in config.warnings)


@FUZZ
@given(document=documents)
def test_random_documents_only_raise_config_errors(workdir: Path, document: dict[str, Any]) -> None:
    load_only_config_errors(workdir / "doc.toml", tomli_w.dumps(document).encode())


@FUZZ
@given(
    text=st.text(alphabet=st.sampled_from(list("[]{}=\"'#.,\n \\abkind123_-")) | st.characters())
)
def test_random_text_only_raises_config_errors(workdir: Path, text: str) -> None:
    load_only_config_errors(workdir / "text.toml", text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_only_raise_config_errors(workdir: Path, data: bytes) -> None:
    load_only_config_errors(workdir / "bytes.toml", data)


nested = st.recursive(
    st.dictionaries(st.text(min_size=1, max_size=8), scalars, min_size=1, max_size=3),
    lambda inner: st.dictionaries(
        st.text(min_size=1, max_size=8), inner | scalars, min_size=1, max_size=3
    ),
    max_leaves=10,
)


def leaves(
    table: dict[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


@FUZZ
@given(document=nested)
def test_every_key_is_found_on_its_own_line(document: dict[str, Any]) -> None:
    text = tomli_w.dumps(document)
    lines = text.split("\n")
    found = KeyLines(text)
    for path, value in leaves(document):
        number = found.line_of(path)
        assert number is not None, path
        written = tomli_w.dumps({path[-1]: value}).split("\n")[0]
        key_text = written[: written.index(" = ")]
        assert lines[number - 1].startswith(key_text + " = "), (path, lines[number - 1])


@pytest.mark.parametrize("depth", [40, 400, 5000])
@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ("{a=", "}")])
def test_deeply_nested_values_are_a_config_error(
    workdir: Path, depth: int, opening: str, closing: str
) -> None:
    path = workdir / "deep.toml"
    path.write_text(
        "[providers.d]\nkind = 'deepomatic'\nscopes = "
        + opening * depth
        + "1" * (opening == "{a=")
        + closing * depth
        + "\n"
    )
    with pytest.raises(ConfigError, match="nested more than 32 levels"):
        load_config(path)
