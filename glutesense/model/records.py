"""Frozen data records that cross module boundaries.

Conventions (stated once, used everywhere):

* times inside the core are float seconds from the recording's start (``t_s``);
  packet receive times are integer ``time.monotonic_ns()`` stamps (``t_rx_ns``);
* intervals are half-open, ``[start, stop)``;
* sample arrays are float64 in the core unit of their role (µV, g, deg/s); lost samples
  are NaN.  A :class:`Stream` is ``(n_channels, n_samples)``: rows are channels, what
  filters and detectors take one at a time.  A :class:`SampleBlock` is
  ``(n_samples, n_channels)``: the order the bytes of a packet arrive in (frame by frame,
  channels interleaved), so a decoder's ``reshape`` is a view, not a copy.  The one
  transpose happens once, when the decoder lays blocks into a stream
  (:func:`glutesense.decode.layout.lay_out`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from glutesense.model.arrays import FloatArray
from glutesense.model.meta import ClockReport, PacketReport, RecordingInfo
from glutesense.model.roles import Role, Side, SignalKind

SEQ_MODULUS = 1 << 16
"""``SampleBlock.seq`` wraps at this value, whatever the device's own counter width."""


class StreamKind(IntEnum):
    """Stream ids on the wire (``diy-v1``) and in session files."""

    EMG = 0
    IMU = 1
    MARK = 2


@dataclass(frozen=True)
class RawPacket:
    """One BLE notification exactly as received.

    Attributes
    ----------
    t_rx_ns : int
        Host receive time, ``time.monotonic_ns()`` (or the injected clock).
    device : int
        Index of the device within the session (0 for single-device sessions).
    char : int
        Index of the characteristic within the device profile's notify list.
    payload : bytes
        Notification payload, byte for byte.
    """

    t_rx_ns: int
    device: int
    char: int
    payload: bytes


@dataclass(frozen=True)
class ChannelSpec:
    """One device channel: its name on the device, kind, scale and role."""

    name: str
    kind: SignalKind
    role: Role | None = None
    scale: float = 1.0  # core units per raw count

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "role": None if self.role is None else self.role.value,
            "scale": self.scale,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ChannelSpec:
        role = d.get("role")
        return cls(
            name=str(d["name"]),
            kind=SignalKind(d["kind"]),
            role=None if role is None else Role(role),
            scale=float(d.get("scale", 1.0)),
        )


@dataclass(frozen=True)
class SampleBlock:
    """Samples decoded from one packet, before any clock is applied.

    Attributes
    ----------
    stream : StreamKind
    seq : int or None
        Packet sequence counter as sent (wraps), None when the device has none.
    device_t_us : int or None
        Device clock at the first sample, µs (wraps), None when the device has none.
    fs_hz : float
        Nominal sample rate of the stream.
    data : ndarray, shape (n_samples, n_channels)
        Samples in core units (µV, g, deg/s).
    marker : int or None
        Marker id for ``StreamKind.MARK`` blocks.
    flags : int
        Profile-specific flags (``diy-v1``: bit 0 = a sample saturated).
    """

    stream: StreamKind
    seq: int | None
    device_t_us: int | None
    fs_hz: float
    data: FloatArray
    marker: int | None = None
    flags: int = 0

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])


@dataclass(frozen=True)
class Event:
    """One row of a BIDS events table.

    ``side`` (the stance leg for single-leg stand, the working side for a
    one-sided bridge) and ``rep`` (1-based) are optional extra columns.
    """

    onset_s: float
    duration_s: float
    trial_type: str
    side: Side | None = None
    rep: int | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "onset": self.onset_s,
            "duration": self.duration_s,
            "trial_type": self.trial_type,
        }
        if self.side is not None:
            d["side"] = self.side.value
        if self.rep is not None:
            d["rep"] = self.rep
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Event:
        side = d.get("side")
        rep = d.get("rep")
        return cls(
            float(d["onset"]),
            float(d.get("duration", 0.0) or 0.0),
            str(d["trial_type"]),
            Side(side) if side not in (None, "", "n/a") else None,
            _rep_number(rep) if rep not in (None, "", "n/a") else None,
        )


def _rep_number(value: Any) -> int:
    """A rep number from an events table: ``3``, ``"3"`` or ``"3.0"`` (pandas writes a column with
    missing values as floats); ValueError for anything not a whole number."""
    if isinstance(value, int | np.integer):
        return int(value)
    f = float(value)
    if not f.is_integer():
        raise ValueError(f"rep {value!r} is not a whole number")
    return int(f)


@dataclass(frozen=True)
class Stream:
    """A uniformly sampled, time-aligned block of channels.

    Attributes
    ----------
    name : str
        For example ``"emg"`` or ``"imu"`` (``"dev1.emg"`` for a second device).
    fs_hz : float
        Sample rate on the session clock.
    t0_s : float
        Session time of the first sample.
    roles : tuple of Role
        Role of each row of ``data``.
    data : ndarray, shape (n_channels, n_samples)
        Core units; NaN where samples were lost.
    """

    name: str
    fs_hz: float
    t0_s: float
    roles: tuple[Role, ...]
    data: FloatArray

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])

    @property
    def t_s(self) -> FloatArray:
        """Session time of every sample, shape (n_samples,)."""
        return self.t0_s + np.arange(self.n_samples) / self.fs_hz

    def row(self, role: Role) -> FloatArray:
        return self.data[self.roles.index(role)]


@dataclass(frozen=True)
class Recording:
    """A decoded recording: the single input of the analysis pipeline.

    Built from a native session (through decoder and clock), or imported
    from EDF+/BDF+/CSV.

    Attributes
    ----------
    streams : tuple of Stream
    events : tuple of Event
    meta : mapping
        The source's metadata as JSON, verbatim (a session file's header and patches, an
        importer's facts): kept so nothing is lost; code reads :attr:`info` instead.
    source : str
        Where it came from (a path), for messages.
    clock, packets : ClockReport, PacketReport or None
        What decoding a native session found (None for imported files).
    info : RecordingInfo
        Parsed from ``meta`` at construction (and again by ``dataclasses.replace``).
    """

    streams: tuple[Stream, ...]
    events: tuple[Event, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    clock: ClockReport | None = None
    packets: PacketReport | None = None
    info: RecordingInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "info", RecordingInfo.from_meta(self.meta))

    @property
    def timing_notes(self) -> tuple[str, ...]:
        """One line per device whose samples are timed without a device clock."""
        return () if self.clock is None else self.clock.notes

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(r for s in self.streams for r in s.roles)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def stream_of(self, role: Role) -> Stream:
        for s in self.streams:
            if role in s.roles:
                return s
        raise KeyError(f"no channel with role {role.value!r} in {self.source or 'recording'}")

    def signal(self, role: Role) -> tuple[FloatArray, float, float]:
        """``(x, fs_hz, t0_s)`` for ``role``; ``x`` in core units."""
        s = self.stream_of(role)
        return s.row(role), s.fs_hz, s.t0_s

    @property
    def duration_s(self) -> float:
        if not self.streams:
            return 0.0
        return max(s.t0_s + s.n_samples / s.fs_hz for s in self.streams)

    def events_of(self, trial_type: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.trial_type == trial_type)
