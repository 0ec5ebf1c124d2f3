"""What glutesense publishes on LSL, as data: outlet descriptions, marker texts, the clock map.

One sample outlet per device and stream (``EMG`` in µV, ``IMU`` in g and deg/s), channels
labelled by role (or the device's channel name when unmapped), plus one irregular-rate string
outlet of type ``Markers`` for the cues.  LabRecorder records them into one XDF file beside
other devices; ``glutesense analyze --lsl-xdf FILE.xdf`` reads that back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from glutesense.model.records import Event, StreamKind
from glutesense.model.roles import Role, SignalKind

LSL_TYPE = {StreamKind.EMG: "EMG", StreamKind.IMU: "IMU"}
MARKER_TYPE = "Markers"


@dataclass(frozen=True)
class OutletSpec:
    """One LSL outlet: its name, content type, channels and rate."""

    name: str
    type: str
    labels: tuple[str, ...]
    units: tuple[str, ...]
    fs_hz: float
    source_id: str

    @property
    def n_channels(self) -> int:
        return len(self.labels)


def sample_outlet(
    device: int, stream: StreamKind, channels: Sequence[Mapping[str, Any]], fs_hz: float, subject: str
) -> OutletSpec:
    """The outlet of ``stream`` of device ``device``; ``channels`` are its ChannelSpec JSON rows."""
    labels, units = [], []
    for c in channels:
        role = c.get("role")
        labels.append(str(role or c["name"]))
        units.append(Role(role).unit if role else SignalKind(c["kind"]).unit)
    kind = LSL_TYPE[stream]
    suffix = "" if device == 0 else f" dev{device}"
    return OutletSpec(
        f"glutesense {kind}{suffix}",
        kind,
        tuple(labels),
        tuple(units),
        float(fs_hz),
        f"glutesense-{subject}-{device}-{kind.lower()}",
    )


def marker_outlet(subject: str) -> OutletSpec:
    return OutletSpec("glutesense cues", MARKER_TYPE, ("cue",), ("",), 0.0, f"glutesense-{subject}-cues")


def marker_text(event: Event) -> str:
    """``"cue side=left rep=3"``: the label the XDF reader parses back (as EDF+ annotations)."""
    parts = [event.trial_type]
    if event.side is not None:
        parts.append(f"side={event.side.value}")
    if event.rep is not None:
        parts.append(f"rep={event.rep}")
    return " ".join(parts)


@dataclass(frozen=True)
class ClockMap:
    """Host clock (ns, the recorder's clock) -> LSL clock (s), from one paired reading of both."""

    host_ns: int
    lsl_s: float

    def lsl_time(self, t_ns: int) -> float:
        return self.lsl_s + (t_ns - self.host_ns) / 1e9
