"""Rules a provider table must follow beyond its field types.

URLs that carry credentials must be https:// unless they stay on this machine
(or the user says ``allow_insecure``); values that end up inside a host name
or a URL path must not be able to change where a request goes; kinds whose
host cannot be guessed must name it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Set
from pathlib import Path
from urllib.parse import urlsplit

from jobtui.config.lines import KeyPath
from jobtui.config.model import CogniteConfig, ProviderConfig, TensorartConfig
from jobtui.config.problems import KeyProblem, quote

__all__ = ["check_provider", "check_url", "interval_problem", "is_loopback"]

_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PATH_SEGMENT = re.compile(r"[^\s/?#%\\]+")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, path: KeyPath, allow_insecure: bool) -> None:
    """Raise ``KeyProblem`` unless ``url`` is https://, or http:// to loopback or allowed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
    except ValueError:
        raise KeyProblem(path, f"not a valid URL: {quote(url)}") from None
    if parts.scheme not in ("http", "https"):
        raise KeyProblem(path, f"expected an http:// or https:// URL, got {quote(url)}")
    if not host:
        raise KeyProblem(path, f"the URL has no host: {quote(url)}")
    if parts.scheme == "http" and not allow_insecure and not is_loopback(host):
        raise KeyProblem(
            path,
            f"plain http:// would send credentials to {quote(host)} in clear text: "
            "use https://, or set allow_insecure = true",
        )


def interval_problem(poll_interval: float, max_interval: float) -> str:
    """The message for a back-off ceiling below the poll interval."""
    return f"max_interval ({max_interval:g}) must be at least poll_interval ({poll_interval:g})"


def check_provider(
    cfg: ProviderConfig, prefix: KeyPath, inherited: Set[str], base_dir: Path | None
) -> ProviderConfig:
    """Check ``cfg``, the provider table at ``prefix``; ``inherited`` came from ``[defaults]``.

    Returns it with a relative CA bundle path anchored at ``base_dir``.
    """

    def where(key: str) -> KeyPath:
        return ("defaults", key) if key in inherited else (*prefix, key)

    if cfg.max_interval < cfg.poll_interval:
        # Blame the provider's own key when the other one was inherited.
        blamed = (
            "poll_interval"
            if "max_interval" in inherited and "poll_interval" not in inherited
            else "max_interval"
        )
        raise KeyProblem(where(blamed), interval_problem(cfg.poll_interval, cfg.max_interval))
    if cfg.base_url is not None:
        check_url(cfg.base_url, where("base_url"), cfg.allow_insecure)
    if isinstance(cfg, TensorartConfig) and cfg.base_url is None:
        raise KeyProblem(
            where("base_url"),
            "missing required key: Tensor.Art hosts differ per application "
            "(the TAMS console shows yours, e.g. https://ap-east-1.tensorart.cloud)",
        )
    if isinstance(cfg, CogniteConfig):
        _check_cognite(cfg, where)
    if isinstance(cfg.verify, str):
        if not cfg.verify.strip():
            raise KeyProblem(where("verify"), "expected true, false or a CA bundle path")
        bundle = Path(cfg.verify).expanduser()
        if not bundle.is_absolute() and base_dir is not None:
            bundle = base_dir / bundle
        cfg = cfg.model_copy(update={"verify": str(bundle)})
    return cfg


def _check_cognite(cfg: CogniteConfig, where: Callable[[str], KeyPath]) -> None:
    if not cfg.project:
        raise KeyProblem(where("project"), "missing required key: the CDF project")
    if not _PATH_SEGMENT.fullmatch(cfg.project):
        raise KeyProblem(where("project"), f"not a CDF project name: {quote(cfg.project)}")
    if cfg.cluster is not None and not _HOST_LABEL.fullmatch(cfg.cluster):
        # The cluster becomes part of the host name: it must not be able to change the host.
        raise KeyProblem(
            where("cluster"), f"not a CDF cluster name (like westeurope-1): {quote(cfg.cluster)}"
        )
    if cfg.cluster is None and cfg.base_url is None:
        raise KeyProblem(
            where("cluster"), "missing required key: set cluster (e.g. westeurope-1) or base_url"
        )
    if cfg.token_url is not None:
        check_url(cfg.token_url, where("token_url"), cfg.allow_insecure)
