"""Motor-unit building blocks of the benchmarks' surface-EMG generators (mu_sim, sls_sim, walk_sim).

Written from the physiology, apart from glutesense's own simulators and detectors:

* **Pool** of 100-200 motor units (Fuglevand, Winter & Patla 1993).  Recruitment thresholds are
  exponentially distributed, ``RTE_i = RTE_max * RR ** (i / (n - 1) - 1)`` with recruitment range
  ``RR = 30`` and the last unit recruited at 55-75 % of maximal excitation.  Above threshold a unit
  fires at ``MFR + g (E - RTE_i)``, from ``MFR = 8 Hz`` up to a peak rate falling from 35 Hz (first
  unit) to 25 Hz (last), ``g`` 40-60 Hz per unit excitation; inter-spike intervals vary with CV 0.2.
* **MUAPs**: first- and second-order Hermite-Rodriguez functions (time scale 0.7-1.5 ms widened by
  depth) seen by a bipolar electrode pair (the waveform minus itself delayed by 20 mm / conduction
  velocity), starting 2-8 ms after the discharge; amplitude grows exponentially with the unit's rank.
* :func:`render` scatters the templates at the discharge samples (``np.bincount``).

Fuglevand, A. J., Winter, D. A. & Patla, A. E. (1993). Models of recruitment and rate coding
organization in motor-unit pools. *J. Neurophysiol.* 70(6), 2470-2488.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MFR_HZ = 8.0
ISI_CV = 0.2


def drive_shape(shape: str, u: FloatArray) -> FloatArray:
    """Normalised rise on ``u`` = time / rise time: 0 for u <= 0, 1 for u >= 1."""
    u = np.clip(u, 0.0, 1.0)
    if shape == "linear":
        return u
    if shape == "quadratic":
        return u**2
    if shape == "raised_cosine":
        return 0.5 * (1.0 - np.cos(np.pi * u))
    if shape == "exp_approach":
        return (1.0 - np.exp(-5.0 * u)) / (1.0 - np.exp(-5.0))
    if shape == "logistic":
        s = 1.0 / (1.0 + np.exp(-12.0 * (u - 0.5)))
        s0, s1 = 1.0 / (1.0 + np.exp(6.0)), 1.0 / (1.0 + np.exp(-6.0))
        return (s - s0) / (s1 - s0)
    raise ValueError(f"unknown drive shape {shape!r}")


def fraction_time(shape: str, level: float) -> float:
    """Fraction of the rise time at which ``shape`` first reaches ``level`` (0..1)."""
    u = np.linspace(0.0, 1.0, 20001)
    return float(u[np.argmax(drive_shape(shape, u) >= level)])


@dataclass
class Pool:
    rte: FloatArray  # recruitment thresholds (fraction of maximal excitation)
    pfr: FloatArray  # peak firing rates, Hz
    gain: float  # Hz per unit excitation
    templates: FloatArray  # (n_mu, L) MUAPs at the internal rate, starting at the discharge


def _hermite_muap(t_ms: FloatArray, lam_ms: float, w1: float, w2: float) -> FloatArray:
    x = t_ms / lam_ms
    g = np.exp(-(x**2))
    return w1 * x * g + w2 * (1.0 - 2.0 * x**2) * g


def make_pool(rng: np.random.Generator, fs_int: float, n_range: tuple[int, int]) -> Pool:
    n = int(rng.integers(n_range[0], n_range[1], endpoint=True))
    rank = np.arange(n) / (n - 1)
    rr = 30.0
    rte_max = rng.uniform(0.55, 0.75)
    rte = rte_max * rr ** (rank - 1.0)
    pfr = 35.0 - 10.0 * rank
    gain = rng.uniform(40.0, 60.0)
    amp_range = rng.uniform(10.0, 20.0)
    depth_mm = rng.uniform(2.0, 18.0, n)
    amp = amp_range**rank * np.exp(-(depth_mm - 2.0) / 10.0)
    lam = rng.uniform(0.7, 1.5, n) * (1.0 + (depth_mm - 2.0) / 20.0)
    cv_ms = rng.uniform(3.0, 4.5, n) + 1.0 * rank  # conduction velocity, m/s (mm/ms)
    tau_bip = 20.0 / cv_ms  # bipolar delay, ms
    lat = rng.uniform(2.0, 8.0, n)  # discharge -> start of the MUAP at the electrodes, ms
    span_ms = lat + 8.0 * lam + tau_bip
    length = int(np.ceil(span_ms.max() * fs_int / 1000.0)) + 1
    t_ms = np.arange(length) * 1000.0 / fs_int
    tmpl = np.zeros((n, length))
    for i in range(n):
        w = rng.uniform(0.3, 1.0, 2) * rng.choice([-1.0, 1.0], 2)
        c = lat[i] + 4.0 * lam[i]
        h = _hermite_muap(t_ms - c, lam[i], w[0], w[1]) - _hermite_muap(
            t_ms - c - tau_bip[i], lam[i], w[0], w[1]
        )
        h[t_ms < lat[i]] = 0.0
        pp = np.ptp(h)
        tmpl[i] = amp[i] * h / (pp if pp > 0 else 1.0)
    return Pool(rte, pfr, gain, tmpl)


def discharges(
    rng: np.random.Generator, pool: Pool, drive: FloatArray, fs_int: float
) -> tuple[list[FloatArray], list[int]]:
    """Discharge sample positions (float, in samples of ``drive``) per recruited unit."""
    peak = float(drive.max())
    out: list[FloatArray] = []
    units: list[int] = []
    recruited = np.flatnonzero(pool.rte <= peak)
    if recruited.size == 0:
        return out, units
    e = drive[None, :] - pool.rte[recruited, None]
    rate = np.where(e >= 0.0, np.minimum(MFR_HZ + pool.gain * e, pool.pfr[recruited, None]), 0.0)
    phase = np.cumsum(rate, axis=1) / fs_int
    for k, i in enumerate(recruited):
        ph = phase[k]
        total = ph[-1]
        m = int(total * 1.5) + 4
        inc = 1.0 + ISI_CV * np.clip(rng.standard_normal(m), -3.0, 3.0)
        theta = rng.uniform(0.0, 0.1) + np.concatenate([[0.0], np.cumsum(inc[:-1])])
        theta = theta[theta < total]
        if theta.size == 0:
            continue
        idx = np.searchsorted(ph, theta)
        # interpolate within the sample for sub-sample discharge times
        prev = np.where(idx > 0, ph[np.maximum(idx - 1, 0)], 0.0)
        step = ph[idx] - prev
        frac = np.where(step > 0, (theta - prev) / np.where(step > 0, step, 1.0), 0.0)
        out.append(idx - 1.0 + np.clip(frac, 0.0, 1.0))
        units.append(int(i))
    return out, units


def muap_start(pool: Pool, level: float = 0.1) -> FloatArray:
    """Samples from each unit's discharge to where its MUAP first reaches ``level`` of its peak magnitude
    at the electrodes (the potential's visible start), shape (n_units,)."""
    mag = np.abs(pool.templates)
    return np.argmax(mag >= level * mag.max(axis=1, keepdims=True), axis=1).astype(np.float64)


def render(
    pool: Pool, spikes: list[FloatArray], units: list[int], i0: int, n_int: int
) -> tuple[FloatArray, float, float, float] | None:
    """MUAP trains of the discharges (positions in samples from ``i0``), length ``n_int``.

    Returns the signal and the sample positions (internal rate) of the first discharge, of the end of
    the last MUAP and of the first MUAP's visible start at the electrodes (:func:`muap_start`), or
    None without discharges.
    """
    if not spikes:
        return None
    fs_int_len = pool.templates.shape[1]
    all_pos = np.concatenate(spikes) + i0
    all_unit = np.concatenate([np.full(s.size, u) for s, u in zip(spikes, units, strict=True)])
    idx = np.rint(all_pos).astype(np.int64)
    ok = (idx >= 0) & (idx < n_int)
    idx, all_unit = idx[ok], all_unit[ok]
    pos = (idx[:, None] + np.arange(fs_int_len)[None, :]).ravel()
    w = pool.templates[all_unit].ravel()
    keep = pos < n_int
    out = np.bincount(pos[keep], weights=w[keep], minlength=n_int)[:n_int]
    arrival = float(
        np.min(
            all_pos
            + muap_start(pool)[
                np.concatenate([np.full(s.size, u) for s, u in zip(spikes, units, strict=True)])
            ]
        )
    )
    return out, float(all_pos.min()), float(all_pos.max()) + fs_int_len, arrival


def pool_power(pool: Pool, excitation: float) -> float:
    """Expected power of the pool's MUAP trains at a steady ``excitation`` (arbitrary units).

    Uncorrelated trains add in power: each recruited unit contributes its MUAP energy times its
    firing rate.
    """
    e = excitation - pool.rte
    on = e >= 0.0
    rate = np.minimum(MFR_HZ + pool.gain * e, pool.pfr)
    energy = np.sum(pool.templates**2, axis=1)
    return float(np.sum(np.where(on, energy * rate, 0.0)))


def excitation_for(pool: Pool, amplitude_share: float, reference: float) -> float:
    """The steady excitation whose expected amplitude is ``amplitude_share`` of that at ``reference``."""
    target = amplitude_share**2 * pool_power(pool, reference)
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if pool_power(pool, mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
