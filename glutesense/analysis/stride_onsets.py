"""Walk: one muscle's burst onset in each stride, relative to the stride's touchdown (pure).

During walking and running a leg muscle is active in one phase of every cycle and quiet in
another: the hamstrings from terminal swing into the loading response, gluteus maximus from shortly
before touchdown through the loading response, gluteus medius from touchdown to mid-stance (Perry &
Burnfield 2010; Winter 2009).  The muscle's *resting level* in a walk is therefore its quiet phase,
not a standing rest.  Per channel, on the whitened short-bin power (:mod:`glutesense.analysis.power`):

1. **Cycle profile**: each stride's log power (``smooth_ms``) is resampled on the cycle from half a
   cycle before its touchdown to half a cycle after it; the median over strides is the profile.
2. **Quiet phase**: the ``quiet_share`` of the cycle where the profile is lowest; each stride's quiet
   level is its median power there, the channel's the median of those.
3. **The burst around touchdown**: the profile's peak within ``[-search_before, +search_after]`` of
   the cycle; it must rise ``min_excess_db`` above the quiet level, else the muscle has no consistent
   burst around touchdown and no onsets are given.  The profile's rough onset phase is where it last
   lies within ``rough_share`` of its excess (in dB) below the peak.
4. **Each stride's onset** is the maximum-likelihood start of a parametric rise
   (:func:`glutesense.detect.risefit.fit_rise`) fitted to that stride's bin power, searched from
   ``margin_ms`` before the rough onset up to the stride's own peak, with that stride's quiet level as
   the resting-level prior.  The rise shapes and times are first learnt from ``learn_strides`` strides
   spread over the walk (the full family, :func:`glutesense.detect.risefit.pooled_shape_prior`), then
   every stride is fitted with the shapes and rise times that the muscle showed: onsets consistent
   from stride to stride are physiology, and the narrower family makes hundreds of strides fast.
   A stride whose own peak does not rise ``min_excess_db`` above its quiet level has no onset.
5. **Consistency**: an onset more than ``outlier_sd`` robust SDs and ``outlier_pct`` % of the cycle
   from the walk's median onset (a pop or a heel-strike transient before the burst) is searched
   again within ``max(3 SD, typical_pct)`` of the median; the row says so.

References
----------
Perry, J. & Burnfield, J. M. (2010). *Gait Analysis: Normal and Pathological Function*, 2nd ed. SLACK.
Winter, D. A. (2009). *Biomechanics and Motor Control of Human Movement*, 4th ed. Wiley.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import special
from scipy.stats import chi2

from glutesense.analysis.power import PowerSeries
from glutesense.detect.default_settings import RISE_LADDER_S
from glutesense.detect.risefit import RISE_SHAPES, RiseFit, RiseShape, fit_rise, pooled_shape_prior
from glutesense.model.arrays import FloatArray
from glutesense.model.robust import median_sd

PHASES = np.linspace(-0.5, 0.5, 101)
"""Cycle phases of the profile, fraction of the stride from its touchdown."""

OUTLIER_Z = float(special.ndtri(1.0 - 1e-3))
"""Bins above the rise model's 0.999 quantile are winsorised in the fit (spikes, motion transients)."""


@dataclass(frozen=True)
class StrideSettings:
    """Settings of the stride onsets (module docstring; physical units in the names)."""

    smooth_ms: float = 25.0
    quiet_share: float = 0.2
    search_before: float = 0.4
    search_after: float = 0.3
    min_excess_db: float = 3.0
    rough_share: float = 0.15
    margin_ms: float = 120.0
    fit_rest_ms: float = 150.0
    reach_share: float = 0.8
    learn_strides: int = 6
    shape_min_weight: float = 0.15
    max_shapes: int = 3
    n_rises: int = 3
    prior_ms: float = 100.0
    alarm_db: float = 3.0
    near_db: float = 1.0
    back_ms: float = 40.0
    visible_p: float = 0.01
    visible_z: float = 2.0
    silent_ratio: float = 2.0
    outlier_sd: float = 4.0
    outlier_pct: float = 6.0
    typical_pct: float = 4.0


@dataclass(frozen=True)
class Stride:
    """One stride of one leg: its touchdown and duration, s."""

    touchdown_s: float
    stride_s: float


@dataclass(frozen=True)
class StrideOnset:
    """One muscle in one stride.

    Attributes
    ----------
    onset_s : float or None
        None when the stride shows no burst (``reason`` says why).
    onset_sd_ms : float
    offset_s, peak_s : float or None
        Where the burst falls back near the quiet level, and its peak.
    peak_ratio : float or None
        Peak power over the quiet level.
    reason : str
    """

    onset_s: float | None
    onset_sd_ms: float
    offset_s: float | None
    peak_s: float | None
    peak_ratio: float | None
    reason: str = ""


