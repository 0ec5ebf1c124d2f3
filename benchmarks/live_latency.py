"""Live path performance (issue 17, item 4): notification to envelope, CPU, memory, disk, replay.

Usage::

    python benchmarks/live_latency.py                 # 30-minute sessions, both set-ups
    python benchmarks/live_latency.py --minutes 2     # shorter sessions, same figures

A virtual ``diy-v1`` sensor (``glutesense.virtual``) is reached through Bleak's ``backend=`` seam
by a real :class:`~glutesense.transport.ble.SensorLink`, at 4 EMG channels x 2 kHz and at
8 x 1 kHz (25 samples per notification, IMU at 100 Hz).  Each session runs twice: ``--paced-s``
seconds paced in real time (the process idles between packets, as in a real session), and the
whole ``--minutes`` in virtual time (:func:`~glutesense.transport.clock.run_in_virtual_time`:
packets come as fast as the path takes them, so 30 minutes take well under one).  Each
notification goes through :meth:`SessionDecoder.push` and :meth:`LiveEnvelopes.feed`, then to the
session writer (after the envelope: the writer's flush, with its ``fsync``, is timed on its own).

Figures, per set-up:

* latency: from the notification callback (the link's queue ``put``) to the updated envelope
  (``feed`` returned), per EMG packet: median, p99, worst; wall clock (on a loaded machine it
  measures the other jobs too) and this thread's CPU time over the same span.  The span holds
  the virtual sensor's own work after the notification (it runs on the same thread: the rest
  of its packet step, an IMU packet due at the same time), so the host path alone (queue
  ``get`` to envelope) is shown as well;
* CPU per packet (``time.thread_time``) of the host path (decode + envelope + writer), as a share
  of one core over the session's duration, and per EMG packet beside a bare stateful
  ``scipy.signal.sosfilt`` band-pass of the same blocks, timed interleaved in the same run;
* memory: resident set sampled every 10 session seconds; "flat" is its growth over the second
  half of the session (a line fit) beyond the bytes the session decoder keeps on purpose (the
  decoded samples and header fields :meth:`SessionDecoder.recording` needs, which the per-rep
  verdicts read), and the number and length of full garbage collections;
* disk bytes per payload byte of the written session file;
* replay speed, session seconds per CPU second, from the packets read back: decoding alone
  (:func:`decode_packets`) and with envelopes (:func:`replay_session` with a display callback
  reading the levels every 0.1 s of session time); reading the file is shown apart.

Prints a table with each figure, its target and PASS/FAIL; exit status 0 when all targets hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal as sps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from glutesense.acquire.live import LiveEnvelopes  # noqa: E402
from glutesense.acquire.replay import replay_session  # noqa: E402
from glutesense.decode.decoder import SessionDecoder, decode_packets  # noqa: E402
from glutesense.model.records import RawPacket, StreamKind  # noqa: E402
from glutesense.profiles import diy_v1  # noqa: E402
from glutesense.session import SessionWriter, read_session  # noqa: E402
from glutesense.signal.condition import EMG_BAND_HZ  # noqa: E402
from glutesense.signal.filters import design_bandpass  # noqa: E402
from glutesense.transport.ble import SensorLink  # noqa: E402
from glutesense.transport.clock import Clock, LoopClock, MonotonicClock, run_in_virtual_time  # noqa: E402
from glutesense.virtual.backend import sim_backends  # noqa: E402
from glutesense.virtual.params import DEFAULT_EMG_ROLES  # noqa: E402

FLOOR_PACKETS = 10_000  # EMG packets kept for the same-run comparison with a bare sosfilt
RSS_EVERY_S = 10.0  # session seconds between resident-set samples


@dataclass(frozen=True)
class Setup:
    n_channels: int
    fs_hz: int

    @property
    def name(self) -> str:
        return f"{self.n_channels} ch x {self.fs_hz / 1000:g} kHz"


SETUPS = (Setup(4, 2000), Setup(8, 1000))


class StampingQueue(asyncio.Queue):  # type: ignore[type-arg]
    """The link's queue, stamping each item's arrival (``perf_counter_ns``, ``thread_time_ns``)."""

    def put_nowait(self, item: Any) -> None:
        super().put_nowait((time.perf_counter_ns(), time.thread_time_ns(), item))


@dataclass
class Run:
    """What one live session measured."""

    latency_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # wall, per EMG packet
    latency_cpu_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # CPU time, same span
    host_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # wall, queue get -> envelope
    n_emg: int = 0
    writer_ns: int = 0  # longest writer.add_packet, wall (a flush with fsync)
    gc_full: list[float] = field(default_factory=list)  # wall s of each full garbage collection
    cpu_ns: int = 0
    n_packets: int = 0
    payload_bytes: int = 0
    session_s: float = 0.0
    rss: list[tuple[float, int]] = field(default_factory=list)  # (session s, bytes)
    kept_bytes: list[int] = field(default_factory=list)  # decoder's sample bytes at each rss sample
    sample: list[RawPacket] = field(default_factory=list)
    wall_s: float = 0.0


def release_freed_memory() -> None:
    """Hand memory freed by earlier runs back to the system, so the resident set starts clean."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def session_meta(setup: Setup, start_ns: int) -> dict[str, Any]:
    chans = {
        "emg": [c.to_json() for c in diy_v1.EMG_CHANNELS[: setup.n_channels]],
        "imu": [c.to_json() for c in diy_v1.IMU_CHANNELS],
    }
    return {"start_ns": start_ns, "devices": [{"profile": "diy-v1", "channels": chans}]}


