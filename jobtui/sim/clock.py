"""The simulator's virtual clock: real time scaled by a speed factor, plus manual jumps.

``now()`` is virtual seconds since the clock was made. At speed 0 time stands
still and only ``advance`` moves it, which is how tests drive lifecycles
without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["SimClock"]


class SimClock:
    """Virtual time: ``speed`` simulated seconds per real second, moved on by ``advance``."""

    def __init__(self, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed < 0:
            raise ValueError("speed must be 0 or more")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._speed = speed
        # Virtual time = _base + (monotonic() - _anchor) * _speed; re-anchored on every change
        # so that changing the speed never makes time jump.
        self._anchor = monotonic()
        self._base = 0.0

    @property
    def speed(self) -> float:
        """Simulated seconds per real second (0: frozen)."""
        return self._speed

    def now(self) -> float:
        """Virtual seconds since the clock started."""
        return self._base + (self._monotonic() - self._anchor) * self._speed

    def advance(self, seconds: float) -> float:
        """Jump ``seconds`` of virtual time forward; returns the new ``now()``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base += seconds
            return self.now()

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, without a jump."""
        if speed < 0:
            raise ValueError("speed must be 0 or more")
        with self._lock:
            current = self._monotonic()
            self._base += (current - self._anchor) * self._speed
            self._anchor = current
            self._speed = speed
