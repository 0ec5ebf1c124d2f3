"""Outside-CSV benchmark: ``glutesense analyze`` on CSV files written as an outside user would.

Recordings come from ``benchmarks/mu_sim.py`` (motor-unit model, physiologically different from
``bridge_sim.py`` and never used to tune the detectors).  Each is written as a CSV the way people export
their data: ``time_s`` (or ``time_ms``), EMG columns named by role or by common aliases
(``Gluteus Maximus Left``, ``biceps_femoris_r``, ``left_glute_max``, ``BF_L``, ...), in µV or mV (mV told
with ``--emg-unit mV`` or in the header, ``glute_max_l (mV)``), the 100 Hz accelerometer on the EMG rows
(empty cells between its samples), and a BIDS ``NAME_events.tsv`` (``rest``, ``cue``, ``lower``) beside
most files; files without one get their reps from the accelerometer.  Then the real command line runs in
a subprocess::

    glutesense analyze NAME.csv --protocol bridge --out DIR [--emg-unit mV]

and ``DIR/reps.csv`` and ``DIR/onsets.csv`` are scored against the simulator's truth.

Usage::

    python benchmarks/outside_csv.py                 # grid: 3 SNR bands x 5 rates x 3 recordings
    python benchmarks/outside_csv.py --quick         # 6 recordings, < 2 min
    python benchmarks/outside_csv.py --in-process    # same CSVs through load_recording + analyze

Scores (per truth onset; the realistic range of the issue: SNR >= 3 dB, 200-2000 Hz, artifacts on):
``found%`` truth onsets with an onset in their matched rep row; ``FB/min`` bursts in ``onsets.csv`` that
start in truth-quiet time (more than 0.5 s before or 1 s after any activation of that muscle) per
minute of such time; ``|e|`` absolute error vs the truth onset (first motor-unit discharge), median and
p90, ms; ``bias`` median signed error (+ = late); ``e10`` the same vs the drive reaching 10 % of its
plateau; ``order%`` firing order right in reps with true |lag| >= 40 ms (a rep with an onset missing
counts as wrong).  Matching: by rep number when events were given, otherwise each detected row goes to
the nearest truth rep (mean of its onsets vs mean of the truth onsets) within 1 s, one to one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mu_sim import EMG_ROLES, IMU_FS_HZ, MuRecording, MuSpec, simulate

SNR_BANDS: tuple[tuple[float, float], ...] = ((3.0, 10.0), (10.0, 17.0), (17.0, 25.0))
RATES_HZ: tuple[float, ...] = (200.0, 500.0, 1024.0, 1500.0, 2000.0)
ORDER_MIN_LAG_MS = 40.0

# column names an outside user might write, per style (role order as EMG_ROLES)
NAME_STYLES: dict[str, tuple[str, ...]] = {
    "role": EMG_ROLES,
    "words": ("Gluteus Maximus Left", "Biceps Femoris Left", "Gluteus Maximus Right", "Biceps Femoris Right"),
    "prefix": ("left_glute_max", "BF_L", "right_glute_max", "Hamstrings R"),
    "short": ("gmax_l", "ham_l", "Glute_R", "biceps_femoris_r"),
}
ACC_STYLES: dict[str, tuple[str, ...]] = {
    "role": ("acc_x", "acc_y", "acc_z"),
    "words": ("accel_x", "accel_y", "accel_z"),
    "prefix": ("ax", "ay", "az"),
    "short": ("acc_x", "acc_y", "acc_z"),
}
UNIT_STYLES = ("uV", "mV-flag", "mV-header")


@dataclass(frozen=True)
class Job:
    index: int
    fs_hz: float
    band: str
    snr_db: float
    seed: int
    names: str
    unit: str
    time_col: str  # "time_s" / "time_ms"
    events: bool
    rep_column: bool


def cli_command() -> list[str]:
    """The command an outside user runs (the console script, else the module)."""
    exe = shutil.which("glutesense")
    if exe:
        return [exe]
    return [sys.executable, "-m", "glutesense"]


def make_jobs(per_cell: int, seed: int, quick: bool) -> list[Job]:
    rng = np.random.default_rng(seed)
    jobs: list[Job] = []
    cells = [(b, fs) for b in SNR_BANDS for fs in RATES_HZ]
    if quick:
        cells = [(SNR_BANDS[0], 500.0), (SNR_BANDS[0], 2000.0), (SNR_BANDS[1], 1024.0),
                 (SNR_BANDS[1], 200.0), (SNR_BANDS[2], 1500.0), (SNR_BANDS[2], 2000.0)]
        per_cell = 1
    styles = list(NAME_STYLES)
    for band, fs in cells:
        for _ in range(per_cell):
            i = len(jobs)
            jobs.append(Job(
                index=i, fs_hz=fs, band=f"{band[0]:g}-{band[1]:g}", snr_db=float(rng.uniform(*band)),
                seed=int(rng.integers(1, 2**31 - 1)), names=styles[i % len(styles)],
                unit=UNIT_STYLES[(i // len(styles)) % len(UNIT_STYLES)],
                time_col="time_ms" if i % 3 == 2 else "time_s",
                events=(i % 5 != 4), rep_column=(i % 2 == 0),
            ))
    return jobs


# --------------------------------------------------------------------------------------------- writing
def write_csv(rec: MuRecording, path: Path, *, names: str = "role", unit: str = "uV",
              time_col: str = "time_s", events: bool = True, rep_column: bool = False,
              time_decimals: int | None = None) -> list[str]:
    """Write ``rec`` as an outside user's CSV (+ ``NAME_events.tsv``); returns extra CLI options."""
    fs = rec.spec.fs_hz
    n = rec.emg_uv.shape[1]
    t = np.arange(n) / fs
    cols: dict[str, np.ndarray] = {}
    # time written to the nanosecond unless asked otherwise (see --time-decimals)
    dec = 9 if time_decimals is None else time_decimals
    if time_col == "time_ms":
        cols["time_ms"] = np.char.mod(f"%.{max(dec - 3, 0)}f", t * 1000.0)
    else:
        cols["time_s"] = np.char.mod(f"%.{dec}f", t)
    scale = 1e-3 if unit.startswith("mV") else 1.0
    for i, name in enumerate(NAME_STYLES[names]):
        header = f"{name} (mV)" if unit == "mV-header" else name
        cols[header] = rec.emg_uv[i] * scale
    t_imu = np.arange(rec.acc_g.shape[1]) / IMU_FS_HZ
    rows = np.rint(t_imu * fs).astype(np.int64)
    ok = rows < n
    for j, name in enumerate(ACC_STYLES[names]):
        col = np.full(n, np.nan)
        col[rows[ok]] = rec.acc_g[j, ok]
        cols[name] = col
    df = pd.DataFrame(cols)
    fmt = "%.7g" if scale != 1.0 else "%.6g"
    df.to_csv(path, index=False, float_format=fmt, na_rep="")
    ev_path = path.with_name(path.stem + "_events.tsv")
    if events:
        ev = pd.DataFrame(rec.events, columns=["onset", "duration", "trial_type", "rep"])
        if rep_column:
            ev["rep"] = ev["rep"].astype("Int64")
        else:
            ev = ev.drop(columns="rep")
        ev.to_csv(ev_path, sep="\t", index=False, na_rep="n/a")
    elif ev_path.exists():
        ev_path.unlink()
    return ["--emg-unit", "mV"] if unit == "mV-flag" else []


