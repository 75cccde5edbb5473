"""Loading ``config.toml``: validated, with located errors and secrets by reference.

``load_config`` turns the file into a ``jobtui.config.model.Config``. Every
error names the file, the line and the key (``config.toml:7:
providers.deepo.poll_interval: expected a number, got "often"``); unknown keys
only warn, so a config written for a newer jobtui still loads. Secrets are
recorded as references and read by ``provider_secret`` when a provider
needs them.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from jobtui.config.checks import check_provider, interval_problem
from jobtui.config.jobblocks import split_jobs
from jobtui.config.lines import KeyLines, KeyPath
from jobtui.config.model import (
    PROVIDER_CONFIG_TYPES,
    SECRET_KEYS,
    Config,
    DefaultsConfig,
    ProviderConfig,
    SecretRef,
    UiConfig,
    ViewConfig,
    WatchedJobConfig,
)
from jobtui.config.paths import config_path, from_env
from jobtui.config.problems import KeyProblem, describe, explain, format_key, quote
from jobtui.config.secrets import (
    SECRET_SUFFIXES,
    extract_secrets,
    store_password,
)
from jobtui.errors import ConfigError

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")
_SECTIONS = ("ui", "defaults", "providers", "jobs", "store", "views")
_M = TypeVar("_M", bound=BaseModel)
_MAX_DEPTH = 32
_TOO_DEEP = f"values nested more than {_MAX_DEPTH} levels deep"


# -- loading ------------------------------------------------------------------------


def load_config(path: Path | None = None) -> Config:
    """Load and validate a config file; ``None`` means ``config_path()``.

    A missing file at the default location is an empty config (jobtui runs
    with no providers); a missing file named explicitly is a ``ConfigError``.
    """
    explicit = path is not None
    file = Path(path) if path is not None else config_path()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        if explicit or from_env("JOBTUI_CONFIG"):
            raise ConfigError("no such file", file=file) from None
        return Config()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or type(exc).__name__}", file=file) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError("not UTF-8 text", file=file, line=line) from None
    return _Loader(file, text).load()


def _suggest(key: str, model: type[BaseModel], fixed: Mapping[str, object]) -> str:
    """``"; did you mean api_key_env?"`` for a key close to a known one, else nothing."""
    known = [name for name in model.model_fields if name not in fixed]
    if "secrets" in fixed:  # a provider table: its secret keys are known too
        known += [k + suffix for k in SECRET_KEYS for suffix in SECRET_SUFFIXES]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def _parse(text: str) -> dict[str, Any]:
    """``tomllib.loads``, with the plain ``[[jobs]]`` blocks of a long list read apart."""
    split = split_jobs(text)
    if split is None:
        return tomllib.loads(text)
    rest, jobs = split
    document = tomllib.loads(rest)
    if "jobs" in document:  # defined some other way too: let tomllib judge the whole
        return tomllib.loads(text)
    document["jobs"] = jobs
    return document


def _toml_error(exc: tomllib.TOMLDecodeError, file: Path, text: str) -> ConfigError:
    message = str(exc)
    found = _TOML_POSITION.search(message)
    line: int | None = None
    if found is not None:
        line = int(found.group(1)) if found.group(1) else text.count("\n") + 1
        message = message[: found.start()]
    return ConfigError(f"TOML syntax error: {message}", file=file, line=line)


def _check_depth(document: dict[str, Any]) -> None:
    """Refuse values nested deeper than any config needs, before anything recurses into them."""
    pending: list[tuple[KeyPath, object]] = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            children: Iterable[tuple[str | int, object]] = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            continue
        if len(path) >= _MAX_DEPTH and value:
            raise KeyProblem(path, _TOO_DEEP)
        # Only containers go on: 10,000 jobs' strings cannot nest (a scalar too deep
        # is caught above, as the child of a container at the limit).
        pending.extend(((*path, k), v) for k, v in children if isinstance(v, dict | list))


def _tuples(value: object) -> object:
    """TOML arrays as tuples, so strict validation accepts them for tuple fields."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


