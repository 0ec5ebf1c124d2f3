"""Per-protocol measurement steps the pipeline calls after segmentation (``STEPS`` is the registry).

The bridge needs none: its rows are the pipeline's own per-rep metrics.  The single-leg stand
splits merged tries off the sustained squeeze (:mod:`glutesense.analysis.squeeze`) and adds the
tries' times and the time to firm up to each row; a walk skips the whole-channel detection and
measures each stride's onsets around its touchdown (:mod:`glutesense.analysis.strides`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from glutesense.analysis.metrics import pick_sustained
from glutesense.analysis.power import power_series
from glutesense.analysis.squeeze import Squeeze, analyze_squeeze
from glutesense.analysis.step_types import Measured, MeasureInput, ProtocolStep, RepPatch
from glutesense.analysis.strides import measure_strides
from glutesense.detect.base import Burst
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.protocols.base import RepWindow

TRY_DETECTOR = "try"
"""``detector`` of the false-start bursts the single-leg-stand step writes to ``onsets.csv``."""


def _squeeze_bursts(
    bursts: tuple[Burst, ...], w: RepWindow, sq: Squeeze, sustained: Burst
) -> tuple[Burst, ...]:
    assert w.cue_s is not None
    lo, hi = min(w.cue_s, sustained.onset_s), sustained.offset_s
    kept = [b for b in bursts if not lo <= b.onset_s < hi]
    tries = [
        Burst(t.onset_s, t.offset_s, t.peak_s, float("nan"), 1.0, TRY_DETECTOR, t.onset_s) for t in sq.tries
    ]
    main = replace(sustained, onset_s=sq.onset_s, onset_sd_ms=sq.onset_sd_ms) if sq.relocated else sustained
    return tuple(sorted([*kept, *tries, main], key=lambda b: b.onset_s))


def _squeeze_note(sq: Squeeze) -> str:
    if sq.separable:
        return ""
    return (
        "a try ran into the next one or into the squeeze without dying back: "
        "the count of false starts and the onset are less certain"
    )


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
        pick = pick_sustained(bursts.get(role, ()), w, cfg)
        if pick.burst is None:
            continue
        if role not in series:
            series[role] = power_series(data.signals[role])
        ps = series[role]
        rest = slice(ps.index(data.signals[role].rest_s[0]), max(ps.index(data.signals[role].rest_s[1]), 1))
        sq = analyze_squeeze(
            ps, rest, w.cue_s, w.stop_s, pick.burst, sustained_s=cfg.sustained_s, cfg=cfg.squeeze
        )
        if sq is None:
            continue
        bursts[role] = _squeeze_bursts(bursts.get(role, ()), w, sq, pick.burst)
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
