"""Where the test data shipped with the repository lives.

Everything a test reads is under ``tests/data/``; see ``tests/data/README.md``
for where each file comes from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout's top level (``pyproject.toml``, ``README.md``, ``jobtui/``)."""
DATA = REPO_ROOT / "tests" / "data"
REAL_PAYLOADS = DATA / "real-payloads"
"""Response bodies the providers published (``<kind>--<what>.json``)."""
PROVIDER_DOCS = DATA / "providers"
"""Each provider's documentation page for its job-status endpoint (``<kind>.seed.txt``)."""


def real_payload_files(kind: str | None = None) -> list[Path]:
    """The real payload files, all or one kind's, in name order."""
    pattern = f"{kind}--*.json" if kind else "*.json"
    return sorted(REAL_PAYLOADS.glob(pattern))


def real_payload(name: str) -> Any:
    """One real payload parsed; ``name`` with or without ``.json``."""
    file = name if name.endswith(".json") else f"{name}.json"
    return json.loads((REAL_PAYLOADS / file).read_text())


def provider_doc(kind: str) -> str:
    """The text of a provider's status-endpoint documentation page."""
    return (PROVIDER_DOCS / f"{kind}.seed.txt").read_text()


def seed_objects(kind: str) -> list[dict[str, Any]]:
    """Every JSON object printed on a provider's seed page (each ``{`` ending its line)."""
    text = provider_doc(kind)
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    index = 0
    while (start := text.find("{\n", index)) != -1:
        try:
            value, end = decoder.raw_decode(text[start:])
        except ValueError:
            index = start + 1
            continue
        if isinstance(value, dict):
            found.append(value)
        index = start + end
    return found


def seed_object(kind: str, marker: str) -> dict[str, Any]:
    """The JSON object printed on a provider's seed page starting at ``marker``."""
    text = provider_doc(kind)
    value, _ = json.JSONDecoder().raw_decode(text[text.index(marker) :])
    assert isinstance(value, dict), f"{kind}: {marker!r} starts no JSON object"
    return value
