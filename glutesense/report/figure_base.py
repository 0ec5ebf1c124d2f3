"""Shared parts of the report figures: the Okabe-Ito palette, rendering, rep windows and alignment.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), and every axis names
its unit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from glutesense.analysis.pipeline import ChannelResult
from glutesense.clinical import ClinicalRep, SessionClinical
from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Muscle, Role, Side

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
MUSCLE_COLOR = {
    Muscle.GLUTE_MAX: OKABE_ITO["vermillion"],
    Muscle.HAMSTRING: OKABE_ITO["blue"],
    Muscle.GLUTE_MED: OKABE_ITO["green"],
    Muscle.ERECTOR: OKABE_ITO["purple"],
}
SIDE_COLOR = {Side.LEFT: OKABE_ITO["orange"], Side.RIGHT: OKABE_ITO["sky_blue"]}
SIDE_MARKER = {Side.LEFT: "o", Side.RIGHT: "s"}
GREY = "0.55"
MAX_BUCKETS = 2400
"""Columns of the min/max envelope of the whole-session figure."""
MAX_PANELS = 8
"""Per-rep panels drawn at most (the first reps)."""
MAX_OVERLAY = 40
"""Reps drawn at most in an overlay (evenly spread; the median uses all)."""


@dataclass(frozen=True)
class FigureOut:
    """A rendered figure: file name, caption and PNG bytes."""

    name: str
    caption: str
    png: bytes
    narrow_png: bytes | None = None
    """The same figure laid out for phone width (panels stacked), when the wide one has several panels."""


def png_bytes(fig: Figure, *, dpi: int = 100) -> bytes:
    """Render and close a figure; PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def trace_t(ch: ChannelResult) -> FloatArray:
    return ch.trace_t0_s + np.arange(ch.trace_uv.size) / ch.trace_hz


def window(ch: ChannelResult, t0_s: float, before_s: float, after_s: float) -> tuple[FloatArray, FloatArray]:
    """Trace around ``t0_s`` on a grid relative to it: (t_rel_s, envelope µV), NaN outside the data."""
    t_rel = np.arange(-before_s, after_s, 1.0 / ch.trace_hz)
    idx = np.round((t0_s + t_rel - ch.trace_t0_s) * ch.trace_hz).astype(np.int64)
    ok = (idx >= 0) & (idx < ch.trace_uv.size)
    y = np.full(t_rel.size, np.nan)
    y[ok] = ch.trace_uv[idx[ok]]
    return t_rel, y


def align_time(rep: ClinicalRep) -> tuple[float | None, str]:
    """The time a rep is aligned on and its name: movement onset, else the cue, else the first onset."""
    r = rep.result
    if r.movement_onset_s is not None:
        return r.movement_onset_s, "movement onset"
    if r.cue_s is not None:
        return r.cue_s, "cue"
    onsets = [t for t in (r.glute_onset_s, r.hamstring_onset_s) if t is not None]
    return (min(onsets), "first onset") if onsets else (None, "")


def side_reps(clin: SessionClinical, side: Side) -> list[ClinicalRep]:
    return [r for r in clin.reps if r.side is side]


def ref_level(clin: SessionClinical, role: Role) -> float | None:
    for ref in clin.references:
        if ref.role is role:
            return ref.level_uv
    return None
