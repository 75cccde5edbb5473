"""config.toml.example loads and documents every key; the ``config init`` starter loads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from jobtui.config import load_config, provider_secret
from jobtui.config.model import PROVIDER_CONFIG_TYPES, DefaultsConfig, UiConfig, ViewConfig
from jobtui.config.secrets import CREDENTIALS_BY_KIND, SECRET_SUFFIXES, secret_keys_of
from jobtui.config.starter import STARTER_PROVIDERS, starter_toml

from support.data import REPO_ROOT

EXAMPLE = REPO_ROOT / "config.toml.example"
# Fields the loader sets itself: the table name, and secrets gathered from the X_* keys.
NOT_KEYS = {"name", "secrets"}


def env_variables(text: str) -> set[str]:
    return set(re.findall(r'^\s*\w+_env\s*=\s*"([A-Z0-9_]+)"', text, flags=re.MULTILINE))


def test_example_loads_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    text = EXAMPLE.read_text()
    variables = env_variables(text)
    assert variables, "the example reads its secrets from environment variables"
    for variable in variables:
        monkeypatch.setenv(variable, f"value-of-{variable}")
    config = load_config(EXAMPLE)
    assert config.warnings == ()
    assert {cfg.kind for cfg in config.providers.values()} == set(PROVIDER_CONFIG_TYPES)
    assert config.jobs, "the example shows [[jobs]]"
    assert config.views, "the example shows a saved view"
    for cfg in config.providers.values():
        for key, ref in cfg.secrets.items():
            if ref.source == "env":
                assert provider_secret(cfg, key) == f"value-of-{ref.env}"


def test_example_mentions_every_field_of_every_model() -> None:
    text = EXAMPLE.read_text()
    models: list[type[BaseModel]] = [
        UiConfig,
        DefaultsConfig,
        ViewConfig,
        *PROVIDER_CONFIG_TYPES.values(),
    ]
    for model in models:
        for field in set(model.model_fields) - NOT_KEYS:
            assert re.search(rf"\b{field}\b", text), f"{model.__name__}.{field} is not documented"
    for kind in PROVIDER_CONFIG_TYPES:
        assert f'kind = "{kind}"' in text
        for key in secret_keys_of(kind):
            assert re.search(rf"\b{key}(_env|_file|_cmd)?\s*=", text), f"{kind} {key}"
    for suffix in SECRET_SUFFIXES:
        assert f"X{suffix}" in text, f"the X{suffix} form is explained"


def test_example_comments_every_active_key() -> None:
    # Each key set in the example carries a comment on its line or in the lines above it.
    lines = EXAMPLE.read_text().split("\n")
    for number, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#") and "#" not in line:
            above = [
                row for row in lines[max(0, number - 12) : number] if row.lstrip().startswith("#")
            ]
            assert above, f"line {number + 1} ({line!r}) has no comment nearby"


def test_every_kind_has_credentials_and_a_starter_table() -> None:
    assert set(CREDENTIALS_BY_KIND) == set(PROVIDER_CONFIG_TYPES)
    assert set(STARTER_PROVIDERS) == set(PROVIDER_CONFIG_TYPES)


@pytest.mark.parametrize("kinds", [None, ["deepomatic"], ["cognite", "tensorart"]])
def test_starter_loads_without_secrets(tmp_path: Path, kinds: list[str] | None) -> None:
    text = starter_toml(kinds)
    assert text.startswith("# ")
    document = tomllib.loads(text)
    assert list(document["providers"]) == (kinds or list(STARTER_PROVIDERS))
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o644)
    config = load_config(path)
    assert config.warnings == ()
    assert all(
        ref.source == "env" for cfg in config.providers.values() for ref in cfg.secrets.values()
    )
    assert all(cfg.secrets for cfg in config.providers.values())
