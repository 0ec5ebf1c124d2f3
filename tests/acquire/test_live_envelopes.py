"""Stacked live envelopes equal the per-channel method they replaced, and whole-signal filtering."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pytest
from scipy import signal as sps

from glutesense.acquire.live import HISTORY_N, LiveEnvelopes
from glutesense.decode.decoder import DecodedBlock, DeviceSetup
from glutesense.model.records import ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import Role, SignalKind
from glutesense.profiles import diy_v1
from glutesense.signal.condition import EMG_BAND_HZ, adapt_band
from glutesense.signal.filters import SosFilter, design_bandpass, design_lowpass


@dataclass
class _RefChannel:
    band: SosFilter
    smooth: SosFilter
    fs_hz: float
    history: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    level_uv: float = 0.0
    n_seen: int = 0


class ReferenceEnvelopes:
    """The per-channel implementation ``LiveEnvelopes`` had before it was stacked (the reference)."""

    def __init__(self, devices: tuple[DeviceSetup, ...]):
        self.devices = devices
        self.channels: dict[tuple[int, int], tuple[Role, _RefChannel]] = {}

    def feed(self, decoded: DecodedBlock) -> dict[Role, np.ndarray]:
        b = decoded.block
        if b.stream is not StreamKind.EMG:
            return {}
        out = {}
        for i in range(b.data.shape[1]):
            specs = self.devices[decoded.device].channels.get(StreamKind.EMG, ())
            if i >= len(specs) or specs[i].role is None:
                continue
            key = (decoded.device, i)
            if key not in self.channels:
                (low, high), _ = adapt_band(EMG_BAND_HZ, b.fs_hz)
                band = SosFilter(design_bandpass(low, high, b.fs_hz))
                smooth = SosFilter(design_lowpass(min(6.0, 0.2 * b.fs_hz), b.fs_hz))
                self.channels[key] = (specs[i].role, _RefChannel(band, smooth, b.fs_hz))  # type: ignore[assignment]
            role, ch = self.channels[key]
            env = ch.smooth.process(np.abs(ch.band.process(np.nan_to_num(b.data[:, i]))))
            out[role] = env
            ch.level_uv = float(env[-1])
            every = max(1, int(ch.fs_hz * 5.0 / 50))
            for k in range((-ch.n_seen) % every, env.size, every):
                ch.history.append(float(env[k]))
            ch.n_seen += env.size
        return out

    def levels(self) -> dict[Role, float]:
        return {role: ch.level_uv for role, ch in self.channels.values()}

    def history(self, role: Role) -> tuple[float, ...]:
        for r, ch in self.channels.values():
            if r is role:
                return tuple(ch.history)
        return ()


def _setup(roles: list[Role | None]) -> DeviceSetup:
    specs = tuple(ChannelSpec(f"emg{i}", SignalKind.EMG, r, 0.25) for i, r in enumerate(roles))
    return DeviceSetup(diy_v1.PROFILE, {StreamKind.EMG: specs, StreamKind.IMU: diy_v1.IMU_CHANNELS})


def _blocks(rng: np.random.Generator, n_total: int, n_ch: int, fs_hz: float) -> list[np.ndarray]:
    x = 30.0 * rng.standard_normal((n_total, n_ch)) + 200.0  # with a DC offset
    x[n_total // 3 : n_total // 2] *= 8.0  # a contraction
    cuts = np.sort(rng.choice(np.arange(1, n_total), size=rng.integers(1, 60), replace=False))
    return np.split(x, cuts)


def _decoded(device: int, data: np.ndarray, fs_hz: float, k: int) -> DecodedBlock:
    return DecodedBlock(device, 10**9 + k * 10**6, SampleBlock(StreamKind.EMG, k, None, fs_hz, data))


@pytest.mark.parametrize("seed", range(6))
def test_stacked_envelopes_equal_the_per_channel_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    roles: list[Role | None] = [Role.GLUTE_MAX_L, None, Role.HAMSTRING_L, Role.GLUTE_MAX_R]
    devices = (_setup(roles), _setup([Role.HAMSTRING_R, Role.ERECTOR_L]))
    new, ref = LiveEnvelopes(devices), ReferenceEnvelopes(devices)
    feeds = [(0, b, 2000.0) for b in _blocks(rng, 3000, 5, 2000.0)]  # a 5th channel without a spec
    feeds += [(1, b, 1000.0) for b in _blocks(rng, 1500, 2, 1000.0)]
    order = rng.permutation(len(feeds))
    got: dict[Role, list[np.ndarray]] = {}
    for k, j in enumerate(order):
        dev, data, fs = feeds[j]
        if dev == 0:
            data = data.copy()
            data[rng.integers(data.shape[0]), 0] = np.nan if k % 7 == 0 else data[0, 0]
        out_new = new.feed(_decoded(dev, data, fs, k))
        out_ref = ref.feed(_decoded(dev, data, fs, k))
        assert list(out_new) == list(out_ref)
        for role in out_ref:
            np.testing.assert_allclose(out_new[role], out_ref[role], rtol=0, atol=1e-9)
            got.setdefault(role, []).append(out_new[role])
    assert list(new.levels()) == list(ref.levels())
    np.testing.assert_allclose(list(new.levels().values()), list(ref.levels().values()), rtol=0, atol=1e-9)
    for role in ref.levels():
        assert len(new.history(role)) == len(ref.history(role)) > 10
        np.testing.assert_allclose(new.history(role), ref.history(role), rtol=0, atol=1e-9)
    assert new.history(Role.GLUTE_MED_L) == ()


@pytest.mark.parametrize("seed", range(4))
def test_envelopes_in_random_blocks_equal_whole_signal_filtering(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    fs = 2000.0
    live = LiveEnvelopes((diy_v1_setup := _setup(list(diy_v1.PROFILE.default_roles().values())[:4]),))
    assert diy_v1_setup.channels[StreamKind.EMG][0].role is Role.GLUTE_MAX_L
    blocks = _blocks(rng, 4000, 4, fs)
    outs = [live.feed(_decoded(0, b, fs, k)) for k, b in enumerate(blocks)]
    x = np.vstack(blocks)
    (low, high), _ = adapt_band(EMG_BAND_HZ, fs)
    band = design_bandpass(low, high, fs)
    smooth = design_lowpass(6.0, fs)
    for i, spec in enumerate(diy_v1_setup.channels[StreamKind.EMG]):
        whole = sps.sosfilt(smooth, np.abs(sps.sosfilt(band, x[:, i])))
        pieces = np.concatenate([o[spec.role] for o in outs])  # type: ignore[index]
        np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-9)
        every = int(fs * 5.0 / HISTORY_N)
        np.testing.assert_allclose(live.history(spec.role), whole[::every][-HISTORY_N:], rtol=0, atol=1e-9)  # type: ignore[arg-type]


def test_narrower_blocks_leave_the_missing_channels_state_alone() -> None:
    setup = _setup([Role.GLUTE_MAX_L, Role.HAMSTRING_L, Role.GLUTE_MAX_R])
    new, ref = LiveEnvelopes((setup,)), ReferenceEnvelopes((setup,))
    rng = np.random.default_rng(3)
    for k, width in enumerate([3, 1, 2, 3, 1, 3, 2, 2, 3] * 20):
        data = 50.0 * rng.standard_normal((int(rng.integers(1, 60)), width))
        a, b = new.feed(_decoded(0, data, 1000.0, k)), ref.feed(_decoded(0, data, 1000.0, k))
        assert list(a) == list(b)
        for role in b:
            np.testing.assert_allclose(a[role], b[role], rtol=0, atol=1e-9)
    for role in ref.levels():
        np.testing.assert_allclose(new.history(role), ref.history(role), rtol=0, atol=1e-9)


def test_stacked_sos_filter_equals_one_filter_per_channel() -> None:
    rng = np.random.default_rng(9)
    sos = design_bandpass(20.0, 450.0, 2000.0)
    stacked, singles = SosFilter(sos, n_channels=3), [SosFilter(sos) for _ in range(3)]
    stacked.prime(5.0)
    for f in singles:
        f.prime(5.0)
    for n in (1, 7, 0, 250, 3):
        x = rng.standard_normal((3, n))
        y = stacked.process(x)
        assert y.shape == (3, n)
        for i, f in enumerate(singles):
            np.testing.assert_allclose(y[i], f.process(x[i]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kernel", [True, False])
def test_sos_filter_gives_sosfilt_numbers_with_and_without_the_c_loop(
    kernel: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glutesense.signal import filters

    if not kernel:
        monkeypatch.setattr(filters, "_sosfilt_kernel", None)
    rng = np.random.default_rng(11)
    sos = design_bandpass(20.0, 450.0, 2000.0)
    x = rng.standard_normal((3, 900))
    one, stacked = SosFilter(sos), SosFilter(sos, n_channels=3)
    held = stacked.zi
    cuts = [0, 1, 26, 26, 300, 900]
    y1 = np.concatenate([one.process(x[0, a:b]) for a, b in itertools.pairwise(cuts)])
    y3 = np.hstack([stacked.process(x[:, a:b]) for a, b in itertools.pairwise(cuts)])
    np.testing.assert_allclose(y1, sps.sosfilt(sos, x[0]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y3, sps.sosfilt(sos, x, axis=-1), rtol=0, atol=1e-12)
    assert not held.any()  # a state handed out is never changed in place
    _, zi = sps.sosfilt(sos, x, axis=-1, zi=np.zeros((sos.shape[0], 3, 2)))
    np.testing.assert_allclose(stacked.zi, zi, rtol=0, atol=1e-12)


def test_feed_many_equals_feeding_block_by_block() -> None:
    rng = np.random.default_rng(5)
    devices = (_setup([Role.GLUTE_MAX_L, Role.HAMSTRING_L]), _setup([Role.GLUTE_MAX_R]))
    one, many = LiveEnvelopes(devices), LiveEnvelopes(devices)
    feeds = []
    for k in range(300):
        dev = int(rng.integers(2))
        width = 2 if dev == 0 and k % 17 else 1
        data = 40.0 * rng.standard_normal((int(rng.integers(1, 40)), width))
        feeds.append(_decoded(dev, data, 1000.0 + 1000.0 * dev, k))
        if k % 50 == 0:
            imu = SampleBlock(StreamKind.IMU, k, None, 100.0, np.zeros((5, 6)))
            feeds.append(DecodedBlock(dev, 10**9 + k * 10**6, imu))
    for d in feeds:
        one.feed(d)
    for a in range(0, len(feeds), 37):
        many.feed_many(feeds[a : a + 37])
    assert list(many.levels()) == list(one.levels())
    np.testing.assert_allclose(list(many.levels().values()), list(one.levels().values()), rtol=0, atol=1e-9)
    for role in one.levels():
        np.testing.assert_allclose(many.history(role), one.history(role), rtol=0, atol=1e-9)
    assert many.rates_hz() == one.rates_hz()


def test_the_c_loop_is_used_only_where_it_gives_sosfilt_numbers() -> None:
    from glutesense.signal import filters

    assert filters._sosfilt_kernel is None or filters._kernel_agrees()
