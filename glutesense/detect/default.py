"""Default onset detector: robust threshold detection, then a fit of the rise back to rest.

Detection follows the classic envelope-threshold scheme (Hodges & Bui 1996):
a moving-RMS envelope must exceed the resting level by ``h_sd`` robust SDs
(median + h * 1.4826 MAD) for at least ``min_on_ms``; crossings closer than
``merge_gap_ms`` are merged, and bursts whose energy sits in one short spike
are rejected (motion artifacts, electrode pops).

Threshold crossings report late, by an amount that grows with the rise time
and as SNR falls.  So the onset is placed where the activation leaves its
resting level: the short-window power ``E[x^2](t) = s^2 + P g((t - t0)/T)^2`` is
fitted by least squares over the rise before the alarm (``g`` a raised-cosine
rise from 0 to 1 over ``T``; ``T = 0`` is a step), in the spirit of the
model-based onset estimators of Staude et al. (2001) and the rise-shape
correction motivated by Tenan et al. (2017).  ``t0`` is the onset.  When the fit
is not usable (too few samples, gap), the onset falls back to walking back
along the envelope until it returns to the resting level (Hodges & Bui 1996).

Confidence is a logistic function of the burst's SNR (20 log10 of peak over
resting envelope), 0.5 at 6 dB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from glutesense.detect.base import Burst, DetectionInput
from glutesense.signal.envelope import Baseline, baseline_of, moving_mean, rms_envelope
from glutesense.signal.units import index_at, n_samples, time_at

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DefaultSettings:
    """Settings of :class:`DefaultDetector` (physical units in the names).

    Attributes
    ----------
    envelope_ms : float
        Moving-RMS window of the detection envelope.
    min_envelope_samples : int
        The envelope window is widened to hold at least this many samples (low rates).
    h_sd : float
        Threshold, robust SDs of the resting envelope above its median.
    h_off_sd : float
        A burst lasts while the envelope stays above this many robust SDs (hysteresis).
    min_on_ms : float
        Minimum time above threshold for a burst.
    merge_gap_ms : float
        Dips below threshold shorter than this do not split a burst.
    spike_ms, spike_fraction : float
        A burst with more than ``spike_fraction`` of its excess energy inside
        ``spike_ms`` is a spike artifact and rejected.
    power_ms : float
        Window of the short-time power the rise is fitted on.
    lookback_ms : float
        How far before the alarm the onset may lie.
    max_rise_ms : float
        Longest rise time tried by the fit.
    fit_level : float
        The fit uses the rise up to where the envelope reaches this fraction of its
        local peak (above rest).
    return_sd : float
        The walk back along the envelope stops where it is within ``return_sd`` robust SDs
        of rest (the fallback onset, and the anchor of the fit).
    fit_extend_ms : float
        The fit runs this long past the ``fit_level`` point (so a step has a plateau to fit).
    pedestal_rest : float
        The onset may lie after the alarm only if the fit finds a pedestal above rest
        (crosstalk lifting the envelope before the muscle's own rise) larger than this
        multiple of the resting power.
    fit_rest_ms : float
        The fit starts this long before the walk-back point.
    max_early_ms : float
        The fitted onset may lie at most this long before the walk-back point.
    """

    envelope_ms: float = 50.0
    min_envelope_samples: int = 20
    h_sd: float = 6.0
    h_off_sd: float = 3.0
    min_on_ms: float = 50.0
    merge_gap_ms: float = 100.0
    spike_ms: float = 20.0
    spike_fraction: float = 0.8
    power_ms: float = 10.0
    lookback_ms: float = 500.0
    max_rise_ms: float = 250.0
    fit_level: float = 0.7
    return_sd: float = 1.0
    fit_extend_ms: float = 50.0
    pedestal_rest: float = 0.1
    fit_rest_ms: float = 250.0
    max_early_ms: float = 100.0


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open runs ``[start, stop)`` where ``mask`` is true."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def _merge(runs: list[tuple[int, int]], gap_n: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < gap_n:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _raised_cosine(u: FloatArray) -> FloatArray:
    u = np.clip(u, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def _shape(idx: FloatArray, start: FloatArray, rise: float) -> FloatArray:
    """Power shape ``g((idx - start) / rise)^2``, shape (len(start), len(idx)); a step if ``rise`` is 0."""
    d = idx[None, :] - start[:, None]
    return _raised_cosine(d / rise) ** 2 if rise > 0 else (d >= 0).astype(np.float64)


def _fit_grid(
    r: FloatArray, w: FloatArray, starts: FloatArray, rises: FloatArray
) -> tuple[float, float, float, float, float]:
    """Weighted LS of ``c + P * shape`` to the excess power ``r`` over a grid of starts and rises.

    ``c >= 0`` is a pedestal (crosstalk or drift lifting the level just before
    the rise); when the free solution has ``c < 0``, ``c = 0`` is used.

    Returns the best ``(sse, start, rise, P, c)``, start and rise in samples of ``r``.
    """
    idx = np.arange(r.size, dtype=np.float64)
    wr = w * r
    sum_r2 = float(np.sum(wr * r))
    sum_w, sum_r = float(w.sum()), float(wr.sum())
    best = (np.inf, 0.0, 0.0, 0.0, 0.0)
    for rise in rises:
        s = _shape(idx, starts, float(rise))
        s_w = s @ w
        ss = (s * s) @ w
        sr = s @ wr
        with np.errstate(invalid="ignore", divide="ignore"):
            det = sum_w * ss - s_w * s_w
            p2 = (sum_w * sr - s_w * sum_r) / det
            c2 = (sum_r - p2 * s_w) / sum_w
            p1 = sr / ss
            free = (c2 >= 0) & (det > 0)
            power = np.where(free, p2, p1)
            pedestal = np.where(free, c2, 0.0)
            sse = np.where(free, sum_r2 - (c2 * sum_r + p2 * sr), sum_r2 - sr * p1)
            sse = np.where((ss > 0) & (power > 0), sse, np.inf)
        k = int(np.argmin(sse))
        if sse[k] < best[0]:
            best = (float(sse[k]), float(starts[k]), float(rise), float(power[k]), float(pedestal[k]))
    return best


def _irls(
    r: FloatArray,
    ok: npt.NDArray[np.bool_],
    rest_power: float,
    starts: FloatArray,
    rises: FloatArray,
    *,
    n_iter: int = 3,
) -> tuple[float, float, float, float, float]:
    """Grid fit reweighted by the model's variance (power noise grows with the power itself)."""
    w = ok.astype(np.float64)
    best = _fit_grid(r, w, starts, rises)
    idx = np.arange(r.size, dtype=np.float64)
    for _ in range(n_iter):
        if not np.isfinite(best[0]):
            break
        model = rest_power + best[4] + best[3] * _shape(idx, np.array([best[1]]), best[2])[0]
        w = ok / np.maximum(model, 1e-12) ** 2
        best = _fit_grid(r, w, starts, rises)
    return best


def _bin_mean(x: FloatArray, k: int) -> FloatArray:
    """Means of consecutive bins of ``k`` samples (NaN-aware; the last partial bin dropped)."""
    m = x.size // k
    if m == 0:
        return np.zeros(0)
    with np.errstate(invalid="ignore"):
        blocks = x[: m * k].reshape(m, k)
        cnt = np.isfinite(blocks).sum(axis=1)
        tot = np.nansum(blocks, axis=1)
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def fit_rise_onset(
    power: FloatArray, rest_power: float, fs_hz: float, *, max_rise_s: float, earliest: int = 0
) -> tuple[float, float, float] | None:
    """Least-squares fit of a raised-cosine rise to a short-time power trace.

    A coarse grid (5 ms bins) over every start and rise time is refined on a
    1 ms grid (or the sample grid, if coarser) around the coarse optimum.

    Parameters
    ----------
    power : ndarray, shape (n,)
        Short-time mean power, µV², at ``fs_hz``, covering the rest before the
        rise and the rise itself (not much of the plateau beyond it).
    rest_power : float
        Resting power ``s^2``, µV².
    fs_hz : float
    max_rise_s : float
        Longest rise time tried.
    earliest : int
        First sample of ``power`` the onset may lie at.

    Returns
    -------
    (float, float, float) or None
        Onset as a (fractional) sample index into ``power``, the fitted rise
        time (s) and the pedestal (µV², power above rest before the rise, e.g.
        crosstalk); None if the trace is too short or has too few finite samples.
    """
    fine_k = max(1, int(fs_hz // 1000))
    coarse_k = max(1, round(0.005 * fs_hz))
    coarse = _bin_mean(power, coarse_k)
    ok = np.isfinite(coarse)
    if coarse.size < 4 or ok.sum() < 4:
        return None
    r = np.where(ok, coarse - rest_power, 0.0)
    max_rise_n = max_rise_s * fs_hz / coarse_k
    rises = np.arange(0.0, max_rise_n + 1e-9, max(1.0, 0.01 * fs_hz / coarse_k))
    first = min(earliest // coarse_k, coarse.size - 2)
    sse, start_c, rise_c, _, ped_c = _irls(
        r, ok, rest_power, np.arange(float(first), coarse.size - 1.0), rises
    )
    if not np.isfinite(sse):
        return None
    fine = _bin_mean(power, fine_k)
    okf = np.isfinite(fine)
    rf = np.where(okf, fine - rest_power, 0.0)
    scale = coarse_k / fine_k
    centre = start_c * scale + (scale - 1) / 2
    span = 2 * scale
    starts = np.arange(max(centre - span, 0), min(centre + span, fine.size - 1) + 1e-9)
    rise_f = rise_c * scale
    rises_f = np.unique(
        np.clip(np.arange(rise_f - 2 * scale, rise_f + 2 * scale + 1e-9, max(1.0, scale / 2)), 0, None)
    )
    sse_f, start_f, rise_fit, _, ped_f = _irls(rf, okf, rest_power, starts, rises_f, n_iter=2)
    if not np.isfinite(sse_f):
        return start_c * coarse_k, rise_c * coarse_k / fs_hz, ped_c
    return start_f * fine_k, rise_fit * fine_k / fs_hz, ped_f


class DefaultDetector:
    """Threshold detection with spike rejection, then a fit of the rise back to rest.

    See the module docstring for the method and references.
    """

    name = "default"

    def __init__(self, settings: DefaultSettings | None = None) -> None:
        self.settings = settings or DefaultSettings()

    def settings_dict(self) -> dict[str, float | str]:
        return {k: float(v) for k, v in asdict(self.settings).items()}

    def _validate(self, fs_hz: float) -> None:
        cfg = self.settings
        period_ms = 1000.0 / fs_hz
        for label, value_ms in (
            ("envelope_ms", cfg.envelope_ms),
            ("min_on_ms", cfg.min_on_ms),
            ("power_ms", cfg.power_ms),
        ):
            if value_ms < period_ms:
                raise ValueError(
                    f"detector {self.name!r}: {label}={value_ms:g} ms is shorter than one sample "
                    f"at {fs_hz:g} Hz ({period_ms:g} ms)"
                )
        if cfg.h_sd <= 0 or not 0 < cfg.fit_level < 1:
            raise ValueError(f"detector {self.name!r}: h_sd must be > 0 and fit_level in (0, 1)")

    def detect(self, data: DetectionInput) -> tuple[Burst, ...]:
        """All bursts in the channel, onsets backtracked to rest (see module docstring)."""
        cfg = self.settings
        fs = data.fs_hz
        self._validate(fs)
        x = data.signal_uv
        window_s = max(cfg.envelope_ms / 1000.0, cfg.min_envelope_samples / fs)
        env = rms_envelope(x, fs, window_s=window_s)
        base = baseline_of(env, fs, data.rest_s[0], data.rest_s[1], t0_s=data.t0_s)
        if base is None:
            raise ValueError("resting window has too few samples for a baseline")
        env_f = np.nan_to_num(env, nan=-np.inf)
        high = env_f > base.level(cfg.h_sd)
        # hysteresis: keep the runs above the lower level that reach the upper one
        runs = [(a, b) for a, b in _runs(env_f > base.level(cfg.h_off_sd)) if high[a:b].any()]
        runs = [(a + int(np.argmax(high[a:b])), b) for a, b in runs]
        runs = _merge(runs, n_samples(cfg.merge_gap_ms / 1000.0, fs))
        # a burst already under way where the data start (or resume after a gap) has no observable onset
        runs = [
            (a, b)
            for a, b in runs
            if np.isfinite(env[max(a - 1, 0)]) and self._starts_after_rest(env_f, base, a)
        ]
        min_on = n_samples(cfg.min_on_ms / 1000.0, fs)
        runs = [(a, b) for a, b in runs if b - a >= min_on and not self._is_spike(x, fs, a, b, base)]
        power = moving_mean(np.square(x), n_samples(cfg.power_ms / 1000.0, fs))
        rest_a = max(index_at(data.rest_s[0], fs, data.t0_s), 0)
        rest_b = min(index_at(data.rest_s[1], fs, data.t0_s), x.size)
        rest_power = float(np.nanmean(np.square(x[rest_a:rest_b])))
        bursts: list[Burst] = []
        prev_end = 0
        for a, b in runs:
            onset_i = self._onset(env, power, rest_power, base, fs, a, b, prev_end)
            peak_i = a + int(np.nanargmax(env[a:b]))
            peak_uv = float(env[peak_i])
            snr_db = 20.0 * np.log10(max(peak_uv, 1e-12) / max(base.median, 1e-12))
            bursts.append(
                Burst(
                    onset_s=time_at(onset_i, fs, data.t0_s),
                    offset_s=time_at(b, fs, data.t0_s),
                    peak_s=time_at(peak_i, fs, data.t0_s),
                    peak_uv=peak_uv,
                    confidence=float(1.0 / (1.0 + np.exp(-(snr_db - 6.0) / 2.0))),
                    detector=self.name,
                    alarm_s=time_at(a, fs, data.t0_s),
                )
            )
            prev_end = b
        return tuple(bursts)

    def _starts_after_rest(self, env_f: FloatArray, base: Baseline, a: int) -> bool:
        """True if the envelope was at rest somewhere before index ``a`` (and after any gap)."""
        before = env_f[:a]
        gap = np.flatnonzero(~np.isfinite(before))
        if gap.size:
            before = before[gap[-1] + 1 :]
        return bool(before.size) and bool(np.any(before <= base.level(self.settings.h_off_sd)))

    def _is_spike(self, x: FloatArray, fs: float, a: int, b: int, base: Baseline) -> bool:
        """True if most of the burst's excess energy lies within ``spike_ms``."""
        cfg = self.settings
        seg = np.nan_to_num(x[a:b]) ** 2 - base.median**2
        seg = np.clip(seg, 0.0, None)
        total = float(seg.sum())
        if total <= 0:
            return True
        w = n_samples(cfg.spike_ms / 1000.0, fs)
        if w >= seg.size:
            return False
        top = float(np.max(np.convolve(seg, np.ones(w), mode="valid")))
        return top > cfg.spike_fraction * total

    def _onset(
        self,
        env: FloatArray,
        power: FloatArray,
        rest_power: float,
        base: Baseline,
        fs: float,
        a: int,
        b: int,
        prev_end: int,
    ) -> int:
        """Onset index of the burst whose alarm is at ``a`` (run ``[a, b)``)."""
        cfg = self.settings
        lo = max(prev_end, a - n_samples(cfg.lookback_ms / 1000.0, fs), 0)
        local_end = min(b, a + n_samples(0.5, fs))
        peak = float(np.nanmax(env[a:local_end]))
        level = base.median + cfg.fit_level * (peak - base.median)
        reach = np.flatnonzero(np.nan_to_num(env[a:local_end], nan=-np.inf) >= level)
        hi = a + (int(reach[0]) if reach.size else local_end - a)
        hi = min(hi + n_samples(cfg.fit_extend_ms / 1000.0, fs), local_end)
        # walk back along the envelope to the resting level (fallback and lower bound of the fit)
        back = np.flatnonzero(np.nan_to_num(env[lo:a], nan=np.inf) <= base.level(cfg.return_sd))
        walk_i = lo + int(back[-1]) if back.size else lo
        # the fit sees the rest just before the rise, not older activity further back
        fit_lo = max(lo, walk_i - n_samples(cfg.fit_rest_ms / 1000.0, fs))
        earliest = max(walk_i - n_samples(cfg.max_early_ms / 1000.0, fs), fit_lo) - fit_lo
        fit = fit_rise_onset(
            power[fit_lo : hi + 1], rest_power, fs, max_rise_s=cfg.max_rise_ms / 1000.0, earliest=earliest
        )
        if fit is None:
            return walk_i
        # the onset may follow the alarm only when the alarm was raised by a pedestal (crosstalk)
        latest = hi if fit[2] > cfg.pedestal_rest * rest_power else a
        return int(min(fit_lo + round(fit[0]), latest))