async def live_session(setup: Setup, minutes: float, path: Path, clock: Clock) -> Run:
    """One session through the Bleak seam; every packet through writer, decoder, envelopes.

    With a :class:`LoopClock` under :func:`run_in_virtual_time`, as fast as the path goes;
    with a :class:`MonotonicClock`, paced in real time as a real session is.
    """
    roles = [r.value for r in DEFAULT_EMG_ROLES[: setup.n_channels]]
    backend = sim_backends(clock=clock, options={"emg_fs_hz": float(setup.fs_hz), "emg_roles": roles})
    address = backend.context.sensors[0].spec.address
    link = SensorLink(address, clock=clock, backend=backend, profile=diy_v1.PROFILE, scan_timeout_s=5.0)
    link.queue = StampingQueue()
    n_max = int(minutes * 60 * setup.fs_hz / 25 * 1.05) + 1000  # EMG packets: filled up front (flat RSS)
    run = Run(*(np.full(n_max, -1, np.int64) for _ in range(2)), host_ns=np.full(n_max, -1, np.int64))
    await link.connect()
    start_ns = clock.now_ns()
    meta = session_meta(setup, start_ns)
    writer = SessionWriter(path, meta)
    dec = SessionDecoder(meta)
    live = LiveEnvelopes(dec.devices)
    end_ns = start_ns + int(minutes * 60e9)
    next_rss_s = 0.0
    wall0 = time.perf_counter()
    gc_start: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info["generation"] == 2:
            if phase == "start":
                gc_start.append(time.perf_counter())
            elif gc_start:
                run.gc_full.append(time.perf_counter() - gc_start.pop())

    gc.callbacks.append(on_gc)
    await link.start()
    while True:
        t_put, c_put, item = await link.queue.get()
        t_get = time.perf_counter_ns()
        if not isinstance(item, RawPacket):
            continue
        c0 = time.thread_time_ns()
        for block in dec.push(item):
            live.feed(block)
        t_env, c_env = time.perf_counter_ns(), time.thread_time_ns()
        writer.add_packet(item)  # after the envelope: its flush (fsync) is timed on its own
        run.writer_ns = max(run.writer_ns, time.perf_counter_ns() - t_env)
        run.cpu_ns += time.thread_time_ns() - c0
        run.n_packets += 1
        run.payload_bytes += len(item.payload)
        if item.payload[1] == StreamKind.EMG:
            if run.n_emg < n_max:
                run.latency_ns[run.n_emg] = t_env - t_put
                run.latency_cpu_ns[run.n_emg] = c_env - c_put
                run.host_ns[run.n_emg] = t_env - t_get
                run.n_emg += 1
            if len(run.sample) < FLOOR_PACKETS:
                run.sample.append(item)
        t_s = (item.t_rx_ns - start_ns) / 1e9
        if t_s >= next_rss_s:
            run.rss.append((t_s, rss_bytes()))
            run.kept_bytes.append(dec.n_kept_bytes)
            next_rss_s += RSS_EVERY_S
        if item.t_rx_ns >= end_ns:
            break
    run.wall_s = time.perf_counter() - wall0
    gc.callbacks.remove(on_gc)
    run.session_s = (clock.now_ns() - start_ns) / 1e9
    await link.stop()
    await link.close()
    writer.close()
    return run


