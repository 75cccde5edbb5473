"""The five providers: pure ``parse`` per kind, and a ``Provider`` per configured name.

``parse(kind, payload)`` normalizes a native job payload without I/O (the
store re-parses saved payloads with it); ``create_provider(config)`` builds
the HTTP side of one configured provider.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from jobtui.errors import ConfigError, PayloadError
from jobtui.model import Job

if TYPE_CHECKING:
    from jobtui.config.model import ProviderConfig
    from jobtui.providers.base import Provider

__all__ = [
    "KINDS",
    "Provider",
    "create_provider",
    "import_clients",
    "parse",
]

KINDS: tuple[str, ...] = ("imageintelligence", "deepomatic", "superai", "tensorart", "cognite")
"""Every provider kind jobtui speaks."""

# Each kind's modules are imported on first use: a dashboard's first frame needs
# none of them (nor httpx), and a process imports only the kinds it meets.
_CLIENTS: dict[str, str] = {
    "imageintelligence": "ImageIntelligenceProvider",
    "deepomatic": "DeepomaticProvider",
    "superai": "SuperaiProvider",
    "tensorart": "TensorartProvider",
    "cognite": "CogniteProvider",
}
"""Kind -> the ``Provider`` class in ``jobtui.providers.<kind>.client``."""


_PARSERS: dict[str, Callable[..., Job]] = {}
"""Kind -> its ``parse``, filled as kinds are met."""


def _module(kind: str, part: str) -> Any:
    return importlib.import_module(f"jobtui.providers.{kind}.{part}")


def __getattr__(name: str) -> Any:
    # ``Provider`` (public) comes from ``base``, which imports httpx: on first use only.
    if name == "Provider":
        from jobtui.providers.base import Provider

        return Provider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def import_clients(kinds: Iterable[str]) -> None:
    """Import the clients of ``kinds`` now (unknown kinds are left to ``create_provider``).

    For a process about to fork a poller that will build the same providers:
    imported once before the fork, the modules are shared, not imported twice.
    """
    for kind in kinds:
        if kind in _CLIENTS:
            _module(kind, "client")


def parse(kind: str, payload: object, provider: str | None = None) -> Job:
    """Normalize one native job payload of ``kind``; pure, raises only ``PayloadError``.

    ``provider`` is the configured name put in ``Job.provider`` (default: the kind).
    """
    parser = _PARSERS.get(kind)
    if parser is None:
        if kind not in _CLIENTS:
            raise PayloadError(provider or kind, "kind", f"unknown provider kind {kind!r}")
        # Once per kind: a store read parses thousands of payloads through here.
        parser = _PARSERS[kind] = _module(kind, "parse").parse
    job: Job = parser(payload, provider=provider)
    return job


def create_provider(config: ProviderConfig) -> Provider:
    """The ``Provider`` for one configured provider; ``ConfigError`` when its settings cannot work.

    Nothing is sent yet: credentials are read and checked at the first request.
    """
    # ``kind`` is the config's discriminator: it names the config class, and so the client.
    if config.kind in _CLIENTS:
        provider: Provider = getattr(_module(config.kind, "client"), _CLIENTS[config.kind])(config)
        return provider
    raise ConfigError(
        f"unknown kind {config.kind!r}; expected one of {', '.join(KINDS)}",
        key=f"providers.{config.name}.kind",
    )
