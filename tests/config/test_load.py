"""What a valid config loads into: defaults inherited, unknown keys warned, URLs checked."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from jobtui.config import load_config
from jobtui.config.model import CogniteConfig, DeepomaticConfig, TensorartConfig
from jobtui.errors import ConfigError
from jobtui.sim import Simulator


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o600)
    return path


def test_defaults_are_inherited_unless_overridden(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """\
            [defaults]
            poll_interval = 2
            timeout = 9.5
            max_concurrency = 3

            [providers.a]
            kind = "deepomatic"
            poll_interval = 7.0

            [providers.b]
            kind = "tensorart"
            base_url = "https://ap-east-1.tensorart.cloud"
            max_concurrency = 1
            """,
        )
    )
    a, b = config.providers["a"], config.providers["b"]
    assert isinstance(a, DeepomaticConfig) and isinstance(b, TensorartConfig)
    assert (a.poll_interval, a.timeout, a.max_concurrency) == (7.0, 9.5, 3)
    assert (b.poll_interval, b.timeout, b.max_concurrency) == (2.0, 9.5, 1)
    # Defaults not written stay the model's own (an unset rate limit is not inherited as None).
    assert a.rate_limit is None and a.max_interval == 120.0
    assert config.defaults.poll_interval == 2.0
    assert (a.name, b.name) == ("a", "b")
    assert config.warnings == ()


def test_an_inherited_value_that_conflicts_blames_the_providers_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [defaults]
        max_interval = 20

        [providers.a]
        kind = "deepomatic"
        poll_interval = 30
        """,
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert (caught.value.line, caught.value.key) == (6, "providers.a.poll_interval")


def test_unknown_keys_warn_and_never_fail(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        colour_scheme = "blue"

        [ui]
        theme = "jobtui-light"
        sparkles = true

        [defaults]
        retries = 3

        [providers.deepo]
        kind = "deepomatic"
        api_key_env = "K"
        future_option = { nested = 1 }
        token_env = "T"
        name = "renamed"

        [[jobs]]
        provider = "deepo"
        id = "1"
        priority = "high"
        """,
    )
    config = load_config(path)
    assert config.ui.theme == "jobtui-light"
    assert config.providers["deepo"].name == "deepo"
    assert list(config.providers["deepo"].secrets) == ["api_key"]
    assert [job.id for job in config.jobs] == ["1"]
    expected = [
        (1, "colour_scheme", "unknown key"),
        (5, "ui.sparkles", "unknown key"),
        (8, "defaults.retries", "unknown key"),
        (14, "providers.deepo.token_env", "deepomatic does not use token"),
        (13, "providers.deepo.future_option", "unknown key"),
        (15, "providers.deepo.name", "set by jobtui"),
        (20, "jobs[0].priority", "unknown key"),
    ]
    assert len(config.warnings) == len(expected)
    for (line, key, words), warning in zip(expected, config.warnings, strict=True):
        assert warning.startswith(f"{path}:{line}: {key}: "), warning
        assert words in warning


def test_jobs_accept_numeric_ids_and_drop_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [providers.deepo]
        kind = "deepomatic"

        [[jobs]]
        provider = "deepo"
        id = 269999729
        label = "retriever batch"

        [[jobs]]
        provider = "deepo"
        id = "269999729"
        """,
    )
    config = load_config(path)
    assert [(j.provider, j.id, j.label) for j in config.jobs] == [
        ("deepo", "269999729", "retriever batch")
    ]
    assert config.warnings == (f"{path}:11: jobs[1].id: the same job as jobs[0] (ignored)",)


def test_missing_default_file_is_an_empty_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing-here"))
    config = load_config()
    assert config.providers == {} and config.jobs == () and config.path is None


def test_default_location_is_read_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBTUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "jobtui").mkdir()
    write(tmp_path / "jobtui", '[providers.d]\nkind = "deepomatic"\n')
    assert list(load_config().providers) == ["d"]


def test_env_named_config_that_is_missing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBTUI_CONFIG", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="no such file"):
        load_config()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/deepomatic",
        "http://127.9.9.9",
        "http://localhost:1/x",
        "http://[::1]:9000",
        "https://api.deepomatic.com",
    ],
)
def test_secure_or_loopback_urls_are_accepted(tmp_path: Path, url: str) -> None:
    config = load_config(
        write(tmp_path, f'[providers.d]\nkind = "deepomatic"\nbase_url = "{url}"\n')
    )
    assert config.providers["d"].base_url == url


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        (
            'base_url = "http://api.deepomatic.com"',
            "base_url",
            'credentials to "api.deepomatic.com"',
        ),
        ('base_url = "http://10.0.0.5:80"', "base_url", "in clear text"),
        ('base_url = "ftp://example.com"', "base_url", "http:// or https://"),
        ('base_url = "https://"', "base_url", "no host"),
        ('base_url = "https://[::1"', "base_url", "not a valid URL"),
    ],
)
def test_insecure_or_broken_urls_are_refused(
    tmp_path: Path, extra: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, f'[providers.d]\nkind = "deepomatic"\n{extra}\n'))
    assert (caught.value.line, caught.value.key) == (3, f"providers.d.{key}")
    assert words in caught.value.message


def test_allow_insecure_permits_plain_http(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[providers.d]\nkind = "deepomatic"\nbase_url = "http://10.0.0.5"\nallow_insecure = true\n',
    )
    assert load_config(path).providers["d"].allow_insecure is True


def test_cognite_token_url_must_be_secure(tmp_path: Path) -> None:
    body = """\
    [providers.cdf]
    kind = "cognite"
    cluster = "westeurope-1"
    project = "p"
    token_url = "http://login.example.com/token"
    """
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, body))
    assert (caught.value.line, caught.value.key) == (5, "providers.cdf.token_url")
    config = load_config(write(tmp_path, body.replace("http://login", "https://login")))
    cdf = config.providers["cdf"]
    assert isinstance(cdf, CogniteConfig) and cdf.token_url == "https://login.example.com/token"


def test_relative_paths_start_at_the_config_directory(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [providers.d]
        kind = "deepomatic"
        api_key_file = "secrets/deepo.key"
        verify = "certs/ca.pem"
        """,
    )
    provider = load_config(path).providers["d"]
    assert provider.secrets["api_key"].file == tmp_path / "secrets" / "deepo.key"
    assert provider.verify == str(tmp_path / "certs" / "ca.pem")


def test_the_simulator_config_loads_without_edits(tmp_path: Path) -> None:
    sim = Simulator(jobs=3)
    config = load_config(write(tmp_path, sim.config_toml()))
    assert set(config.providers) == {
        "imageintelligence",
        "deepomatic",
        "superai",
        "tensorart",
        "cognite",
    }
    assert len(config.jobs) == sum(len(sim.job_ids(kind)) for kind in config.providers)
    assert config.warnings == ()
