"""Per-protocol measurement steps the pipeline calls after segmentation (``STEPS`` is the registry).

The bridge needs none: its rows are the pipeline's own per-rep metrics.  The single-leg stand
splits merged tries off the sustained squeeze (:mod:`glutesense.analysis.squeeze`), ends a burst that
began before the squeeze cue at the cue (before it the glute works for the stance; it is never the
squeeze's onset) and adds the tries' times and the time to firm up to each row; a walk skips the
whole-channel detection and measures each stride's onsets around its touchdown
(:mod:`glutesense.analysis.strides`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from glutesense.analysis.metrics import TRY_DETECTOR, MetricSettings
from glutesense.analysis.power import power_series
from glutesense.analysis.squeeze import analyze_squeeze
from glutesense.analysis.squeeze_types import Held, Squeeze
from glutesense.analysis.step_types import Measured, MeasureInput, ProtocolStep, RepPatch
from glutesense.analysis.strides import measure_strides
from glutesense.detect.base import Burst
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.protocols.base import RepWindow


def _stance_part(b: Burst, cue_s: float) -> Burst:
    """A burst that began before the squeeze cue and ran past it ends at the cue: before the cue the glute
    works for the stance (its tone after the lift), and what follows the cue is the try analysis's."""
    if not b.onset_s < cue_s < b.offset_s:
        return b
    return replace(b, offset_s=cue_s, peak_s=min(b.peak_s, cue_s), alarm_s=min(b.alarm_s, cue_s))


def _squeeze_bursts(bursts: tuple[Burst, ...], w: RepWindow, sq: Squeeze, held: Burst) -> tuple[Burst, ...]:
    """The channel's bursts with ``held`` split: tries, and the sustained squeeze from its onset (a burst
    that began before the cue keeps its part before the squeeze, as it was: the stance)."""
    assert w.cue_s is not None
    before = held.onset_s < w.start_s
    lo, hi = (w.cue_s if before else min(w.cue_s, held.onset_s)), held.offset_s
    kept = [_stance_part(b, w.cue_s) for b in bursts if not lo <= b.onset_s < hi and b is not held]
    if before:
        kept.append(replace(held, offset_s=min(sq.onset_s, held.offset_s)))
    tries = [
        Burst(t.onset_s, t.offset_s, t.peak_s, float("nan"), 1.0, TRY_DETECTOR, t.onset_s) for t in sq.tries
    ]
    main = replace(held, onset_s=sq.onset_s, onset_sd_ms=sq.onset_sd_ms) if sq.relocated else held
    return tuple(sorted([*kept, *tries, main], key=lambda b: b.onset_s))


def _squeeze_note(sq: Squeeze) -> str:
    if sq.separable:
        return ""
    return (
        "a try ran into the next one or into the squeeze without dying back: "
        "the count of false starts and the onset are less certain"
    )


def _held(bursts: tuple[Burst, ...], w: RepWindow, cfg: MetricSettings) -> tuple[Burst, Held] | None:
    """The burst that holds the squeeze and its span: of the sustained bursts that overlap the time from
    the cue to the window's end, the one covering most of it (merged tries before it may be sustained
    too); a burst already active at the window's start (the stance glute's tone) holds from the cue."""
    cue = w.cue_s
    assert cue is not None
    long = [
        b
        for b in bursts
        if b.onset_s < w.stop_s
        and b.offset_s > cue
        and b.duration_s >= cfg.sustained_s
        and b.detector != TRY_DETECTOR
    ]
    if not long:
        return None
    b = max(long, key=lambda x: min(x.offset_s, w.stop_s) - max(x.onset_s, cue))
    if b.onset_s >= w.start_s:
        return b, Held(b.onset_s, min(b.offset_s, w.stop_s), b.onset_s, b.onset_sd_ms)
    if b.offset_s - cue < cfg.sustained_s:
        return None
    return b, Held(cue, min(b.offset_s, w.stop_s), None)


def measure_squeezes(data: MeasureInput) -> Measured:
    """Single-leg stand: tries, sustained onset and time to firm up per squeeze (module docstring)."""
    cfg = data.settings
    bursts = dict(data.bursts)
    patches: dict[tuple[Side, int], RepPatch] = {}
    series = {}
    for w in data.windows:
        role = Role.emg(Muscle.GLUTE_MAX, w.side)
        if w.cue_s is None or role not in data.signals:
            continue
        found = _held(bursts.get(role, ()), w, cfg)
        if found is None:
            continue
        if role not in series:
            series[role] = power_series(data.signals[role])
        ps = series[role]
        rest_s = data.signals[role].rest_s
        rest = slice(ps.index(rest_s[0]), max(ps.index(rest_s[1]), 1))
        sq = analyze_squeeze(ps, rest, w.cue_s, found[1], sustained_s=cfg.sustained_s, cfg=cfg.squeeze)
        if sq is None:
            continue
        bursts[role] = _squeeze_bursts(bursts.get(role, ()), w, sq, found[0])
        patches[(w.side, w.rep)] = RepPatch(
            false_starts=len(sq.tries),
            false_starts_s=tuple(t.onset_s for t in sq.tries),
            firm_up_ms=sq.firm_up_ms,
            tries_separable=sq.separable,
            note=_squeeze_note(sq),
        )
    changed = {r: b for r, b in bursts.items() if b is not data.bursts.get(r)}
    return Measured(bursts=changed, patches=patches)


STEPS: Mapping[Protocol, ProtocolStep] = MappingProxyType(
    {
        Protocol.SINGLE_LEG_STAND: ProtocolStep(first_pass=True, second_pass=True, measure=measure_squeezes),
        Protocol.WALK: ProtocolStep(first_pass=False, second_pass=False, measure=measure_strides),
    }
)