# --------------------------------------------------------------------------------------------- running
def run_cli(csv_path: Path, out_dir: Path, extra: list[str]) -> tuple[int, str, pd.DataFrame, pd.DataFrame]:
    cmd = [*cli_command(), "analyze", str(csv_path), "--protocol", "bridge", "--out", str(out_dir), *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        return p.returncode, lines[-1] if lines else "", pd.DataFrame(), pd.DataFrame()
    return 0, "", pd.read_csv(out_dir / "reps.csv"), pd.read_csv(out_dir / "onsets.csv")


def run_in_process(csv_path: Path, extra: list[str]) -> tuple[int, str, pd.DataFrame, pd.DataFrame]:
    from glutesense.analysis.pipeline import analyze
    from glutesense.io import load_recording
    from glutesense.report.tables import onsets_table, reps_table

    try:
        rec = load_recording(csv_path, emg_unit="mV" if "--emg-unit" in extra else None)
        result = analyze(rec, "bridge")
    except Exception as e:  # reported per recording, like the CLI's exit status
        return 1, f"{type(e).__name__}: {e}", pd.DataFrame(), pd.DataFrame()
    return 0, "", reps_table(result).round(4), onsets_table(result).round(4)


# --------------------------------------------------------------------------------------------- scoring
def match_rows(reps: pd.DataFrame, rec: MuRecording, by_rep: bool) -> dict[tuple[str, int], pd.Series]:
    """(side, truth rep) -> the detected reps.csv row."""
    out: dict[tuple[str, int], pd.Series] = {}
    if reps.empty:
        return out
    if by_rep:
        for _, row in reps.iterrows():
            if pd.notna(row["rep"]):
                out[(str(row["side"]), int(row["rep"]))] = row
        return out
    truth_ref: dict[tuple[str, int], float] = {}
    for tr in rec.truths:
        truth_ref.setdefault((tr.side, tr.rep), 0.0)
        truth_ref[(tr.side, tr.rep)] += tr.onset_s / 2.0
    cand = []
    for k, row in reps.iterrows():
        vals = [row.get(c) for c in ("glute_onset_s", "hamstring_onset_s")]
        vals = [float(v) for v in vals if pd.notna(v)]
        if not vals:
            vals = [float(row[c]) for c in ("movement_onset_s", "cue_s") if pd.notna(row.get(c))][:1]
        if not vals:
            continue
        ref = float(np.mean(vals))
        for (side, rep), tref in truth_ref.items():
            if side == row["side"] and abs(ref - tref) <= 1.0:
                cand.append((abs(ref - tref), k, side, rep))
    used_rows: set[int] = set()
    for _, k, side, rep in sorted(cand):
        if k in used_rows or (side, rep) in out:
            continue
        used_rows.add(k)
        out[(side, rep)] = reps.loc[k]
    return out


def quiet_and_false(rec: MuRecording, onsets: pd.DataFrame) -> tuple[float, int]:
    """Seconds of truth-quiet time (all 4 channels) and bursts starting in it."""
    dur = rec.duration_s
    quiet_s = 0.0
    false = 0
    for side in ("left", "right"):
        for muscle in ("glute_max", "hamstring"):
            iv = sorted((tr.onset_s - 0.5, tr.end_s + 1.0) for tr in rec.truths
                        if tr.side == side and tr.muscle == muscle)
            busy = 0.0
            last = 0.0
            for a, b in iv:
                a, b = max(a, last), min(b, dur)
                if b > a:
                    busy += b - a
                last = max(last, b)
            quiet_s += dur - busy
            if onsets.empty:
                continue
            sel = onsets[(onsets["side"] == side) & (onsets["muscle"] == muscle)]
            for t in sel["onset_s"].to_numpy(float):
                if not any(a <= t <= b for a, b in iv):
                    false += 1
    return quiet_s, false


def score(job: Job, rec: MuRecording, rc: int, err: str, reps: pd.DataFrame, onsets: pd.DataFrame
          ) -> tuple[list[dict], dict]:
    matched = match_rows(reps, rec, by_rep=job.events) if rc == 0 else {}
    truth = {(tr.side, tr.rep, tr.muscle): tr for tr in rec.truths}
    rows = []
    for tr in rec.truths:
        row = matched.get((tr.side, tr.rep))
        det = row.get("glute_onset_s" if tr.muscle == "glute_max" else "hamstring_onset_s") \
            if row is not None else None
        found = det is not None and pd.notna(det)
        other = truth[(tr.side, tr.rep, "hamstring" if tr.muscle == "glute_max" else "glute_max")]
        g, h = (tr, other) if tr.muscle == "glute_max" else (other, tr)
        lag_ms = (g.onset_s - h.onset_s) * 1000.0
        want = "glute_first" if lag_ms < 0 else "hamstring_first"
        order = str(row.get("order")) if row is not None and pd.notna(row.get("order")) else "missing"
        rows.append({
            **asdict(job), "side": tr.side, "rep": tr.rep, "muscle": tr.muscle, "shape": tr.shape,
            "rise_ms": tr.rise_ms, "truth_s": tr.onset_s, "t10_s": tr.t10_s,
            "det_s": float(det) if found else np.nan,
            "found": found, "err_ms": (float(det) - tr.onset_s) * 1000.0 if found else np.nan,
            "err10_ms": (float(det) - tr.t10_s) * 1000.0 if found else np.nan,
            "err0_ms": (float(det) - tr.drive_start_s) * 1000.0 if found else np.nan,
            "lag_ms": lag_ms, "order": order, "order_ok": order == want, "rc": rc,
        })
    quiet_s, false = quiet_and_false(rec, onsets) if rc == 0 else (0.0, 0)
    info = {**asdict(job), "rc": rc, "error": err, "quiet_s": quiet_s, "false_bursts": false,
            "rows_out": len(reps), "rows_matched": len(matched)}
    return rows, info


def run_job(args: tuple[Job, str, bool, int | None]) -> tuple[list[dict], dict]:
    job, workdir, in_process, time_decimals = args
    rec = simulate(MuSpec(job.fs_hz, job.snr_db, job.seed))
    base = Path(workdir)
    csv_path = base / f"bridge_{job.index:03d}_{int(job.fs_hz)}hz.csv"
    extra = write_csv(rec, csv_path, names=job.names, unit=job.unit, time_col=job.time_col,
                      events=job.events, rep_column=job.rep_column, time_decimals=time_decimals)
    if in_process:
        rc, err, reps, onsets = run_in_process(csv_path, extra)
    else:
        rc, err, reps, onsets = run_cli(csv_path, base / f"out_{job.index:03d}", extra)
    return score(job, rec, rc, err, reps, onsets)


# --------------------------------------------------------------------------------------------- tables
def summarise(df: pd.DataFrame, info: pd.DataFrame) -> pd.Series:
    f = df[df["found"]]
    reps = df[df["muscle"] == "glute_max"]
    big = reps[reps["lag_ms"].abs() >= ORDER_MIN_LAG_MS]
    quiet_min = info["quiet_s"].sum() / 60.0
    return pd.Series({
        "recs": len(info), "n": len(df), "found%": 100.0 * df["found"].mean(),
        "FB/min": info["false_bursts"].sum() / quiet_min if quiet_min > 0 else np.nan,
        "med|e|": f["err_ms"].abs().median(), "p90|e|": f["err_ms"].abs().quantile(0.9),
        "bias": f["err_ms"].median(), "med|e10|": f["err10_ms"].abs().median(),
        "p90|e10|": f["err10_ms"].abs().quantile(0.9), "bias10": f["err10_ms"].median(),
        "med|e0|": f["err0_ms"].abs().median(), "bias0": f["err0_ms"].median(),
        "order%": 100.0 * big["order_ok"].mean() if len(big) else np.nan,
        "fail": int((info["rc"] != 0).sum()),
    })


def table(df: pd.DataFrame, info: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = {}
    for key, g in df.groupby(keys, sort=True):
        k = key if isinstance(key, tuple) else (key,)
        sel = np.ones(len(info), dtype=bool)
        for name, v in zip(keys, k, strict=True):
            sel &= (info[name] == v).to_numpy()
        out[k if len(k) > 1 else k[0]] = summarise(g, info[sel])
    t = pd.DataFrame(out).T
    t.index.names = keys
    for c in ("recs", "n", "fail"):
        t[c] = t[c].astype(int)
    return t


def print_tables(df: pd.DataFrame, info: pd.DataFrame) -> None:
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    fmt = {"float_format": lambda v: f"{v:.1f}"}
    print("\n## Overall (SNR 3-25 dB, artifacts on)")
    print(pd.DataFrame({"all": summarise(df, info)}).T.to_string(**fmt))
    print("\n## Per condition (SNR band x fs)")
    print(table(df, info, ["band", "fs_hz"]).to_string(**fmt))
    print("\n## By SNR band")
    print(table(df, info, ["band"]).to_string(**fmt))
    print("\n## By sample rate")
    print(table(df, info, ["fs_hz"]).to_string(**fmt))
    print("\n## By file style (events file, column names, EMG unit, time column)")
    for k in ("events", "names", "unit", "time_col"):
        print(table(df, info, [k]).to_string(**fmt))
    print("\n## By drive shape")
    by_shape = {s: summarise(g, info.iloc[:0]) for s, g in df.groupby("shape")}
    print(pd.DataFrame(by_shape).T.drop(columns=["recs", "FB/min", "fail"]).to_string(**fmt))
    s = summarise(df, info)
    checks = [("found% >= 99", s["found%"] >= 99.0), ("FB/min <= 1", s["FB/min"] <= 1.0),
              ("med|e| <= 12 ms", s["med|e|"] <= 12.0), ("p90|e| <= 50 ms", s["p90|e|"] <= 50.0),
              ("order% >= 97", s["order%"] >= 97.0)]
    print("\n## Targets (overall, vs first discharge): "
          + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks))
    bad = info[info["rc"] != 0]
    if len(bad):
        print("\n## Failures (exit status != 0)")
        for _, r in bad.iterrows():
            print(f"  #{r['index']} fs={r['fs_hz']:g} names={r['names']} unit={r['unit']}: "
                  f"rc={r['rc']} {r['error']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 recordings, one per style/condition (< 2 min)")
    ap.add_argument("--per-cell", type=int, default=3, help="recordings per SNR band x fs cell")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--keep", metavar="DIR", help="write the CSVs and outputs here and keep them")
    ap.add_argument("--save", metavar="ROWS.csv", help="one row per truth onset")
    ap.add_argument("--in-process", action="store_true",
                    help="load_recording + analyze in-process instead of the command line")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-decimals", type=int, metavar="N",
                    help="write time_s with N decimals (time_ms with N-3); default 9 (nanoseconds)")
    args = ap.parse_args(argv)

    import glutesense

    jobs = make_jobs(args.per_cell, args.seed, args.quick)
    how = ("in-process: glutesense.io.load_recording(CSV) + glutesense.analysis.analyze(rec, 'bridge')"
           if args.in_process else
           "command: " + " ".join([*cli_command(), "analyze", "NAME.csv", "--protocol", "bridge", "--out",
                                   "DIR", "[--emg-unit mV]"]))
    shown = " ".join(["python", "benchmarks/outside_csv.py", *(argv if argv is not None else sys.argv[1:])])
    print(f"# outside_csv: {shown}")
    print(f"# glutesense {glutesense.__version__} ({Path(glutesense.__file__).parent}); python "
          f"{sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"# {how}")
    print(f"# recordings: mu_sim (motor-unit model), {len(jobs)} x 45 s, 6 reps x 2 sides x (glute max, "
          f"hamstring); SNR bands {[j for j in dict.fromkeys(j.band for j in jobs)]} dB x fs "
          f"{sorted({j.fs_hz for j in jobs})} Hz; artifacts on; seed {args.seed}")
    print("# truth: first motor-unit discharge of each activation (e10: drive at 10 % of plateau)")
    print("# columns: found% of truth onsets; FB/min false bursts per minute of truth-quiet time; |e| abs "
          "error ms (median, p90); bias median signed error (+ late); e10 vs drive 10 %; e0 vs drive start; "
          "order% for |lag| >= 40 ms; fail = runs with exit status != 0")
    sys.stdout.flush()
    t0 = time.time()
    tmp = None
    if args.keep:
        workdir = Path(args.keep)
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="outside_csv_")
        workdir = Path(tmp.name)
    try:
        tasks = [(j, str(workdir), args.in_process, args.time_decimals) for j in jobs]
        if args.workers > 1:
            with Pool(args.workers) as pool:
                results = pool.map(run_job, tasks, chunksize=1)
        else:
            results = [run_job(t) for t in tasks]
    finally:
        if tmp is not None:
            tmp.cleanup()
    df = pd.DataFrame([r for rows, _ in results for r in rows])
    info = pd.DataFrame([i for _, i in results])
    print_tables(df, info)
    if args.save:
        df.to_csv(args.save, index=False)
        info.to_csv(Path(args.save).with_suffix(".recordings.csv"), index=False)
    print(f"\n# wall time {time.time() - t0:.0f} s, {os.cpu_count()} CPUs, {args.workers} workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
