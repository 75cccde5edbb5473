"""Secrets in the config: ``X``, ``X_env``, ``X_file``, ``X_cmd`` keys, and reading them.

Loading a config only records where each secret lives (a ``SecretRef``);
nothing is read and no command runs until a provider asks. Messages name the
key, the variable, the file or the command, never the value or a command's
output, since either may hold the secret.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import MutableMapping
from pathlib import Path

from pydantic import SecretStr

from jobtui.config.lines import KeyPath
from jobtui.config.model import SECRET_KEYS, ProviderConfig, SecretRef
from jobtui.config.problems import KeyProblem, format_key, quote
from jobtui.errors import ConfigError

__all__ = [
    "CREDENTIALS_BY_KIND",
    "SECRET_CMD_TIMEOUT",
    "SECRET_SUFFIXES",
    "extract_secrets",
    "missing_credentials",
    "provider_secret",
    "resolve_secret",
    "secret_keys_of",
    "store_password",
]

SECRET_SUFFIXES: dict[str, str] = {"": "literal", "_env": "env", "_file": "file", "_cmd": "cmd"}
"""Key suffix → ``SecretRef.source``."""

SECRET_CMD_TIMEOUT = 10.0
"""Seconds an ``X_cmd`` command may take (a password manager may be slow, not stuck)."""

_MAX_SECRET_FILE = 1024 * 1024

CREDENTIALS_BY_KIND: dict[str, tuple[tuple[str, ...], ...]] = {
    "imageintelligence": (("client_id", "client_secret"),),
    "deepomatic": (("api_key",),),
    "superai": (("api_key",),),
    "tensorart": (("token",), ("app_id", "private_key")),
    "cognite": (("token",), ("token_url", "client_id", "client_secret")),
}
"""Per kind, the alternative sets of keys that authenticate (any one set suffices)."""


def secret_keys_of(kind: str) -> tuple[str, ...]:
    """The secret keys a provider kind uses, in ``SECRET_KEYS`` order."""
    used = {key for option in CREDENTIALS_BY_KIND.get(kind, ()) for key in option}
    return tuple(key for key in SECRET_KEYS if key in used)


def _text(value: object, path: KeyPath, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        # The value is not echoed: a mistyped secret is still a secret.
        raise KeyProblem(path, f"expected {what} (a non-empty string)")
    return value


def _command(value: object, path: KeyPath) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise KeyProblem(path, f"cannot split the command into words: {exc}") from None
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        argv = list(value)
    else:
        raise KeyProblem(path, "expected a command: a string or an array of strings")
    if not argv or not argv[0]:
        raise KeyProblem(path, "expected a command, got an empty one")
    return tuple(argv)


def extract_secrets(
    table: MutableMapping[str, object], kind: str, prefix: KeyPath, base_dir: Path | None
) -> tuple[dict[str, SecretRef], list[tuple[KeyPath, str]]]:
    """Pop every secret key out of a provider ``table``; return the refs and warnings.

    ``base_dir`` anchors relative ``X_file`` paths (the config file's directory).
    Raises ``KeyProblem`` for two sources of one secret or a malformed value.
    """
    refs: dict[str, SecretRef] = {}
    warnings: list[tuple[KeyPath, str]] = []
    used = secret_keys_of(kind)
    for key in SECRET_KEYS:
        given = [key + suffix for suffix in SECRET_SUFFIXES if key + suffix in table]
        if not given:
            continue
        if len(given) > 1:
            raise KeyProblem(
                (*prefix, given[1]),
                f"{given[0]} is set too: give the secret one way only",
            )
        name = given[0]
        path = (*prefix, name)
        value = table.pop(name)
        if key not in used:
            warnings.append((path, f"{kind} does not use {key} (ignored)"))
            continue
        refs[key] = _ref(key, name, value, path, base_dir)
    return refs, warnings


def _ref(key: str, name: str, value: object, path: KeyPath, base_dir: Path | None) -> SecretRef:
    """The ``SecretRef`` of config key ``name`` (``key`` plus a suffix) holding ``value``."""
    source = SECRET_SUFFIXES[name[len(key) :]]
    where = format_key(path)
    if source == "literal":
        return SecretRef(
            key=where, source="literal", literal=SecretStr(_text(value, path, "the secret"))
        )
    if source == "env":
        variable = _text(value, path, "an environment variable name")
        if "=" in variable or "\x00" in variable:
            raise KeyProblem(path, f"{quote(variable)} is not an environment variable name")
        return SecretRef(key=where, source="env", env=variable)
    if source == "file":
        file = Path(_text(value, path, "a file path")).expanduser()
        if not file.is_absolute() and base_dir is not None:
            file = base_dir / file
        return SecretRef(key=where, source="file", file=file)
    return SecretRef(key=where, source="cmd", cmd=_command(value, path))


def store_password(table: MutableMapping[str, object], base_dir: Path | None) -> SecretRef | None:
    """Pop the ``[store]`` table's password key (``password``, ``_env``, ``_file``, ``_cmd``).

    For a PostgreSQL store whose password is neither in ``PGPASSWORD`` nor in
    ``.pgpass`` (libpq reads those itself): ``password_cmd = "pass show jobtui-db"``.
    """
    given = [f"password{suffix}" for suffix in SECRET_SUFFIXES if f"password{suffix}" in table]
    if not given:
        return None
    if len(given) > 1:
        raise KeyProblem(
            ("store", given[1]), f"{given[0]} is set too: give the password one way only"
        )
    return _ref("password", given[0], table.pop(given[0]), ("store", given[0]), base_dir)


def resolve_secret(ref: SecretRef, where: str, *, timeout: float = SECRET_CMD_TIMEOUT) -> str:
    """Read the secret ``ref`` points at. ``where`` names the key in errors.

    Literal and environment values are returned as they are; a file's content
    and a command's output lose surrounding whitespace (the trailing newline).
    ``ConfigError`` when it cannot be read or is empty; the message never holds
    the value nor the command's output.
    """
    if ref.source == "literal" and ref.literal is not None:
        value = ref.literal.get_secret_value()
    elif ref.source == "env" and ref.env:
        found = os.environ.get(ref.env)
        if found is None:
            raise ConfigError(f"environment variable {ref.env} is not set", key=where)
        value = found
    elif ref.source == "file" and ref.file is not None:
        value = _read_secret_file(ref.file, where)
    elif ref.source == "cmd" and ref.cmd:
        value = _run_secret_command(ref.cmd, where, timeout)
    else:
        raise ConfigError("the secret reference is incomplete", key=where)
    if not value.strip():
        raise ConfigError(f"the secret from {_origin(ref)} is empty", key=where)
    return value


def _origin(ref: SecretRef) -> str:
    if ref.source == "env":
        return f"environment variable {ref.env}"
    if ref.source == "file":
        return f"file {ref.file}"
    if ref.source == "cmd" and ref.cmd:
        return f"command {quote(ref.cmd[0])}"
    return "the config"


def _read_secret_file(file: Path, where: str) -> str:
    try:
        with open(file, "rb") as handle:
            data = handle.read(_MAX_SECRET_FILE + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"cannot read secret file {file}: {reason}", key=where) from None
    if len(data) > _MAX_SECRET_FILE:
        raise ConfigError(f"secret file {file} is larger than 1 MiB", key=where)
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"secret file {file} is not UTF-8 text", key=where) from None


def _run_secret_command(argv: tuple[str, ...], where: str, timeout: float) -> str:
    name = quote(argv[0])
    try:
        # No shell: the words are passed as they are, so nothing in the config is
        # interpreted twice. stdin is closed so a prompting command fails instead of
        # waiting; stderr is dropped because it is output, and output may be the secret.
        # Its own process group lets a timeout kill helpers it started too.
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            process_group=0 if os.name == "posix" else None,
        )
    except FileNotFoundError:
        raise ConfigError(f"command {name} not found", key=where) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"command {name} could not run: {reason}", key=where) from None
    with process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise ConfigError(f"command {name} timed out after {timeout:g} s", key=where) from None
    if process.returncode < 0:
        raise ConfigError(f"command {name} was killed by signal {-process.returncode}", key=where)
    if process.returncode != 0:
        raise ConfigError(f"command {name} failed with exit status {process.returncode}", key=where)
    try:
        return output.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(
            f"command {name} printed something other than UTF-8 text", key=where
        ) from None


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        process.kill()  # the group is already gone; make sure of the command itself
    process.communicate()


def provider_secret(cfg: ProviderConfig, key: str) -> str | None:
    """The value of secret ``key`` of a provider, None when not configured.

    ``ConfigError`` (naming the key, never the value) when it cannot be read.
    """
    ref = cfg.secrets.get(key)
    if ref is None:
        return None
    return resolve_secret(ref, ref.key or format_key(("providers", cfg.name, key)))


def missing_credentials(cfg: ProviderConfig) -> str | None:
    """Why ``cfg`` cannot authenticate (no complete set of credential keys), or None."""
    options = CREDENTIALS_BY_KIND.get(cfg.kind, ())
    for option in options:
        if all(key in cfg.secrets or getattr(cfg, key, None) for key in option):
            return None
    if not options:
        return None
    wanted = " or ".join(" and ".join(option) for option in options)
    return f"no credentials: set {wanted}"
