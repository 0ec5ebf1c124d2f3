"""Injected clocks: the one place the live path reads time and sleeps.

Everything that stamps or paces (the transport's notification callback, the
recorder's cue schedule, the virtual sensor's sample pacing) takes a
:class:`Clock`, so a virtual session can run faster than real time while every
stamp still looks like real time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """A monotonic nanosecond clock and a matching sleep."""

    def now_ns(self) -> int:
        """Current time, integer nanoseconds (monotonic, arbitrary origin)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of this clock's time."""
        ...


class MonotonicClock:
    """Real time: ``time.monotonic_ns()`` and ``asyncio.sleep``."""

    def now_ns(self) -> int:
        return time.monotonic_ns()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time running ``speed`` times faster than real time.

    ``now_ns() = origin + (monotonic_ns() - origin) * speed``: stamps start at the
    real monotonic time of construction and advance ``speed`` times faster;
    ``sleep(d)`` sleeps ``d / speed`` real seconds.

    Parameters
    ----------
    speed : float
        Time-scale factor, > 0 (1 is real time).
    """

    def __init__(self, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be > 0, got {speed!r}")
        self.speed = float(speed)
        self._origin_ns = time.monotonic_ns()

    def now_ns(self) -> int:
        return self._origin_ns + int((time.monotonic_ns() - self._origin_ns) * self.speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)

    def __repr__(self) -> str:
        return f"ScaledClock(speed={self.speed:g})"