class _Loader:
    """One load of one file: the parsed document, its key lines, the warnings so far."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.text = text
        self.lines: KeyLines | None = None
        self.warnings: list[str] = []

    def load(self) -> Config:
        try:
            document = _parse(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise _toml_error(exc, self.file, self.text) from None
        except RecursionError:
            # tomllib parses nested arrays and inline tables recursively.
            raise ConfigError(_TOO_DEEP, file=self.file) from None
        try:
            _check_depth(document)
            return self._config(document)
        except KeyProblem as problem:
            raise self._error(problem.path, problem.message) from None

    def _error(self, path: KeyPath, message: str) -> ConfigError:
        # Mapped on the first error or warning only: scanning 10,000 [[jobs]] for
        # their lines took longer than parsing them, and a clean config needs none.
        if self.lines is None:
            self.lines = KeyLines(self.text)
        line = self.lines.line_of(path)
        return ConfigError(message, file=self.file, line=line, key=format_key(path) or None)

    def _warn(self, path: KeyPath, message: str) -> None:
        self.warnings.append(str(self._error(path, message)))

    def _config(self, document: dict[str, Any]) -> Config:
        for key in document:
            if key not in _SECTIONS:
                self._warn((key,), "unknown key (ignored)")
        ui = self._model(UiConfig, _table(document, "ui"), ("ui",))
        defaults_table = _table(document, "defaults")
        defaults = self._model(DefaultsConfig, defaults_table, ("defaults",))
        if defaults.max_interval < defaults.poll_interval:
            message = interval_problem(defaults.poll_interval, defaults.max_interval)
            raise KeyProblem(("defaults", "max_interval"), message)
        inherited = {k: v for k, v in defaults_table.items() if k in DefaultsConfig.model_fields}
        providers: dict[str, ProviderConfig] = {}
        for name, raw in _table(document, "providers").items():
            providers[name] = self._provider(name, raw, inherited)
        jobs = self._jobs(document.get("jobs", ()), providers)
        views: dict[str, ViewConfig] = {}
        for name, raw in _table(document, "views").items():
            if not isinstance(raw, dict):
                raise KeyProblem(("views", name), f"expected a table, got {describe(raw)}")
            views[name] = self._model(ViewConfig, raw, ("views", name))
        self._check_permissions(providers)
        store, password = store_settings(document.get("store"), self.file)
        return Config(
            path=self.file,
            store=store,
            store_password=password,
            ui=ui,
            defaults=defaults,
            providers=providers,
            jobs=jobs,
            views=views,
            warnings=tuple(self.warnings),
        )

    def _model(
        self,
        model: type[_M],
        table: Mapping[str, object],
        prefix: KeyPath,
        fixed: Mapping[str, object] | None = None,
        inherited: Mapping[str, object] | None = None,
    ) -> _M:
        """Validate ``table`` strictly as ``model``: unknown keys warn, errors are located.

        ``fixed`` holds fields the loader sets itself (a user cannot); ``inherited``
        holds ``[defaults]`` values the table does not override.
        """
        fixed = fixed or {}
        inherited = inherited or {}
        known: dict[str, object] = {}
        for key, value in table.items():
            if key in fixed:
                self._warn((*prefix, key), "set by jobtui, not in the config (ignored)")
            elif key in model.model_fields:
                known[key] = value
            else:
                self._warn((*prefix, key), "unknown key (ignored)" + _suggest(key, model, fixed))
        merged = {k: v for k, v in inherited.items() if k in model.model_fields}
        merged.update(known)

        def where(key: str) -> KeyPath:
            return (*prefix, key) if key in known or key not in inherited else ("defaults", key)

        for key, value in merged.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise KeyProblem(where(key), f"expected a finite number, got {describe(value)}")
        data = {key: _tuples(value) for key, value in merged.items()}
        try:
            return model.model_validate({**data, **fixed}, strict=True)
        except ValidationError as exc:
            sub, message = explain(exc.errors(include_url=False), model, merged)
            path = where(sub[0]) + sub[1:] if sub and isinstance(sub[0], str) else prefix
            raise KeyProblem(path, message) from None

    def _provider(self, name: str, raw: object, inherited: Mapping[str, object]) -> ProviderConfig:
        prefix: KeyPath = ("providers", name)
        if not isinstance(raw, dict):
            raise KeyProblem(prefix, f"expected a table, got {describe(raw)}")
        if not name.strip():
            raise KeyProblem(prefix, "a provider needs a non-empty name")
        table = dict(raw)
        kind = table.get("kind")
        if kind is None:
            raise KeyProblem((*prefix, "kind"), "missing required key")
        if not isinstance(kind, str) or kind not in PROVIDER_CONFIG_TYPES:
            kinds = ", ".join(PROVIDER_CONFIG_TYPES)
            raise KeyProblem(
                (*prefix, "kind"),
                f"unknown provider kind {describe(kind)} (expected one of {kinds})",
            )
        secrets, notes = extract_secrets(table, kind, prefix, self.file.absolute().parent)
        for path, message in notes:
            self._warn(path, message)
        model = PROVIDER_CONFIG_TYPES[kind]
        fixed = {"name": name, "secrets": secrets}
        cfg = self._model(model, table, prefix, fixed=fixed, inherited=inherited)
        taken = frozenset(k for k in inherited if k not in table and k in model.model_fields)
        return check_provider(cfg, prefix, taken, self.file.absolute().parent)

    def _jobs(
        self, raw: object, providers: Mapping[str, ProviderConfig]
    ) -> tuple[WatchedJobConfig, ...]:
        if not isinstance(raw, list | tuple):
            raise KeyProblem(("jobs",), f"expected an array of tables, got {describe(raw)}")
        jobs: list[WatchedJobConfig] = []
        seen: dict[tuple[str, str], int] = {}
        tables: list[dict[str, object]] = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, dict):
                raise KeyProblem(("jobs", index), f"expected a table, got {describe(entry)}")
            table = dict(entry)
            job_id = table.get("id")
            if isinstance(job_id, int) and not isinstance(job_id, bool):
                # Deepomatic and Cognite ids are numbers: accept them unquoted.
                table["id"] = str(job_id)
            tables.append(table)
        plain = _plain_jobs(tables)
        for index, table in enumerate(tables):
            prefix: KeyPath = ("jobs", index)
            job = plain[index] if plain else self._model(WatchedJobConfig, table, prefix)
            if job.provider not in providers:
                configured = ", ".join(quote(n) for n in providers) or "none"
                raise KeyProblem(
                    (*prefix, "provider"),
                    f"no provider named {quote(job.provider)} (configured: {configured})",
                )
            if not job.id.strip():
                raise KeyProblem((*prefix, "id"), "expected a job id, got an empty string")
            key = (job.provider, job.id)
            if key in seen:
                self._warn((*prefix, "id"), f"the same job as jobs[{seen[key]}] (ignored)")
                continue
            seen[key] = index
            jobs.append(job)
        return tuple(jobs)

    def _check_permissions(self, providers: Mapping[str, ProviderConfig]) -> None:
        literal = [
            (name, key)
            for name, cfg in providers.items()
            for key, ref in cfg.secrets.items()
            if ref.source == "literal"
        ]
        if not literal or os.name != "posix":
            return
        try:
            mode = self.file.stat().st_mode
        except OSError:
            return
        if not mode & (stat.S_IRGRP | stat.S_IROTH):
            return
        for name, key in literal:
            self._warn(
                ("providers", name, key),
                f"a literal secret in a file readable by group or others: run "
                f"chmod 600 {self.file}, or use {key}_env, {key}_file or {key}_cmd",
            )


_JOB_KEYS = frozenset(WatchedJobConfig.model_fields)
_JOB_LIST: TypeAdapter[list[WatchedJobConfig]] = TypeAdapter(list[WatchedJobConfig])


def _plain_jobs(tables: list[dict[str, object]]) -> list[WatchedJobConfig] | None:
    """Every ``[[jobs]]`` entry validated in one call, when all hold known keys only.

    One strict validation of the whole list runs its loop in pydantic's core, several
    times faster than one ``_model`` per entry for 10,000 jobs. None (then each entry
    goes through ``_model``, which warns about unknown keys and locates the error) when
    an entry has another key or does not validate.
    """
    if not tables or not all(table.keys() <= _JOB_KEYS for table in tables):
        return None
    try:
        return _JOB_LIST.validate_python(tables, strict=True)
    except ValidationError:
        return None


def _table(document: Mapping[str, object], key: str) -> dict[str, object]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise KeyProblem((key,), f"expected a table, got {describe(value)}")
    return value


def store_settings(value: object, file: Path) -> tuple[Path | str | None, SecretRef | None]:
    """The config's store and its password: ``store = "PATH or URL"``, or a ``[store]``
    table with ``location`` and a ``password`` / ``password_env`` / ``password_file`` /
    ``password_cmd`` key (for a PostgreSQL URL)."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        table = dict(value)
        password = store_password(table, file.parent)
        location = table.pop("location", None)
        for key in table:
            raise KeyProblem(("store", key), "unknown key (expected location, password_cmd, …)")
        if not isinstance(location, str) or not location.strip():
            raise KeyProblem(("store", "location"), "expected a file path or a postgresql:// URL")
        return _store_of(file, location), password
    if not isinstance(value, str) or not value.strip():
        raise KeyProblem(("store",), "expected a file path as a string")
    return _store_of(file, value), None


def _store_of(file: Path, store: str) -> Path | str:
    """A config's ``store``: a PostgreSQL URL as written, a path relative to the file."""
    if store.strip().lower().startswith(("postgresql://", "postgres://")):
        return store.strip()
    return file.parent / Path(store).expanduser()
