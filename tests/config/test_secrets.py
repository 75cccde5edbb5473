"""Every secret source, its failures, and that a secret never shows in reprs or messages."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from jobtui.config import load_config, missing_credentials, provider_secret, resolve_secret
from jobtui.config.model import ProviderConfig, SecretRef
from jobtui.errors import ConfigError

SECRET = "s3cret-Value-42"


def provider(tmp_path: Path, mode: int = 0o600, **keys: Any) -> ProviderConfig:
    """The ``deepo`` provider of a config whose table holds ``keys``."""
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps({"providers": {"deepo": {"kind": "deepomatic", **keys}}}))
    path.chmod(mode)
    return load_config(path).providers["deepo"]


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_literal_secret_is_returned_but_never_shown(tmp_path: Path) -> None:
    cfg = provider(tmp_path, api_key=SECRET)
    assert provider_secret(cfg, "api_key") == SECRET
    assert SECRET not in repr(cfg) and SECRET not in str(cfg)
    assert SECRET not in cfg.model_dump_json()
    assert provider_secret(cfg, "token") is None


def test_env_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = provider(tmp_path, api_key_env="JOBTUI_TEST_KEY")
    monkeypatch.setenv("JOBTUI_TEST_KEY", SECRET)
    assert provider_secret(cfg, "api_key") == SECRET
    monkeypatch.delenv("JOBTUI_TEST_KEY")
    with pytest.raises(ConfigError) as caught:
        provider_secret(cfg, "api_key")
    assert caught.value.key == "providers.deepo.api_key_env"
    assert "environment variable JOBTUI_TEST_KEY is not set" in str(caught.value)
    monkeypatch.setenv("JOBTUI_TEST_KEY", "  ")
    with pytest.raises(ConfigError, match="is empty"):
        provider_secret(cfg, "api_key")


def test_file_secret(tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text(f"{SECRET}\n")
    cfg = provider(tmp_path, api_key_file="key.txt")
    assert provider_secret(cfg, "api_key") == SECRET
    (tmp_path / "key.txt").unlink()
    with pytest.raises(ConfigError) as caught:
        provider_secret(cfg, "api_key")
    assert f"cannot read secret file {tmp_path / 'key.txt'}" in str(caught.value)
    assert caught.value.key == "providers.deepo.api_key_file"


def test_file_secret_that_is_not_text(tmp_path: Path) -> None:
    (tmp_path / "key.bin").write_bytes(b"\xff\xfe" + SECRET.encode())
    cfg = provider(tmp_path, api_key_file=str(tmp_path / "key.bin"))
    with pytest.raises(ConfigError, match="not UTF-8 text") as caught:
        provider_secret(cfg, "api_key")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("as_string", [False, True])
def test_command_secret(tmp_path: Path, as_string: bool) -> None:
    argv = python(f"print({SECRET!r})")
    cfg = provider(tmp_path, api_key_cmd=shlex.join(argv) if as_string else argv)
    assert cfg.secrets["api_key"].cmd == tuple(argv)
    assert provider_secret(cfg, "api_key") == SECRET


def test_command_runs_without_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    # With a shell, `;` would start a second command creating the marker file.
    argv = [*python("import sys; print(sys.argv[1])"), f"x; touch {marker}"]
    cfg = provider(tmp_path, api_key_cmd=argv)
    assert provider_secret(cfg, "api_key") == f"x; touch {marker}"
    assert not marker.exists()


def test_failing_command_never_shows_its_output(tmp_path: Path) -> None:
    code = f"import sys; print({SECRET!r}); print({SECRET!r}, file=sys.stderr); sys.exit(3)"
    cfg = provider(tmp_path, api_key_cmd=python(code))
    with pytest.raises(ConfigError) as caught:
        provider_secret(cfg, "api_key")
    message = str(caught.value)
    assert "failed with exit status 3" in message
    assert caught.value.key == "providers.deepo.api_key_cmd"
    assert SECRET not in message and SECRET not in repr(caught.value)


def test_command_timeout_is_an_error(tmp_path: Path) -> None:
    cfg = provider(tmp_path, api_key_cmd=python("import time; time.sleep(60)"))
    ref = cfg.secrets["api_key"]
    with pytest.raises(ConfigError, match=r"timed out after 0\.5 s"):
        resolve_secret(ref, "providers.deepo.api_key_cmd", timeout=0.5)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["/nonexistent/jobtui-secret-tool"], "not found"),
        (python("print('')"), "is empty"),
        (python("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"), "killed by signal"),
    ],
)
def test_command_failures(tmp_path: Path, command: list[str], words: str) -> None:
    cfg = provider(tmp_path, api_key_cmd=command)
    with pytest.raises(ConfigError, match=words):
        provider_secret(cfg, "api_key")


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ({"api_key": 123456789}, "expected the secret"),
        ({"api_key": ""}, "expected the secret"),
        ({"api_key_env": ""}, "environment variable name"),
        ({"api_key_env": "A=B"}, "not an environment variable name"),
        ({"api_key_file": 3}, "a file path"),
        ({"api_key_cmd": []}, "empty one"),
        ({"api_key_cmd": "pass 'unclosed"}, "cannot split"),
        ({"api_key_cmd": [1, 2]}, "a string or an array of strings"),
    ],
)
def test_malformed_secret_keys(tmp_path: Path, keys: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        provider(tmp_path, **keys)
    assert words in caught.value.message
    assert caught.value.key == f"providers.deepo.{next(iter(keys))}"
    assert "123456789" not in str(caught.value)


def test_literal_secret_in_a_readable_file_warns(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[providers.deepo]\nkind = "deepomatic"\napi_key = "{SECRET}"\n')
    path.chmod(0o644)
    warnings = load_config(path).warnings
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{path}:3: providers.deepo.api_key: ")
    assert "readable by group or others" in warnings[0] and SECRET not in warnings[0]
    path.chmod(0o600)
    assert load_config(path).warnings == ()


def test_referenced_secrets_in_a_readable_file_do_not_warn(tmp_path: Path) -> None:
    cfg_path = tmp_path / "config.toml"
    cfg_path.write_text('[providers.deepo]\nkind = "deepomatic"\napi_key_env = "K"\n')
    cfg_path.chmod(0o644)
    assert load_config(cfg_path).warnings == ()


def test_secrets_of_each_kind(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    document = {
        "providers": {
            "t": {
                "kind": "tensorart",
                "base_url": "https://ap-east-1.tensorart.cloud",
                "app_id": "app",
                "private_key_env": "TAMS_KEY",
                "client_secret": "not used here",
            },
            "c": {"kind": "cognite", "cluster": "api", "project": "p", "token_env": "CDF"},
        }
    }
    path.write_text(tomli_w.dumps(document))
    path.chmod(0o600)
    config = load_config(path)
    assert set(config.providers["t"].secrets) == {"private_key"}
    assert set(config.providers["c"].secrets) == {"token"}
    assert (
        len(config.warnings) == 1 and "tensorart does not use client_secret" in config.warnings[0]
    )


def test_missing_credentials_names_what_to_set(tmp_path: Path) -> None:
    assert missing_credentials(provider(tmp_path, api_key_env="K")) is None
    assert missing_credentials(provider(tmp_path)) == "no credentials: set api_key"


def test_incomplete_reference_is_an_error() -> None:
    with pytest.raises(ConfigError, match="incomplete"):
        resolve_secret(SecretRef(key="k", source="env"), "providers.x.api_key_env")
