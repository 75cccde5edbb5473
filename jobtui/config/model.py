"""Typed configuration: what ``config.toml`` means once validated.

These models hold no secret values: a secret is kept as a ``SecretRef`` (where
to find it) and resolved only when a provider needs it, so a ``repr`` of a
config can never leak a key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "PROVIDER_CONFIG_TYPES",
    "SECRET_KEYS",
    "CogniteConfig",
    "Config",
    "DeepomaticConfig",
    "DefaultsConfig",
    "ImageIntelligenceConfig",
    "ProviderConfig",
    "SecretRef",
    "SuperaiConfig",
    "TensorartConfig",
    "UiConfig",
    "ViewConfig",
    "WatchedJobConfig",
]

SECRET_KEYS: tuple[str, ...] = ("api_key", "token", "client_secret", "private_key")
"""Config keys holding secrets; each may also be given as ``X_env``, ``X_file`` or ``X_cmd``."""


class SecretRef(BaseModel):
    """Where a secret comes from. The value itself is only read by ``resolve_secret``."""

    model_config = ConfigDict(frozen=True)

    key: str
    """The config key, e.g. ``providers.deepo.api_key``."""
    source: Literal["literal", "env", "file", "cmd"]
    """How the secret is given."""
    literal: SecretStr | None = None
    """The value, for ``literal`` (hidden from repr)."""
    env: str | None = None
    """The environment variable name, for ``env``."""
    file: Path | None = None
    """The file holding it, for ``file``."""
    cmd: tuple[str, ...] | None = None
    """The command printing it, for ``cmd`` (run without a shell)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UiConfig(_Strict):
    """The ``[ui]`` table."""

    theme: str = "jobtui-dark"
    """A theme from the shipped ``themes/`` or the user's themes directory."""
    notify: Literal["all", "failures", "none"] = "failures"
    """Toast on terminal transitions: every one, failures only, or none."""
    bell: bool = False
    """Ring the terminal bell with failure toasts."""
    mouse: bool = True
    """Enable mouse reporting (turn off over slow links)."""
    images: Literal["halfcell", "sixel", "kitty", "off"] = "halfcell"
    """Image previews: half-block cells (works over SSH and tmux), Sixel or Kitty graphics
    (opt-in: never probed automatically), or off."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping: action id → comma-separated keys."""
    notify_via: tuple[Literal["toast", "bell", "osc9", "osc777", "command"], ...] = ("toast",)
    """How finished jobs are announced: toast, bell, OSC 9 / OSC 777 desktop notifications
    (tmux-wrapped under ``$TMUX``), and ``notify_cmd``."""
    notify_cmd: tuple[str, ...] = ()
    """A command run without a shell for ``command`` notifications; the summary is appended
    as arguments (title, then message)."""


