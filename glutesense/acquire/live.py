"""Live muscle-activity envelopes from decoded blocks (causal, stateful).

Used by ``record`` and ``replay`` to show activity as it happens.  Every
filter carries its state, so feeding blocks of any size gives the same
envelope as filtering the whole signal at once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from glutesense.decode.decoder import DecodedBlock, DeviceSetup
from glutesense.model.arrays import FloatArray
from glutesense.model.records import StreamKind
from glutesense.model.roles import Role
from glutesense.signal.condition import EMG_BAND_HZ, adapt_band
from glutesense.signal.filters import SosFilter, design_bandpass, design_lowpass

ENVELOPE_CUTOFF_HZ = 6.0
HISTORY_S = 5.0


@dataclass
class _Channel:
    band: SosFilter
    smooth: SosFilter
    fs_hz: float
    history: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    level_uv: float = 0.0
    n_seen: int = 0


class LiveEnvelopes:
    """Per-role causal envelopes (band-pass, rectify, low-pass), µV.

    Parameters
    ----------
    devices : tuple of DeviceSetup
        The session's devices, for channel roles.
    """

    def __init__(self, devices: tuple[DeviceSetup, ...]):
        self._devices = devices
        self._channels: dict[tuple[int, int], tuple[Role, _Channel]] = {}
        self._rate: dict[int, list[int]] = {}  # device -> [first t_rx_ns, last t_rx_ns, samples after first]

    def _channel(self, device: int, index: int, fs_hz: float) -> tuple[Role, _Channel] | None:
        key = (device, index)
        if key not in self._channels:
            specs = self._devices[device].channels.get(StreamKind.EMG, ())
            if index >= len(specs) or specs[index].role is None:
                return None
            (low, high), _ = adapt_band(EMG_BAND_HZ, fs_hz)
            role = specs[index].role
            assert role is not None
            self._channels[key] = (
                role,
                _Channel(
                    SosFilter(design_bandpass(low, high, fs_hz)),
                    SosFilter(design_lowpass(min(ENVELOPE_CUTOFF_HZ, 0.2 * fs_hz), fs_hz)),
                    fs_hz,
                ),
            )
        return self._channels[key]

    def feed(self, decoded: DecodedBlock) -> dict[Role, FloatArray]:
        """Feed one decoded block; returns the new envelope samples per EMG role."""
        b = decoded.block
        if b.stream is not StreamKind.EMG:
            return {}
        self._count(decoded)
        out = {}
        for i in range(b.data.shape[1]):
            got = self._channel(decoded.device, i, b.fs_hz)
            if got is None:
                continue
            role, ch = got
            x = np.nan_to_num(b.data[:, i])
            env = ch.smooth.process(np.abs(ch.band.process(x)))
            out[role] = env
            ch.level_uv = float(env[-1])
            every = max(1, int(ch.fs_hz * HISTORY_S / (ch.history.maxlen or 50)))
            for k in range((-ch.n_seen) % every, env.size, every):
                ch.history.append(float(env[k]))
            ch.n_seen += env.size
        return out

    def _count(self, decoded: DecodedBlock) -> None:
        r = self._rate.get(decoded.device)
        if r is None:
            self._rate[decoded.device] = [decoded.t_rx_ns, decoded.t_rx_ns, 0]
        else:
            r[1] = decoded.t_rx_ns
            r[2] += decoded.block.n_samples

    def rates_hz(self) -> dict[int, float]:
        """Effective EMG sample rate per device so far (samples received over receive time), Hz."""
        return {d: r[2] / ((r[1] - r[0]) / 1e9) for d, r in self._rate.items() if r[1] > r[0]}

    def levels(self) -> dict[Role, float]:
        """Latest envelope value per role, µV."""
        return {role: ch.level_uv for role, ch in self._channels.values()}

    def history(self, role: Role) -> tuple[float, ...]:
        """Decimated recent envelope of ``role`` (about the last 5 s)."""
        for r, ch in self._channels.values():
            if r is role:
                return tuple(ch.history)
        return ()
