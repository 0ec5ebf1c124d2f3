"""Small robust statistics for the clinical metrics (deterministic: bootstraps take a seed)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
from scipy import stats

from glutesense.model import robust
from glutesense.model.arrays import FloatArray

SE_MEDIAN_FACTOR = math.sqrt(math.pi / 2.0)
"""Standard error of a median of normal data is about ``sqrt(pi / 2) * SD / sqrt(n)``."""


def finite(values: Iterable[float | None]) -> FloatArray:
    """The finite values, as a float array (None and NaN dropped)."""
    v = np.array([x for x in values if x is not None], dtype=np.float64)
    return v[np.isfinite(v)]


def median(values: Iterable[float | None]) -> float | None:
    """Median of the finite values, None if there are none."""
    v = finite(values)
    return float(np.median(v)) if v.size else None


def robust_sd(values: Iterable[float | None]) -> float | None:
    """``1.4826 * MAD`` of the finite values; None with fewer than 2."""
    v = finite(values)
    if v.size < 2:
        return None
    return robust.robust_sd(v)


def sample_sd(values: Iterable[float | None]) -> float | None:
    """Sample SD (``ddof=1``) of the finite values; None with fewer than 2."""
    v = finite(values)
    return float(np.std(v, ddof=1)) if v.size >= 2 else None


def se_median(values: Iterable[float | None]) -> float | None:
    """Standard error of the median from the rep-to-rep SD, ``sqrt(pi/2) * SD / sqrt(n)``."""
    v = finite(values)
    sd = sample_sd(v)
    return None if sd is None else SE_MEDIAN_FACTOR * sd / math.sqrt(v.size)


def _percentile_ci(
    samples: tuple[FloatArray, ...],
    statistic: Callable[..., FloatArray],
    *,
    n_boot: int,
    level: float,
    seed: int,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic`` (:func:`scipy.stats.bootstrap`, each sample resampled
    on its own; ``seed`` fixes the resamples)."""
    res = stats.bootstrap(
        samples,
        statistic,
        n_resamples=n_boot,
        confidence_level=level,
        method="percentile",
        paired=False,
        vectorized=True,
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _median(x: FloatArray, axis: int = -1) -> FloatArray:
    return np.asarray(np.median(x, axis=axis))


def _median_diff(before: FloatArray, after: FloatArray, axis: int = -1) -> FloatArray:
    return np.asarray(np.median(after, axis=axis) - np.median(before, axis=axis))


def bootstrap_median_ci(
    values: Iterable[float | None], *, n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float] | None:
    """Percentile bootstrap CI of the median; None with fewer than 2 values."""
    v = finite(values)
    if v.size < 2:
        return None
    return _percentile_ci((v,), _median, n_boot=n_boot, level=level, seed=seed)


def bootstrap_median_diff_ci(
    before: Iterable[float | None],
    after: Iterable[float | None],
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap CI of ``median(after) - median(before)``; None if either has < 2 values."""
    a, b = finite(before), finite(after)
    if a.size < 2 or b.size < 2:
        return None
    return _percentile_ci((a, b), _median_diff, n_boot=n_boot, level=level, seed=seed)


def mdc(before: Iterable[float | None], after: Iterable[float | None], *, z: float = 1.96) -> float | None:
    """Minimal detectable change of the difference of two medians, ``z * sqrt(SE1^2 + SE2^2)``.

    The SE of each median comes from that session's rep-to-rep SD (:func:`se_median`);
    compare Weir (2005), ``MDC95 = 1.96 * sqrt(2) * SEM`` when both SEMs are equal.
    """
    s1, s2 = se_median(before), se_median(after)
    if s1 is None or s2 is None:
        return None
    return z * math.hypot(s1, s2)


def symmetry_index_pct(left: float | None, right: float | None) -> float | None:
    """``100 (L - R) / ((L + R) / 2)`` (Robinson et al. 1987); 0 is symmetric, + is left larger."""
    if left is None or right is None or not (math.isfinite(left) and math.isfinite(right)):
        return None
    if left + right <= 0:
        return None
    return 100.0 * (left - right) / (0.5 * (left + right))