@dataclass(frozen=True)
class ChannelStrides:
    """All strides of one muscle, and the channel-level facts the onsets rest on."""

    onsets: tuple[StrideOnset, ...]
    profile_db: FloatArray
    quiet_phase: tuple[float, float]
    peak_phase: float | None
    note: str = ""


def _profile(ps: PowerSeries, strides: Sequence[Stride], smooth_ms: float) -> FloatArray:
    """Log power (dB over rest) on :data:`PHASES` per stride, shape (n_strides, n_phases)."""
    lg = 10.0 * np.log10(np.maximum(ps.smooth(smooth_ms / 1000.0), 1e-12))
    t = ps.t_s
    times = np.array([s.touchdown_s + PHASES * s.stride_s for s in strides])
    return np.interp(times, t, lg, left=np.nan, right=np.nan)


def _quiet(profile_db: FloatArray, share: float) -> tuple[float, float]:
    """Quiet phase ``(lo, hi)``: the circular window of ``share`` of the cycle lowest on average."""
    n = PHASES.size - 1
    w = max(1, round(share * n))
    p = profile_db[:n]
    ext = np.concatenate((p, p[:w]))
    means = np.convolve(ext, np.ones(w) / w, mode="valid")[:n]
    i = int(np.nanargmin(means))
    lo = PHASES[i]
    return float(lo), float(lo + share)


def _in_phase(phase: float) -> float:
    """A phase wrapped into [-0.5, 0.5)."""
    return float((phase + 0.5) % 1.0 - 0.5)


def _quiet_level(ps: PowerSeries, s: Stride, quiet: tuple[float, float]) -> float:
    lo, hi = _in_phase(quiet[0]), _in_phase(quiet[0]) + (quiet[1] - quiet[0])
    a, b = ps.index(s.touchdown_s + lo * s.stride_s), ps.index(s.touchdown_s + hi * s.stride_s)
    seg = ps.power[a:b]
    seg = seg[np.isfinite(seg)]
    return float(np.median(seg)) if seg.size else float("nan")


@dataclass(frozen=True)
class _Family:
    shapes: tuple[RiseShape, ...]
    rises_s: FloatArray
    log_prior: FloatArray | None


@dataclass(frozen=True)
class _Span:
    """Bins of one stride's fit: data ``[lo, hi)``, onsets searched in ``[first, reach]``, peak ``pk``."""

    lo: int
    first: int
    reach: int
    hi: int
    pk: int
    ratio: float


