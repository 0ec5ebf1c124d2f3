"""What the single-leg stand's try analysis (:mod:`glutesense.analysis.squeeze`) reads and returns:
its settings, the held contraction it starts from, each try and the rep's result.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SqueezeSettings:
    """Settings of the try analysis (module docstring; physical units in the names)."""

    smooth_ms: float = 50.0
    dip_smooth_ms: float = 80.0
    firm_smooth_ms: float = 100.0
    hold_share: float = 0.6
    on_sd: float = 5.0
    on_share: float = 0.12
    on_ratio: float = 1.6
    off_sd: float = 2.5
    off_share: float = 0.05
    near_sd: float = 2.0
    hold_fill: float = 0.9
    dip_share: float = 0.35
    squeeze_dip_share: float = 0.5
    min_try_ms: float = 40.0
    min_on_ms: float = 0.0
    pop_ms: float = 10.0
    pop_share: float = 0.55
    pop_wide_share: float = 0.8
    pop_over_hold: float = 1.5
    fit_rest_ms: float = 150.0
    fit_prior_ms: float = 200.0
    local_ms: float = 800.0
    tone_sd: float = 1.0
    relax_share: float = 0.25
    merge_gap_ms: float = 80.0
    firm_level: float = 0.9
    foot_lead_ms: float = 150.0


@dataclass(frozen=True)
class Try:
    """One false start: ``[onset_s, offset_s)``, its peak, and whether it died back to rest."""

    onset_s: float
    offset_s: float
    peak_s: float
    peak_share: float
    relaxed: bool


@dataclass(frozen=True)
class Squeeze:
    """The try analysis of one rep.

    Attributes
    ----------
    onset_s : float
        Sustained onset.
    onset_sd_ms : float
        Its uncertainty (NaN when kept from the first pass without one).
    relocated : bool
        True when the onset was moved off a merged try (rise fit after the foot).
    tries : tuple of Try
    separable : bool
        False when a try did not die back before the next try or the sustained rise.
    firm_up_ms : float or None
    hold_level : float
        ``H``, amplitude in multiples of the resting amplitude.
    """

    onset_s: float
    onset_sd_ms: float
    relocated: bool
    tries: tuple[Try, ...]
    separable: bool
    firm_up_ms: float | None
    hold_level: float


@dataclass(frozen=True)
class Held:
    """The contraction that holds, as the detector's passes saw it.

    Attributes
    ----------
    start_s, stop_s : float
        Its span ``[start_s, stop_s)`` (a burst that began before the cue, e.g. the stance glute's
        tone, starts at the cue here).
    onset_s : float or None
        The detector's onset, when the burst began in the rep's window (None for a burst already
        active: its onset is the stance, not the squeeze).
    onset_sd_ms : float
    """

    start_s: float
    stop_s: float
    onset_s: float | None
    onset_sd_ms: float = float("nan")
