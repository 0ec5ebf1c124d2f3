"""Where a table's rows land in time, read from its time column (seconds, one value per row).

A time column is taken for what it is.  Most are a clean grid: row ``i`` is sample ``i``, and the
rate comes from the whole column (:func:`rate_of_time_column`).  Others are not, and each is read
as what it is rather than refused:

* written with too few digits (``%g``-style writers keep six significant digits, so past 100 s a
  2 kHz column holds runs of one value): the values are the true times rounded, never more than
  half their last digit off;
* a jittery clock (a host stamping rows as they arrive): the values scatter about a steady rate;
* rows missing (a gap): the time jumps by far more than the rounding and the jitter.

For these the rate is a least-squares fit of time against sample number over the whole column
(pooled over the stretches between gaps, so a gap does not bend it), each row is placed on its own
sample of that grid, samples without a row stay lost (NaN), and a note says what was found.  Time
going back is damage, not rounding (rounding keeps the order, at most making neighbours equal), and
is refused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from glutesense.io.common import InputError
from glutesense.io.validate import check_grid
from glutesense.model.arrays import FloatArray, IntArray

MAX_DECIMALS = 12
"""Decimals (of a second) looked for in a time value; finer values count as unrounded."""
LAG_ROWS = 32
"""Rows over which the first estimate of the step is taken (rounding averages out over them)."""


@dataclass(frozen=True)
class RowTimes:
    """The timeline of a table: its rate, its first sample's time, and each row's sample.

    ``positions`` is each row's sample number on the grid ``t0_s + k / fs_hz``, ``k`` in
    ``[0, n_samples)``, strictly increasing; None when row ``i`` is sample ``i`` (a clean column).
    ``regular`` is False for a column that is not on any grid (a logger that changed its rate): its
    rows are then resampled at ``fs_hz`` (one over the median spacing) by the caller.  ``times_s``
    are the rows' times as used: on the grid when ``positions`` is set, the column's own otherwise.
    """

    fs_hz: float
    t0_s: float
    n_samples: int
    times_s: FloatArray
    positions: IntArray | None = None
    regular: bool = True
    notes: tuple[str, ...] = ()


def row_times(t: FloatArray, src: str, column: str) -> RowTimes:
    """Read a time column ``t`` (s, one per row, finite, at least two rows) as a :class:`RowTimes`.

    Raises :class:`InputError` naming ``src`` and ``column`` when the time goes back (rounding never
    does that), or when the column holds no span at all.
    """
    _refuse_going_back(t, src, column)
    half_digit = _half_last_digit(t)
    steps = np.diff(t)
    if np.all(steps > 0):
        fs_hz, regular, rounded = rate_of_time_column(t)
        if regular:
            notes = [_rounded_note(column, fs_hz)] if rounded else []
            notes += _jitter_note(t, fs_hz, half_digit, column)
            return RowTimes(fs_hz, float(t[0]), t.size, t, notes=tuple(notes))
    return _placed_on_grid(t, half_digit, src, column)


def rate_of_time_column(t: FloatArray) -> tuple[float, bool, bool]:
    """Sample rate of an increasing time column, whether the rows lie on a regular grid, and whether
    one over the median spacing would have been a wrong rate (the column is rounded too coarsely).

    The rate is ``(n - 1) / (t[-1] - t[0])``, not one over the median spacing: a column written with
    fewer digits than the sample period needs (1024 Hz to 4 decimals) has spacings that alternate
    between two rounded values, whose median is a wrong rate (1000 Hz: 2.4 % of time lost).  The grid
    is regular when every row lies within half a sample (plus the column's rounding) of it; otherwise
    (jitter, missing rows) the rate is one over the median spacing.
    """
    n = t.size
    fs_end = (n - 1) / float(t[-1] - t[0])
    fs_med = 1.0 / float(np.median(np.diff(t)))
    resolution = _resolution(t)
    residual = np.abs(t - (t[0] + np.arange(n) / fs_end))
    if float(np.max(residual)) <= 0.5 / fs_end + resolution or n <= 2:
        whole = float(round(fs_end))  # 1024.0012 Hz from a rounded column is 1024 Hz if that fits
        if whole > 0 and np.max(np.abs(t - (t[0] + np.arange(n) / whole))) <= 0.5 / whole + resolution:
            fs_end = whole
        return float(fs_end), True, abs(fs_end - fs_med) > 1e-3 * fs_end
    return (float(round(fs_med)) if abs(fs_med - round(fs_med)) < 1e-6 * fs_med else fs_med), False, False


def _resolution(t: FloatArray) -> float:
    """The step to which a time column's values were rounded (0 if they were not noticeably)."""
    for decimals in range(0, 10):
        scaled = t * 10.0**decimals
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return 0.5 * 10.0 ** (-decimals)
    return 0.0


def _decimals(t: FloatArray) -> IntArray:
    """Per value, the fewest decimals that write it exactly (``MAX_DECIMALS + 1``: none do)."""
    out = np.full(t.size, MAX_DECIMALS + 1, dtype=np.int64)
    for d in range(MAX_DECIMALS, -1, -1):
        scaled = t * 10.0**d
        exact = np.abs(scaled - np.round(scaled)) <= 1e-6 + 8 * np.finfo(float).eps * np.abs(scaled)
        out[exact] = d
    return out


def _local_decimals(t: FloatArray) -> IntArray:
    """Per row, the decimals the writer kept there, from the values near it.

    A value alone under-tells them (``100.5`` from ``%.6g`` shows one decimal, its neighbours
    ``100.501`` three), so the most any nearby value shows is taken, under each of the two ways
    writers round: a fixed number of decimals (``%.3f``), or of significant digits (``%g``: from
    1000 s on, one decimal fewer than just before).  Of the two, the coarser holds.
    """
    from scipy.ndimage import maximum_filter1d

    size = 2 * LAG_ROWS + 1
    exact = _decimals(t)
    fixed = maximum_filter1d(exact, size=size, mode="nearest")
    nonzero = t != 0
    int_digits = np.zeros(t.size, dtype=np.int64)
    int_digits[nonzero] = np.floor(np.log10(np.abs(t[nonzero]))).astype(np.int64) + 1
    digits = np.where(nonzero, int_digits + exact, np.iinfo(np.int64).min // 2)
    by_digits = maximum_filter1d(digits, size=size, mode="nearest") - int_digits
    out: IntArray = np.where(nonzero, np.minimum(fixed, by_digits), fixed)
    return out


def _half_last_digit(t: FloatArray) -> FloatArray:
    """Per row, how far the written value may be from the true time: half its last digit (s)."""
    half: FloatArray = 0.5 * 10.0 ** (-_local_decimals(t).astype(float))
    return half


def _refuse_going_back(t: FloatArray, src: str, column: str) -> None:
    """InputError when the time goes back at all: rounding never does that (it keeps the order,
    at most making neighbours equal), so a step back is damage (or rows out of order)."""
    steps = np.diff(t)
    back = np.flatnonzero(steps < -1e-12 * np.maximum(np.abs(t[1:]), 1.0))
    if back.size:
        i = int(back[0])
        raise InputError(
            f"{src}: column {column!r} must hold increasing numbers (seconds), but it goes back from "
            f"{t[i]:.9g} to {t[i + 1]:.9g} s at data row {i + 2}"
            + (f" (and {back.size - 1} more times)" if back.size > 1 else "")
        )
    if not float(t[-1] - t[0]) > 0:
        raise InputError(f"{src}: column {column!r} must hold increasing numbers (seconds); all are {t[0]:g}")


def _rounded_note(column: str, fs_hz: float) -> str:
    return (
        f"column {column!r} is rounded to fewer digits than its sample period; sample rate "
        f"taken from the whole column: {fs_hz:g} Hz"
    )


def _jitter_note(t: FloatArray, fs_hz: float, half_digit: FloatArray, column: str) -> list[str]:
    """A note when a clean column's values scatter about its grid by more than their rounding."""
    k = np.arange(t.size)
    fit = np.polyfit(k, t, 1)
    scatter = np.abs(t - np.polyval(fit, k)) - half_digit
    worst_s = float(np.max(scatter))
    if worst_s <= 0.05 / fs_hz:
        return []
    return [
        f"column {column!r} jitters by up to ±{worst_s * 1e3:.3g} ms ({worst_s * fs_hz:.2g} of a sample) "
        f"about a steady {fs_hz:g} Hz: sample rate taken from the whole column, each row one sample"
    ]


def _segments(t: FloatArray, half_digit: FloatArray, step_s: float) -> list[tuple[int, int]]:
    """Stretches ``[start, stop)`` of rows without a gap: no step longer than a sample and a half
    plus the rounding of its two values."""
    steps = np.diff(t)
    limit = 1.5 * step_s + 2.0 * np.maximum(half_digit[1:], half_digit[:-1])
    breaks = np.flatnonzero(steps > limit) + 1
    edges = [0, *breaks.tolist(), t.size]
    return list(itertools.pairwise(edges))


def _pooled_step(t: FloatArray, segments: list[tuple[int, int]]) -> float:
    """Least-squares slope of time against row number, pooled over the stretches (s per sample)."""
    num = den = 0.0
    for a, b in segments:
        if b - a < 2:
            continue
        j = np.arange(b - a, dtype=float)
        j -= j.mean()
        num += float(np.dot(j, t[a:b] - t[a:b].mean()))
        den += float(np.dot(j, j))
    return num / den


def _positions(t: FloatArray, segments: list[tuple[int, int]], step_s: float) -> IntArray:
    """Each row's sample number: consecutive within a stretch, each stretch placed by its fitted
    start (the mean of its rows, so one row's rounding does not move it)."""
    pos = np.empty(t.size, dtype=np.int64)
    first = next_free = 0
    for n, (a, b) in enumerate(segments):
        j = np.arange(b - a)
        start_s = float(np.mean(t[a:b] - j * step_s))
        if n == 0:
            origin_s = start_s
        else:
            first = max(round((start_s - origin_s) / step_s), next_free)
        pos[a:b] = first + j
        next_free = first + (b - a)
    return pos


def _placed_on_grid(t: FloatArray, half_digit: FloatArray, src: str, column: str) -> RowTimes:
    """Rows with repeated values, jitter or gaps, each on its sample of one fitted grid."""
    lag = min(LAG_ROWS, t.size - 1)
    step_s = float(np.median((t[lag:] - t[:-lag]) / lag))
    if not step_s > 0:
        raise InputError(f"{src}: column {column!r} must hold increasing numbers (seconds)")
    for _ in range(2):  # the gaps found with a rough step, then with the fitted one
        segments = _segments(t, half_digit, step_s)
        step_s = _pooled_step(t, segments) if any(b - a > 1 for a, b in segments) else step_s
    pos = _positions(t, segments, step_s)
    check_grid(float(pos[-1]) * step_s, t.size, 1.0 / step_s, src, "the time column")
    fs_hz, t0_s = _fit_rate(t, pos)
    grid_t = t0_s + pos / fs_hz
    if np.any(np.abs(t - grid_t) > 1.0 / fs_hz + 2.0 * half_digit):
        if not np.all(np.diff(t) > 0):
            raise InputError(
                f"{src}: column {column!r} must hold increasing numbers (seconds); it repeats values "
                "and its rows lie on no regular grid"
            )
        return RowTimes(rate_of_time_column(t)[0], float(t[0]), t.size, t, regular=False)
    notes = _grid_notes(t, pos, fs_hz, half_digit, column)
    return RowTimes(fs_hz, t0_s, int(pos[-1]) + 1, grid_t, pos, notes=notes)


def _fit_rate(t: FloatArray, pos: IntArray) -> tuple[float, float]:
    """Rate (Hz) and first sample's time (s) of the grid through the rows at ``pos``: a least-squares
    line, its rate taken as a whole number of Hz when that moves no sample by a quarter of one."""
    slope, t0_s = np.polyfit(pos.astype(float), t, 1)
    fs_hz = 1.0 / float(slope)
    whole = float(round(fs_hz))
    if whole > 0 and abs(1.0 / whole - 1.0 / fs_hz) * float(pos[-1]) <= 0.25 / fs_hz:
        fs_hz = whole
        t0_s = float(np.mean(t - pos / fs_hz))
    return fs_hz, round(float(t0_s), 9)  # to the nanosecond: 0.0, not -2e-22


def _grid_notes(
    t: FloatArray, pos: IntArray, fs_hz: float, half_digit: FloatArray, column: str
) -> tuple[str, ...]:
    """What the column was found to hold, in words."""
    steps = np.diff(t)
    repeats = int(np.count_nonzero(steps <= 0))
    lost = int(pos[-1]) + 1 - t.size
    jumps = np.flatnonzero(np.diff(pos) > 1)
    how = f"sample rate {fs_hz:g} Hz taken from the whole column, each row placed on its sample of that grid"
    notes = []
    scatter = np.abs(t - np.mean(t - pos / fs_hz) - pos / fs_hz) - half_digit
    worst_s = max(float(np.max(scatter)), 0.0)
    if repeats:
        written = _written_with(t, steps)
        notes.append(f"column {column!r} holds repeated values ({repeats} rows; {written}): {how}")
    elif worst_s > 0.05 / fs_hz:
        notes.append(f"column {column!r} jitters by up to ±{worst_s * 1e3:.3g} ms about a steady rate: {how}")
    if jumps.size:
        notes.append(
            f"column {column!r} jumps over {jumps.size} gap(s) ({lost / fs_hz:.3g} s in all): "
            "those samples are marked lost"
        )
    return tuple(notes)


def _written_with(t: FloatArray, steps: FloatArray) -> str:
    """A guess at how the column was written, from the decimals kept where values repeat."""
    decimals = _local_decimals(t)
    at = np.flatnonzero(steps <= 0) + 1
    d_rep = int(np.median(decimals[at]))
    if d_rep > MAX_DECIMALS:
        return "duplicated rows?"
    if d_rep == int(np.max(decimals)):
        return f"written to {10.0**-d_rep:g} s?"
    magnitude = np.floor(np.log10(np.maximum(np.abs(t[at]), 1e-300))).astype(np.int64) + 1
    digits = int(np.median(magnitude + decimals[at]))
    return f"written with {digits} significant digits?"