def floor_ratio(setup: Setup, sample: list[RawPacket]) -> tuple[float, float]:
    """Per-packet CPU of decode + envelope and of a bare stateful sosfilt on the same blocks, µs.

    Interleaved packet by packet so both see the same machine load.
    """
    meta = session_meta(setup, sample[0].t_rx_ns if sample else 0)
    dec = SessionDecoder(meta)
    live = LiveEnvelopes(dec.devices)
    sos = design_bandpass(*EMG_BAND_HZ, float(setup.fs_hz))
    zi = np.zeros((sos.shape[0], 2, setup.n_channels))
    blocks = [b.block.data for p in sample for b in SessionDecoder(meta).push(p)]
    ours = floor = 0
    for pkt, x in zip(sample, blocks, strict=True):
        c0 = time.thread_time_ns()
        _, zi = sps.sosfilt(sos, x, axis=0, zi=zi)
        c1 = time.thread_time_ns()
        for block in dec.push(pkt):
            live.feed(block)
        c2 = time.thread_time_ns()
        floor += c1 - c0
        ours += c2 - c1
    n = max(len(sample), 1)
    return ours / n / 1e3, floor / n / 1e3


def replay_speed(path: Path) -> tuple[float, float, float]:
    """Session seconds per CPU second: decoding alone, with envelopes; and the read's own."""
    c0 = time.process_time()
    data = read_session(path)
    c1 = time.process_time()
    decode_packets(data.meta, data.packets, data.events)
    c2 = time.process_time()
    asyncio.run(replay_session(data, on_update=lambda _t, live: live.levels()))  # as the display reads
    c3 = time.process_time()
    dur = data.duration_s
    return dur / max(c2 - c1, 1e-9), dur / max(c3 - c2, 1e-9), dur / max(c1 - c0, 1e-9)


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None  # None: reported, no target

    def row(self) -> str:
        verdict = "" if self.ok is None else ("PASS" if bool(self.ok) else "FAIL")
        return f"  {self.name:<56} {self.value:>12.4g} {self.unit:<10} {self.target:<14} {verdict}"


def latency_rows(run: Run, how: str, say: str, *, verdicts: bool) -> list[Figure]:
    lat = {"wall": run.latency_ns, "cpu": run.latency_cpu_ns, "host": run.host_ns}[how][: run.n_emg] / 1e6
    p50, p99, worst = (*np.percentile(lat, [50, 99]), lat.max())
    return [
        Figure(f"latency p50 ({say})", p50, "ms", "", None),
        Figure(f"latency p99 ({say})", p99, "ms", "<= 0.3 ms", p99 <= 0.3 if verdicts else None),
        Figure(f"latency worst ({say})", worst, "ms", "<= 5 ms", worst <= 5.0 if verdicts else None),
    ]