class _Channel:
    """One channel's power, smoothed power and the profile's phases, shared by its strides' fits."""

    def __init__(self, ps: PowerSeries, cfg: StrideSettings, rough: float, peak: float) -> None:
        self.ps, self.cfg, self.rough, self.peak = ps, cfg, rough, peak
        self.smooth = ps.smooth(cfg.smooth_ms / 1000.0)
        self.t_s = ps.t_s

    def span(self, s: Stride, quiet_power: float) -> _Span | str:
        """The fit's bins for stride ``s`` (module docstring, step 4), or why there is none."""
        ps, cfg, sm = self.ps, self.cfg, self.smooth
        first_s = max(
            s.touchdown_s + self.rough * s.stride_s - cfg.margin_ms / 1000.0,
            s.touchdown_s - cfg.search_before * s.stride_s,
        )
        a = ps.index(s.touchdown_s + (self.peak - 0.1) * s.stride_s)
        b = ps.index(s.touchdown_s + min(self.peak + 0.1, cfg.search_after + 0.1) * s.stride_s)
        if b <= a or not np.isfinite(sm[a:b]).any() or not quiet_power > 0:
            return "no data around this touchdown"
        pk = a + int(np.nanargmax(sm[a:b]))
        ratio = float(sm[pk] / quiet_power)
        if 10.0 * np.log10(max(ratio, 1e-12)) < cfg.min_excess_db:
            return "no burst around this touchdown"
        first = min(ps.index(first_s), pk)
        seg = np.nan_to_num(sm[first : pk + 1], nan=0.0)
        level = quiet_power + cfg.reach_share * (sm[pk] - quiet_power)
        up = np.flatnonzero(seg >= level)
        reach = first + (int(up[0]) if up.size else pk - first)
        # the rise crosses the alarm level last before the peak; it left the quiet level before that
        low = np.flatnonzero(seg[: reach - first + 1] < quiet_power * 10 ** (cfg.alarm_db / 10.0))
        alarm = first + (int(low[-1]) + 1 if low.size else 0)
        near = np.flatnonzero(seg[: alarm - first] <= quiet_power * 10 ** (cfg.near_db / 10.0))
        left = first + (int(near[-1]) if near.size else 0)
        n = round(cfg.back_ms / 1000.0 / ps.bin_s)
        start, stop = max(first, left - n), min(max(alarm + 2, left - n + 2), reach)
        lo = max(start - round(cfg.fit_rest_ms / 1000.0 / ps.bin_s), 0)
        return _Span(lo, start, max(stop, start), min(reach + 2, ps.power.size), pk, ratio)

    def rise(self, sp: _Span, quiet_power: float, fam: _Family) -> RiseFit | None:
        ps, cfg, t = self.ps, self.cfg, self.t_s
        return fit_rise(
            t[sp.lo : sp.hi],
            ps.power[sp.lo : sp.hi],
            nu=ps.nu,
            base_power=quiet_power,
            prior_nu=cfg.prior_ms / 1000.0 * ps.nu / ps.bin_s,
            onset_range_s=(float(t[sp.first]) - 0.5 * ps.bin_s, float(t[sp.reach]) + 0.5 * ps.bin_s),
            onset_step_s=max(0.002, ps.bin_s / 2.5),
            rise_grid_s=fam.rises_s,
            bin_s=ps.bin_s,
            shapes=fam.shapes,
            outlier_z=OUTLIER_Z,
        )

    def onset(
        self, s: Stride, quiet_power: float, fam: _Family, around: tuple[float, float] | None = None
    ) -> StrideOnset:
        """The stride's onset; ``around`` (phases) replaces the searched range (an outlier's re-search)."""
        sp = self.span(s, quiet_power)
        if isinstance(sp, str):
            return StrideOnset(None, float("nan"), None, None, None, sp)
        if around is not None:
            ps = self.ps
            first = ps.index(s.touchdown_s + around[0] * s.stride_s)
            last = max(min(ps.index(s.touchdown_s + around[1] * s.stride_s), sp.hi - 2), first)
            lo = max(first - round(self.cfg.fit_rest_ms / 1000.0 / ps.bin_s), 0)
            sp = replace(sp, lo=lo, first=first, reach=last, hi=max(sp.hi, last + 2))
        fit = self.rise(sp, quiet_power, fam)
        if fit is None:
            return StrideOnset(
                None, float("nan"), None, None, sp.ratio, "too few samples around this touchdown"
            )
        onset_s, sd_s = fit.posterior(fam.log_prior)
        onset_s = self.visible(onset_s, quiet_power, sp.reach)
        calm = quiet_power * 10 ** (self.cfg.min_excess_db / 20.0)
        back = np.flatnonzero(np.nan_to_num(self.smooth[sp.pk :], nan=0.0) <= calm)
        off = sp.pk + (int(back[0]) if back.size else 0)
        ps = self.ps
        return StrideOnset(onset_s, 1000.0 * sd_s, ps.t0_s + off * ps.bin_s, float(self.t_s[sp.pk]), sp.ratio)

    def visible(self, onset_s: float, quiet_power: float, reach: int) -> float:
        """The onset moved forward to the first bin after it that clearly leaves the quiet level (beyond
        its ``1 - visible_p`` quantile, and the next bin beyond its median) when the bins before that one
        hold no more power than the quiet level (within ``visible_z`` standard errors), for a muscle that
        is silent between its bursts (its quiet phase within ``silent_ratio`` of the resting power): a
        gentle rise shape can explain noise before the burst as an invisible foot, which the EMG of a
        silent muscle does not show.  A burst that grows out of tonic activity keeps the fitted onset
        (step 4)."""
        cfg, ps = self.cfg, self.ps
        if cfg.visible_p <= 0 or quiet_power > cfg.silent_ratio:
            return onset_s
        i = ps.index(onset_s)
        seg = np.nan_to_num(ps.power[i : reach + 2], nan=0.0) / quiet_power
        hi, mid = chi2.ppf(1.0 - cfg.visible_p, ps.nu) / ps.nu, chi2.ppf(0.5, ps.nu) / ps.nu
        clear = np.flatnonzero((seg[:-1] > hi) & (seg[1:] > mid))
        if not clear.size or clear[0] <= 1:
            return onset_s
        k = int(clear[0])
        if float(np.mean(seg[:k])) > 1.0 + cfg.visible_z * np.sqrt(2.0 / (ps.nu * k)):
            return onset_s
        return float(ps.t0_s + (i + k) * ps.bin_s)

    def learn(self, strides: Sequence[Stride], quiet: FloatArray) -> _Family:
        """Shapes and rise times the muscle shows, from strides spread over the walk (step 4)."""
        cfg = self.cfg
        full = _Family(RISE_SHAPES, RISE_LADDER_S, None)
        n = len(strides)
        if n <= cfg.learn_strides:
            return full
        coarse = _Family(RISE_SHAPES, RISE_LADDER_S[::3], None)
        evidence, rises = [], []
        for i in np.unique(np.linspace(0, n - 1, cfg.learn_strides).round().astype(int)):
            sp = self.span(strides[i], float(quiet[i]))
            fit = None if isinstance(sp, str) else self.rise(sp, float(quiet[i]), coarse)
            if fit is not None:
                evidence.append(fit.shape_evidence())
                rises.append(fit.rise_s)
        if len(evidence) < 3:
            return full
        log_pi = pooled_shape_prior(np.vstack(evidence))
        ranked = [int(i) for i in np.argsort(-log_pi)[: cfg.max_shapes]]
        keep = sorted(i for i in ranked if np.exp(log_pi[i]) >= cfg.shape_min_weight) or ranked[:1]
        r = np.array([x for x in rises if x > 0]) if any(x > 0 for x in rises) else RISE_LADDER_S
        lo_s, hi_s = np.percentile(r, 15), np.percentile(r, 85)
        grid = np.geomspace(max(lo_s * 0.8, RISE_LADDER_S[0]), max(hi_s * 1.25, lo_s), cfg.n_rises)
        return _Family(tuple(RISE_SHAPES[i] for i in keep), np.unique(grid.round(3)), log_pi[keep])


