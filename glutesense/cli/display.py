"""Live displays for ``record`` (and ``replay``, ``train``): a rich view, or plain timestamped lines.

Both take the same calls, so a command never asks which one it has:

* :meth:`~PlainView.on_status` with each :class:`~glutesense.acquire.status.RecorderStatus`
  and the live envelopes (or None before the first packet);
* :meth:`~PlainView.update` with ``(t_s, envelopes)`` (replay);
* :meth:`~PlainView.line` for a message that must stay on screen (a gate check, a rep's
  verdict), stamped with session time.

:class:`PlainView` is for logs, pipes and tests: one line per cue, link notice, gap, message,
and a counter line (packets, lost, gaps, effective sample rate per device) every
``counters_every_s`` session seconds.  :func:`make_view` picks: ``--plain`` or a standard
output that is not a terminal gives plain lines on standard output, else the rich view.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Protocol

from glutesense.acquire.live import LiveEnvelopes
from glutesense.acquire.status import RecorderStatus
from glutesense.cli.liveview import LiveView
from glutesense.cli.statusline import counters_text
from glutesense.cli.terminal import say

COUNTERS_EVERY_S = 10.0


class Display(Protocol):
    """What a command calls on its live display."""

    def __enter__(self) -> Display: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def on_status(self, s: RecorderStatus, live: LiveEnvelopes | None) -> None: ...

    def update(self, t_s: float, live: LiveEnvelopes) -> None: ...

    def line(self, t_s: float, text: str) -> None: ...


def stamp(t_s: float) -> str:
    return f"[{t_s:7.1f} s]"


class PlainView:
    """Timestamped lines on ``stream``: cues, link notices, gaps, messages, counters."""

    def __init__(
        self, title: str, stream: IO[str] | None = None, *, counters_every_s: float = COUNTERS_EVERY_S
    ):
        self.title = title
        self.stream = stream
        self.counters_every_s = counters_every_s
        self._n_cues = 0
        self._n_gaps = 0
        self._next_counters_s = counters_every_s
        self._last: tuple[RecorderStatus, LiveEnvelopes | None] | None = None

    def __enter__(self) -> PlainView:
        self._print(f"{self.title}")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._last is not None:
            s, live = self._last
            self._print(f"{stamp(s.t_s)} end: {counters_text(s, live)}")

    def _print(self, text: str) -> None:
        say(text, file=self.stream or sys.stdout, flush=True)

    def line(self, t_s: float, text: str) -> None:
        self._print(f"{stamp(t_s)} {text}")

    def on_status(self, s: RecorderStatus, live: LiveEnvelopes | None) -> None:
        self._last = (s, live)
        for notice in s.notices:
            self.line(s.t_s, f"link: {notice}")
        if s.n_cues > self._n_cues:
            self._n_cues = s.n_cues
            where = "" if s.rep is None else f" rep {s.rep}" + ("" if s.side is None else f" {s.side}")
            self.line(s.t_s, f"cue {s.label}{where}: {s.text}")
        if s.n_gaps > self._n_gaps:
            self.line(s.t_s, f"gap: {s.n_gaps - self._n_gaps} new, {s.lost_packets} packets lost in all")
            self._n_gaps = s.n_gaps
        if s.t_s >= self._next_counters_s:
            self.line(s.t_s, counters_text(s, live))
            self._next_counters_s = s.t_s + self.counters_every_s

    def update(self, t_s: float, live: LiveEnvelopes) -> None:
        if t_s >= self._next_counters_s:
            levels = ", ".join(
                f"{r.value} {v:.1f} µV" for r, v in sorted(live.levels().items(), key=lambda x: x[0].value)
            )
            self.line(t_s, levels)
            self._next_counters_s = t_s + self.counters_every_s


def make_view(title: str, *, plain: bool | None = None) -> Display:
    """``plain`` True: plain lines; None: plain when standard output is not a terminal, else rich."""
    if plain is None:
        plain = not sys.stdout.isatty()
    if plain:
        return PlainView(title)
    return LiveView(enabled=sys.stderr.isatty(), title=title)
