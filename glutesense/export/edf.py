"""EDF+ (16-bit) and BDF+ (24-bit) export through edfio.

Layout of a written file:

* one signal per role, labelled with the role name, physical dimension in the
  core unit (``uV``, ``g``, ``deg/s``), physical range from the data with 5 %
  headroom on each side (so the quantization step is ``(max - min) * 1.1 /
  (2**16 - 1)`` for EDF, ``/ (2**24 - 1)`` for BDF);
* time 0 of the file is time 0 of the recording; a stream that starts later
  (or earlier) is shifted by a whole number of its samples, repeating its first
  value, so at most half a sample period of offset remains (reported in the notes);
* data records of 0.1 s or a little longer where the rates allow it exactly (1000 Hz EMG
  with 100 Hz IMU: 0.1 s; with 104 Hz IMU: 0.125 s), else of about 1 s, so that every
  stream has a whole number of samples per record; the last record is filled by
  repeating each signal's last value;
* lost samples (NaN) are written as 0: the recording's ``gap`` events already mark them;
* events become EDF+ annotations: ``trial_type`` plus `` side=left`` / `` rep=3``
  when set; instants (duration 0) are written without a duration;
* the patient field holds only the pseudonymous ``info.subject`` (``X`` for every
  other subfield); the start date and time come from ``info.created_utc`` when present.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from glutesense.export.base import ExportError, ExportResult
from glutesense.io.edf import signal_layout
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Role, SignalKind

RECORD_MIN_S = 0.1
RECORD_TARGET_S = 1.0
HEADROOM = 0.05  # fraction of the data's span added below and above
_MAX_RATE_DENOMINATOR = 1000
_RATE_RTOL = 1e-9
_TRANSDUCER = {SignalKind.EMG: "surface EMG electrode", SignalKind.ACC: "accelerometer",
               SignalKind.GYR: "gyroscope"}
_FIELD_CHARS = 8


@dataclass(frozen=True)
class _Layout:
    """Data record duration and samples per record of every stream."""

    record_s: float  # as written in the header (8 characters)
    samples_per_record: tuple[int, ...]  # one per stream, in rec.streams order
    resample_to_hz: tuple[float | None, ...]  # rate a stream is resampled to, or None


def write_edf(rec: Recording, out_path: Path) -> ExportResult:
    """Write ``rec`` as EDF+ (16-bit samples)."""
    return _write(rec, out_path, bdf=False)


def write_bdf(rec: Recording, out_path: Path) -> ExportResult:
    """Write ``rec`` as BDF+ (24-bit samples)."""
    return _write(rec, out_path, bdf=True)


def _write(rec: Recording, out_path: Path, *, bdf: bool) -> ExportResult:
    import edfio  # I/O edge

    fmt = "BDF" if bdf else "EDF"
    streams = [s for s in rec.streams if s.roles and s.n_samples > 0]
    if not streams:
        raise ExportError(f"{rec.source or 'recording'}: nothing to write (no samples)")
    notes: list[str] = []
    layout = _layout(streams)
    rows: list[tuple[Role, FloatArray, float, int]] = []  # role, samples, fs written, samples/record
    offsets_s: list[float] = []
    for stream, spr, fs_new in zip(streams, layout.samples_per_record, layout.resample_to_hz, strict=True):
        data, t0_s, fs_hz = stream.data, stream.t0_s, stream.fs_hz
        if fs_new is not None:
            data, t0_s = _resample(stream, fs_new), stream.t0_s
            fs_hz = fs_new
            notes.append(f"{stream.name}: {stream.fs_hz:.6g} Hz has no whole number of samples per data "
                         f"record with the other streams; linearly resampled to {fs_new:.6g} Hz")
        data, offset_s = _shift_to_zero(data, t0_s, fs_hz)
        offsets_s.append(offset_s)
        rows.extend((role, data[i], spr / layout.record_s, spr) for i, role in enumerate(stream.roles))
    worst = max(offsets_s, key=abs)
    if abs(worst) > 1e-6:
        notes.append(f"streams moved by up to {worst * 1e3:.3f} ms to start on the file's sample grid")

    n_records = max(math.ceil(x.size / spr - 1e-9) for _, x, _, spr in rows)
    pad_s = max((n_records * spr - x.size) / fs for _, x, fs, spr in rows)
    if pad_s > 0:
        notes.append(f"last data record filled with {pad_s:.3f} s of repeated last values")
    n_nan = sum(int(np.isnan(x).sum()) for _, x, _, _ in rows)
    if n_nan:
        notes.append(f"{n_nan} lost samples (NaN) written as 0")

    signal_cls: Any = edfio.BdfSignal if bdf else edfio.EdfSignal
    signals = []
    for role, x, fs, spr in rows:
        x = _fill(x, n_records * spr)
        try:
            signals.append(signal_cls(x, fs, label=role.value, transducer_type=_TRANSDUCER[role.kind],
                                      physical_dimension=role.unit, physical_range=physical_range(x)))
        except ValueError as e:
            raise ExportError(f"{out_path}: cannot write {role.value} as {fmt} ({e})") from None
    patient = edfio.Patient(code=_subfield(rec.info.subject))
    start = _start(rec.info.created_utc)
    recording = edfio.Recording(startdate=None if start is None else start.date(),
                                equipment_code="glutesense")
    annotations = [edfio.EdfAnnotation(e.onset_s, e.duration_s or None, annotation_text(e))
                   for e in rec.events]
    cls: Any = edfio.Bdf if bdf else edfio.Edf
    try:
        edf = cls(signals, patient=patient, recording=recording,
                  starttime=None if start is None else start.time().replace(microsecond=0),
                  data_record_duration=layout.record_s, annotations=annotations)
        raw = _exact_timekeeping(edf.to_bytes(), bytes_per_sample=3 if bdf else 2)
        Path(out_path).write_bytes(raw)
    except ValueError as e:
        raise ExportError(f"{out_path}: cannot write {fmt} ({e})") from None
    except OSError as e:
        raise ExportError(f"{out_path}: cannot write ({e.strerror or e})") from None
    return ExportResult((Path(out_path),), tuple(notes))


def annotation_text(event: Event) -> str:
    """``"cue side=left rep=3"``: the trial type with the optional side and rep appended."""
    parts = [event.trial_type]
    if event.side is not None:
        parts.append(f"side={event.side.value}")
    if event.rep is not None:
        parts.append(f"rep={event.rep}")
    return " ".join(parts)


def physical_range(x: FloatArray) -> tuple[float, float]:
    """Physical (min, max) for the header: the data's range plus headroom, rounded outward.

    Parameters
    ----------
    x : ndarray, shape (n_samples,)
        Samples in the signal's unit (finite).

    Returns
    -------
    (float, float)
        Bounds that fit the 8-character header fields and enclose ``x``
        with at least :data:`HEADROOM` of its span on each side.
    """
    lo, hi = float(np.min(x)), float(np.max(x))
    span = hi - lo
    if span <= 0:
        span = max(abs(lo), 1.0)
    lo, hi = lo - HEADROOM * span, hi + HEADROOM * span
    step = 10.0 ** (math.floor(math.log10(span)) - 3)
    lo_r, hi_r = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return _fit_field(lo_r, math.floor), _fit_field(hi_r, math.ceil)


def _fit_field(value: float, direction: Any) -> float:
    """Round ``value`` (``direction`` = math.floor or math.ceil) to fit 8 characters."""
    for decimals in range(6, -1, -1):
        scale = 10.0**decimals
        v = direction(round(value * scale, 6)) / scale
        text = np.format_float_positional(v, trim="-")
        if len(text) <= _FIELD_CHARS:
            return float(text)
    return value  # too large for the field: edfio raises, which becomes an ExportError


def _layout(streams: Sequence[Stream]) -> _Layout:
    """Choose the data record duration from the first EMG stream's rate.

    Every other stream's rate must be a simple ratio (denominator <= 1000) of it
    to share data records; a stream whose rate is not (another device's clock)
    is resampled to the nearest such rate.
    """
    primary = next((s for s in streams if any(r.kind is SignalKind.EMG for r in s.roles)), streams[0])
    fs0 = primary.fs_hz
    ratios: list[Fraction] = []
    resample: list[float | None] = []
    for s in streams:
        ratio = Fraction(s.fs_hz / fs0).limit_denominator(_MAX_RATE_DENOMINATOR)
        exact = abs(float(ratio) * fs0 - s.fs_hz) <= _RATE_RTOL * s.fs_hz
        ratios.append(ratio)
        resample.append(None if exact else float(ratio) * fs0)
    lcm = math.lcm(*(r.denominator for r in ratios))  # samples of the primary per record: a multiple
    # Short records waste less padding at the end; take the first one of at least
    # RECORD_MIN_S whose duration the 8-character header field holds exactly, else ~1 s
    # (where the field's 1e-6 s resolution is a 1 ppm rate error).
    per_record0 = lcm * max(1, round(fs0 * RECORD_TARGET_S / lcm))
    for m in range(max(1, math.ceil(fs0 * RECORD_MIN_S / lcm)), per_record0 // lcm + 1):
        if abs(_fit_field(lcm * m / fs0, round) * fs0 - lcm * m) <= _RATE_RTOL * lcm * m:
            per_record0 = lcm * m
            break
    record_s = _fit_field(per_record0 / fs0, round)
    if record_s <= 0:
        raise ExportError(f"sample rate {fs0:g} Hz is too high for an EDF data record")
    spr = tuple(int(per_record0 * r) for r in ratios)
    return _Layout(record_s, spr, tuple(resample))


def _exact_timekeeping(raw: bytes, *, bytes_per_sample: int) -> bytes:
    """Rewrite each data record's timekeeping onset as the exact decimal ``i * duration``.

    edfio computes record starts as ``i * duration`` in floating point, which for a
    duration such as 0.250003 s writes ``+0.7500089999999999``; strict readers (EDFlib,
    hence pyedflib and EDFbrowser) then reject the file.  The annotation signal is the
    last one (edfio appends it); only its first TAL in each record is rewritten.
    """
    labels, spr = signal_layout(raw)
    header = 256 * (len(labels) + 1)
    n_records = int(raw[236:244].decode("ascii"))
    duration = Decimal(raw[244:252].decode("ascii").strip())
    if not labels[-1].endswith("Annotations") or n_records < 1:
        return raw
    record_bytes = sum(spr) * bytes_per_sample
    ann_bytes = spr[-1] * bytes_per_sample
    out = bytearray(raw)
    for i in range(n_records):
        start = header + (i + 1) * record_bytes - ann_bytes
        block = bytes(out[start : start + ann_bytes])
        end = block.index(b"\x14")
        onset = "+" + format((duration * i).normalize(), "f")
        fixed = onset.encode("ascii") + block[end:].rstrip(b"\x00")
        if len(fixed) > ann_bytes:
            raise ValueError("no room to rewrite a data record's start time")
        out[start : start + ann_bytes] = fixed.ljust(ann_bytes, b"\x00")
    return bytes(out)


def _resample(stream: Stream, fs_hz: float) -> FloatArray:
    """Linear interpolation of every row onto ``t0 + k / fs_hz`` within the stream's span."""
    t_old = stream.t_s
    n_new = math.floor(float(t_old[-1] - t_old[0]) * fs_hz + 1e-9) + 1
    t_new = stream.t0_s + np.arange(n_new) / fs_hz
    return np.vstack([np.interp(t_new, t_old, row) for row in stream.data])


def _shift_to_zero(data: FloatArray, t0_s: float, fs_hz: float) -> tuple[FloatArray, float]:
    """Shift rows by whole samples so sample 0 lies at t = 0; returns rows and the offset left (s)."""
    k = round(t0_s * fs_hz)
    offset_s = t0_s - k / fs_hz
    if k > 0:
        data = np.concatenate([np.repeat(data[:, :1], k, axis=1), data], axis=1)
    elif k < 0:
        data = data[:, -k:]
    return data, offset_s


def _fill(x: FloatArray, n: int) -> FloatArray:
    """NaN -> 0, then extend to ``n`` samples by repeating the last value."""
    x = np.nan_to_num(x, nan=0.0)
    if x.size < n:
        x = np.concatenate([x, np.full(n - x.size, x[-1] if x.size else 0.0)])
    return x


def _subfield(value: object) -> str:
    """An EDF+ header subfield: printable ASCII without spaces, ``X`` when unknown."""
    if value is None:
        return "X"
    text = re.sub(r"\s+", "_", str(value).strip())
    text = "".join(c for c in text if 32 < ord(c) < 127)
    return text[:40] or "X"


def _start(created_utc: object) -> dt.datetime | None:
    if not isinstance(created_utc, str):
        return None
    try:
        start = dt.datetime.fromisoformat(created_utc.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not 1985 <= start.year <= 2084:  # the years EDF's two-digit date can hold
        return None
    return start
