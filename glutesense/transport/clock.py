"""Injected clocks: the one place the live path reads time and sleeps.

Everything that stamps or paces (the transport's notification callback, the
recorder's cue schedule, the virtual sensor's sample pacing) takes a
:class:`Clock`, so a virtual session can run faster than real time while every
stamp still looks like real time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


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


class LoopClock:
    """The running event loop's own clock: ``loop.time()`` and ``asyncio.sleep``.

    Under :func:`run_in_virtual_time` this is virtual time, so a whole virtual session
    runs as fast as the CPU allows and gives the same stamps on every run.

    Parameters
    ----------
    origin_ns : int
        Added to ``loop.time()`` so stamps look like ``time.monotonic_ns()`` values.
    """

    def __init__(self, origin_ns: int = 1_000_000_000_000) -> None:
        self.origin_ns = int(origin_ns)

    def now_ns(self) -> int:
        return self.origin_ns + round(asyncio.get_running_loop().time() * 1e9)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "LoopClock()"


class _JumpingSelector:
    """Wraps a selector: instead of waiting for the next timer, jump the loop's time to it."""

    def __init__(self, inner: Any, loop: VirtualTimeLoop) -> None:
        self._inner = inner
        self._loop = loop

    def select(self, timeout: float | None = None) -> Any:
        ready = self._inner.select(0)
        if ready or timeout is None:
            return ready if ready or timeout is not None else self._inner.select(None)
        if timeout > 0:
            self._loop.advance(timeout)
        return ready

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer whenever nothing is ready.

    For in-process simulations (the virtual sensor): sleeps and timeouts take no real
    time, and the order of events is the same on every run.  Real I/O still works
    (it is polled without waiting while timers are pending).
    """

    def __init__(self) -> None:
        super().__init__()
        self._virtual_s = 0.0
        self._selector = _JumpingSelector(self._selector, self)  # type: ignore[has-type]

    def time(self) -> float:
        return self._virtual_s

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds`` (>= 0)."""
        self._virtual_s += max(0.0, seconds)


def run_in_virtual_time(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a :class:`VirtualTimeLoop` (use with :class:`LoopClock`)."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main)