class DefaultsConfig(_Strict):
    """The ``[defaults]`` table: values every provider inherits."""

    poll_interval: float = Field(default=5.0, gt=0)
    """Seconds between polls of an active job."""
    max_interval: float = Field(default=120.0, gt=0)
    """Back-off ceiling for long-running jobs, in seconds."""
    timeout: float = Field(default=30.0, gt=0)
    """Per-request HTTP timeout, in seconds."""
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second to each provider (None: the provider's own default)."""
    max_concurrency: int = Field(default=8, ge=1)
    """Requests in flight at once to each provider."""
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Responses larger than this are rejected as bad payloads."""


class ProviderConfig(_Strict):
    """Settings every provider kind accepts."""

    name: str
    """The provider's configured name (the table name)."""
    kind: str
    """The provider kind."""
    base_url: str | None = None
    """Everything before the documented path; None means the provider's public host."""
    poll_interval: float = Field(default=5.0, gt=0)
    """Seconds between polls of an active job."""
    max_interval: float = Field(default=120.0, gt=0)
    """Back-off ceiling for long-running jobs, in seconds."""
    timeout: float = Field(default=30.0, gt=0)
    """Per-request HTTP timeout, in seconds."""
    rate_limit: float | None = Field(default=None, gt=0)
    """Requests per second (None: the provider's documented limit, or unlimited)."""
    max_concurrency: int = Field(default=8, ge=1)
    """Requests in flight at once."""
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Responses larger than this are rejected as bad payloads."""
    verify: bool | str = True
    """TLS verification: true, or a CA bundle path."""
    allow_insecure: bool = False
    """Allow plain http:// to a non-loopback host (keys would travel in clear text)."""
    secrets: dict[str, SecretRef] = Field(default_factory=dict)
    """Secret references by key (``api_key``, ``token``, ...)."""


class ImageIntelligenceConfig(ProviderConfig):
    """Image Intelligence: OAuth-style token from client id and secret."""

    kind: Literal["imageintelligence"] = "imageintelligence"
    client_id: str | None = None
    """The API client id (the secret is ``client_secret``)."""
    job_type: Literal["ask", "detect", "match", "feedback"] = "ask"
    """Which job endpoint to poll: ``/v2/<job_type>/{id}``."""
    feed_id: str | None = None
    """When set, discovery imports the jobs of this feed."""


class DeepomaticConfig(ProviderConfig):
    """Deepomatic: static ``X-API-KEY``."""

    kind: Literal["deepomatic"] = "deepomatic"
    batch_size: int = Field(default=100, ge=1, le=1000)
    """Task ids per batch status request."""


class SuperaiConfig(ProviderConfig):
    """super.AI: static ``API-KEY``."""

    kind: Literal["superai"] = "superai"
    app_id: str | None = None
    """When set, discovery imports the jobs of this app."""


class TensorartConfig(ProviderConfig):
    """Tensor.Art TAMS: Bearer ``token`` or RSA-signed requests (``app_id`` + ``private_key``)."""

    kind: Literal["tensorart"] = "tensorart"
    app_id: str | None = None
    """The TAMS application id, for RSA-signed requests."""


class CogniteConfig(ProviderConfig):
    """Cognite Data Fusion: Bearer token, static or by client credentials."""

    kind: Literal["cognite"] = "cognite"
    cluster: str | None = None
    """The CDF cluster (``westeurope-1``); used when ``base_url`` is not set."""
    project: str = ""
    """The CDF project."""
    token_url: str | None = None
    """The OIDC token endpoint for client credentials."""
    client_id: str | None = None
    """The OIDC client id (the secret is ``client_secret``)."""
    scopes: tuple[str, ...] = ()
    """OIDC scopes requested with the token."""
    cdf_version: str = "beta"
    """The ``cdf-version`` header sent with every request."""
    job_type: Literal["segment", "extract"] = "segment"
    """Which vision job endpoint to poll."""


AnyProviderConfig = Annotated[
    ImageIntelligenceConfig
    | DeepomaticConfig
    | SuperaiConfig
    | TensorartConfig
    | CogniteConfig,
    Field(discriminator="kind"),
]

PROVIDER_CONFIG_TYPES: dict[str, type[ProviderConfig]] = {
    "imageintelligence": ImageIntelligenceConfig,
    "deepomatic": DeepomaticConfig,
    "superai": SuperaiConfig,
    "tensorart": TensorartConfig,
    "cognite": CogniteConfig,
}


class WatchedJobConfig(_Strict):
    """A ``[[jobs]]`` entry: a job watched because the config names it."""

    provider: str
    """The configured provider name."""
    id: str
    """The job id at the provider."""
    label: str | None = None
    """A human label shown in the job list."""


class ViewConfig(_Strict):
    """A ``[views.NAME]`` table: a saved filter for ``--view NAME`` and ``v``."""

    query: str
    """The filter query, as typed at ``/`` (``state:failed provider:deepo``)."""
    sort: str | None = None
    """A column id to sort by (``-`` in front: descending)."""
    columns: tuple[str, ...] | None = None
    """Column ids to show, in order (None: the usual ones)."""


class Config(_Strict):
    """A whole validated configuration."""

    path: Path | None = None
    """The file it was loaded from (None for the built-in empty config)."""
    ui: UiConfig = Field(default_factory=UiConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    providers: dict[str, AnyProviderConfig] = Field(default_factory=dict)
    """Providers by configured name."""
    jobs: tuple[WatchedJobConfig, ...] = ()
    """Jobs declared in the config."""
    store: Path | str | None = None
    """The store this config uses (top-level ``store = "PATH"``, relative to the file,
    or a ``postgresql://`` URL kept as text);
    ``--store`` and ``$JOBTUI_STORE`` still win. ``jobtui sim`` names a throwaway one."""
    store_password: SecretRef | None = None
    """Where a PostgreSQL store's password comes from (``[store] password_cmd = …``); None:
    libpq's own sources (the URL, ``PGPASSWORD``, ``.pgpass``)."""
    views: dict[str, ViewConfig] = Field(default_factory=dict)
    """Saved views by name."""
    warnings: tuple[str, ...] = ()
    """Non-fatal findings (unknown keys, world-readable secrets), located like errors."""
