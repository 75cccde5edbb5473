"""Injected misbehaviour: the ways real services fail, at a seeded, deterministic rate.

Each provider prefix draws from its own generator seeded by the world's seed,
so the n-th request to a provider misbehaves the same way on every run with
the same seed, whatever the other providers receive in between.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["BAD_GATEWAY_HTML", "FAULT_KINDS", "Fault", "FaultPlan"]

FAULT_KINDS: tuple[str, ...] = ("429", "500", "502", "503", "slow", "truncated")
"""What a misbehaving request does: an error status, a late answer, or a cut-off body."""

BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
"""What a reverse proxy answers when the service behind it is down: HTML, not JSON."""


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind and, for 429/503, the ``Retry-After`` seconds."""

    kind: str
    retry_after: int = 0


class FaultPlan:
    """Decides, request by request, whether and how a provider misbehaves."""

    def __init__(self, rate: float, seed: int) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("the fault rate must be between 0 and 1")
        self.rate = rate
        self._seed = seed
        self._generators: dict[str, random.Random] = {}
        # Faults a test asked for, served before any drawn one; filled from other threads.
        self._forced: dict[str, deque[Fault]] = {}
        self._forced_lock = threading.Lock()

    def force(self, kind: str, fault: Fault, count: int = 1) -> None:
        """Make the next ``count`` requests to ``kind`` misbehave as ``fault`` (tests, demos)."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {fault.kind!r} (one of {', '.join(FAULT_KINDS)})")
        with self._forced_lock:
            self._forced.setdefault(kind, deque()).extend([fault] * count)

    def next(self, kind: str) -> Fault | None:
        """The fault for the next request to ``kind``, or None for a normal answer."""
        with self._forced_lock:
            forced = self._forced.get(kind)
            if forced:
                # Forced faults draw nothing: the seeded sequence stays as it was.
                return forced.popleft()
        if self.rate <= 0.0:
            return None
        generator = self._generators.get(kind)
        if generator is None:
            digest = hashlib.blake2b(f"faults\x00{self._seed}\x00{kind}".encode(), digest_size=8)
            generator = random.Random(int.from_bytes(digest.digest(), "big"))
            self._generators[kind] = generator
        # Always draw the same number of values, so one decision never shifts the next ones.
        roll, choice, wait = generator.random(), generator.random(), generator.randint(1, 3)
        if roll >= self.rate:
            return None
        return Fault(FAULT_KINDS[int(choice * len(FAULT_KINDS))], wait)
