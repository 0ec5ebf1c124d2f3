"""Fatigue estimate against known truth, with its speed, in one run.

Two sources of 12-rep sets with a known fall of the median frequency (MDF):

* ``shwedyk``: Gaussian noise shaped to the classic surface-EMG spectrum (Shwedyk et al. 1977) and
  compressed by ``k`` per rep (written here, apart from the virtual person; truth from the model);
* ``virtual``: the virtual person's hip-thrust set (:mod:`glutesense.virtual.fatigue`), read the way
  ``glutesense train`` reads it (both glutes, :func:`glutesense.analysis.training.summarize_set`).

Two estimators per source: ``per-rep MDF`` (each rep's own Welch spectrum,
:func:`glutesense.analysis.fatigue.contraction_spectrum`; for the virtual set the mean of both
glutes' per-rep MDF) and ``compression`` (each rep's spectral compression against the set's own
spectrum, :mod:`glutesense.analysis.compression`; for the virtual set what ``summarize_set``
reports), and a ``near-oracle`` that is told the true fresh spectrum (the maximum-likelihood
compression of each rep against it over the whole band: the limit the data allow, not a
method).  Per condition (fall over the set: 0, 10, 20, 30 %): the median absolute error of the
slope in % of the true slope (for 0 %: of the slope in %/rep), the share of sets within 10 %, the
95 % CI's coverage of the truth, and the share of sets called tired.  Speed: both estimators
against a plain ``scipy.signal.welch`` + NumPy median frequency on the same windows (same run).

    python benchmarks/fatigue_accuracy.py --quick     # 4 sets per condition
    python benchmarks/fatigue_accuracy.py             # 16 sets per condition
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import signal as sps

from glutesense.acquire.training import Exercise, SetPlan, build_set_schedule
from glutesense.analysis.compression import (
    CompressionSettings,
    band_median,
    padded_welch,
    set_compression,
    whittle_log_scale,
)
from glutesense.analysis.fatigue import (
    ContractionSpectrum,
    FatigueAssessment,
    assess_fatigue,
    contraction_spectra,
    trend,
)
from glutesense.analysis.training import summarize_set
from glutesense.model.records import Event
from glutesense.model.roles import Protocol, Role
from glutesense.virtual.fatigue import surface_psd
from glutesense.virtual.offline import simulate
from glutesense.virtual.params import PersonParams

FS_HZ = 1000.0


def shwedyk_psd(f_hz: np.ndarray, k: float) -> np.ndarray:
    f = np.asarray(f_hz) / k
    return 120.0**4 * f**2 / ((f**2 + 40.0**2) * (f**2 + 120.0**2) ** 2)


def shwedyk_mdf(k: float) -> float:
    f = np.linspace(20.0, 450.0, 100_001)
    cum = np.cumsum(shwedyk_psd(f, k))
    return float(np.interp(0.5 * cum[-1], cum, f))


def shwedyk_set(seed: int, drop: float, hold_s: float = 7.0):
    rng = np.random.default_rng(seed)
    ks = np.linspace(1.0, 1.0 - drop, 12)
    parts, windows, t = [], [], 0.0
    for k in ks:
        parts.append(3.0 * rng.standard_normal(int(2 * FS_HZ)))
        t += 2.0
        n = int(hold_s * FS_HZ)
        spec = np.fft.rfft(rng.standard_normal(n)) * np.sqrt(shwedyk_psd(np.fft.rfftfreq(n, 1 / FS_HZ), k))
        x = np.fft.irfft(spec, n)
        parts.append(150.0 * x / np.std(x) + 3.0 * rng.standard_normal(n))
        windows.append((t, t + hold_s))
        t += hold_s
    return np.concatenate(parts), windows, np.array([shwedyk_mdf(k) for k in ks])


def near_oracle_mdf(reps_uv, rest_uv: np.ndarray, shape) -> np.ndarray:
    """Per-rep MDF from the maximum-likelihood compression against the *true* fresh spectrum
    ``shape(f_hz)`` over the whole band (what no estimator has: the limit the data allow)."""
    cs = CompressionSettings()
    noise = padded_welch(rest_uv, FS_HZ, cs).psd_uv2_per_hz
    tf = np.linspace(0.0, 3 * FS_HZ, 12001)
    template = shape(tf)
    out = []
    for x in reps_uv:
        sp = padded_welch(x, FS_HZ, cs)
        m = (sp.f_hz >= 20.0) & (sp.f_hz <= 450.0)
        lnk = whittle_log_scale(sp.psd_uv2_per_hz[m], sp.f_hz[m], tf, template, noise[m], 0.6)
        out.append(band_median(tf, template, float(np.exp(lnk)), (20.0, 450.0)))
    return np.array(out)


def plain_mdf(x: np.ndarray, windows) -> list[float]:
    out = []
    for a, b in windows:
        f, p = sps.welch(x[int(a * FS_HZ) : int(b * FS_HZ)], fs=FS_HZ, nperseg=250)
        m = (f >= 20) & (f <= 450)
        c = np.cumsum(p[m])
        out.append(float(np.interp(0.5 * c[-1], c, f[m])))
    return out


def virtual_set(seed: int, drop: float):
    plan = SetPlan(Exercise.HIP_THRUST, 12)
    params = PersonParams.glute_first(
        emg_spectrum="surface", fatigue_per_active_s=drop / plan.active_span_s(), seed=seed
    )
    schedule = build_set_schedule(plan)
    emg, _, truth = simulate(Protocol.BRIDGE, schedule, params)
    events = [Event(c.t_s, c.duration_s, c.label, c.side, c.rep) for c in schedule if c.is_event]
    roles = [Role(r) for r in truth["emg_roles"]]
    t0 = time.perf_counter()
    summary = summarize_set({r: (emg[:, i], FS_HZ, 0.0) for i, r in enumerate(roles)}, events)
    elapsed = time.perf_counter() - t0
    plain = assess_fatigue(
        [
            _with_mdf(s, r.glute_mdf_hz)
            for s, r in zip(summary.glute_fatigue.spectra, summary.reps, strict=True)
        ]
    )
    by_rep: dict[int, list[float]] = {}
    for r in truth["fatigue"]["reps"]:
        for role in ("glute_max_l", "glute_max_r"):
            if r["rep"] >= 1 and role in r["muscles"]:
                by_rep.setdefault(r["rep"], []).append(r["muscles"][role]["mdf_hz"])
    truth_mdf = np.array([np.mean(by_rep[k]) for k in sorted(by_rep)])
    rest = next(e for e in events if e.trial_type == "rest")
    rest_i = slice(int(rest.onset_s * FS_HZ), int((rest.onset_s + rest.duration_s) * FS_HZ))
    per_glute = []
    for role in (Role.GLUTE_MAX_L, Role.GLUTE_MAX_R):
        x = emg[:, roles.index(role)]
        spans = [(m.spectrum.start_s, m.spectrum.stop_s) for r in summary.reps if (m := r.muscle(role))]
        reps = [x[int(a * FS_HZ) : int(b * FS_HZ)] for a, b in spans]
        per_glute.append(near_oracle_mdf(reps, x[rest_i], lambda f: surface_psd(f, 1.0)))
    oracle = assess_fatigue(
        [
            _with_mdf(s, m)
            for s, m in zip(summary.glute_fatigue.spectra, np.mean(per_glute, axis=0), strict=True)
        ]
    )
    fats = {"per-rep MDF": plain, "compression": summary.glute_fatigue, "near-oracle": oracle}
    return fats, truth_mdf, elapsed


def _with_mdf(s: ContractionSpectrum, mdf_hz: float) -> ContractionSpectrum:
    return ContractionSpectrum(s.start_s, s.stop_s, mdf_hz, s.mnf_hz, s.rms_uv)


def shwedyk_estimates(x: np.ndarray, windows) -> tuple[dict[str, FatigueAssessment], float, float]:
    """Both estimators on one shwedyk set, and the time each took (s)."""
    t0 = time.perf_counter()
    per_rep = contraction_spectra(x, FS_HZ, windows)
    t1 = time.perf_counter()
    comp = set_compression(
        [x[int(a * FS_HZ) : int(b * FS_HZ)] for a, b in windows], FS_HZ, x[: int(2 * FS_HZ)]
    )
    t2 = time.perf_counter()
    assert comp is not None
    reps = [x[int(a * FS_HZ) : int(b * FS_HZ)] for a, b in windows]
    oracle = near_oracle_mdf(reps, x[: int(2 * FS_HZ)], lambda f: shwedyk_psd(f, 1.0))
    got = {
        "per-rep MDF": assess_fatigue(per_rep),
        "compression": assess_fatigue([_with_mdf(s, m) for s, m in zip(per_rep, comp.mdf_hz, strict=True)]),
        "near-oracle": assess_fatigue([_with_mdf(s, m) for s, m in zip(per_rep, oracle, strict=True)]),
    }
    return got, t1 - t0, t2 - t1


def _row(fat: FatigueAssessment, truth: np.ndarray, drop: float) -> tuple[float, float, float, float, bool]:
    true = trend(truth)
    assert fat.mdf is not None and true is not None
    if drop == 0:
        return fat.mdf.slope_pct / 100, true.slope_pct / 100, fat.mdf.ci_low, fat.mdf.ci_high, fat.tired
    return fat.mdf.slope, true.slope, fat.mdf.ci_low, fat.mdf.ci_high, fat.tired


def _score(rows: list[tuple[float, float, float, float, bool]], drop: float) -> str:
    est, true, lo, hi, tired = (np.array(c) for c in zip(*rows, strict=True))
    if drop > 0:
        err = np.abs(est / true - 1.0) * 100
        within = float(np.mean(err < 10))
    else:
        err = np.abs(est) * 100  # no true slope: the estimate itself, in % of the first rep per rep
        within = float("nan")
    cover = float(np.mean((lo <= true) & (true <= hi)))
    return (
        f"median |err| {np.median(err):5.1f} %   within 10 %: {within:4.2f}   CI covers truth: {cover:4.2f}"
        f"   called tired: {np.mean(tired):4.2f}"
    )


ESTIMATORS = ("per-rep MDF", "compression", "near-oracle")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 4 if args.quick else 16
    drops = (0.0, 0.10, 0.20, 0.30)
    t_ours = t_comp = t_plain = 0.0
    print(f"{n} sets of 12 reps per condition; slope error relative to the true slope")
    for drop in drops:
        rows: dict[str, list] = {e: [] for e in ESTIMATORS}
        for seed in range(n):
            x, windows, truth = shwedyk_set(seed, drop)
            got, dt_ours, dt_comp = shwedyk_estimates(x, windows)
            t1 = time.perf_counter()
            plain_mdf(x, windows)
            t_ours, t_comp, t_plain = t_ours + dt_ours, t_comp + dt_comp, t_plain + (time.perf_counter() - t1)
            for e in ESTIMATORS:
                rows[e].append(_row(got[e], truth, drop))
        for e in ESTIMATORS:
            print(f"shwedyk  {e:12s} fall {100 * drop:4.0f} %  {_score(rows[e], drop)}")
    k = n * len(drops)
    print(
        f"speed per set: contraction_spectrum {1e3 * t_ours / k:.1f} ms, "
        f"set_compression {1e3 * t_comp / k:.1f} ms, plain welch+median {1e3 * t_plain / k:.1f} ms "
        f"(ratios {t_ours / t_plain:.2f}, {t_comp / t_plain:.2f})"
    )
    t_read = 0.0
    for drop in drops:
        rows = {e: [] for e in ESTIMATORS}
        for seed in range(n):
            fats, truth, elapsed = virtual_set(100 + seed, drop)
            t_read += elapsed
            for e in ESTIMATORS:
                rows[e].append(_row(fats[e], truth, drop))
        for e in ESTIMATORS:
            print(f"virtual  {e:12s} fall {100 * drop:4.0f} %  {_score(rows[e], drop)}")
    print(
        "speed: summarize_set (4 channels, 12 reps, ~130 s, compression included) "
        f"{1e3 * t_read / k:.0f} ms per set"
    )


if __name__ == "__main__":
    main()
