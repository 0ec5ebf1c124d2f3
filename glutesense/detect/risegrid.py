"""Coarse-to-fine evaluation of the rise fit's (model, onset) grid (:mod:`glutesense.detect.risefit`).

Rows are models (a shape and a rise time, rows of one shape in order of rise time), columns onsets.
Most of the grid has no posterior weight: it is fitted coarsely, and finely only where the
log-likelihood comes within :data:`PRUNE_NATS` of the best cell.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from glutesense.model.arrays import BoolArray, FloatArray

PRUNE_NATS = 30.0
"""(model, onset) cells whose log-likelihood is this far below the best are not fitted.

Their posterior weight is below ``exp(-30)`` = 1e-13 of the best cell's, so the onset's posterior median
and SD, the shape evidence and the most likely fit are those of the whole grid to rounding
(``tests/detect/test_risefit_fast.py`` compares them with the whole grid).
"""
_COARSE_STEP = 4
"""Onset stride of the first pass (every other rise time as well); the log-likelihood is smooth over
a few grid steps, so the cells near the best are found from it and then filled in around it."""


def pruned_grid(
    evaluate: Callable[[BoolArray, FloatArray], None],
    labels: Sequence[object],
    single: Sequence[bool],
    n_onsets: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Log-likelihood, ``b`` and ``A`` of the (model, onset) grid, fitted coarse to fine.

    A coarse pass (every ``_COARSE_STEP``-th onset, every other rise time of each shape) finds where the
    likelihood is high; then every unfitted neighbour of a cell within :data:`PRUNE_NATS` of the best is
    fitted, until no such neighbour is left (a flood fill of the high region).  Cells never fitted get
    a log-likelihood 1000 below the best (no posterior weight) and NaN parameters.
    """
    n_m = len(labels)
    out = np.full((3, n_m, n_onsets), np.nan)
    done = np.zeros((n_m, n_onsets), dtype=bool)
    cols = np.zeros(n_onsets, dtype=bool)
    cols[::_COARSE_STEP] = True
    cols[-1] = True
    want = np.zeros_like(done)
    want[np.ix_(_coarse_rows(labels, single), cols)] = True
    same = np.array([a == b for a, b in pairwise(labels)], dtype=bool)[:, None]
    top = -np.inf
    while want.any():
        evaluate(want, out)
        done |= want
        ll = np.where(done, out[0], -np.inf)
        top = float(ll.max())
        if not np.isfinite(top):
            break
        want = _dilate(ll >= top - PRUNE_NATS, same, _COARSE_STEP) & ~done
    out[0][~done | ~np.isfinite(out[0])] = top - 1000.0
    return out[0], out[1], out[2]


def _coarse_rows(labels: Sequence[object], single: Sequence[bool]) -> BoolArray:
    """Rows of the coarse pass: ``single`` rows (a step), every other rise time of each shape, its last."""
    rows = np.zeros(len(labels), dtype=bool)
    k = 0
    for m, lab in enumerate(labels):
        k = k + 1 if m and labels[m - 1] == lab else 0
        last = m + 1 == len(labels) or labels[m + 1] != lab
        rows[m] = single[m] or k % 2 == 0 or last
    return rows


def _dilate(keep: BoolArray, same: BoolArray, reach: int) -> BoolArray:
    """``keep`` grown by ``reach`` onsets either way, then by one rise time of the same shape."""
    grown = keep.copy()
    for k in range(1, reach + 1):
        grown[:, k:] |= keep[:, :-k]
        grown[:, :-k] |= keep[:, k:]
    out = grown.copy()
    out[1:] |= grown[:-1] & same
    out[:-1] |= grown[1:] & same
    return out
