"""A verdict right after each rep of a guided test, from the same analysis the report uses.

:class:`RepVerdicts` keeps the events the recorder writes (:meth:`RepVerdicts.wrap`) and, at the
status tick ``settle_s`` after a rep's last cue (``lower`` for the bridge, ``release`` for the
single-leg stand), runs :func:`glutesense.analysis.pipeline.analyze` on the session decoded so far
(:meth:`glutesense.decode.decoder.SessionDecoder.recording`: the same decoder, events, resting
baseline, filters and detector as ``glutesense analyze`` on the saved file) and reads that rep's
rows: "rep 3 left: hamstring first, glute +85 ms", or "rep 3 left: cannot tell (...)".

Because it *is* the offline analysis, run on the data up to the rep's end, a live verdict differs
from the report's only where later data changes the analysis of an earlier rep (the whole-channel
detector pass sees more of the recording); ``tests/e2e/test_live_verdicts.py`` checks they agree.
Never prints: :meth:`tick` returns the new lines.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from glutesense.acquire.ports import EventTee, Writer
from glutesense.analysis.metrics import Order, RepResult
from glutesense.decode.decoder import SessionDecoder
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Protocol, Side

END_LABEL = {Protocol.BRIDGE: "lower", Protocol.SINGLE_LEG_STAND: "release"}

_ORDER_TEXT = {
    Order.GLUTE_FIRST: "glute first",
    Order.HAMSTRING_FIRST: "hamstring first",
    Order.SIMULTANEOUS: "together",
}


def verdict_text(r: RepResult) -> str:
    """``"hamstring first, glute +85 ms"``, ``"glute did not fire"`` or ``"cannot tell (why)"``."""
    if r.order is Order.GLUTE_ABSENT:
        return "glute did not fire (hamstring only)"
    if r.order in _ORDER_TEXT and r.glute_lag_ms is not None:
        return f"{_ORDER_TEXT[r.order]}, glute {r.glute_lag_ms:+.0f} ms"
    why = r.reason.split(";")[0].strip() if r.reason else "noisy"
    return f"cannot tell ({why})"


def rep_line(r: RepResult) -> str:
    return f"rep {r.rep} {r.side.value}: {verdict_text(r)}"


@dataclass
class RepVerdicts:
    """Rep-by-rep verdicts of one guided test (module docstring).

    Parameters
    ----------
    protocol : Protocol
    settle_s : float
        How long after a rep's last cue it is read, s (past the recorder's own settle time, so a
        link that drops while the rep settles repeats it before any verdict).
    detector : str
        The onset detector (``glutesense analyze``'s default unless told).
    background : bool
        Read each rep on a worker thread, so the live path (packets, cues) never waits for the
        analysis; its lines come at a later tick.  Off in virtual time, where waiting costs no
        session time and the lines come at the same tick every run.
    """

    protocol: Protocol
    settle_s: float = 1.2
    detector: str = "default"
    events: list[Event] = field(default_factory=list)
    results: list[RepResult] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    background: bool = False
    problem: str = ""
    _pending: list[tuple[float, int, Side | None]] = field(default_factory=list)
    _jobs: list[Future[list[RepResult] | str]] = field(default_factory=list)
    _executor: ThreadPoolExecutor | None = None

    def wrap(self, writer: Writer) -> Writer:
        return EventTee(writer, self.on_event)

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if event.trial_type == END_LABEL.get(self.protocol) and event.rep is not None:
            self._pending.append((event.onset_s + self.settle_s, event.rep, event.side))
        elif event.trial_type == "interrupted":  # the rep is repeated: its verdict comes after the repeat
            self._pending = [p for p in self._pending if (p[1], p[2]) != (event.rep, event.side)]

    def tick(self, t_s: float, decoder: SessionDecoder | None) -> list[str]:
        """New verdict lines: of reps read in the background that are done, then of every rep whose
        time has come by session time ``t_s`` (read now, or handed to the background worker)."""
        out = self._collect()
        while self._pending and t_s >= self._pending[0][0] and decoder is not None and not self.problem:
            _, rep, side = self._pending.pop(0)
            rec = decoder.recording(self.events)  # on the caller's thread: the decoder is not shared
            if self.background:
                self._jobs.append(self._pool().submit(self._analyze, rec, rep, side))
            else:
                out.extend(self._lines(self._analyze(rec, rep, side)))
        return out

    def finish(self) -> list[str]:
        """Wait for the background reads still running; their lines."""
        for job in self._jobs:
            job.result()
        out = self._collect()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        return out

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rep verdicts")
        return self._executor

    def _collect(self) -> list[str]:
        out: list[str] = []
        while self._jobs and self._jobs[0].done():
            out.extend(self._lines(self._jobs.pop(0).result()))
        return out

    def _analyze(self, rec: Recording, rep: int, side: Side | None) -> list[RepResult] | str:
        """That rep's rows of the analysis of ``rec`` (one per side; ``side`` only, if given), or why not."""
        from glutesense.analysis.pipeline import analyze

        try:
            result = analyze(rec, self.protocol, detector=self.detector)
        except ValueError as e:  # no glute + hamstring pair, say: no verdicts, said once
            return str(e)
        except Exception as e:  # a verdict must never end a recording: said once, the file is intact
            return f"the analysis failed ({type(e).__name__}: {e}); glutesense analyze the file afterwards"
        return [r for r in result.reps if r.rep == rep and (side is None or r.side is side)]

    def _lines(self, rows: list[RepResult] | str) -> list[str]:
        if isinstance(rows, str):
            if self.problem:
                return []
            self.problem = rows
            return [f"no rep verdicts: {rows}"]
        lines = [rep_line(r) for r in rows]
        self.results.extend(rows)
        self.lines.extend(lines)
        return lines
