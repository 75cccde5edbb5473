"""The starter ``config.toml`` that ``jobtui config init`` writes.

Secrets are read from environment variables, so the starter holds none and
loads as it is; each provider table names the variables to set. The text is
written by tomli-w, below a comment header tomli-w cannot produce itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tomli_w

__all__ = ["STARTER_PROVIDERS", "starter_toml"]

STARTER_PROVIDERS: dict[str, dict[str, Any]] = {
    "imageintelligence": {
        "kind": "imageintelligence",
        "client_id": "your-client-id",
        "client_secret_env": "IMAGEINTELLIGENCE_CLIENT_SECRET",
    },
    "deepomatic": {"kind": "deepomatic", "api_key_env": "DEEPOMATIC_API_KEY"},
    "superai": {"kind": "superai", "api_key_env": "SUPERAI_API_KEY"},
    "tensorart": {
        "kind": "tensorart",
        "base_url": "https://ap-east-1.tensorart.cloud",
        "token_env": "TENSORART_TOKEN",
    },
    "cognite": {
        "kind": "cognite",
        "cluster": "westeurope-1",
        "project": "your-project",
        "token_url": "https://login.microsoftonline.com/your-tenant/oauth2/v2.0/token",
        "client_id": "your-client-id",
        "client_secret_env": "CDF_CLIENT_SECRET",
        "scopes": ["https://westeurope-1.cognitedata.com/.default"],
    },
}
"""One table per kind, named after it; the values starting with ``your-`` are to replace."""

_HEADER = """\
# jobtui configuration, written by `jobtui config init`.
# Keep the providers you use and delete the others, replace the your-... values,
# and export the environment variables named by the *_env keys.
# Every key is described in config.toml.example (in the jobtui sources);
# `jobtui config check` validates this file.

"""


def starter_toml(kinds: Iterable[str] | None = None) -> str:
    """The starter config text, with a table for each of ``kinds`` (default: all five)."""
    chosen = list(STARTER_PROVIDERS) if kinds is None else list(dict.fromkeys(kinds))
    document: dict[str, Any] = {
        "ui": {"theme": "jobtui-dark", "notify": "failures"},
        "defaults": {"poll_interval": 5.0, "max_interval": 120.0, "timeout": 30.0},
        "providers": {kind: dict(STARTER_PROVIDERS[kind]) for kind in chosen},
    }
    return _HEADER + tomli_w.dumps(document)
