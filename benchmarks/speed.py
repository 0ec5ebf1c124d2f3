"""Speed and memory of the whole ``glutesense analyze`` job beside NeuroKit2 and a bare SciPy band-pass.

Usage::

    python benchmarks/speed.py            # 1, 10 and 60 minutes (about 15 minutes on 2 busy cores)
    python benchmarks/speed.py --quick    # 1 and 10 minutes
    python benchmarks/speed.py --minutes 10 --no-peers --no-onsets

A synthetic bridge session (``glutesense.virtual.synth``: a one-minute session tiled end to end, two
stretches of lost data) at 2 kHz, 4 EMG + 3 accelerometer channels all at 2 kHz, is written as EDF+,
as a native session file (diy-v1 packets, as the recorder writes them) and as CSV.  Each case runs
``glutesense analyze`` in its own process (``--no-report``: tables only; else the full report), timed
from the outside: CPU time (user + system) and wall time, and its peak memory, that process's
maximum resident set (``wait4``).  Rates and ratios are per CPU second: on a shared machine the wall
time mostly measures the other jobs (the load average is printed).
Beside it, in the same run and on the same data: NeuroKit2's ``emg_process`` on every EMG channel
of the CSV (its documented defaults, lost samples as zeros; read with pandas' C parser), a textbook
NumPy/SciPy threshold analyzer (CSV read, 20-450 Hz band-pass, 50 ms RMS envelope, rest mean + 3 SD,
onsets), and a bare
``scipy.signal.sosfilt`` band-pass of the same arrays in memory (the floor).  Decoding alone (session
file -> samples) is timed as a multiple of real time.  Then the onset benchmark (``--quick``, default
detector) is run and compared with its stored reference (``benchmarks/reference``), so the speed figures
come with the accuracy of the same code.  Prints a table and the issue-18 targets; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from glutesense.model.records import Recording, Stream  # noqa: E402

FS_HZ = 2000.0


@dataclasses.dataclass
class Row:
    minutes: float
    job: str
    wall_s: float
    cpu_s: float
    rss_mb: float | None
    msps: float  # per CPU second
    realtime_x: float | None = None
NK_SCRIPT = """
import sys, pandas as pd, neurokit2 as nk
df = pd.read_csv(sys.argv[1], comment="#")
fs = float(sys.argv[2])
n = 0
for c in [c for c in df.columns if c.startswith(("glute_max", "hamstring"))]:
    x = df[c].fillna(0.0).to_numpy(float)  # its own NaN filler calls a pandas method since removed
    signals, info = nk.emg_process(x, sampling_rate=int(fs))
    n += int(signals["EMG_Onsets"].sum())
print(n)
"""
TEXTBOOK_SCRIPT = """
import sys, numpy as np, pandas as pd
from scipy import signal as sps
df = pd.read_csv(sys.argv[1], comment="#")
fs = float(sys.argv[2])
sos = sps.butter(4, [20.0, 450.0], btype="bandpass", fs=fs, output="sos")
win = int(0.05 * fs)
n = 0
for c in [c for c in df.columns if c.startswith(("glute_max", "hamstring"))]:
    x = df[c].to_numpy(float)
    x = np.where(np.isfinite(x), x, 0.0)
    y = sps.sosfiltfilt(sos, x - np.median(x))
    env = np.sqrt(np.convolve(y * y, np.ones(win) / win, mode="same"))
    rest = env[int(0.5 * fs): int(4.5 * fs)]
    on = env > rest.mean() + 3 * rest.std()
    n += int(np.count_nonzero(np.diff(on.astype(np.int8)) == 1))
