"""Typed metadata of a recording: what the code reads, parsed once.

A :class:`~glutesense.model.records.Recording` keeps its source's metadata as JSON
(``Recording.meta``: a session file's header and patches verbatim, or an importer's facts),
so nothing is lost and old files keep working.  The code does not read that bag by string
key: what it needs is parsed once, at construction, into :class:`RecordingInfo`.  What the
decoder finds (clock fits, packet counts) is computed, never stored in the session file,
and travels as :class:`ClockReport` and :class:`PacketReport`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from glutesense.model.gate import GateReport


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass(frozen=True)
class RecordingInfo:
    """What a recording's metadata says about it (every field optional).

    Attributes
    ----------
    subject : str or None
        Pseudonymous subject id.
    created_utc : str or None
        When it was recorded, ISO 8601 (``created_utc``; older files: ``start_utc``, ``start_time``).
    protocol : str or None
        The test it holds, as written (``bridge``, ``single-leg-stand``, ...).
    setup_warnings : tuple of str
        What the recorder found wrong with the set-up (roles left unmapped, no EMG pair).
    import_notes : tuple of str
        What an importer changed or could not use (rounded times, truncated records).
    read_problem : str or None
        One line naming the damage the session reader found (see ``file_damage``).
    file_damage : tuple of FileDamage
        Every damaged or truncated span of a session file, in file order.
    ground_truth : mapping or None
        A virtual sensor's published truth, verbatim JSON on the device clock (schema owned by
        :mod:`glutesense.virtual.person`; :func:`glutesense.virtual.truth.truth_in_session_time`
        places it on the session clock).
    gate : GateReport or None
        The signal-quality gate ``record`` ran before the test (``meta["gate"]``), if any.
    """

    subject: str | None = None
    created_utc: str | None = None
    protocol: str | None = None
    setup_warnings: tuple[str, ...] = ()
    import_notes: tuple[str, ...] = ()
    read_problem: str | None = None
    ground_truth: Mapping[str, Any] | None = None
    file_damage: tuple[FileDamage, ...] = ()
    gate: GateReport | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> RecordingInfo:
        """Parse the keys the code reads; unknown or malformed values are left out."""
        dates = ("created_utc", "start_utc", "start_time")
        created = next((str(meta[k]) for k in dates if meta.get(k)), None)
        truth = meta.get("ground_truth")
        return cls(
            subject=_text(meta.get("subject")),
            created_utc=created,
            protocol=_text(meta.get("protocol")),
            setup_warnings=_strings(meta.get("setup_warnings")),
            import_notes=_strings(meta.get("import_notes")),
            read_problem=_text(meta.get("read_problem")),
            ground_truth=truth if isinstance(truth, Mapping) else None,
            file_damage=FileDamage.many_from_json(meta.get("file_damage")),
            gate=GateReport.from_json(meta.get("gate")),
        )


@dataclass(frozen=True)
class FileDamage:
    """One damaged span of a session file: the bytes skipped and the session time around them.

    Attributes
    ----------
    start_byte, end_byte : int
        The span ``[start_byte, end_byte)`` no valid record could be read from.
    reason : str
        What was wrong at ``start_byte`` (``"checksum mismatch"``, ``"truncated record"``, ...).
    truncated : bool
        The span runs to the end of the file (a recording cut short), no record after it.
    records_lost : int or None
        Records whose start lies in the span (format 2 counts sync markers; None when unknown).
    t_from_s, t_to_s : float or None
        Session time of the last packet before and the first packet after the span.
    """

    start_byte: int
    end_byte: int
    reason: str
    truncated: bool = False
    records_lost: int | None = None
    t_from_s: float | None = None
    t_to_s: float | None = None

    def describe(self) -> str:
        """One line: where, what and how much, e.g. for the terminal and the report."""
        n = self.end_byte - self.start_byte
        where = f"bytes {self.start_byte}-{self.end_byte} ({n} bytes)"
        if self.t_from_s is not None and self.t_to_s is not None:
            where += f", session time {self.t_from_s:.3f}-{self.t_to_s:.3f} s"
        elif self.t_from_s is not None:
            where += f", after session time {self.t_from_s:.3f} s"
        kind = "truncated tail" if self.truncated else "damaged span"
        lost = "" if self.records_lost is None else f", {self.records_lost} record(s) lost"
        after = "" if self.truncated else "; reading went on after it"
        return f"{kind} at {where}: {self.reason}{lost}{after}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def many_from_json(cls, value: object) -> tuple[FileDamage, ...]:
        """Parse a ``file_damage`` list; malformed entries are left out."""
        if not isinstance(value, list | tuple):
            return ()
        out = []
        for v in value:
            try:
                out.append(cls(**v))
            except TypeError:
                continue
        return tuple(out)


class Timing(StrEnum):
    """Where a stream's sample times come from."""

    DEVICE_CLOCK = "device clock"
    COUNTER = "packet counter and arrival"
    ARRIVAL = "arrival only"


