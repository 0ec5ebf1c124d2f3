"""What :func:`glutesense.analysis.pipeline.analyze` takes and returns: its settings, each EMG channel
after conditioning and detection, the rows of ``onsets.csv`` and the whole result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from glutesense.analysis.metrics import (
    MetricSettings,
    RepResult,
    SideSummary,
)
from glutesense.detect.base import Burst
from glutesense.model.arrays import FloatArray
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.signal.condition import ConditionSettings
from glutesense.signal.envelope import Baseline
from glutesense.signal.movement import AngularRate, Tilt
from glutesense.signal.quality import (
    SignalQuality,
    quality_score,
    snr_db,
)
from glutesense.signal.units import index_at


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of :func:`analyze` (detector settings live with the detector).

    Attributes
    ----------
    condition : ConditionSettings
    metrics : MetricSettings
    pre_cue_s : float
        A rep window opens this long before its cue (anticipatory activity).
    quiet_window_s : float
        Baseline window length when there is no ``rest`` event.  2 s: the quietest of many 1 s windows
        underestimates the resting level (on motor-unit recordings without events, 3 false bursts per
        minute of rest against none with a 2 s window, ``benchmarks/outside_csv.py``).
    trace_window_s, trace_hz : float
        RMS window and output rate of the envelopes kept for figures and hold amplitudes.
    """

    condition: ConditionSettings = field(default_factory=ConditionSettings)
    metrics: MetricSettings = field(default_factory=MetricSettings)
    pre_cue_s: float = 0.25
    quiet_window_s: float = 2.0
    trace_window_s: float = 0.1
    trace_hz: float = 100.0


@dataclass(frozen=True)
class ChannelResult:
    """One EMG channel after conditioning and detection.

    Attributes
    ----------
    role : Role
    fs_hz : float
    band_hz : (float, float)
    mains_hz : float or None
    zero_phase : bool
    baseline : Baseline
        Of the trace envelope (µV RMS).
    bursts : tuple of Burst
    trace_t0_s, trace_hz : float
    trace_uv : ndarray, shape (n,)
        RMS envelope, µV, at ``trace_hz`` (for figures and hold amplitudes).
    quality : SignalQuality
        Clipping, flat lines and lost samples of the raw channel (:mod:`glutesense.signal.quality`).
    active_uv : float or None
        Median trace inside the final sustained bursts (µV RMS), None without one (or before the
        bursts are final).
    """

    role: Role
    fs_hz: float
    band_hz: tuple[float, float]
    mains_hz: float | None
    zero_phase: bool
    baseline: Baseline
    bursts: tuple[Burst, ...]
    trace_t0_s: float
    trace_hz: float
    trace_uv: FloatArray
    quality: SignalQuality
    active_uv: float | None = None

    @property
    def snr_db(self) -> float | None:
        """Activation over rest (:func:`glutesense.signal.quality.snr_db`), None without a contraction."""
        return snr_db(self.baseline.median, self.active_uv)

    @property
    def quality_score(self) -> float:
        """:func:`glutesense.signal.quality.quality_score` of the channel, 0..1."""
        return quality_score(self.quality, self.snr_db)

    def mean_uv(self, start_s: float, stop_s: float) -> float | None:
        """Mean of the trace over ``[start_s, stop_s)``, None if empty."""
        a = max(index_at(start_s, self.trace_hz, self.trace_t0_s), 0)
        b = min(index_at(stop_s, self.trace_hz, self.trace_t0_s), self.trace_uv.size)
        seg = self.trace_uv[a:b]
        seg = seg[np.isfinite(seg)]
        return float(seg.mean()) if seg.size else None


@dataclass(frozen=True)
class BurstRow:
    """One row of ``onsets.csv``: a burst with its side, muscle and rep (None outside reps).

    ``burst`` is the detector's own; ``quality`` (0..1) is the channel's quality score times the
    undamaged share of the onset window (:func:`glutesense.analysis.channels.row_quality`), and
    ``confidence`` the two combined.
    """

    side: Side
    muscle: Muscle
    rep: int | None
    burst: Burst
    quality: float = 1.0

    @property
    def confidence(self) -> float:
        """Detector confidence x channel quality x (1 - damaged share of the onset window)."""
        return self.burst.confidence * self.quality


@dataclass(frozen=True)
class AnalysisResult:
    """Everything ``analyze`` found; the report writes it out.

    Attributes
    ----------
    protocol : Protocol
    detector : str
    detector_settings : mapping
    settings : AnalysisSettings
    reps : tuple of RepResult
        One per rep and side, sorted by side then rep.
    bursts : tuple of BurstRow
    sides : tuple of SideSummary
    symmetry_index_pct : float or None
        Left/right symmetry of glute activation during the holds.
    channels : tuple of ChannelResult
    tilt : Tilt or None
    rate : AngularRate or None
        Gyroscope angular rate (deg/s), used for movement onsets when present.
    rep_source : str
        How reps were found (``"cue events"``, ``"accelerometer"``, ``"emg"``, or ``""``).
    notes : tuple of str
        Conditioning and segmentation notes, for the report.
    """

    protocol: Protocol
    detector: str
    detector_settings: Mapping[str, float | str]
    settings: AnalysisSettings
    reps: tuple[RepResult, ...]
    bursts: tuple[BurstRow, ...]
    sides: tuple[SideSummary, ...]
    symmetry_index_pct: float | None
    channels: tuple[ChannelResult, ...]
    tilt: Tilt | None
    rep_source: str
    notes: tuple[str, ...]
    rate: AngularRate | None = None

    def channel(self, role: Role) -> ChannelResult | None:
        for c in self.channels:
            if c.role is role:
                return c
        return None
