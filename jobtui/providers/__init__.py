"""The five providers: pure ``parse`` per kind, and a ``Provider`` per configured name.

``parse(kind, payload)`` normalizes a native job payload without I/O (the
store re-parses saved payloads with it); ``create_provider(config)`` builds
the HTTP side of one configured provider.
"""

from __future__ import annotations

from collections.abc import Callable

from jobtui.config.model import (
    CogniteConfig,
    DeepomaticConfig,
    ImageIntelligenceConfig,
    ProviderConfig,
    SuperaiConfig,
    TensorartConfig,
)
from jobtui.errors import ConfigError, PayloadError
from jobtui.model import Job
from jobtui.providers import cognite, deepomatic, imageintelligence, superai, tensorart
from jobtui.providers.base import Provider

__all__ = [
    "KINDS",
    "Provider",
    "create_provider",
    "parse",
]

KINDS: tuple[str, ...] = ("imageintelligence", "deepomatic", "superai", "tensorart", "cognite")
"""Every provider kind jobtui speaks."""

_PARSERS: dict[str, Callable[..., Job]] = {
    "imageintelligence": imageintelligence.parse,
    "deepomatic": deepomatic.parse,
    "superai": superai.parse,
    "tensorart": tensorart.parse,
    "cognite": cognite.parse,
}


def parse(kind: str, payload: object, provider: str | None = None) -> Job:
    """Normalize one native job payload of ``kind``; pure, raises only ``PayloadError``.

    ``provider`` is the configured name put in ``Job.provider`` (default: the kind).
    """
    parser = _PARSERS.get(kind)
    if parser is None:
        raise PayloadError(provider or kind, "kind", f"unknown provider kind {kind!r}")
    return parser(payload, provider=provider)


def create_provider(config: ProviderConfig) -> Provider:
    """The ``Provider`` for one configured provider; ``ConfigError`` when its settings cannot work.

    Nothing is sent yet: credentials are read and checked at the first request.
    """
    if isinstance(config, ImageIntelligenceConfig):
        return imageintelligence.ImageIntelligenceProvider(config)
    if isinstance(config, DeepomaticConfig):
        return deepomatic.DeepomaticProvider(config)
    if isinstance(config, SuperaiConfig):
        return superai.SuperaiProvider(config)
    if isinstance(config, TensorartConfig):
        return tensorart.TensorartProvider(config)
    if isinstance(config, CogniteConfig):
        return cognite.CogniteProvider(config)
    raise ConfigError(
        f"unknown kind {config.kind!r}; expected one of {', '.join(KINDS)}",
        key=f"providers.{config.name}.kind",
    )
