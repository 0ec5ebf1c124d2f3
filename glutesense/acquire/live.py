"""Live muscle-activity envelopes from decoded blocks (causal, stateful).

Used by ``record`` and ``replay`` to show activity as it happens.  Every
filter carries its state, so feeding blocks of any size gives the same
envelope as filtering the whole signal at once.

The channels of one device are filtered together: one band-pass and one
smoothing :class:`~glutesense.signal.filters.SosFilter` over all of its
role-carrying EMG channels, state shape ``(n_sections, n_channels, 2)``, so a
block costs two ``sosfilt`` calls whatever its channel count, and no work is
done per sample in Python (the decimated history is a ring buffer written with
one slice per block).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from glutesense.decode.decoder import DecodedBlock, DeviceSetup
from glutesense.model.arrays import FloatArray
from glutesense.model.records import StreamKind
from glutesense.model.roles import Role
from glutesense.signal.condition import EMG_BAND_HZ, adapt_band
from glutesense.signal.filters import SosFilter, design_bandpass, design_lowpass

ENVELOPE_CUTOFF_HZ = 6.0
HISTORY_S = 5.0
HISTORY_N = 50  # samples kept in each role's decimated history


class _DeviceEnvelopes:
    """Stacked causal envelopes of one device's role-carrying EMG channels.

    Parameters
    ----------
    roles : tuple of Role
        One per filtered channel, in device channel order.
    columns : ndarray of int, shape (n_channels,)
        Each role's device channel index.
    fs_hz : float
        The device's EMG sample rate (of the first block seen).
    """

    def __init__(self, roles: tuple[Role, ...], columns: npt.NDArray[np.intp], fs_hz: float) -> None:
        n = len(roles)
        self.roles = roles
        self.columns = columns
        self.fs_hz = fs_hz
        (low, high), _ = adapt_band(EMG_BAND_HZ, fs_hz)
        self.band = SosFilter(design_bandpass(low, high, fs_hz), n_channels=n)
        self.smooth = SosFilter(design_lowpass(min(ENVELOPE_CUTOFF_HZ, 0.2 * fs_hz), fs_hz), n_channels=n)
        self.every = max(1, int(fs_hz * HISTORY_S / HISTORY_N))
        self.level_uv = np.zeros(n)
        self.seen = np.zeros(n, dtype=bool)
        self.n_seen = np.zeros(n, dtype=np.int64)  # samples fed per channel
        self.ring = np.zeros((n, HISTORY_N))
        self.n_kept = np.zeros(n, dtype=np.int64)  # history samples written per channel
        self.in_step = True  # every block so far held every channel (then the counts above agree)
        ident = columns.size > 0 and bool((columns == np.arange(columns.size)).all())
        self.n_identity = columns.size if ident else -1  # a block this wide needs no column pick
        self.max_column = int(columns.max(initial=-1))

    def feed(self, data: FloatArray) -> dict[Role, FloatArray]:
        """Filter one block ``(n_samples, n_device_channels)``, µV; the new envelope per role."""
        width = data.shape[1]
        rows: npt.NDArray[np.intp] | None = None
        if width == self.n_identity:
            x = data.T.copy()  # channel rows, C order
        elif width > self.max_column:
            x = data.T[self.columns]
        else:  # a block without some channels: only theirs move on
            rows = np.flatnonzero(self.columns < width)
            if rows.size == 0:
                return {}
            x = data.T[self.columns[rows]]
            self.in_step = False
        if not np.isfinite(x).all():
            x = np.nan_to_num(x)
        env = self.smooth.process(np.abs(self.band.process(x, rows=rows)), rows=rows)
        if rows is None:
            self.level_uv[:] = env[:, -1]
            self.seen[:] = True
            roles = self.roles
        else:
            self.level_uv[rows] = env[:, -1]
            self.seen[rows] = True
            roles = tuple(self.roles[j] for j in rows)
        self._keep(env, rows)
        return dict(zip(roles, env, strict=True))

    def _keep(self, env: FloatArray, rows: npt.NDArray[np.intp] | None) -> None:
        """Append every ``every``-th envelope sample (counted from each channel's first) to the ring."""
        if rows is None and self.in_step:
            start = int(-self.n_seen[0]) % self.every
            self.n_seen += env.shape[1]
            if start < env.shape[1]:
                self._write(slice(None), env[:, start :: self.every])
            return
        ids = np.arange(len(self.roles)) if rows is None else rows
        starts = (-self.n_seen[ids]) % self.every
        for k, j in enumerate(ids.tolist()):
            self._write(slice(j, j + 1), env[k : k + 1, starts[k] :: self.every])
        self.n_seen[ids] += env.shape[1]

    def _write(self, ids: slice, values: FloatArray) -> None:
        """Append ``values`` (channels ``ids``, which have written equally many so far) to the ring."""
        m = values.shape[1]
        if m == 0:
            return
        if m > HISTORY_N:
            self.n_kept[ids] += m - HISTORY_N
            values, m = values[:, -HISTORY_N:], HISTORY_N
        k0 = int(self.n_kept[ids][0]) % HISTORY_N
        if k0 + m <= HISTORY_N:
            self.ring[ids, k0 : k0 + m] = values
        else:
            self.ring[ids, (k0 + np.arange(m)) % HISTORY_N] = values
        self.n_kept[ids] += m

    def history(self, j: int) -> tuple[float, ...]:
        n = int(min(self.n_kept[j], HISTORY_N))
        pos = (self.n_kept[j] - n + np.arange(n)) % HISTORY_N
        return tuple(self.ring[j, pos].tolist())


class LiveEnvelopes:
    """Per-role causal envelopes (band-pass, rectify, low-pass), µV.

    Parameters
    ----------
    devices : tuple of DeviceSetup
        The session's devices, for channel roles.
    """

    def __init__(self, devices: tuple[DeviceSetup, ...]):
        self._devices = devices
        self._envelopes: dict[int, _DeviceEnvelopes | None] = {}
        self._rate: dict[int, list[int]] = {}  # device -> [first t_rx_ns, last t_rx_ns, samples after first]

    def _device(self, device: int, fs_hz: float) -> _DeviceEnvelopes | None:
        if device not in self._envelopes:
            specs = self._devices[device].channels.get(StreamKind.EMG, ())
            picked = [(i, s.role) for i, s in enumerate(specs) if s.role is not None]
            self._envelopes[device] = (
                _DeviceEnvelopes(
                    tuple(r for _, r in picked), np.array([i for i, _ in picked], dtype=np.intp), fs_hz
                )
                if picked
                else None
            )
        return self._envelopes[device]

    def feed(self, decoded: DecodedBlock) -> dict[Role, FloatArray]:
        """Feed one decoded block; returns the new envelope samples per EMG role."""
        b = decoded.block
        if b.stream is not StreamKind.EMG:
            return {}
        self._count(decoded)
        env = self._device(decoded.device, b.fs_hz)
        if env is None or b.data.shape[0] == 0:
            return {}
        return env.feed(b.data)

    def feed_many(self, blocks: Sequence[DecodedBlock]) -> None:
        """Feed several blocks in arrival order, as :meth:`feed` one by one would, in fewer steps.

        A device's run of consecutive EMG blocks of one width is filtered as one chunk: the
        filters carry their state, so the envelope, levels and history come out the same
        (to rounding), for a fraction of the calls.  For replay, which shows the envelopes
        only every so often.
        """
        runs: dict[int, list[FloatArray]] = {}
        rate, envelopes = self._rate, self._envelopes
        for decoded in blocks:  # kept lean: replay runs it for every packet
            b = decoded.block
            if b.stream is not StreamKind.EMG:
                continue
            dev, data = decoded.device, b.data
            r = rate.get(dev)
            if r is None:
                self._count(decoded)
            else:
                r[1] = decoded.t_rx_ns
                r[2] += data.shape[0]
            env = envelopes[dev] if dev in envelopes else self._device(dev, b.fs_hz)
            if env is None or not data.shape[0]:
                continue
            run = runs.get(dev)
            if run is None:
                run = runs[dev] = []
            elif run and run[-1].shape[1] != data.shape[1]:
                env.feed(np.concatenate(run))
                run.clear()
            run.append(data)
        for device, run in runs.items():
            env = self._envelopes[device]
            if run and env is not None:
                env.feed(run[0] if len(run) == 1 else np.concatenate(run))

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
        return {
            role: float(env.level_uv[j])
            for env in self._envelopes.values()
            if env is not None
            for j, role in enumerate(env.roles)
            if env.seen[j]
        }

    def history(self, role: Role) -> tuple[float, ...]:
        """Decimated recent envelope of ``role`` (about the last 5 s)."""
        for env in self._envelopes.values():
            if env is not None and role in env.roles:
                j = env.roles.index(role)
                return env.history(j) if env.seen[j] else ()
        return ()