def _none(strides: Sequence[Stride], why: str) -> tuple[StrideOnset, ...]:
    return tuple(StrideOnset(None, float("nan"), None, None, None, why) for _ in strides)


def stride_onsets(ps: PowerSeries, strides: Sequence[Stride], cfg: StrideSettings) -> ChannelStrides:
    """Each stride's onset of one muscle (module docstring)."""
    nan_profile = np.full(PHASES.size, np.nan)
    if not strides:
        return ChannelStrides((), nan_profile, (0.0, 0.0), None, "no strides")
    prof = _profile(ps, strides, cfg.smooth_ms)
    ok = np.isfinite(prof).any(axis=0)
    if ok.sum() <= PHASES.size // 2:
        return ChannelStrides(_none(strides, "no data"), nan_profile, (0.0, 0.0), None, "no data")
    profile = np.full(PHASES.size, np.nan)
    profile[ok] = np.nanmedian(prof[:, ok], axis=0)
    quiet = _quiet(np.nan_to_num(profile, nan=float(np.nanmax(profile))), cfg.quiet_share)
    levels = np.array([_quiet_level(ps, s, quiet) for s in strides])
    q_db = 10.0 * np.log10(max(float(np.nanmedian(levels)), 1e-12))
    win = (-cfg.search_before <= PHASES) & (cfg.search_after >= PHASES) & ok
    i_pk = int(np.flatnonzero(win)[np.nanargmax(profile[win])])
    excess = float(profile[i_pk] - q_db)
    if not excess >= cfg.min_excess_db:
        why = f"no consistent burst around touchdown (average peak {excess:.1f} dB over the quiet phase)"
        return ChannelStrides(_none(strides, why), profile, quiet, None, why)
    j = i_pk
    while j > 0 and PHASES[j - 1] >= -cfg.search_before and profile[j - 1] > q_db + cfg.rough_share * excess:
        j -= 1
    ch = _Channel(ps, cfg, float(PHASES[j]), float(PHASES[i_pk]))
    fam = ch.learn(strides, levels)
    onsets = [ch.onset(s, float(q), fam) for s, q in zip(strides, levels, strict=True)]
    _research_outliers(ch, strides, levels, fam, onsets)
    return ChannelStrides(tuple(onsets), profile, quiet, float(PHASES[i_pk]))


def _phase(o: StrideOnset, s: Stride) -> float | None:
    return None if o.onset_s is None else (o.onset_s - s.touchdown_s) / s.stride_s


def _research_outliers(
    ch: _Channel, strides: Sequence[Stride], levels: FloatArray, fam: _Family, onsets: list[StrideOnset]
) -> None:
    """Re-search, near the walk's typical onset, the strides whose onset is unlike the others' (step 5)."""
    cfg = ch.cfg
    phases = [p for o, s in zip(onsets, strides, strict=True) if (p := _phase(o, s)) is not None]
    if len(phases) < 5:
        return
    med, sd = median_sd(phases)
    tol = max(cfg.outlier_sd * sd, cfg.outlier_pct / 100.0)
    half = max(3.0 * sd, cfg.typical_pct / 100.0)
    for k, (o, s) in enumerate(zip(onsets, strides, strict=True)):
        p = _phase(o, s)
        if p is None or abs(p - med) <= tol:
            continue
        again = ch.onset(s, float(levels[k]), fam, around=(med - half, med + half))
        if again.onset_s is None:
            continue
        onsets[k] = replace(
            again,
            reason=f"first estimate {100 * p:+.0f} % of the cycle was unlike the other strides' "
            f"({100 * med:+.0f} %): re-searched near the typical onset",
        )