print(n)
"""


def long_recording(minutes: float) -> Recording:
    """A bridge session ``minutes`` long: one synthetic minute tiled, IMU at the EMG rate, two gaps."""
    from glutesense.virtual.synth import SynthSpec, make_recording

    unit, _ = make_recording(SynthSpec(n_reps=9, fs_hz=FS_HZ, imu_fs_hz=FS_HZ, rest_s=5.0, seed=3))
    n_tiles = max(round(60.0 * minutes / unit.duration_s), 1)
    streams = []
    for s in unit.streams:
        keep = [i for i, r in enumerate(s.roles) if r.value in {"glute_max_l", "hamstring_l", "glute_max_r",
                                                               "hamstring_r", "acc_x", "acc_y", "acc_z"}]
        data = np.tile(s.data[keep], (1, n_tiles))
        total_s = n_tiles * unit.duration_s
        for start_s, dur_s in ((0.3 * total_s, 2.0), (0.6 * total_s, 0.5)):
            a = round(start_s * s.fs_hz)
            data[:, a : a + round(dur_s * s.fs_hz)] = np.nan
        streams.append(Stream(s.name, s.fs_hz, s.t0_s, tuple(s.roles[i] for i in keep), data))
    events = [e for e in unit.events if e.trial_type == "rest"]
    for k in range(n_tiles):
        shift = k * unit.streams[0].n_samples / unit.streams[0].fs_hz
        events += [dataclasses.replace(e, onset_s=e.onset_s + shift) for e in unit.events
                   if e.trial_type != "rest"]
    return Recording(tuple(streams), tuple(events), dict(unit.meta), "speed benchmark session")


def write_session(rec: Recording, path: Path) -> None:
    """The recording as a native session file: diy-v1 packets (25 EMG / 10 IMU samples) and events."""
    from glutesense.model.records import RawPacket, StreamKind
    from glutesense.profiles import diy_v1
    from glutesense.session import SessionWriter

    start_ns = 1_000_000_000_000
    chans: dict[str, list[Row]] = {"emg": [], "imu": []}
    for s in rec.streams:
        for i, r in enumerate(s.roles):
            kind = "emg" if s.name == "emg" else "acc"
            scale = 0.25 if kind == "emg" else 1.0 / 4096.0
            chans[s.name].append({"kind": kind, "name": f"{kind}{i}" if kind == "emg" else r.value,
                                  "role": r.value, "scale": scale})
    meta = {"format": "glutesense-session", "format_version": 1, "start_ns": start_ns, "subject": "bench",
            "protocol": "bridge", "devices": [{"index": 0, "profile": "diy-v1", "name": "bench",
                                               "address": "00:00:00:00:00:01", "channels": chans}]}
    with SessionWriter(path, meta, flush_interval_s=1e9) as w:
        packets: list[tuple[int, bytes]] = []
        for s in rec.streams:
            kind = StreamKind.EMG if s.name == "emg" else StreamKind.IMU
            per = 25 if kind is StreamKind.EMG else 10
            x = np.nan_to_num(s.data.T)
            for seq, i0 in enumerate(range(0, x.shape[0] - per + 1, per)):
                if not np.isfinite(s.data[0, i0 : i0 + per]).all():
                    continue  # lost data: the packet never arrived
                counts, sat = diy_v1.to_counts(x[i0 : i0 + per], kind)
                t_first = i0 / s.fs_hz
                pkt = diy_v1.Packet(kind, seq & 0xFFFF, round(1e6 * t_first) & 0xFFFFFFFF, int(s.fs_hz),
                                    counts, flags=diy_v1.FLAG_SATURATED if sat else 0)
                t_rx = start_ns + round(1e9 * ((i0 + per) / s.fs_hz + 0.004))
                packets.append((t_rx, diy_v1.encode(pkt)))
        for t_rx, payload in sorted(packets, key=lambda p: p[0]):
            w.add_packet(RawPacket(t_rx, 0, 0, payload))
        for e in rec.events:
            w.add_event(e)


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Wall time (s), CPU time (user + system, s), peak RSS (MB) and stdout of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out


def sosfilt_floor(rec: Recording) -> float:
    """CPU seconds for a bare 4th-order 20-450 Hz ``sosfilt`` band-pass of every channel, in memory."""
    from scipy import signal as sps

    sos = sps.butter(4, [20.0, 450.0], btype="bandpass", fs=FS_HZ, output="sos")
    data = [np.nan_to_num(s.data) for s in rec.streams]
    t0 = time.process_time()
    for d in data:
        sps.sosfilt(sos, d, axis=1)
    return time.process_time() - t0


def decode_speed(path: Path, duration_s: float) -> float:
    """Decoding alone (session file -> samples, in this process) as a multiple of real time."""
    from glutesense.io import load_recording

    t0 = time.process_time()
    load_recording(str(path))
    return duration_s / (time.process_time() - t0)


def bench_length(
    minutes: float, work: Path, peers: bool, formats: list[str], reports: list[bool]
) -> list[Row]:
    from glutesense.export import export_recording

    rec = long_recording(minutes)
    n_samples = sum(s.data.size for s in rec.streams)
    files = {"EDF+": work / f"m{minutes:g}.edf", "session": work / f"m{minutes:g}.gses",
             "CSV": work / f"m{minutes:g}.csv"}
    export_recording(rec, files["EDF+"], "edf")
    export_recording(rec, files["CSV"], "csv")
    write_session(rec, files["session"])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    rows: list[Row] = []

    def add(job: str, wall: float, cpu: float, rss: float | None) -> None:
        rows.append(Row(minutes, job, wall, cpu, rss, n_samples / cpu / 1e6))

    for fmt, path in files.items():
        if fmt not in formats:
            continue
        for report in reports:
            out = work / f"out_{minutes:g}_{fmt}_{report}"
            cmd = [sys.executable, "-m", "glutesense", "analyze", str(path), "--protocol", "bridge",
                   "--out", str(out)] + ([] if report else ["--no-report"])
            add(f"glutesense analyze {fmt}" + (" + report" if report else ""), *run_measured(cmd, env)[:3])
    add("textbook NumPy/SciPy analyzer (CSV)",
        *run_measured([sys.executable, "-c", TEXTBOOK_SCRIPT, str(files["CSV"]), str(FS_HZ)], env)[:3])
    if peers:
        add("NeuroKit2 emg_process (CSV)",
            *run_measured([sys.executable, "-c", NK_SCRIPT, str(files["CSV"]), str(FS_HZ)], env)[:3])
    floor = sosfilt_floor(rec)
    add("bare sosfilt band-pass (in memory)", floor, floor, None)
    rows.append(Row(minutes, "decode only (session file)", float("nan"), float("nan"), None, float("nan"),
                    decode_speed(files["session"], rec.duration_s)))
    for f in files.values():
        f.unlink()
    return rows


OURS = "glutesense analyze EDF+ + report"


def print_table(rows: list[Row]) -> None:
    print("| minutes | job | CPU s | wall s | Msamples/CPU s | peak MB | CPU vs ours (EDF+ + report) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        if r.realtime_x is not None:
            print(f"| {r.minutes:g} | {r.job} | | | | | {r.realtime_x:.0f}x real time (CPU) |")
            continue
        ours = next((x.cpu_s for x in rows if x.minutes == r.minutes and x.job == OURS), float("nan"))
        rss = "" if r.rss_mb is None else f"{r.rss_mb:.0f}"
        print(f"| {r.minutes:g} | {r.job} | {r.cpu_s:.2f} | {r.wall_s:.2f} | {r.msps:.1f} | {rss} | "
              f"{r.cpu_s / ours:.2f}x |")


def _get(rows: list[Row], minutes: float, job: str) -> Row | None:
    return next((r for r in rows if r.minutes == minutes and r.job == job), None)


def _worst_rss(rows: list[Row], minutes: float) -> float:
    return max((r.rss_mb or 0.0) for r in rows if r.minutes == minutes and r.job.startswith("glutesense"))


def print_targets(rows: list[Row]) -> None:
    lengths = sorted({r.minutes for r in rows})
    longest = lengths[-1]
    print(f"\n## Issue 18 targets (longest length here: {longest:g} min)")
    for fmt in ("EDF+", "session"):
        r = _get(rows, longest, f"glutesense analyze {fmt}")
        if r:
            print(f"- whole analysis, no report, >= 10 Msamples/s ({longest:g} min {fmt}): {r.msps:.1f} per "
                  f"CPU second, {r.msps * r.cpu_s / r.wall_s:.1f} per wall second")
    if 10.0 in lengths:
        ours = _get(rows, 10.0, "glutesense analyze EDF+ + report")
        tb = _get(rows, 10.0, "textbook NumPy/SciPy analyzer (CSV)")
        nk = _get(rows, 10.0, "NeuroKit2 emg_process (CSV)")
        if ours and tb:
            print(f"- 10 min with report <= 2x the textbook analyzer: {ours.cpu_s:.1f} s vs "
                  f"{tb.cpu_s:.1f} s CPU = {ours.cpu_s / tb.cpu_s:.2f}x")
        if ours and nk:
            print(f"- >= 50x NeuroKit2: {nk.cpu_s / ours.cpu_s:.1f}x (CPU)")
        print(f"- peak memory <= 400 MB at 10 min (worst case): {_worst_rss(rows, 10.0):.0f} MB")
    if 60.0 in lengths:
        print(f"- peak memory <= 600 MB at 60 min (worst case): {_worst_rss(rows, 60.0):.0f} MB")
        for fmt in ("EDF+", "session", "CSV"):
            job = f"glutesense analyze {fmt}"
            a, b = _get(rows, 60.0, job), _get(rows, 10.0, job)
            if a and b:
                print(f"- linear: 60 min <= 6.5x 10 min ({fmt}, no report): {a.cpu_s / b.cpu_s:.2f}x (CPU)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 and 10 minutes only")
    ap.add_argument("--minutes", default=None, help="comma-separated lengths, minutes (default 1,10,60)")
    ap.add_argument("--no-peers", action="store_true", help="skip NeuroKit2")
    ap.add_argument("--no-onsets", action="store_true", help="skip the onset-accuracy check")
    ap.add_argument("--formats", default="EDF+,session,CSV", help="files analyzed (default EDF+,session,CSV)")
    ap.add_argument("--report", choices=["both", "yes", "no"], default="both", help="with/without the report")
    args = ap.parse_args(argv)
    lengths = [float(m) for m in args.minutes.split(",")] if args.minutes else (
        [1.0, 10.0] if args.quick else [1.0, 10.0, 60.0])
    from glutesense.detect import risefit

    print(f"# speed: {FS_HZ:g} Hz, 4 EMG + 3 acc channels; rise fit: "
          f"{'numba kernel' if risefit.use_kernel() else 'NumPy'}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="glutesense-speed-") as tmp:
        for m in lengths:
            rows += bench_length(m, Path(tmp), not args.no_peers, args.formats.split(","),
                                 {"both": [False, True], "yes": [True], "no": [False]}[args.report])
    print_table(rows)
    print_targets(rows)
    print(f"# load average {os.getloadavg()[0]:.1f} at the end (shared machine: walls include waiting)")
    if not args.no_onsets:
        ref = HERE / "reference" / "onset_quick_seed7.json"
        cmd = [sys.executable, str(HERE / "onset_accuracy.py"), "--quick", "--no-peers",
               "--detectors", "default", "--reference", str(ref)]
        res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        tail = res.stdout[res.stdout.find("## Against the reference"):]
        print("\n## Onset accuracy of the same code (onset_accuracy.py --quick, default detector)")
        print(tail.strip() or res.stdout[-2000:] + res.stderr[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
