"""Live feedback of a training set: the level against the target, a verdict after each rep, the burn.

:class:`TrainingMonitor` sits between the recorder and the writer (:meth:`TrainingMonitor.wrap`
passes every packet and event through and keeps the events), and is fed the decoded live
envelopes at every status tick.  It reads the set with the same code as the report
(:func:`glutesense.analysis.training.summarize_set`) on the session decoded so far
(:meth:`glutesense.decode.decoder.SessionDecoder.recording`), once per rep, ``settle_s`` after the
rep's last cue; :attr:`stop` turns True when the glute tired (the running fall of its median
frequency reached the mark), and the recorder then ends the set.  Never prints: the caller shows
:attr:`status_line` and :attr:`verdicts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glutesense.acquire.live import LiveEnvelopes
from glutesense.acquire.ports import EventTee, Writer
from glutesense.analysis.training import END_LABELS, GLUTES, SetSummary, TrainingSettings, summarize_set
from glutesense.decode.decoder import SessionDecoder
from glutesense.model.records import Event
from glutesense.model.roles import Role


@dataclass
class TrainingMonitor:
    """Rep-by-rep feedback of one set (module docstring).

    Parameters
    ----------
    settings : TrainingSettings
    settle_s : float
        How long after a rep's last cue its verdict is read, s.
    stop_when_tired : bool
        End the set when the glute tired (else run the planned reps).
    """

    settings: TrainingSettings = field(default_factory=TrainingSettings)
    settle_s: float = 0.6
    stop_when_tired: bool = True
    events: list[Event] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    summary: SetSummary | None = None
    stop: bool = False
    _pending: list[float] = field(default_factory=list)
    _reference: dict[Role, list[float]] = field(default_factory=dict)
    _in_reference: bool = False

    def wrap(self, writer: Writer) -> Writer:
        return EventTee(writer, self.on_event)

    def on_event(self, event: Event) -> None:
        self.events.append(event)
        if event.trial_type == "reference":
            self._in_reference = True
        elif event.trial_type in END_LABELS:
            if self._in_reference:
                self._in_reference = False
            if event.rep is not None:
                self._pending.append(event.onset_s + self.settle_s)

    def should_stop(self) -> bool:
        return self.stop and self.stop_when_tired

    def tick(self, t_s: float, decoder: SessionDecoder | None, live: LiveEnvelopes | None) -> str | None:
        """One status tick at session time ``t_s``: follow the reference, read a finished rep.

        Returns the new verdict line when a rep was read, else None.
        """
        if live is not None and self._in_reference:
            for role, level in live.levels().items():
                if role in GLUTES:
                    self._reference.setdefault(role, []).append(level)
        if not self._pending or t_s < self._pending[0] or decoder is None:
            return None
        self._pending.pop(0)
        return self.read(decoder)

    def read(self, decoder: SessionDecoder) -> str | None:
        """Read the set so far from the decoded session; the latest rep's verdict line."""
        rec = decoder.recording(self.events)
        channels = {}
        for role in rec.roles:
            if role.muscle is not None:
                x, fs_hz, t0_s = rec.signal(role)
                channels[role] = (x, fs_hz, t0_s)
        summary = summarize_set(channels, rec.events, self.settings)
        self.summary = summary
        if not summary.reps:
            return None
        line = summary.reps[-1].verdict
        if summary.tired_at_rep is not None and not self.stop:
            self.stop = True
            g = summary.glute_fatigue
            line += (
                f"\nYour glute's median frequency fell {g.mdf_drop_pct:.0f} % — that's the burn. Set done."
            )
        self.verdicts.append(line)
        return line

    def level_line(self, live: LiveEnvelopes | None) -> str:
        """Each glute's live level as % of its reference, against the target (empty before the reference)."""
        if live is None or not self._reference:
            return ""
        levels = live.levels()
        parts = []
        for role in GLUTES:
            ref = self._reference.get(role)
            if not ref or role not in levels:
                continue
            top = float(np.median(ref[len(ref) // 3 :])) if len(ref) >= 3 else float(np.median(ref))
            if top <= 0:
                continue
            pct = 100.0 * levels[role] / top
            mark = "above" if pct >= 100 * self.settings.target_share else "below"
            parts.append(f"{role.value} {pct:3.0f} % ({mark})")
        if not parts:
            return ""
        return f"{', '.join(parts)} of reference; target {100 * self.settings.target_share:.0f} %"
