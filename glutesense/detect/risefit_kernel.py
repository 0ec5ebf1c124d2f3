"""Compiled kernel of the rise fit (:mod:`glutesense.detect.risefit`), used when numba is installed.

``pip install glutesense[fast]`` installs numba.  Without it the fit runs in NumPy
(:func:`glutesense.detect.gamma_glm.gamma_fit`), with the same answers: the kernel does the same
arithmetic (IRLS of the Gamma GLM, winsorised log-likelihood) but fused into one loop over the bins
of each (shape, rise time, onset) model, with no temporaries, and with the work of a bin cut to a few
additions where the rise shape is 0 (before the onset) or 1 (on the plateau).  The two paths agree
to rounding (``tests/detect/test_risefit_fast.py``); set ``GLUTESENSE_NO_NUMBA=1`` to force NumPy.

Shape codes (:data:`SHAPE_CODE`) stand for :class:`glutesense.detect.risefit.RiseShape` members.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from glutesense.model.arrays import FloatArray

SHAPE_CODE = {
    "step": 0,
    "linear": 1,
    "quadratic": 2,
    "cubic": 3,
    "raised_cosine": 4,
    "exponential": 5,
    "logistic": 6,
}


def _load() -> Callable[..., Any] | None:
    if os.environ.get("GLUTESENSE_NO_NUMBA"):
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba.njit(cache=True, error_model="numpy", nogil=True)


_jit = _load()
AVAILABLE = _jit is not None
"""True when the compiled kernel is in use."""


def _shape_sq(code: int, u: float, exp_rate: float, logistic_k: float) -> float:
    """``g(u)^2`` for ``0 < u < 1`` (same formulas as ``risefit.rise_amplitude``)."""
    if code == 1:
        g = u
    elif code == 2:
        g = u**2.0
    elif code == 3:
        g = u**3.0
    elif code == 4:
        g = 0.5 - 0.5 * math.cos(math.pi * u)
    elif code == 5:
        g = (1.0 - math.exp(-exp_rate * u)) / (1.0 - math.exp(-exp_rate))
    else:
        lo = 1.0 / (1.0 + math.exp(logistic_k / 2.0))
        v = 1.0 / (1.0 + math.exp(-logistic_k * (u - 0.5)))
        g = min(max((v - lo) / (1.0 - 2.0 * lo), 0.0), 1.0)
    return g * g


def _u(t: float, t0: float, code: int, rise: float, bin_s: float) -> float:
    """Time since onset over rise time (a step rises over one bin centred on ``t0``)."""
    return (t + 0.5 * bin_s - t0) / bin_s if code == 0 else (t - t0) / rise


def _advance(t: FloatArray, j: int, t0: float, code: int, rise: float, bin_s: float, top: bool) -> int:
    """First bin from ``j`` on with ``u > 0`` (``top`` False) or ``u >= 1`` (``top`` True).

    Bins are time-ordered and onsets are visited in increasing order, so each model's two boundaries
    only move forward.
    """
    while j < t.size:
        u = _u(t[j], t0, code, rise, bin_s)
        if (u >= 1.0) if top else (u > 0.0):
            break
        j += 1
    return j


def _fill_shape(
    s: FloatArray,
    t: FloatArray,
    j0: int,
    j1: int,
    t0: float,
    code: int,
    rise: float,
    bin_s: float,
    consts: FloatArray,
) -> float:
    """Rise shape ``g^2`` of one model at the rising bins ``j0 <= j < j1`` into ``s``; returns its sum."""
    total = 0.0
    for j in range(j0, j1):
        u = _u(t[j], t0, code, rise, bin_s)
        v = u * u if code == 0 else _shape_sq(code, u, consts[0], consts[1])
        s[j] = v
        total += v
    return total


def _capped(p: FloatArray, lo: int, hi: int, c: float, total: float, peak: float) -> float:
    """``sum(min(p[lo:hi], c))``: the stored ``total`` when no bin reaches the cap ``c``."""
    if peak <= c:
        return total
    q = 0.0
    for j in range(lo, hi):
        q += min(p[j], c)
    return q


def _ratio_sum(p: FloatArray, lo: int, hi: int, lam: float, ratio: float, total: float, peak: float) -> float:
    """Winsorised ``sum(p[lo:hi] / lam)`` (``r > ratio`` grows as ``ratio (1 + log(r / ratio))``)."""
    if peak <= ratio * lam:
        return total / lam
    q = 0.0
    for j in range(lo, hi):
        r = p[j] / lam
        if r > ratio:
            r = ratio * (1.0 + math.log(max(r, 1e-300) / ratio))
        q += r
    return q


def _irls(
    p: FloatArray,
    s: FloatArray,
    j0: int,
    j1: int,
    b: float,
    a: float,
    base: float,
    cfg: FloatArray,
    sums: FloatArray,
) -> tuple[float, float]:
    """IRLS of one model (``gamma_glm.gamma_fit``); rest ``[0, j0)`` and plateau ``[j1, n)`` from sums.

    ``cfg`` = nu, prior_nu, n_iter, ratio; ``sums`` = the prefix sums and maxima (:func:`_sums`).
    """
    nu, prior_nu, n_iter, ratio = cfg[0], cfg[1], int(cfg[2]), cfg[3]
    n = p.size
    n_b, n_p = j0, n - j1
    for _ in range(n_iter):
        w_b = 1.0 / (b * b)
        w_p = 1.0 / ((b + a) * (b + a))
        q_b = _capped(p, 0, j0, ratio * b, sums[0, j0], sums[1, j0])
        q_p = _capped(p, j1, n, ratio * (b + a), sums[2, j1], sums[3, j1])
        sw = sws = swss = swp = swsp = 0.0
        for j in range(j0, j1):
            sj = s[j]
            lam = b + a * sj
            w = 1.0 / (lam * lam)
            pw = min(p[j], ratio * lam)
            ws = w * sj
            sw += w
            sws += ws
            swss += ws * sj
            swp += w * pw
            swsp += ws * pw
        sw += n_b * w_b + n_p * w_p
        sws += n_p * w_p
        swss += n_p * w_p
        swp += w_b * q_b + w_p * q_p
        swsp += w_p * q_p
        w0 = prior_nu / nu / (b * b)
        sw += w0
        swp += w0 * base
        det = sw * swss - sws * sws
        a_new = (sw * swsp - sws * swp) / det
        b_new = (swp - a_new * sws) / sw
        if not np.isfinite(a_new) or a_new < 0.0:
            a = 0.0
            b = swp / sw
        else:
            a = a_new
            b = b_new
        b = max(b, 0.05 * base)
    return b, a


def _loglik(
    p: FloatArray,
    s: FloatArray,
    j0: int,
    j1: int,
    b: float,
    a: float,
    base: float,
    cfg: FloatArray,
    sums: FloatArray,
) -> float:
    """Winsorised Gamma log-likelihood of one fitted model (``gamma_glm.gamma_fit``)."""
    nu, prior_nu, ratio = cfg[0], cfg[1], cfg[3]
    n = p.size
    total = j0 * math.log(b) + _ratio_sum(p, 0, j0, b, ratio, sums[0, j0], sums[1, j0])
    total += (n - j1) * math.log(b + a) + _ratio_sum(p, j1, n, b + a, ratio, sums[2, j1], sums[3, j1])
    for j in range(j0, j1):
        lam = b + a * s[j]
        r = p[j] / lam
        if r > ratio:
            r = ratio * (1.0 + math.log(max(r, 1e-300) / ratio))
        total += math.log(lam) + r
    return -0.5 * nu * total - 0.5 * prior_nu * (math.log(b) + base / b)


def _sums(p: FloatArray) -> FloatArray:
    """Rows: ``sum(p[:k])``, ``max(p[:k])``, ``sum(p[k:])``, ``max(p[k:])`` for ``k = 0..n``."""
    n = p.size
    out = np.zeros((4, n + 1))
    out[1, 0] = -np.inf
    out[3, n] = -np.inf
    for j in range(n):
        out[0, j + 1] = out[0, j] + p[j]
        out[1, j + 1] = max(out[1, j], p[j])
        k = n - 1 - j
        out[2, k] = out[2, k + 1] + p[k]
        out[3, k] = max(out[3, k + 1], p[k])
    return out


def _fit_cells(
    t: FloatArray,
    p: FloatArray,
    onsets: FloatArray,
    codes: npt.NDArray[np.int64],
    rises: FloatArray,
    mask: npt.NDArray[np.bool_],
    bin_s: float,
    base: float,
    cfg: FloatArray,
    consts: FloatArray,
    out: FloatArray,
) -> None:
    """Fit the (model, onset) cells set in ``mask``: log-likelihood, ``b``, ``A`` into ``out[0..2]``."""
    s = np.empty(t.size)
    sums = _sums(p)
    a_top = max(p.mean() - base, 1e-6 * base)
    for m in range(codes.size):
        code, rise = codes[m], rises[m]
        j0 = j1 = 0
        for i in range(onsets.size):
            if not mask[m, i]:
                continue
            t0 = onsets[i]
            j0 = _advance(t, j0, t0, code, rise, bin_s, False)
            j1 = _advance(t, max(j1, j0), t0, code, rise, bin_s, True)
            total = _fill_shape(s, t, j0, j1, t0, code, rise, bin_s, consts) + (t.size - j1)
            b, a = _irls(p, s, j0, j1, base, a_top / max(total / t.size, 1e-9), base, cfg, sums)
            out[0, m, i] = _loglik(p, s, j0, j1, b, a, base, cfg, sums)
            out[1, m, i] = b
            out[2, m, i] = a


if _jit is not None:
    _shape_sq = _jit(_shape_sq)
    _u = _jit(_u)
    _advance = _jit(_advance)
    _fill_shape = _jit(_fill_shape)
    _capped = _jit(_capped)
    _ratio_sum = _jit(_ratio_sum)
    _irls = _jit(_irls)
    _loglik = _jit(_loglik)
    _sums = _jit(_sums)
    _fit_cells = _jit(_fit_cells)


def fit_cells(
    t: FloatArray,
    p: FloatArray,
    onsets: FloatArray,
    models: list[tuple[str, float]],
    mask: npt.NDArray[np.bool_],
    out: FloatArray,
    *,
    bin_s: float,
    base: float,
    nu: float,
    prior_nu: float,
    n_iter: int,
    outlier_ratio: float,
    exp_rate: float,
    logistic_k: float,
) -> None:
    """Fit the ``(shape name, rise time)`` models at the onsets where ``mask`` (n_models, n_onsets) is
    set; log-likelihood, ``b`` and ``A`` go into ``out[0]``, ``out[1]``, ``out[2]`` (compiled when numba
    is present)."""
    codes = np.array([SHAPE_CODE[name] for name, _ in models], dtype=np.int64)
    rises = np.array([r for _, r in models], dtype=np.float64)
    cfg = np.array([nu, prior_nu, float(n_iter), outlier_ratio])
    consts = np.array([exp_rate, logistic_k])
    _fit_cells(
        np.ascontiguousarray(t, dtype=np.float64),
        np.ascontiguousarray(p, dtype=np.float64),
        np.ascontiguousarray(onsets, dtype=np.float64),
        codes,
        rises,
        np.ascontiguousarray(mask, dtype=np.bool_),
        float(bin_s),
        float(base),
        cfg,
        consts,
        out,
    )