TIMING_NOTES = {
    Timing.DEVICE_CLOCK: "",
    Timing.COUNTER: "no device clock: timing from packet counters and arrival",
    Timing.ARRIVAL: "no device clock: timing from arrival only",
}


@dataclass(frozen=True)
class DeviceClock:
    """How one device's clock was mapped to the session clock (its main segment's fit).

    ``t_session_s = offset_s + (1 + drift_ppm * 1e-6) * t_device_s``.

    Attributes
    ----------
    profile : str
        The device's profile name.
    offset_s, drift_ppm : float
        The fit of the device's main (most packets) clock segment.
    residual_ms, spread_ms : float
        Median latency above the fitted lower envelope, and the envelope's sharpness
        (10th minus 1st percentile), ms.
    n_packets, segments : int
        Packets used over all segments, and the number of gap-free clock segments.
    timing : Timing
        The weakest timing source among the device's streams.
    fs_from_arrival_hz : mapping of str to float
        Streams whose rate had to be measured from arrival (``{"emg": 997.8}``).
    """

    profile: str
    offset_s: float
    drift_ppm: float
    residual_ms: float
    spread_ms: float
    n_packets: int
    segments: int
    timing: Timing
    fs_from_arrival_hz: Mapping[str, float] = field(default_factory=dict)

    @property
    def note(self) -> str:
        """What the timing source means for accuracy; empty for a device clock."""
        return TIMING_NOTES[self.timing]


@dataclass(frozen=True)
class ClockAlignment:
    """How well several devices were put on one clock.

    ``residual_ms[d]`` combines device ``d``'s and the reference device's envelope spreads in
    quadrature: the alignment's uncertainty.
    """

    reference_device: int
    residual_ms: Mapping[int, float]
    method: str = (
        "each device's clock fitted to the host clock; residual = spread of the two "
        "lower envelopes (10th minus 1st percentile of latency), combined in quadrature"
    )


@dataclass(frozen=True)
class ClockReport:
    """The clock fit of every device of a decoded session."""

    devices: Mapping[int, DeviceClock]
    alignment: ClockAlignment | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        """``"device 0 (myo): no device clock: ..."`` for every device without a device clock."""
        return tuple(f"device {d} ({c.profile}): {c.note}" for d, c in sorted(self.devices.items()) if c.note)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {str(d): {**asdict(c), "note": c.note} for d, c in self.devices.items()}
        if self.alignment is not None:
            a = self.alignment
            out["alignment"] = {
                "reference_device": a.reference_device,
                "residual_ms": {str(d): v for d, v in a.residual_ms.items()},
                "method": a.method,
            }
        return out


@dataclass(frozen=True)
class StreamPackets:
    """Losses of one (device, stream)."""

    dropped: int
    duplicates: int
    gaps: int
    lost_s: float
    segments: int


@dataclass(frozen=True)
class PacketReport:
    """What arrived and what was lost, over a decoded session.

    ``by_stream`` is keyed ``"DEVICE.STREAM"`` (``"0.emg"``, ``"1.imu"``).
    """

    received: int
    malformed: int
    dropped: int
    duplicates: int
    gaps: int
    by_stream: Mapping[str, StreamPackets] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "by_stream": {k: asdict(v) for k, v in self.by_stream.items()}}
