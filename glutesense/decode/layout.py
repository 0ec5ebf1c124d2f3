"""Then clocks: fit each device's time to the host clock, and lay its streams on the session grid (pure).

:func:`fit_device` fits one offset per clock segment and one drift per device, to the lower
envelope of receive latency (:func:`glutesense.decode.clockfit.fit_segments`).
:func:`lay_out` places a stream's segments on one uniform session-time grid, NaN in the
holes, and lists the gaps.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from glutesense.decode.clockfit import ClockFit, fit_segments
from glutesense.decode.timeline import ClockKey, Timeline
from glutesense.model.arrays import BoolArray, FloatArray, IntArray
from glutesense.model.records import StreamKind


@dataclass(frozen=True)
class LaidStream:
    """One stream laid out on the session clock.

    Attributes
    ----------
    device : int
    kind : StreamKind
    fs_hz : float
        Rate on the session clock (the device rate corrected for drift).
    t0_s : float
        Session time of the first sample.
    data : ndarray, shape (n_channels, n_samples)
        Samples, NaN in holes.
    gaps : tuple of (float, float)
        ``(session start s, duration s)`` of each hole.
    n_dropped_packets, n_duplicates, n_segments : int
    """

    device: int
    kind: StreamKind
    fs_hz: float
    t0_s: float
    data: FloatArray
    gaps: tuple[tuple[float, float], ...]
    n_dropped_packets: int
    n_duplicates: int
    n_segments: int


def fit_device(timelines: Iterable[Timeline]) -> dict[ClockKey, ClockFit]:
    """Fit one device's time to host time: one offset per clock segment, one drift per device.

    Each packet contributes (device time of its last sample, host receive time).

    Raises
    ------
    ValueError
        When the timelines hold no packets.
    """
    points: dict[ClockKey, tuple[list[FloatArray], list[FloatArray]]] = {}
    for tl in timelines:
        n = tl.n_samples
        for j, key in enumerate(tl.keys):
            sel = tl.seg == j
            t_end = tl.t_dev0_s[j] + (tl.pos[sel] + n[sel] - 1) / tl.fs_hz
            td, th = points.setdefault(key, ([], []))
            td.append(t_end)
            th.append(tl.t_rx_s[sel])
    if not points:
        raise ValueError("no packets to fit a clock to")
    keys = sorted(points)
    # Fit relative to each segment's first device time, for precision with large device clocks.
    refs = [float(np.concatenate(points[k][0]).min()) for k in keys]
    segments = [
        (np.concatenate(points[k][0]) - ref, np.concatenate(points[k][1]))
        for k, ref in zip(keys, refs, strict=True)
    ]
    fits = fit_segments(segments)
    return {
        k: ClockFit(f.offset_s - f.scale * ref, f.drift_ppm, f.residual_ms, f.n_points, f.spread_ms)
        for k, ref, f in zip(keys, refs, fits, strict=True)
    }


def lay_out(device: int, tl: Timeline, fits: Mapping[ClockKey, ClockFit], start_s: float) -> LaidStream:
    """Place a stream's segments on one uniform session-time grid, NaN in the holes.

    Parameters
    ----------
    device : int
    tl : Timeline
    fits : mapping
        The device's clock fits (from :func:`fit_device`), by clock key.
    start_s : float
        Host time of session time 0, s.
    """
    main = fits[tl.keys[0]]
    fs_session = tl.fs_hz / main.scale
    seg_t0 = [float(fits[k].to_host(tl.t_dev0_s[j])[()]) - start_s for j, k in enumerate(tl.keys)]
    t0_s = seg_t0[0]
    offsets, end = _segment_offsets(tl, seg_t0, fs_session)
    data, covered = _place(tl, np.asarray(offsets, dtype=np.int64)[tl.seg] + tl.pos, end)
    gaps = tuple((t0_s + s / fs_session, (stop - s) / fs_session) for s, stop in _holes(covered))
    n_dropped = round((~covered).sum() / tl.per_packet) if tl.per_packet else 0
    return LaidStream(device, tl.kind, fs_session, t0_s, data, gaps, n_dropped, tl.n_duplicates, len(tl.keys))


def _place(tl: Timeline, starts: IntArray, end: int) -> tuple[FloatArray, BoolArray]:
    """The blocks' samples at grid index ``starts[i]`` onwards, ``(n_channels, end)``, NaN where none
    came, and which indices are covered.  Where blocks overlap, the later one wins."""
    datas = tl.packets.data
    widths = {d.shape[1] for d in datas}
    n_ch = max(widths)
    data = np.full((n_ch, end), np.nan)
    covered = np.zeros(end, bool)
    n, c = datas[0].shape
    same = len(widths) == 1 and bool((tl.n_samples == n).all())
    if same and (np.diff(starts) >= n).all():  # the usual case: equal packets that never overlap
        joined = np.concatenate(datas).T  # (c, n_blocks * n)
        cuts = [0, *(np.flatnonzero(np.diff(starts) != n) + 1).tolist(), len(starts)]
        for first, stop in itertools.pairwise(cuts):  # runs of back-to-back packets, one slice each
            p, m = int(starts[first]), (stop - first) * n
            data[:c, p : p + m] = joined[:, first * n : first * n + m]
            covered[p : p + m] = True
        return data, covered
    for p, d in zip(starts.tolist(), datas, strict=True):
        data[: d.shape[1], p : p + d.shape[0]] = d.T
        covered[p : p + d.shape[0]] = True
    return data, covered


def _segment_offsets(tl: Timeline, seg_t0: list[float], fs_session: float) -> tuple[list[int], int]:
    """Grid index of each segment's position 0 (never overlapping the previous segment), and the end."""
    offsets = []
    end = 0
    for j in range(len(tl.keys)):
        sel = np.flatnonzero(tl.seg == j)
        at = max(round((seg_t0[j] - seg_t0[0]) * fs_session), end)
        offsets.append(at)
        last = sel[-1]
        end = at + int(tl.pos[last]) + tl.packets.data[last].shape[0]
    return offsets, end


def _holes(covered: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of uncovered samples that has covered samples on both sides."""
    out = []
    for e in np.flatnonzero(np.diff(covered.astype(np.int8))):
        if covered[e + 1]:
            continue
        s = int(e) + 1
        out.append((s, s + int(np.argmax(covered[s:]))))
    return out
