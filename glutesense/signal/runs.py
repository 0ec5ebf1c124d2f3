"""Runs of true samples in a boolean mask: half-open ``[start, stop)`` index intervals.

One small idea used across the pipeline (finite stretches to filter, NaN gaps to draw, tilt
changes, detector runs above a threshold, clipped and flat stretches).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from glutesense.model.arrays import BoolArray


def runs_of(mask: npt.ArrayLike, min_len: int = 1) -> list[tuple[int, int]]:
    """Half-open runs ``[start, stop)`` where ``mask`` is true, at least ``min_len`` samples long."""
    edges = np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0])))
    starts = np.flatnonzero(edges == 1).tolist()
    stops = np.flatnonzero(edges == -1).tolist()
    return [(a, b) for a, b in zip(starts, stops, strict=True) if b - a >= min_len]


def mask_of(n: int, runs: Iterable[tuple[int, int]]) -> BoolArray:
    """Boolean mask of length ``n``, true inside ``runs``."""
    m = np.zeros(n, dtype=bool)
    for a, b in runs:
        m[a:b] = True
    return m


def covered(runs: Iterable[tuple[int, int]]) -> int:
    """Samples inside ``runs`` (which must not overlap)."""
    return sum(b - a for a, b in runs)
