"""``jobtui.providers.parse`` over every real payload and every documented example, all kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from jobtui.config.model import PROVIDER_CONFIG_TYPES, ProviderConfig, SecretRef
from jobtui.errors import ConfigError, PayloadError
from jobtui.model import JobState
from jobtui.providers import KINDS, Provider, create_provider, parse

from support.data import PROVIDER_DOCS, REAL_PAYLOADS, seed_objects

REAL = REAL_PAYLOADS
SHARED = PROVIDER_DOCS
REAL_FILES = sorted(REAL.glob("*.json"))


def seed_jobs(kind: str) -> list[dict[str, Any]]:
    """The seed page's job objects; a batch page contributes its results, error bodies none."""
    jobs: list[dict[str, Any]] = []
    for value in seed_objects(kind):
        if {"code", "message"} <= value.keys():
            continue  # Tensor.Art's error body example
        results = value.get("results")
        jobs += results if isinstance(results, list) and "count" in value else [value]
    return jobs


def test_kinds() -> None:
    assert KINDS == ("imageintelligence", "deepomatic", "superai", "tensorart", "cognite")


def test_there_are_real_payloads_of_known_kinds() -> None:
    assert len(REAL_FILES) >= 12
    assert {path.name.split("--")[0] for path in REAL_FILES} <= set(KINDS)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.stem)
def test_every_real_payload_parses(path: Path) -> None:
    kind = path.name.split("--")[0]
    payload = json.loads(path.read_text())
    job = parse(kind, payload, provider="mine")
    assert (job.kind, job.provider) == (kind, "mine")
    assert job.id
    assert job.state is not JobState.UNKNOWN
    assert job.created_at is not None and job.created_at.utcoffset() is not None
    assert job.summary
    assert job.raw is payload
    json.dumps(job.model_dump(mode="json"))


@pytest.mark.parametrize("kind", KINDS)
def test_every_seed_example_parses(kind: str) -> None:
    jobs = seed_jobs(kind)
    assert jobs, f"no example found on the {kind} seed page"
    for payload in jobs:
        job = parse(kind, payload)
        assert (job.kind, job.provider) == (kind, kind)
        # Tensor.Art's example shows its placeholder status DEFAULT, unknown by design.
        assert job.state is not JobState.UNKNOWN or job.raw_status == "DEFAULT"
        assert job.summary


@pytest.mark.parametrize("kind", KINDS)
def test_other_kinds_payloads_are_refused_or_unknown(kind: str) -> None:
    """A payload of another provider never passes silently as a known state."""
    for other in KINDS:
        if other == kind:
            continue
        for payload in seed_jobs(other):
            try:
                job = parse(kind, payload)
            except PayloadError as exc:
                assert exc.provider == kind
                continue
            assert job.state is JobState.UNKNOWN or job.raw_status in _SHARED_WORDS


_SHARED_WORDS = {"COMPLETED", "RUNNING", "SUCCESS", "FAILED", "CANCELED"}
"""Status words two providers both use (super.AI and Tensor.Art)."""


def test_unknown_kind_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="unknown provider kind"):
        parse("acme", {})


def _config(kind: str, **extra: object) -> ProviderConfig:
    values: dict[str, object] = {
        "name": f"my-{kind}",
        "kind": kind,
        "base_url": "https://api.example.com",
        "secrets": {"token": SecretRef(key="token", source="literal", literal=SecretStr("t"))},
        **extra,
    }
    if kind == "cognite":
        values["project"] = "p"
    return PROVIDER_CONFIG_TYPES[kind].model_validate(values)


@pytest.mark.parametrize("kind", KINDS)
def test_create_provider(kind: str) -> None:
    provider = create_provider(_config(kind))
    assert isinstance(provider, Provider)
    assert (provider.kind, provider.name) == (kind, f"my-{kind}")
    assert provider.parse(seed_jobs(kind)[0]).provider == f"my-{kind}"


def test_create_provider_refuses_what_cannot_work() -> None:
    with pytest.raises(ConfigError, match="clear text"):
        create_provider(_config("deepomatic", base_url="http://api.example.com"))
    with pytest.raises(ConfigError, match="unknown kind"):
        create_provider(ProviderConfig(name="x", kind="acme"))


def test_capabilities() -> None:
    providers = {kind: create_provider(_config(kind)) for kind in KINDS}
    assert {k for k, p in providers.items() if p.supports_cancel} == {"superai", "tensorart"}
    assert {k for k, p in providers.items() if p.supports_discover} == {
        "superai",
        "imageintelligence",
    }
    assert {k: p.batch_size for k, p in providers.items() if p.batch_size > 1} == {
        "deepomatic": 100
    }
    assert not any(p.can_discover for p in providers.values())
