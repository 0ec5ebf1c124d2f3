"""EDF+/BDF+ import: one signal per channel, annotations as events.

Signals are matched to roles by label (``"glute_max_l"``, ``"EMG glute_max_l"``,
``"ACC acc_x"``, aliases such as ``"gmax_l"``) or by ``--map``.  Each signal's
physical dimension is taken as its unit and scaled to the core unit of its role
(µV, g, deg/s); a signal without a dimension is taken to be in core units.
Signals are grouped into one :class:`~glutesense.model.records.Stream` per kind
(EMG or IMU) and sample rate.

EDF+ annotations become events; a trailing ``side=left`` / ``rep=3`` in an
annotation's text (as :mod:`glutesense.export` writes them) fills the event's
``side`` and ``rep``.  A discontinuous file (EDF+D/BDF+D) is laid on one time
grid: samples between its data records are NaN and each hole gets a ``gap``
event, as the native reader does for lost packets.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from glutesense.io.common import InputError, assign_roles, read_events_table, unit_factor
from glutesense.io.edf_header import check_header
from glutesense.io.validate import check_grid
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import EMG_ROLES, IMU_ROLES, Role, Side

_EDF_MAGIC = b"0       "
_BDF_MAGIC = b"\xffBIOSEMI"
_HEADER_BYTES = 256  # fixed part of the header, and the header bytes per signal
_LABEL_PREFIX = re.compile(r"^(emg|acc|gyr|gyro|imu)[\s:]+(?=\S)", re.I)
_EVENT_FIELD = re.compile(r"\s+(side|rep)=(\S+)$")
_TIMEKEEPING = re.compile(rb"([+-]\d+(?:\.\d*)?)\x14\x14")
_BEFORE_SPR = 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80  # per-signal header bytes before samples/record
_RATE_DECIMALS = 6  # rates equal to this many decimals share a stream


@dataclass(frozen=True)
class _Signal:
    """One ordinary (non-annotation) signal as read, before role mapping."""

    label: str
    dimension: str
    fs_hz: float
    samples_per_record: int
    data: FloatArray  # physical values in the file's unit, shape (n_samples,)


def read_edf(
    path: str | Path,
    *,
    mapping: Mapping[Role, str] | None = None,
    events_path: str | Path | None = None,
) -> Recording:
    """Import an EDF/EDF+ or BDF/BDF+ file.

    Parameters
    ----------
    path : path
        The file; EDF or BDF is told from its first bytes, not its suffix.
    mapping : mapping Role -> signal label, optional
        Explicit role mapping (``--map``); other signals are matched by label.
    events_path : path, optional
        Events table (TSV/CSV) used instead of the file's annotations (``gap``
        events for the holes of an EDF+D file are added either way).

    Returns
    -------
    Recording
        Streams in core units (EMG µV, acc g, gyr deg/s) starting at ``t0_s = 0``
        (the file's start); ``meta["import_notes"]`` lists anything the reader
        had to repair (a truncated last data record, discontinuities).

    Raises
    ------
    InputError
        With a one-line message naming the file and the problem: not an EDF/BDF
        file, a damaged or truncated header, no complete data record, no EMG
        signal, a unit that does not fit the role.
    """
    p = Path(path)
    src = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{src}: no such file") from None
    except OSError as e:
        raise InputError(f"{src}: cannot read ({e.strerror or e})") from None
    fmt = _sniff(raw, src)
    notes: list[str] = []
    edf = _parse(raw, fmt, src, notes)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        signals = _ordinary_signals(edf, src)
        record_onsets_s = _record_onsets(raw, edf, fmt, src, notes)
        events = _annotation_events(edf, src)
    notes.extend(f"edfio: {_first_line(w.message)}" for w in caught)
    by_label: dict[str, _Signal] = {}
    for sig in signals:
        by_label.setdefault(sig.label, sig)
    if len(by_label) < len(signals):
        notes.append("several signals share a label; the first of each is used")
    stripped = {_strip_prefix(label): label for label in reversed(list(by_label))}
    roles = assign_roles(list(stripped), {r: _strip_prefix(n) for r, n in (mapping or {}).items()}, src)
    if not any(r in roles for r in EMG_ROLES):
        raise InputError(
            f"{src}: no EMG signal found by label (e.g. glute_max_l, hamstring_l); "
            f"signals are {', '.join(by_label) or 'none'}; map them with --map ROLE=LABEL"
        )
    record_s = float(edf.data_record_duration)
    chosen = {role: by_label[stripped[name]] for role, name in roles.items()}
    streams = _group_streams(chosen, record_onsets_s, record_s, src)
    if events_path is not None:
        events = list(read_events_table(events_path))
    events.extend(_gap_events(record_onsets_s, record_s))
    meta: dict[str, Any] = {
        "source_format": fmt.lower(),
        "roles": {r.value: chosen[r].label for r in chosen},
        "import_notes": notes,
    }
    subject = _patient_code(edf)
    if subject:
        meta["subject"] = subject
    return Recording(tuple(streams), tuple(sorted(events, key=lambda e: e.onset_s)), meta, src)


def _sniff(raw: bytes, src: str) -> str:
    """``"EDF"`` or ``"BDF"`` from the version field."""
    head = raw[:8]
    if head == _EDF_MAGIC:
        fmt = "EDF"
    elif head == _BDF_MAGIC:
        fmt = "BDF"
    else:
        raise InputError(f"{src}: not an EDF or BDF file (its first bytes are {head[:8]!r})")
    if len(raw) < _HEADER_BYTES:
        raise InputError(f"{src}: truncated {fmt} header ({len(raw)} of at least {_HEADER_BYTES} bytes)")
    try:
        n_signals = int(raw[252:256].decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise InputError(f"{src}: damaged {fmt} header (number of signals {raw[252:256]!r})") from None
    if n_signals < 1:
        raise InputError(f"{src}: the {fmt} header declares {n_signals} signals; no EMG to read")
    need = _HEADER_BYTES * (n_signals + 1)
    if len(raw) < need:
        raise InputError(f"{src}: truncated {fmt} header ({len(raw)} of {need} bytes)")
    check_header(raw, fmt, n_signals, src)
    return fmt


def _parse(raw: bytes, fmt: str, src: str, notes: list[str]) -> Any:
    """Parse with edfio, turning its exceptions into InputError and its warnings into notes."""
    import edfio  # I/O edge

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            edf: Any = edfio.read_edf(raw, lazy_load_data=False) if fmt == "EDF" else edfio.read_bdf(raw)
            n_records = int(edf.num_data_records)
            record_s = float(edf.data_record_duration)
        except Exception as e:  # a parser of untrusted bytes: whatever it raises is a damaged file
            raise InputError(f"{src}: damaged {fmt} header ({type(e).__name__}: {_first_line(e)})") from None
    for w in caught:
        msg = str(w.message)
        if "Incomplete data record" in msg:
            notes.append("file truncated: the incomplete last data record was dropped")
        elif "Updating header" in msg:
            notes.append(f"header gives a different number of data records; read {n_records} complete ones")
        else:
            notes.append(f"edfio: {_first_line(msg)}")
    if n_records < 1:
        raise InputError(f"{src}: no complete data record (file truncated after the header?)")
    if record_s <= 0:
        raise InputError(f"{src}: data record duration is {record_s} s; expected a positive number")
    return edf


def _ordinary_signals(edf: Any, src: str) -> list[_Signal]:
    out = []
    for s in edf.signals:
        try:
            data = np.asarray(s.data, dtype=np.float64)
        except (ValueError, TypeError) as e:
            raise InputError(f"{src}: signal {s.label!r} is unreadable ({_first_line(e)})") from None
        out.append(
            _Signal(
                s.label.strip(),
                s.physical_dimension.strip(),
                float(s.sampling_frequency),
                int(s.samples_per_data_record),
                data,
            )
        )
    return out


def _strip_prefix(label: str) -> str:
    """``"EMG glute_max_l"`` -> ``"glute_max_l"``; ``"ACC acc_x"`` -> ``"acc_x"``."""
    stripped = _LABEL_PREFIX.sub("", label.strip())
    return stripped if stripped else label.strip()


def _record_onsets(raw: bytes, edf: Any, fmt: str, src: str, notes: list[str]) -> FloatArray:
    """Start of each data record (s from the first record's start), shape (n_records,).

    A continuous file's records follow each other; an EDF+D/BDF+D file's starts are
    read from the first TAL of each record's first annotation signal.
    """
    n = int(edf.num_data_records)
    record_s = float(edf.data_record_duration)
    if edf.reserved.strip() != f"{fmt}+D":
        return np.arange(n, dtype=np.float64) * record_s
    try:
        onsets = timekeeping_onsets(raw, n_records=n, bytes_per_sample=3 if fmt == "BDF" else 2)
    except ValueError as e:
        raise InputError(f"{src}: discontinuous {fmt}+D file without readable record times ({e})") from None
    onsets = onsets - onsets[0]
    if np.any(np.diff(onsets) < record_s - 1e-9):
        raise InputError(f"{src}: {fmt}+D data records overlap or run backwards in time")
    n_holes = int(np.sum(np.diff(onsets) > record_s + 1e-9))
    if n_holes:
        notes.append(f"discontinuous {fmt}+D: {n_holes} hole(s) filled with NaN and marked as gap events")
    return onsets


def signal_layout(raw: bytes) -> tuple[list[str], list[int]]:
    """Labels and samples per data record of every signal (annotation signals included).

    Raises ``ValueError`` when the header fields are not numbers.
    """
    n_signals = int(raw[252:256].decode("ascii"))
    at = 256 + n_signals * _BEFORE_SPR
    labels = [raw[256 + 16 * i : 272 + 16 * i].decode("ascii", "replace").strip() for i in range(n_signals)]
    spr = [int(raw[at + 8 * i : at + 8 * (i + 1)].decode("ascii")) for i in range(n_signals)]
    return labels, spr


def timekeeping_onsets(raw: bytes, *, n_records: int, bytes_per_sample: int) -> FloatArray:
    """Each data record's start (s) from its timekeeping TAL, shape (n_records,).

    Parameters
    ----------
    raw : bytes
        The whole EDF+/BDF+ file.
    n_records : int
        Complete data records to read.
    bytes_per_sample : {2, 3}
        2 for EDF, 3 for BDF.

    Raises
    ------
    ValueError
        No annotation signal, or a record without a timekeeping TAL.
    """
    labels, spr = signal_layout(raw)
    n_signals = len(labels)
    k = next((i for i, label in enumerate(labels) if label.endswith(" Annotations")), None)
    if k is None:
        raise ValueError("no annotation signal")
    record_bytes = sum(spr) * bytes_per_sample
    start = 256 * (n_signals + 1) + sum(spr[:k]) * bytes_per_sample
    out = np.empty(n_records)
    for i in range(n_records):
        at = start + i * record_bytes
        m = _TIMEKEEPING.match(raw, at, at + spr[k] * bytes_per_sample)
        if m is None:
            raise ValueError(f"data record {i + 1} has no start time")
        out[i] = float(m.group(1))
    return out


def _gap_events(onsets_s: FloatArray, record_s: float) -> list[Event]:
    ends = onsets_s[:-1] + record_s
    holes = onsets_s[1:] - ends
    return [
        Event(round(float(e), 9), round(float(h), 9), "gap")
        for e, h in zip(ends, holes, strict=True)
        if h > 1e-9
    ]


def _place(sig: _Signal, onsets_s: FloatArray, record_s: float, src: str) -> FloatArray:
    """Lay a signal's data records on one grid from t = 0; NaN between discontinuous records."""
    spr = sig.samples_per_record
    n_total = round(float(onsets_s[-1] + record_s) * sig.fs_hz)
    if n_total == sig.data.size:
        return sig.data
    check_grid(float(onsets_s[-1] + record_s), sig.data.size, sig.fs_hz, src, "the EDF+D record times")
    out = np.full(n_total, np.nan)
    starts = np.rint(onsets_s * sig.fs_hz).astype(np.int64)
    for i, k in enumerate(starts):
        out[k : k + spr] = sig.data[i * spr : (i + 1) * spr]
    return out


def _group_streams(
    chosen: Mapping[Role, _Signal], onsets_s: FloatArray, record_s: float, src: str
) -> list[Stream]:
    """One stream per kind (EMG/IMU) and sample rate, rows in role order."""
    streams: list[Stream] = []
    for kind_name, group in (("emg", EMG_ROLES), ("imu", IMU_ROLES)):
        present = [r for r in group if r in chosen]
        rates = sorted({round(chosen[r].fs_hz, _RATE_DECIMALS) for r in present}, reverse=True)
        for fs in rates:
            roles = tuple(r for r in present if round(chosen[r].fs_hz, _RATE_DECIMALS) == fs)
            rows = []
            for r in roles:
                sig = chosen[r]
                factor = unit_factor(r.kind, sig.dimension, src, f"signal {sig.label!r}")
                rows.append(_place(sig, onsets_s, record_s, src) * factor)
            name = kind_name if len(rates) == 1 else f"{kind_name}_fs{fs:g}"
            streams.append(Stream(name, float(chosen[roles[0]].fs_hz), 0.0, roles, np.vstack(rows)))
    return streams


def _annotation_events(edf: Any, src: str) -> list[Event]:
    """EDF+ annotations (onsets in s from the first data record's start) as events."""
    try:
        annotations = edf.annotations
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{src}: unreadable EDF+ annotations ({_first_line(e)})") from None
    out = []
    for ann in annotations:
        text = str(ann.text).strip()
        if not text:
            continue
        fields: dict[str, str] = {}
        while m := _EVENT_FIELD.search(text):
            fields.setdefault(m.group(1), m.group(2))
            text = text[: m.start()].rstrip()
        side = _parse_side(fields.get("side"))
        rep = int(fields["rep"]) if fields.get("rep", "").isdigit() else None
        out.append(Event(float(ann.onset), float(ann.duration or 0.0), text, side, rep))
    return out


def _parse_side(value: str | None) -> Side | None:
    if value is None:
        return None
    try:
        return Side(value.lower())
    except ValueError:
        return None


def _patient_code(edf: Any) -> str | None:
    """The EDF+ patient code subfield, if the header follows EDF+ (``"X"`` means unknown)."""
    if not str(edf.reserved).startswith(("EDF+", "BDF+")):
        return None  # plain EDF: a free-text field that may hold a name
    fields: Sequence[str] = str(edf.local_patient_identification).split()
    if len(fields) >= 4 and fields[0] != "X":
        return fields[0]
    return None


def _first_line(e: object) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else type(e).__name__
