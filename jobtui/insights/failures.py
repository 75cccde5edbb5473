"""Failure signatures: which failed jobs failed for the same reason.

A signature is the provider kind, the provider's own error code where it
gives one (Tensor.Art ``failedInfo.code``, Image Intelligence per-image
statuses such as ``IMAGE_DOWNLOAD_ERROR``), and the error message with the
parts that differ from one job to the next masked: URLs, quoted values, ids
and numbers (four digits or more read as ids, fewer as numbers). "Could not
download https://…/a.jpg" and "…/b.jpg" are then one group, while two
Tensor.Art codes with the same reason stay apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jobtui.model import Job, JobState
from jobtui.store import Transition, WatchedJob

__all__ = [
    "FAILURE_STATES",
    "FailureGroup",
    "Signature",
    "group_failures",
    "mask_message",
    "signature_of",
    "signature_token",
]

FAILURE_STATES: frozenset[JobState] = frozenset({JobState.FAILED, JobState.PARTIAL})
"""The states whose jobs are grouped: failed outright, or with some items failed."""

EXAMPLES_KEPT = 3
"""How many example job ids a group keeps."""

# A provider code leading a message: "TRANSITORY_ERROR: reason", "IMAGE_DOWNLOAD_ERROR".
_CODE = re.compile(r"^\s*([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})\s*(?::\s*|$)")
_WORD_WITH_DIGIT = (
    r"(?<![\w<])[A-Za-z_.\-/]*[A-Za-z_][\w.\-/]*\d[\w.\-/]*|(?<![\w<])\d+[A-Za-z_][\w.\-/]*"
)
# Words that put a number beside a limit: what follows or precedes them is a quantity.
_LIMIT_WORDS = (
    r"\b(exceeds?|exceeded|exceeding|than|limit(?: is| of)?|max(?:imum)?(?: is| of)?|"
    r"min(?:imum)?(?: is| of)?|above|below|over|under|at (?:most|least)|up to)"
)
# Order matters: a URL holds numbers and quotes, a quoted value holds ids.
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE), "<url>"),
    (re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`|«[^»]*»|“[^”]*”"), "<q>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<id>"),
    # Sizes (8192x8192) and numbers compared with a limit ("exceeds 4096", "more than
    # 10000") are quantities, whatever their digits: "<n>x<n> exceeds <n>x<n>" reads as
    # the reason it is, where "<id> exceeds <id>" would not.
    (re.compile(r"(?<![\w<])\d+(?:\.\d+)?[x×]\d+(?:\.\d+)?\b"), "<n>x<n>"),
    (re.compile(_LIMIT_WORDS + r"(\s+)[-+]?\d[\d,]*(?:\.\d+)?(?![\w.,]*\d)", re.I), r"\1\2<n>"),
    (re.compile(r"(?<![\w<.,])[-+]?\d[\d,]*(?:\.\d+)?(?=\s+" + _LIMIT_WORDS + r")", re.I), "<n>"),
    # A number with a unit (12MB, 30s, 1024px) is still a number.
    (re.compile(r"(?<![\w<])\d+(?:\.\d+)?[A-Za-z]{1,3}\b"), "<n>"),
    # A word with a digit in it is an id (job-0042, a1b2c3, image-001.jpg), a bare one a number.
    (re.compile(_WORD_WITH_DIGIT), "<id>"),
    # Four digits or more are an id (task 269999729, model 600423083519508503); fewer, a
    # count or a code worth reading (404, node 10).
    (re.compile(r"(?<![\w<.,])\d{4,}(?![\w.,]*\d)"), "<id>"),
    (re.compile(r"(?<![\w<])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def mask_message(message: str) -> str:
    """``message`` with URLs, quoted values, ids and numbers replaced by placeholders."""
    text = message.strip()
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return text.strip()


@dataclass(frozen=True, slots=True, order=True)
class Signature:
    """What a failure is, without what differs between jobs failing the same way."""

    kind: str
    """The provider kind."""
    code: str | None
    """The provider's error code or per-item statuses (``A+B``), when it gives them."""
    message: str
    """The error message, masked (``mask_message``)."""

    def __str__(self) -> str:
        head = f"{self.kind} {self.code}" if self.code else self.kind
        return f"{head}: {self.message}" if self.message else head

    @property
    def term(self) -> str:
        """A filter term naming this group (``sig:…``), stable across runs."""
        return "sig:" + signature_token(self)


