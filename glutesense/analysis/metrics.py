"""Per-rep metrics and per-side summaries (pure functions on bursts and rep windows).

Conventions: ``glute_lag_ms`` is glute onset minus hamstring onset (positive:
the glute fired later); missing values are None, never made up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from glutesense.analysis.squeeze_types import SqueezeSettings
from glutesense.analysis.stride_onsets import StrideSettings
from glutesense.detect.base import Burst
from glutesense.model.roles import Side
from glutesense.protocols.base import RepWindow

TRY_DETECTOR = "try"
"""``detector`` of a single-leg stand's false starts (:mod:`glutesense.analysis.squeeze`): a try is never
the sustained onset, whatever its length."""


class Order(StrEnum):
    """Firing order of glute and hamstring in one rep."""

    GLUTE_FIRST = "glute_first"
    HAMSTRING_FIRST = "hamstring_first"
    SIMULTANEOUS = "simultaneous"
    GLUTE_ABSENT = "glute_absent"
    UNDETECTED = "undetected"


@dataclass(frozen=True)
class MetricSettings:
    """Settings of the rep metrics.

    Attributes
    ----------
    simultaneous_ms : float
        ``|lag|`` below this is ``simultaneous``.
    sustained_s : float
        A burst at least this long is a sustained contraction (the rep's onset); shorter
        bursts after the cue and before it are false starts (single-leg stand).
    hold_delay_s : float
        The hold (for amplitudes) starts this long after the later onset.
    refine_margin_s : float
        Bridge: a sustained burst of the detector's sensitive pass that starts more than this before
        the first pass's onset replaces the first pass's fragments (``analysis._second_pass``) ...
    refine_below_confidence : float
        ... if the first pass's burst is weak (its confidence below this; high-SNR onsets are kept).
    squeeze : SqueezeSettings
        Single-leg stand: the tries before the sustained squeeze (:mod:`glutesense.analysis.squeeze`).
    strides : StrideSettings
        Walk: onsets per stride around its touchdown (:mod:`glutesense.analysis.stride_onsets`).
    """

    simultaneous_ms: float = 15.0
    sustained_s: float = 0.5
    hold_delay_s: float = 0.3
    refine_margin_s: float = 0.3
    refine_below_confidence: float = 0.2
    squeeze: SqueezeSettings = field(default_factory=SqueezeSettings)
    strides: StrideSettings = field(default_factory=StrideSettings)


@dataclass(frozen=True)
class RepResult:
    """One row of ``reps.csv``: a rep on one side.

    Times in seconds from the recording's start; None where missing.  ``glute_onset_sd_ms``,
    ``hamstring_onset_sd_ms`` and ``glute_lag_sd_ms`` are the estimated standard deviations of the two
    onsets and of the lag (``sqrt(sd_g^2 + sd_h^2)``), ms, None when the detector gives no uncertainty.

    Single-leg stand (:mod:`glutesense.analysis.squeeze`): ``false_starts_s`` the onset of each false
    start, ``firm_up_ms`` the time from the sustained onset to 90 % of the hold level,
    ``tries_separable`` False when a try ran into the sustained rise without dying back (the count
    and the onset are then less certain; ``reason`` says so).

    Walk (:mod:`glutesense.analysis.strides`): ``cue_s`` and ``touchdown_s`` are the stride's
    touchdown, ``stride_s`` its duration, ``glute_med_onset_s`` the stance-side glute medius onset;
    onsets are that stride's bursts around its touchdown.
    """

    side: Side
    rep: int
    cue_s: float | None
    movement_onset_s: float | None
    glute_onset_s: float | None
    hamstring_onset_s: float | None
    glute_lag_ms: float | None
    order: Order
    squeeze_latency_ms: float | None
    false_starts: int | None
    amplitude_ratio: float | None
    glute_hold_uv: float | None
    reason: str
    glute_onset_sd_ms: float | None = None
    hamstring_onset_sd_ms: float | None = None
    glute_lag_sd_ms: float | None = None
    false_starts_s: tuple[float, ...] = ()
    firm_up_ms: float | None = None
    tries_separable: bool | None = None
    touchdown_s: float | None = None
    stride_s: float | None = None
    glute_med_onset_s: float | None = None

    def cycle_pct(self, onset_s: float | None) -> float | None:
        """Walk: ``onset_s`` in % of the gait cycle from this stride's touchdown (negative: before it)."""
        if onset_s is None or self.touchdown_s is None or not self.stride_s:
            return None
        return 100.0 * (onset_s - self.touchdown_s) / self.stride_s

    @property
    def glute_onset_pct(self) -> float | None:
        return self.cycle_pct(self.glute_onset_s)

    @property
    def hamstring_onset_pct(self) -> float | None:
        return self.cycle_pct(self.hamstring_onset_s)

    @property
    def glute_med_onset_pct(self) -> float | None:
        return self.cycle_pct(self.glute_med_onset_s)


@dataclass(frozen=True)
class OnsetPick:
    """The sustained onset chosen in a window, or why there is none."""

    burst: Burst | None
    reason: str
    false_starts: int


def pick_sustained(bursts: Sequence[Burst], window: RepWindow, settings: MetricSettings) -> OnsetPick:
    """First sustained burst whose onset lies in the window, and the short bursts (and tries) before it."""
    inside = [b for b in bursts if window.start_s <= b.onset_s < window.stop_s]
    sustained = [b for b in inside if b.duration_s >= settings.sustained_s and b.detector != TRY_DETECTOR]
    if sustained:
        first = sustained[0]
        short = [
            b
            for b in inside
            if b.onset_s < first.onset_s and (window.cue_s is None or b.onset_s >= window.cue_s)
        ]
        return OnsetPick(first, "", len(short))
    ongoing = [b for b in bursts if b.onset_s < window.start_s < b.offset_s]
    if ongoing:
        return OnsetPick(None, "already active before the rep window", 0)
    if inside:
        return OnsetPick(None, "only short bursts (no sustained contraction)", len(inside))
    return OnsetPick(None, "no activation above the resting level", 0)


def classify_order(
    glute_s: float | None, hamstring_s: float | None, *, glute_absent: bool, simultaneous_ms: float
) -> Order:
    """Firing order from two onsets (None when missing)."""
    if glute_s is None:
        return Order.GLUTE_ABSENT if glute_absent and hamstring_s is not None else Order.UNDETECTED
    if hamstring_s is None:
        return Order.UNDETECTED
    lag_ms = (glute_s - hamstring_s) * 1000.0
    if abs(lag_ms) < simultaneous_ms:
        return Order.SIMULTANEOUS
    return Order.HAMSTRING_FIRST if lag_ms > 0 else Order.GLUTE_FIRST


@dataclass(frozen=True)
class SideSummary:
    """Aggregates over the reps of one side (``summary.json``).

    Attributes
    ----------
    lag_median_ms, lag_q25_ms, lag_q75_ms : float or None
        Median and quartiles of ``glute_lag_ms`` over reps where both onsets were found.
    order_counts : mapping str -> int
        Reps per :class:`Order` value.
    glute_hold_uv : float or None
        Median glute envelope during the holds (µV RMS), for symmetry.
    squeeze_latency_median_ms : float or None
    false_starts_total : int or None
    """

    side: Side
    n_reps: int
    n_lags: int
    lag_median_ms: float | None
    lag_q25_ms: float | None
    lag_q75_ms: float | None
    order_counts: Mapping[str, int]
    glute_hold_uv: float | None
    squeeze_latency_median_ms: float | None
    false_starts_total: int | None


def _median(values: Sequence[float | None]) -> float | None:
    v = [x for x in values if x is not None and np.isfinite(x)]
    return float(np.median(v)) if v else None


def summarize_side(side: Side, reps: Sequence[RepResult]) -> SideSummary:
    """Aggregates of ``reps`` (those of ``side`` are used)."""
    mine = [r for r in reps if r.side is side]
    lags = [r.glute_lag_ms for r in mine if r.glute_lag_ms is not None]
    counts = {o.value: sum(r.order is o for r in mine) for o in Order}
    fs = [r.false_starts for r in mine if r.false_starts is not None]
    return SideSummary(
        side=side,
        n_reps=len(mine),
        n_lags=len(lags),
        lag_median_ms=float(np.median(lags)) if lags else None,
        lag_q25_ms=float(np.percentile(lags, 25)) if lags else None,
        lag_q75_ms=float(np.percentile(lags, 75)) if lags else None,
        order_counts=counts,
        glute_hold_uv=_median([r.glute_hold_uv for r in mine]),
        squeeze_latency_median_ms=_median([r.squeeze_latency_ms for r in mine]),
        false_starts_total=sum(fs) if fs else None,
    )


def symmetry_index_pct(left: float | None, right: float | None) -> float | None:
    """Symmetry index ``100 (L - R) / ((L + R) / 2)`` (Robinson et al. 1987); 0 is symmetric."""
    if left is None or right is None or left + right <= 0:
        return None
    return 100.0 * (left - right) / (0.5 * (left + right))
