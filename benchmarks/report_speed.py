"""How long the report takes on a long recording (issue 5: a one-hour session renders in seconds).

    python benchmarks/report_speed.py                 # one hour, 1000 Hz, 4 EMG channels + IMU
    python benchmarks/report_speed.py --minutes 10 --detector default

Makes a synthetic bridge session (``glutesense.virtual.synth``) of the given length, analyzes it (with a fast
detector by default: the detector's own speed is not what this measures), then times the clinical
assessment, every figure and the whole ``write_outputs`` (tables, JSON, figures, HTML).  Prints one line
per stage; nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from glutesense.analysis.pipeline import analyze
from glutesense.clinical import assess
from glutesense.model.records import Recording, Stream
from glutesense.model.roles import Protocol
from glutesense.report import write_outputs
from glutesense.report.figures import all_figures, session_figure
from glutesense.virtual.synth import SynthSpec, make_recording


def long_recording(minutes: float, fs_hz: float) -> Recording:
    """A synthetic bridge session ``minutes`` long: a one-minute session tiled end to end (the synth's
    own cost grows with reps x samples), with two stretches of lost data."""
    unit, _ = make_recording(SynthSpec(n_reps=9, fs_hz=fs_hz, rest_s=5.0, seed=3))
    n_tiles = max(round(60.0 * minutes / unit.duration_s), 1)
    streams = []
    for s in unit.streams:
        data = np.tile(s.data, (1, n_tiles))
        for start_s, dur_s in (
            (0.3 * n_tiles * unit.duration_s, 2.0),
            (0.6 * n_tiles * unit.duration_s, 0.5),
        ):
            a = round(start_s * s.fs_hz)
            data[:, a : a + round(dur_s * s.fs_hz)] = np.nan
        streams.append(Stream(s.name, s.fs_hz, s.t0_s, s.roles, data))
    events = [e for e in unit.events if e.trial_type == "rest"]
    for k in range(n_tiles):
        shift = k * unit.streams[0].n_samples / unit.streams[0].fs_hz
        events += [
            dataclasses.replace(e, onset_s=e.onset_s + shift) for e in unit.events if e.trial_type != "rest"
        ]
    return Recording(tuple(streams), tuple(events), dict(unit.meta), "long synthetic session")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=60.0, help="recording length (default 60)")
    ap.add_argument("--detector", default="changepoint", help="onset detector (default changepoint)")
    ap.add_argument("--fs", type=float, default=1000.0, help="EMG sample rate, Hz (default 1000)")
    args = ap.parse_args()

    t = time.perf_counter()
    rec = long_recording(args.minutes, args.fs)
    n_reps = len(rec.events_of("cue"))
    print(
        f"synth      {time.perf_counter() - t:6.1f} s  ({rec.duration_s / 60:.1f} min, {n_reps} reps, "
        f"{sum(s.data.size for s in rec.streams) / 1e6:.1f} M samples)"
    )
    t = time.perf_counter()
    res = analyze(rec, Protocol.BRIDGE, detector=args.detector)
    print(f"analyze    {time.perf_counter() - t:6.1f} s  (detector {args.detector})")
    t = time.perf_counter()
    clin = assess(res, rec)
    print(f"assess     {time.perf_counter() - t:6.1f} s")
    t = time.perf_counter()
    session_figure(res, rec).clf()
    print(f"session fig{time.perf_counter() - t:6.1f} s  (whole-session raw EMG, min/max decimated)")
    t = time.perf_counter()
    figs = all_figures(res, clin, rec)
    print(f"figures    {time.perf_counter() - t:6.1f} s  ({len(figs)} PNG)")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = write_outputs(res, rec, tmp)
        size = Path(paths["report"]).stat().st_size
        print(
            f"report     {time.perf_counter() - t:6.1f} s  (write_outputs; report.html {size / 1e6:.1f} MB)"
        )


if __name__ == "__main__":
    main()