def signature_token(signature: Signature) -> str:
    """A short stable token for ``signature`` (hex of a hash of its parts)."""
    import hashlib

    text = "\x1f".join((signature.kind, signature.code or "", signature.message))
    return hashlib.blake2s(text.encode("utf-8"), digest_size=4).hexdigest()


def _split_code(text: str) -> tuple[str | None, str]:
    match = _CODE.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def _raw_code(job: Job) -> str | None:
    """The code the payload carries, when the snapshot kept it (Tensor.Art ``failedInfo``)."""
    raw: Any = job.raw
    if isinstance(raw, Mapping):
        body = raw.get("job", raw)
        info = body.get("failedInfo") if isinstance(body, Mapping) else None
        if isinstance(info, Mapping):
            code = info.get("code")
            if isinstance(code, str) and code and code != "DEFAULT":
                return code
    return None


def signature_of(job: Job) -> Signature:
    """The failure signature of ``job`` (meaningful for failed and partial jobs)."""
    item_codes: list[str] = []
    item_message = ""
    for item in job.items:
        if item.state is JobState.FAILED and item.error:
            code, rest = _split_code(item.error)
            if code is not None:
                item_codes.append(code)
            # A bare status (MODEL_SERVICE_ERROR) is all code: the message stays empty, so
            # which image happened to fail first does not split a group.
            item_message = item_message or rest
    message = job.error or item_message or job.summary
    code, rest = _split_code(message)
    raw_code = _raw_code(job)
    if raw_code is not None:
        code = raw_code
        if rest is message and message.startswith(raw_code):
            rest = message[len(raw_code) :].lstrip(": ")
    if item_codes:
        # Per-item statuses say more than the job-level status word (COMPLETED_ALL_ERROR).
        codes = "+".join(sorted(set(item_codes)))
        if code is None or code in item_codes or code == job.raw_status:
            code = codes
            rest = item_message if (not rest or rest == message) else rest
        else:
            code = f"{code}/{codes}"
    if code is not None and code == rest.strip():
        rest = ""
    return Signature(kind=job.kind, code=code, message=mask_message(rest))


@dataclass(slots=True)
class FailureGroup:
    """The failed jobs sharing one signature."""

    signature: Signature
    count: int = 0
    providers: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    examples: list[str] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)
    """Every (provider, id) in the group: bulk actions reach all of them."""

    def add(self, watched: WatchedJob, seen: datetime | None) -> None:
        """Count ``watched`` (failed at ``seen``, when known) in this group."""
        self.count += 1
        self.providers.add(watched.provider)
        self.keys.append((watched.provider, watched.id))
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(watched.id)
        if seen is not None:
            if self.first_seen is None or seen < self.first_seen:
                self.first_seen = seen
            if self.last_seen is None or seen > self.last_seen:
                self.last_seen = seen

    def as_json(self) -> dict[str, Any]:
        """The group as ``jobtui errors --json`` prints it."""
        return {
            "signature": str(self.signature),
            "kind": self.signature.kind,
            "code": self.signature.code,
            "message": self.signature.message,
            "term": self.signature.term,
            "count": self.count,
            "providers": sorted(self.providers),
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "examples": list(self.examples),
        }


def failed_at(watched: WatchedJob, transitions: Sequence[Transition] = ()) -> datetime | None:
    """When ``watched`` entered its failure state: the latest such transition, else its times."""
    for transition in reversed(transitions):
        if transition.to_state in FAILURE_STATES:
            return transition.at
    job = watched.job
    if job is not None:
        return job.finished_at or job.updated_at or watched.polled_at
    return watched.polled_at


def group_failures(
    jobs: Iterable[WatchedJob],
    transitions: Mapping[tuple[str, str], Sequence[Transition]] | None = None,
    *,
    provider: str | None = None,
    since: datetime | None = None,
) -> list[FailureGroup]:
    """Failed and partial jobs grouped by signature, largest group first.

    ``transitions`` (by job key, oldest first) date each failure; without
    them the snapshot's times do. ``since`` keeps failures seen from then on
    (an undated failure is kept only without ``since``).
    """
    groups: dict[Signature, FailureGroup] = {}
    history = transitions or {}
    for watched in jobs:
        if watched.state not in FAILURE_STATES or watched.job is None:
            continue
        if provider is not None and watched.provider != provider:
            continue
        seen = failed_at(watched, history.get((watched.provider, watched.id), ()))
        if since is not None and (seen is None or seen < since):
            continue
        signature = signature_of(watched.job)
        group = groups.get(signature)
        if group is None:
            group = groups[signature] = FailureGroup(signature)
        group.add(watched, seen)
    return sorted(groups.values(), key=lambda g: (-g.count, g.signature))
