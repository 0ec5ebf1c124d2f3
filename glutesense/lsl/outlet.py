"""The LSL edge: a session writer that also publishes what it writes (``record --lsl``).

:class:`LslPublisher` wraps the recorder's writer (the four methods the recorder calls), so the
recorder needs no change: every packet is written, then decoded with the device profile's own
decoder and pushed to its stream's outlet, stamped with its receive time on the LSL clock (the
chunk's last sample; LSL back-dates the others at the nominal rate); every event is written,
then pushed to the marker outlet at its session time on the LSL clock.  ``pylsl`` is imported
when a publisher is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from glutesense.lsl.streams import ClockMap, OutletSpec, marker_outlet, marker_text, sample_outlet
from glutesense.model.records import Event, RawPacket, StreamKind


class LslUnavailable(RuntimeError):
    """pylsl (the ``[lsl]`` extra) is not installed or liblsl cannot be loaded."""


def require_pylsl() -> Any:
    try:
        import pylsl
    except (ImportError, RuntimeError) as e:
        raise LslUnavailable(f"--lsl needs pylsl: pip install 'glutesense[lsl]' ({e})") from None
    return pylsl


def make_outlet(spec: OutletSpec, pylsl: Any) -> Any:
    """A pylsl outlet for ``spec``, with channel labels and units in its description."""
    fmt = pylsl.cf_string if spec.type == "Markers" else pylsl.cf_float32
    info = pylsl.StreamInfo(spec.name, spec.type, spec.n_channels, spec.fs_hz, fmt, spec.source_id)
    chans = info.desc().append_child("channels")
    for label, unit in zip(spec.labels, spec.units, strict=True):
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
        ch.append_child_value("type", spec.type)
    info.desc().append_child_value("manufacturer", "glutesense")
    return pylsl.StreamOutlet(info)


class LslPublisher:
    """A session writer that publishes decoded samples and cues on LSL as it writes them.

    Parameters
    ----------
    inner : writer
        The session writer (``add_packet``, ``add_event``, ``update_meta``, ``close``).
    meta : mapping
        The session metadata the recorder opened the writer with (``start_ns``, ``devices``).
    now_ns : int
        The recorder's clock now, read together with the LSL clock to map one onto the other.
    """

    def __init__(self, inner: Any, meta: Mapping[str, Any], now_ns: int, *, pylsl: Any = None) -> None:
        from glutesense.profiles import get_profile

        self.inner = inner
        self.pylsl = pylsl or require_pylsl()
        self.clock = ClockMap(int(now_ns), float(self.pylsl.local_clock()))
        self.start_ns = int(meta.get("start_ns", now_ns))
        self.subject = str(meta.get("subject", "anon"))
        self.devices = list(meta.get("devices", []))
        self.decoders = {i: get_profile(d["profile"]).new_decoder() for i, d in enumerate(self.devices)}
        self.outlets: dict[tuple[int, StreamKind], Any] = {}
        self.markers = make_outlet(marker_outlet(self.subject), self.pylsl)
        self.n_samples = 0
        self.n_markers = 0

    def add_packet(self, pkt: RawPacket) -> None:
        self.inner.add_packet(pkt)
        decoder = self.decoders.get(pkt.device)
        if decoder is None:
            return
        try:
            blocks = decoder.decode(pkt.char, pkt.payload)
        except ValueError:  # MalformedPacket: the recorder counts it
            return
        stamp = self.clock.lsl_time(pkt.t_rx_ns)
        for b in blocks:
            if b.stream not in (StreamKind.EMG, StreamKind.IMU) or b.n_samples == 0:
                continue
            outlet = self._outlet(pkt.device, b.stream, b.fs_hz)
            if outlet is None:
                continue
            outlet.push_chunk(np.nan_to_num(b.data, nan=0.0).astype(np.float32).tolist(), stamp)
            self.n_samples += b.n_samples

    def _outlet(self, device: int, stream: StreamKind, fs_hz: float) -> Any:
        key = (device, stream)
        if key not in self.outlets:
            chans = self.devices[device].get("channels", {}).get(stream.name.lower(), [])
            self.outlets[key] = (
                make_outlet(sample_outlet(device, stream, chans, fs_hz, self.subject), self.pylsl)
                if chans
                else None
            )
        return self.outlets[key]

    def add_event(self, event: Event, **extra: Any) -> None:
        self.inner.add_event(event, **extra)
        self.markers.push_sample(
            [marker_text(event)], self.clock.lsl_time(self.start_ns + round(event.onset_s * 1e9))
        )
        self.n_markers += 1

    def update_meta(self, patch: Mapping[str, Any]) -> None:
        self.inner.update_meta(patch)

    def close(self) -> None:
        self.inner.close()
        self.outlets.clear()
        self.markers = None