def figures(setup: Setup, run: Run, paced: Run, path: Path) -> list[Figure]:
    share = 100.0 * run.cpu_ns / 1e9 / run.session_s
    ours_us, floor_us = floor_ratio(setup, run.sample)
    t = np.array([s for s, _ in run.rss])
    rss = np.array([b for _, b in run.rss], dtype=float)
    kept = np.array(run.kept_bytes, dtype=float)
    half = t >= t[-1] / 2  # growth beyond what the decoder keeps on purpose: a line fit over the 2nd half
    th, beyond = t[half], rss[half] - kept[half]
    slope = np.polyfit(th, beyond, 1)[0] if th.size >= 4 else (beyond[-1] - beyond[0]) / max(np.ptp(th), 1e-9)
    growth_mb = slope * np.ptp(th) / 1e6
    kept_mb_min = (kept[-1] - kept[0]) / 1e6 / max(t[-1] - t[0], 1e-9) * 60
    disk = path.stat().st_size / run.payload_bytes
    dec_x, env_x, read_x = replay_speed(path)
    return [
        *latency_rows(paced, "wall", "wall, real-time pace", verdicts=True),
        *latency_rows(paced, "cpu", "CPU time, real-time pace", verdicts=False),
        *latency_rows(paced, "host", "wall, host path only, real-time pace", verdicts=False),
        *latency_rows(run, "cpu", "CPU time, whole session", verdicts=True),
        *latency_rows(run, "wall", "wall, whole session", verdicts=False)[1:],
        Figure("writer add_packet, longest (fsync, wall)", max(run.writer_ns, paced.writer_ns) / 1e6, "ms"),
        Figure("full garbage collections in the session", len(run.gc_full), "", "", None),
        Figure("  longest (wall)", 1e3 * max(run.gc_full, default=0.0), "ms", "", None),
        Figure("CPU, share of one core (thread time)", share, "%", "<= 1 %", share <= 1.0),
        Figure("CPU per EMG packet, decode + envelope", ours_us, "us", "", None),
        Figure("  bare stateful sosfilt, same blocks", floor_us, "us", "", None),
        Figure("  ratio to the bare sosfilt", ours_us / floor_us, "x", "", None),
        Figure("RSS at the end", rss[-1] / 1e6, "MB", "", None),
        Figure("decoded samples + headers kept (verdicts)", kept_mb_min, "MB/min", "", None),
        Figure("RSS growth beyond them, 2nd half (fit)", growth_mb, "MB", "flat (< 5 MB)", growth_mb < 5),
        Figure("disk bytes per payload byte", disk, "x", "<= 1.2", disk <= 1.2),
        Figure("replay: decoding alone", dec_x, "x real", ">= 1000", dec_x >= 1000),
        Figure("replay: with envelopes", env_x, "x real", ">= 1000", env_x >= 1000),
        Figure("  reading the file", read_x, "x real", "", None),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="session length, virtual minutes")
    ap.add_argument("--paced-s", type=float, default=30.0, help="real-time paced session for wall latency, s")
    args = ap.parse_args(argv)
    print(f"live path: virtual diy-v1 sensor through bleak's backend= seam; {args.minutes:g}-minute sessions")
    print(f"in virtual time, and {args.paced_s:g} s paced in real time for the wall-clock latency")
    all_ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for setup in SETUPS:
            path = Path(tmp) / f"{setup.n_channels}x{setup.fs_hz}.gses"
            paced = asyncio.run(
                live_session(setup, args.paced_s / 60, Path(tmp) / "paced.gses", MonotonicClock())
            )
            (Path(tmp) / "paced.gses").unlink()
            load = os.getloadavg()[0]
            release_freed_memory()
            run = run_in_virtual_time(live_session(setup, args.minutes, path, LoopClock()))
            rows = figures(setup, run, paced, path)
            print(
                f"\n{setup.name}: {run.n_packets} packets, a {run.session_s:.0f} s session "
                f"in {run.wall_s:.1f} s "
                f"(load average {load:.1f} on {os.cpu_count()} cores: wall-clock figures are loaded)"
            )
            print(f"  {'figure':<56} {'value':>12} {'unit':<10} {'target':<14} verdict")
            for r in rows:
                print(r.row())
            all_ok &= all(r.ok is None or bool(r.ok) for r in rows)
    print("\nall targets hold" if all_ok else "\nsome targets fail")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
