"""Onset-timing benchmark: glutesense's detectors beside NeuroKit2 and BioSPPy on the same recordings.

Usage::

    python benchmarks/onset_accuracy.py            # full grid, both modes (about 15 minutes on 2 cores)
    python benchmarks/onset_accuracy.py --quick    # small grid (a few minutes)
    python benchmarks/onset_accuracy.py --realistic --detectors default   # issue 15's cells only
    bash benchmarks/setup_peers.sh                 # once, to create benchmarks/.venv-peers for the peers

Recordings come from ``benchmarks/bridge_sim.py`` (independent of glutesense's simulators).  Our
detectors run through glutesense's public pipeline: ``glutesense.analysis.pipeline.analyze`` when it exists,
otherwise the same steps spelled out here (``condition_emg``, the ``rest`` event as baseline, the
detector on the whole channel, the first sustained burst in each rep window).  The peers run in their
own environment on the same recordings saved as ``.npz``; their bursts go through the same rep
assignment and scoring.  A crash of a peer on a recording counts as all its onsets not found.

Scores per group of recordings: share of truth onsets found (a burst assigned to the rep), false
bursts per minute of truth-quiet time (bursts starting where the muscle is at rest, away from any
activation), median and 90th percentile of the absolute onset error against the activation start and
against the 10 %-of-plateau time, the bias (median signed error), and the firing order right for reps
with a true |lag| >= 40 ms (a rep with an onset missing counts as wrong).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bridge_sim import SimRecording, SimSpec, simulate  # noqa: E402

SNR_BANDS = ((0.0, 3.0), (3.0, 10.0), (10.0, 17.0), (17.0, 25.0))
FS_GRID = (200.0, 500.0, 1000.0, 2000.0)
RISE_BINS = ((30.0, 80.0), (80.0, 150.0), (150.0, 250.0))
REP_PRE_S = 0.3   # rep window starts this long before the cue
REP_POST_S = 2.0  # and ends this long after it
SUSTAINED_S = 0.25
QUIET_BEFORE_S = 0.5
QUIET_AFTER_S = 1.0
ORDER_MIN_LAG_MS = 40.0
PEER_PYTHON = HERE / ".venv-peers" / "bin" / "python"

Bursts = dict[str, list[tuple[float, float, float]]]  # role -> [(onset_s, alarm_s, offset_s)]


@dataclass(frozen=True)
class Job:
    rec_id: str
    spec: SimSpec
    snr_band: str
    detectors: tuple[str, ...]
    npz_dir: str


# --------------------------------------------------------------------------- our pipeline


def _classes() -> dict[str, Callable[[], object]]:
    from glutesense.detect import DETECTORS
    from glutesense.detect.bonato import BonatoDetector
    from glutesense.detect.changepoint import ChangePointDetector
    from glutesense.detect.hodges_bui import HodgesBuiDetector
    from glutesense.detect.tkeo import TkeoDetector

    out: dict[str, Callable[[], object]] = dict(DETECTORS)
    for cls in (HodgesBuiDetector, BonatoDetector, TkeoDetector, ChangePointDetector):
        out.setdefault(cls.name, cls)
    try:
        from glutesense.detect.refined import RefinedDetector
    except ImportError:
        pass
    else:
        out.setdefault(RefinedDetector.name, RefinedDetector)
    return out


DETECTOR_CLASSES = _classes()


def _to_recording(sim: SimRecording):  # type: ignore[no-untyped-def]
    from glutesense.model.records import Event, Recording, Stream
    from glutesense.model.roles import Role

    emg = Stream("emg", sim.spec.fs_hz, 0.0, tuple(Role(r) for r in sim.roles), sim.emg_uv)
    imu = Stream("imu", 100.0, 0.0, (Role.ACC_X, Role.ACC_Y, Role.ACC_Z), sim.acc_g)
    events = tuple(Event(o, d, tt, None, rep) for o, d, tt, rep in sim.events)
    return Recording((emg, imu), events, {"placement": "thigh"}, source=f"sim:{sim.spec.seed}")


def _direct_pipeline(sim: SimRecording, name: str) -> Bursts:
    """Conditioning and detection spelled out (for detectors not in the registry, or without ``analyze``)."""
    from glutesense.detect import DetectionInput
    from glutesense.signal.condition import condition_emg

    det = DETECTOR_CLASSES[name]()
    rest = next((o, o + d) for o, d, tt, _ in sim.events if tt == "rest")
    out: Bursts = {}
    for i, role in enumerate(sim.roles):
        c = condition_emg(sim.emg_uv[i], sim.spec.fs_hz, label=role)
        bursts = det.detect(DetectionInput(c.signal_uv, sim.spec.fs_hz, 0.0, rest))
        out[role] = [(b.onset_s, b.alarm_s, b.offset_s) for b in bursts]
    return out


def _analysis_module():  # type: ignore[no-untyped-def]
    try:
        mod = importlib.import_module("glutesense.analysis.pipeline")
    except ImportError:
        return None
    return mod if hasattr(mod, "analyze") else None


def _memoize_conditioning(mod) -> None:  # type: ignore[no-untyped-def]
    """Benchmark-only speed-up: ``analyze`` conditions every channel once per detector; conditioning is
    deterministic, so within a worker its result is reused for the same samples and settings."""
    # analyze() conditions each channel in glutesense.analysis.channels (in pipeline before the split)
    if importlib.util.find_spec("glutesense.analysis.channels") is not None:
        mod = importlib.import_module("glutesense.analysis.channels")
    if getattr(mod.condition_emg, "_memo", None) is not None:
        return
    original = mod.condition_emg
    memo: dict[tuple, object] = {}

    def cached(x, fs_hz, *, settings=None, label=""):  # type: ignore[no-untyped-def]
        key = (hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=16).digest(), fs_hz,
               repr(settings), label)
        if key not in memo:
            if len(memo) > 16:
                memo.clear()
            memo[key] = original(x, fs_hz, settings=settings, label=label)
        return memo[key]

    cached._memo = memo  # type: ignore[attr-defined]
    mod.condition_emg = cached


Picks = dict[tuple[int, str, str], tuple[float, float]]  # (rep, side, muscle) -> (onset_s, sd_ms or NaN)


def run_ours(sim: SimRecording, name: str) -> tuple[Bursts, Picks | None]:
    """Bursts per channel and, through ``analyze``, the pipeline's own per-rep onsets.

    A detector not (yet) in the registry runs through the direct pipeline (per-rep onsets None:
    the benchmark then picks the first sustained burst in each rep window itself).
    """
    from glutesense.detect import DETECTORS

    mod = _analysis_module()
    if mod is None or name not in DETECTORS:
        return _direct_pipeline(sim, name), None
    _memoize_conditioning(mod)
    result = mod.analyze(_to_recording(sim), "bridge", detector=name)
    bursts: Bursts = {}
    for row in result.bursts:
        role = f"{row.muscle.value}_{row.side.value[0]}"
        b = row.burst
        bursts.setdefault(role, []).append((b.onset_s, b.alarm_s, b.offset_s))
    picks: Picks = {}
    for r in result.reps:
        for muscle, value, sd in (
            ("glute_max", r.glute_onset_s, getattr(r, "glute_onset_sd_ms", None)),
            ("hamstring", r.hamstring_onset_s, getattr(r, "hamstring_onset_sd_ms", None)),
        ):
            if value is not None:
                sd_ms = np.nan if sd is None else float(sd)
                picks[(int(r.rep), r.side.value, muscle)] = (float(value), sd_ms)
    return bursts, picks


# --------------------------------------------------------------------------- scoring


def _quiet_mask(sim: SimRecording, c: int) -> np.ndarray:
    fs = sim.spec.fs_hz
    act = sim.active[c]
    edges = np.diff(np.concatenate(([0], act.astype(np.int8), [0])))
    quiet = ~act
    for a in np.flatnonzero(edges == 1):
        quiet[max(a - int(QUIET_BEFORE_S * fs), 0) : a] = False
    for b in np.flatnonzero(edges == -1):
        quiet[b : b + int(QUIET_AFTER_S * fs)] = False
    return quiet


def _pick(bursts: list[tuple[float, float, float]], lo: float, hi: float) -> float | None:
    """First sustained burst whose alarm lies in ``[lo, hi)`` (else the first burst there)."""
    inside = [b for b in bursts if lo <= b[1] < hi]
    if not inside:
        return None
    sustained = [b for b in inside if b[2] - b[1] >= SUSTAINED_S]
    return min(sustained or inside, key=lambda b: b[1])[0]


def score(sim: SimRecording, bursts: Bursts, picks: Picks | None,
          *, crashed: bool) -> tuple[list[dict], float, float]:
    """Per-truth rows, false bursts, quiet minutes for one method on one recording."""
    fs = sim.spec.fs_hz
    cues = {rep: o for o, _, tt, rep in sim.events if tt == "cue"}
    rows = []
    for tr in sim.truths:
        role = f"{tr.muscle}_{tr.side[0]}"
        cue = cues[tr.rep]
        det = None
        sd_ms = np.nan
        if not crashed:
            if picks is not None:
                det, sd_ms = picks.get((tr.rep, tr.side, tr.muscle), (None, np.nan))
            else:
                det = _pick(bursts.get(role, []), cue - REP_PRE_S, cue + REP_POST_S)
        rows.append({"rep": tr.rep, "side": tr.side, "muscle": tr.muscle, "rise_ms": tr.rise_ms,
                     "shape": tr.shape, "truth_s": tr.onset_s, "t10_s": tr.t10_s,
                     "det_s": np.nan if det is None else det, "sd_ms": sd_ms})
    false_n = 0.0
    quiet_min = 0.0
    for c, role in enumerate(sim.roles):
        quiet = _quiet_mask(sim, c)
        quiet_min += quiet.sum() / fs / 60.0
        if crashed:
            continue
        for _, alarm_s, _ in bursts.get(role, []):
            i = int(alarm_s * fs)
            if 0 <= i < quiet.size and quiet[i]:
                false_n += 1
    return rows, false_n, quiet_min


# --------------------------------------------------------------------------- workers


def _spec_meta(job: Job) -> dict:
    s = job.spec
    return {"rec": job.rec_id, "mode": s.mode, "fs_hz": s.fs_hz, "snr_db": s.snr_db,
            "snr_band": job.snr_band, "artifacts": "on" if s.artifacts else "off",
            "minutes": s_minutes(s)}


def s_minutes(spec: SimSpec) -> float:
    """Length of a recording of ``spec``, minutes (as ``bridge_sim.simulate`` makes it)."""
    return (spec.rest_s + spec.n_reps * (spec.hold_s + spec.pause_s + 1.0) + spec.tail_s) / 60.0


def work(job: Job) -> tuple[list[dict], list[dict], float]:
    sim = simulate(job.spec)
    np.savez(Path(job.npz_dir) / f"{job.rec_id}.npz", emg_uv=sim.emg_uv, roles=np.array(sim.roles),
             fs_hz=sim.spec.fs_hz, rest_s=np.array([0.5, sim.spec.rest_s]))
    meta = _spec_meta(job)
    onset_rows, rec_rows = [], []
    t0 = time.perf_counter()
    for name in job.detectors:
        crashed, err = False, ""
        t1 = time.process_time()
        try:
            bursts, picks = run_ours(sim, name)
        except Exception as e:  # a crash of ours is a result too, shown in the table
            crashed, err, bursts, picks = True, f"{type(e).__name__}: {e}", {}, None
        cpu_s = time.process_time() - t1
        rows, fb, qm = score(sim, bursts, picks, crashed=crashed)
        onset_rows += [{**meta, "method": name, **r} for r in rows]
        rec_rows.append({**meta, "method": name, "false": fb, "quiet_min": qm, "crash": crashed,
                         "error": err, "cpu_s": cpu_s})
    return onset_rows, rec_rows, time.perf_counter() - t0


def truth_only(job: Job) -> SimRecording:
    return simulate(job.spec)


# --------------------------------------------------------------------------- peers


def run_peers(jobs: list[Job], npz_dir: Path) -> tuple[list[dict], list[dict], str]:
    if not PEER_PYTHON.exists():
        return [], [], "peers skipped: run `bash benchmarks/setup_peers.sh` first"
    out = npz_dir / "peers.json"
    paths = [str(npz_dir / f"{j.rec_id}.npz") for j in jobs]
    proc = subprocess.run([str(PEER_PYTHON), str(HERE / "peers_runner.py"), str(out), *paths],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.exists():
        return [], [], f"peers failed: {proc.stderr.strip().splitlines()[-1:]}"
    results = json.loads(out.read_text())
    onset_rows, rec_rows = [], []
    with Pool(2) as pool:
        sims = pool.map(truth_only, jobs)
    for job, sim in zip(jobs, sims, strict=True):
        meta = _spec_meta(job)
        for method, res in results[f"{job.rec_id}.npz"].items():
            crashed = res["error"] is not None
            bursts = {role: [(on, on, off) for on, off in spans] for role, spans in res["channels"].items()}
            rows, fb, qm = score(sim, bursts, None, crashed=crashed)
            onset_rows += [{**meta, "method": method, **r} for r in rows]
            rec_rows.append({**meta, "method": method, "false": fb, "quiet_min": qm, "crash": crashed,
                             "error": res["error"] or "", "cpu_s": float(res.get("cpu_s", np.nan))})
    return onset_rows, rec_rows, _peer_versions()


def _peer_versions() -> str:
    code = ("import importlib.metadata as m;"
            "print(', '.join(f'{p} {m.version(p)}' for p in "
            "('neurokit2','biosppy','numpy','scipy','pandas')))")
    proc = subprocess.run([str(PEER_PYTHON), "-c", code], capture_output=True, text=True, check=False)
    return "peers: " + proc.stdout.strip()


# --------------------------------------------------------------------------- tables


def summarize(onsets: pd.DataFrame, recs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    o = onsets.copy()
    o["found"] = o["det_s"].notna()
    o["err_ms"] = (o["det_s"] - o["truth_s"]) * 1000.0
    o["err10_ms"] = (o["det_s"] - o["t10_s"]) * 1000.0

    def agg(g: pd.DataFrame) -> pd.Series:
        e = g["err_ms"].dropna()
        e10 = g["err10_ms"].dropna()
        with_sd = g[g["err_ms"].notna() & g["sd_ms"].notna()] if "sd_ms" in g else g.iloc[:0]
        return pd.Series({
            "cal2sd%": 100.0 * (with_sd["err_ms"].abs() <= 2.0 * with_sd["sd_ms"]).mean()
            if len(with_sd) else np.nan,
            "n": len(g),
            "found%": 100.0 * g["found"].mean(),
            "med|e|": e.abs().median() if len(e) else np.nan,
            "p90|e|": e.abs().quantile(0.9) if len(e) else np.nan,
            "bias": e.median() if len(e) else np.nan,
            "med|e10|": e10.abs().median() if len(e10) else np.nan,
            "p90|e10|": e10.abs().quantile(0.9) if len(e10) else np.nan,
        })

    table = o.groupby(by, sort=False).apply(agg, include_groups=False)
    order = _order_accuracy(o, by)
    r = recs.groupby(by, sort=False)[["false", "quiet_min", "crash"]].sum()
    table["FB/min"] = r["false"] / r["quiet_min"]
    table["order%"] = order
    table["crash"] = r["crash"]
    return table


def _order_accuracy(o: pd.DataFrame, by: list[str]) -> pd.Series:
    key = ["method", "rec", "rep", "side"]
    g = o[o["muscle"] == "glute_max"].set_index(key)
    h = o[o["muscle"] == "hamstring"].set_index(key)
    j = g.join(h[["truth_s", "det_s"]].rename(columns={"truth_s": "truth_s_h", "det_s": "det_s_h"}))
    j["true_lag"] = (j["truth_s"] - j["truth_s_h"]) * 1000.0
    j["det_lag"] = (j["det_s"] - j["det_s_h"]) * 1000.0
    j = j[j["true_lag"].abs() >= ORDER_MIN_LAG_MS].reset_index()
    j["right"] = np.sign(j["true_lag"]) == np.sign(j["det_lag"])  # NaN lag -> wrong
    return 100.0 * j.groupby(by, sort=False)["right"].mean()


def fmt(table: pd.DataFrame) -> str:
    cols = ["n", "found%", "FB/min", "med|e|", "p90|e|", "bias", "med|e10|", "p90|e10|", "order%", "cal2sd%",
            "crash"]
    t = table[cols].copy()
    t["n"] = t["n"].astype(int)
    t["crash"] = t["crash"].astype(int)
    return t.to_string(float_format=lambda v: f"{v:.1f}")


def by_truth_attribute(onsets: pd.DataFrame, recs: pd.DataFrame, column: str) -> pd.DataFrame:
    """Summary per value of a per-onset attribute (rise time, shape); false bursts are not per onset."""
    parts = []
    for label in sorted(onsets[column].unique()):
        part = summarize(onsets[onsets[column] == label], recs, ["method"])
        part["FB/min"] = np.nan
        part.index = pd.MultiIndex.from_product([[label], part.index], names=[column, "method"])
        parts.append(part)
    return pd.concat(parts)


def paired_ratio(onsets: pd.DataFrame, method: str, peer: str) -> tuple[int, float, float]:
    """Median |error| of ``method`` and ``peer`` on the truth onsets *both* found: (n, ours, peer), ms.

    A peer that finds only the easy onsets has a flattering median; on the same onsets the ratio is fair.
    """
    key = ["rec", "rep", "side", "muscle"]
    a = onsets[onsets["method"] == method].set_index(key)
    b = onsets[onsets["method"] == peer].set_index(key)
    j = a[["det_s", "truth_s"]].join(b[["det_s"]].rename(columns={"det_s": "peer_s"}), how="inner").dropna()
    if j.empty:
        return 0, float("nan"), float("nan")
    ours = float(((j["det_s"] - j["truth_s"]).abs() * 1000.0).median())
    theirs = float(((j["peer_s"] - j["truth_s"]).abs() * 1000.0).median())
    return len(j), ours, theirs


def check_targets(cond: pd.DataFrame, overall: pd.DataFrame, method: str,
                  onsets: pd.DataFrame | None = None) -> list[str]:
    """Issue 3 targets on the realistic range, for one method, against the best peer."""
    c = cond.xs(method, level="method")
    ov = overall.loc[method]
    out = [
        f"found >= 99 %: worst condition {c['found%'].min():.1f} % (overall {ov['found%']:.1f} %)",
        f"false bursts <= 1 /min: worst {c['FB/min'].max():.2f} /min (overall {ov['FB/min']:.2f})",
        f"median |err| <= 12 ms: worst condition {c['med|e|'].max():.1f} ms (overall {ov['med|e|']:.1f})",
        f"p90 |err| <= 50 ms in every condition: worst {c['p90|e|'].max():.1f} ms",
        f"order right >= 97 %: worst condition {c['order%'].min():.1f} % (overall {ov['order%']:.1f} %)",
    ]
    peers = [m for m in overall.index if m in PEER_NAMES]
    if not peers:
        return out
    most_accurate = min(peers, key=lambda m: overall.loc[m, "med|e|"])
    most_complete = max(peers, key=lambda m: overall.loc[m, "found%"])
    for label, best in (("most accurate", most_accurate), ("most complete", most_complete)):
        ratio = overall.loc[best, "med|e|"] / ov["med|e|"]
        out.append(f">= 2x lower median error than the {label} peer ({best}): {ratio:.1f}x; found "
                   f"{ov['found%']:.1f} % vs {overall.loc[best, 'found%']:.1f} %")
    if onsets is not None:
        for peer in peers:
            n, ours, theirs = paired_ratio(onsets, method, peer)
            if n:
                out.append(f"on the {n} onsets both {method} and {peer} found: median |err| {ours:.1f} vs "
                           f"{theirs:.1f} ms ({theirs / ours:.1f}x)")
    return out


PEER_NAMES = ("neurokit2", "biosppy", "biosppy_hodges_bui", "biosppy_bonato")


def make_jobs(n_per_cell: int, n_reps: int, detectors: tuple[str, ...], npz_dir: str,
              seed0: int, modes: tuple[str, ...] = ("mix",),
              bands: tuple[tuple[float, float], ...] = SNR_BANDS,
              artifacts_grid: tuple[bool, ...] = (True, False)) -> list[Job]:
    """The grid's recordings.  The ``mix`` recordings do not depend on which other modes are asked for
    (each mode draws its SNRs and seeds from its own stream)."""
    jobs = []
    for m, mode in enumerate(modes):
        rng = np.random.default_rng(seed0 if mode == "mix" else seed0 + 1000 * (m + 1))
        k = 0
        for lo, hi in SNR_BANDS:
            for fs in FS_GRID:
                for artifacts in (True, False):
                    for _ in range(n_per_cell):
                        snr = float(rng.uniform(lo, hi))
                        seed = seed0 * 100000 + k + (0 if mode == "mix" else 50000)
                        k += 1
                        if (lo, hi) not in bands or artifacts not in artifacts_grid:
                            continue
                        spec = SimSpec(fs_hz=fs, snr_db=snr, artifacts=artifacts, seed=seed, n_reps=n_reps,
                                       mode=mode)
                        jobs.append(Job(f"{mode[0]}{k - 1:04d}", spec, f"{lo:g}-{hi:g}", detectors, npz_dir))
    return jobs


def _lag_abs_error(o: pd.DataFrame, by: list[str]) -> pd.Series:
    """Median |glute-minus-hamstring lag error| (ms) over reps where both onsets were found."""
    key = ["method", "rec", "rep", "side"]
    g = o[o["muscle"] == "glute_max"].set_index(key)
    h = o[o["muscle"] == "hamstring"].set_index(key)
    j = g.join(h[["truth_s", "det_s"]].rename(columns={"truth_s": "truth_s_h", "det_s": "det_s_h"}))
    j["lag_err"] = ((j["det_s"] - j["det_s_h"]) - (j["truth_s"] - j["truth_s_h"])).abs() * 1000.0
    return j.reset_index().groupby(by, sort=False)["lag_err"].median()


def load_oracle() -> tuple[dict[str, dict[str, float]], str]:
    """The per-cell near-oracle stored by ``information_limit.py --write`` (empty if absent)."""
    path = HERE / "near_oracle.json"
    if not path.exists():
        return {}, "near-oracle: none stored (python benchmarks/information_limit.py --range-only --write)"
    d = json.loads(path.read_text())
    return d["cells"], f"near-oracle: {path.name}, {d['per_cell']} onsets per cell and mode ({d['command']})"


def oracle_cells(onsets: pd.DataFrame, recs: pd.DataFrame, mode: str, method: str,
                 oracle: dict[str, dict[str, float]], peers: list[str]) -> pd.DataFrame:
    """Per cell (SNR band x fs, artifacts on) of one mode: ``method``, its ratio to the near-oracle,
    and the peers' median |error| and found% beside."""
    o = onsets[(onsets["mode"] == mode) & (onsets["artifacts"] == "on") & (onsets["snr_band"] != "0-3")]
    r = recs[(recs["mode"] == mode) & (recs["artifacts"] == "on") & (recs["snr_band"] != "0-3")]
    t = summarize(o, r, ["snr_band", "fs_hz", "method"])
    lag = _lag_abs_error(o.assign(found=o["det_s"].notna()), ["snr_band", "fs_hz", "method"])
    rows = []
    for (band, fs, m), v in t.iterrows():
        if m != method:
            continue
        lo, hi = (float(x) for x in str(band).split("-"))
        orc = oracle.get(f"{mode}@{lo:g}-{hi:g}@{fs:g}", {})
        row = {"snr_band": band, "fs_hz": int(fs), "found%": v["found%"], "FB/min": v["FB/min"],
               "med|e|": v["med|e|"], "p90|e|": v["p90|e|"], "lag|e|": lag.get((band, fs, m), np.nan),
               "order%": v["order%"], "cal2sd%": v["cal2sd%"], "oracle med": orc.get("med", np.nan),
               "oracle p90": orc.get("p90", np.nan)}
        row["x med"] = row["med|e|"] / row["oracle med"] if orc else np.nan
        row["x p90"] = row["p90|e|"] / row["oracle p90"] if orc else np.nan
        for peer in peers:
            if (band, fs, peer) in t.index:
                row[f"{peer} med"] = t.loc[(band, fs, peer), "med|e|"]
                row[f"{peer} found%"] = t.loc[(band, fs, peer), "found%"]
        rows.append(row)
    return pd.DataFrame(rows).set_index(["snr_band", "fs_hz"]) if rows else pd.DataFrame()


def issue15_targets(cells: pd.DataFrame, mode: str, lag_overall: float, order_overall: float) -> list[str]:
    """Issue 15's targets for one mode on the per-cell table (realistic range)."""
    if cells.empty:
        return []
    if mode == "mix":
        return [f"median within 1.25x of the shape-inferred near-oracle in every cell: worst "
                f"{cells['x med'].max():.2f}x; p90: worst {cells['x p90'].max():.2f}x"]
    def mark(ok: bool) -> str:
        return "met" if ok else "NOT met"
    return [
        f"found >= 99 % in every cell: worst {cells['found%'].min():.1f} % "
        f"({mark(cells['found%'].min() >= 99)})",
        f"false bursts <= 1 /min: worst {cells['FB/min'].max():.2f} ({mark(cells['FB/min'].max() <= 1)})",
        f"median |e| <= 12 ms in every cell: worst {cells['med|e|'].max():.1f} "
        f"({mark(cells['med|e|'].max() <= 12)})",
        f"p90 |e| <= 50 ms in every cell: worst {cells['p90|e|'].max():.1f} "
        f"({mark(cells['p90|e|'].max() <= 50)})",
        f"lag |error| median <= 12 ms: {lag_overall:.1f} ({mark(lag_overall <= 12)})",
        f"order >= 97 % for |lag| >= 40 ms: {order_overall:.1f} % ({mark(order_overall >= 97)})",
        f"cells: median at {cells['x med'].min():.2f}-{cells['x med'].max():.2f}x and p90 at "
        f"{cells['x p90'].min():.2f}-{cells['x p90'].max():.2f}x of the near-oracle told the shape and mean",
    ]


def speed_lines(recs: pd.DataFrame) -> list[str]:
    """CPU seconds per minute of recording, per method, and each against the default's."""
    if "cpu_s" not in recs:
        return []
    r = recs.groupby("method")[["cpu_s", "minutes"]].sum()
    r["s/min"] = r["cpu_s"] / r["minutes"]
    ref = r["s/min"].get("default", np.nan)
    return [f"{m}: {v:.2f} CPU s per minute of recording ({v / ref:.2f}x default)"
            for m, v in r["s/min"].sort_values().items() if np.isfinite(v)]


def print_mode(onsets: pd.DataFrame, recs: pd.DataFrame, detectors: tuple[str, ...],
               mode: str) -> dict[str, pd.DataFrame]:
    """The issue 3 tables for one mode; returns its realistic, all and per-condition summaries."""
    onsets = onsets[onsets["mode"] == mode]
    recs = recs[recs["mode"] == mode]
    target = (onsets["snr_band"] != "0-3") & (onsets["artifacts"] == "on")
    target_r = (recs["snr_band"] != "0-3") & (recs["artifacts"] == "on")
    print(f"\n# ===== mode {mode} =====")
    print("\n## Realistic range (SNR >= 3 dB, 200-2000 Hz, artifacts on), all methods")
    overall = summarize(onsets[target], recs[target_r], ["method"])
    print(fmt(overall.sort_values("med|e|")))
    everything = summarize(onsets, recs, ["method"])
    if not target.all():
        print("\n## All recordings (SNR 0-25 dB, artifacts on and off)")
        print(fmt(everything.sort_values("med|e|")))
    print("\n## By rise time (realistic range)")
    o = onsets[target].copy()
    o["rise"] = pd.cut(o["rise_ms"], [b[0] for b in RISE_BINS] + [RISE_BINS[-1][1]],
                       labels=[f"{a:g}-{b:g}ms" for a, b in RISE_BINS], include_lowest=True).astype(str)
    rec_t = recs[target_r]
    print(fmt(by_truth_attribute(o, rec_t, "rise")))
    print("\n## By rise shape (realistic range)")
    print(fmt(by_truth_attribute(o, rec_t, "shape")))
    print("\n## Per condition (SNR band x fs x artifacts)")
    cond = summarize(onsets, recs, ["snr_band", "fs_hz", "artifacts", "method"])
    print(fmt(cond))
    cond_t = summarize(onsets[target], recs[target_r], ["snr_band", "fs_hz", "method"])
    print("\n## Issue 3 targets on the realistic range (worst condition = SNR band x fs, artifacts on)")
    for m in detectors:
        print(f"- {m}:")
        for line in check_targets(cond_t, overall, m, onsets[target]):
            print(f"    {line}")
    return {"realistic": overall, "all": everything, "condition": cond}


def print_oracle(onsets: pd.DataFrame, recs: pd.DataFrame, modes: tuple[str, ...]) -> None:
    """Per cell: the default against the near-oracle of its mode, peers beside; issue 15's targets."""
    oracle, note = load_oracle()
    peers = [p for p in PEER_NAMES if p in set(onsets["method"])]
    print(f"\n# ===== the default against the near-oracle, per cell (artifacts on); {note}")
    print("# x med, x p90: the default's median and p90 |error| over the near-oracle's (mix: shape "
          "inferred; consistent: told the muscle's shape and mean rise); lag|e| median |lag error|, ms")
    for mode in modes:
        cells = oracle_cells(onsets, recs, mode, "default", oracle, peers)
        print(f"\n## mode {mode}")
        if cells.empty:
            print("(no default rows)")
            continue
        print(cells.to_string(float_format=lambda v: f"{v:.1f}"))
        o = onsets[(onsets["mode"] == mode) & (onsets["artifacts"] == "on") & (onsets["snr_band"] != "0-3")]
        lag = _lag_abs_error(o, ["method"]).get("default", np.nan)
        order = _order_accuracy(o, ["method"]).get("default", np.nan)
        print(f"### issue 15 targets, mode {mode}")
        for line in issue15_targets(cells, mode, float(lag), float(order)):
            print(f"- {line}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="1 recording of 3 reps per condition instead of 3 recordings of 6 reps")
    ap.add_argument("--per-cell", type=int, default=None, help="recordings per condition")
    ap.add_argument("--detectors", default=None, help="comma-separated glutesense detectors (default: all)")
    ap.add_argument("--mode", choices=["mix", "consistent", "both"], default="both",
                    help="bridge_sim mode: per-activation mix (stress test), consistent (each muscle keeps "
                         "its shape and rise time +-20 %%), or both (default)")
    ap.add_argument("--realistic", action="store_true",
                    help="only the realistic range (SNR >= 3 dB, artifacts on)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--save", default=None, help="write per-onset rows to this CSV")
    ap.add_argument("--reference", default=None, metavar="JSON",
                    help="compare every figure with this stored run (within +-0.5 ms / %% / per min)")
    ap.add_argument("--write-reference", default=None, metavar="JSON", help="store this run's figures")
    args = ap.parse_args(argv)
    detectors = tuple(args.detectors.split(",")) if args.detectors else tuple(DETECTOR_CLASSES)
    n_per_cell = args.per_cell or (1 if args.quick else 3)
    n_reps = 3 if args.quick else 6
    modes = ("mix", "consistent") if args.mode == "both" else (args.mode,)
    t_start = time.perf_counter()
    npz_dir = Path(tempfile.mkdtemp(prefix="glutesense-bench-"))
    try:
        jobs = make_jobs(n_per_cell, n_reps, detectors, str(npz_dir), args.seed, modes,
                         SNR_BANDS[1:] if args.realistic else SNR_BANDS,
                         (True,) if args.realistic else (True, False))
        with Pool(2) as pool:
            res = pool.map(work, jobs, chunksize=1)
        onset_rows = [r for o, _, _ in res for r in o]
        rec_rows = [r for _, rr, _ in res for r in rr]
        ours_s = sum(t for _, _, t in res)
        peer_note = "peers skipped (--no-peers)"
        if not args.no_peers:
            p_on, p_rec, peer_note = run_peers(jobs, npz_dir)
            onset_rows += p_on
            rec_rows += p_rec
    finally:
        shutil.rmtree(npz_dir, ignore_errors=True)
    onsets = pd.DataFrame(onset_rows)
    recs = pd.DataFrame(rec_rows)
    if args.save:
        onsets.to_csv(args.save, index=False)
    from glutesense.detect import DETECTORS

    via = [m for m in detectors if _analysis_module() is not None and m in DETECTORS]
    pipeline = f"analyze() for {', '.join(via) or 'none'}, direct (condition_emg + detector) for the rest"
    per_method = len(onsets) // max(onsets["method"].nunique(), 1)
    print(f"# onset_accuracy: {len(jobs)} recordings, {per_method} onsets "
          f"per method; our pipeline: {pipeline}; {peer_note}")
    given = " ".join(argv if argv is not None else sys.argv[1:])
    print(f"# command: python benchmarks/onset_accuracy.py {given}")
    bands = [f"{a:g}-{b:g}" for a, b in (SNR_BANDS[1:] if args.realistic else SNR_BANDS)]
    print(f"# grid: modes {list(modes)} x SNR bands {bands} dB x fs {[int(f) for f in FS_GRID]} Hz x "
          f"artifacts {'on' if args.realistic else 'on/off'} x {n_per_cell} recording(s) of {n_reps} reps; "
          f"seed {args.seed}")
    print("# columns: found% of truth onsets; FB/min false bursts per minute of rest; |e| abs error vs "
          "activation start, ms; e10 vs 10 % of plateau; bias = median signed error (+ late); order% for "
          "|lag| >= 40 ms; cal2sd% share of errors within 2 reported SDs (detectors that report one); "
          "crash = recordings on which the method raised")
    tables: dict[str, pd.DataFrame] = {}
    for mode in modes:
        shown = print_mode(onsets, recs, detectors, mode)
        tables = shown if mode == "mix" else tables
    print_oracle(onsets, recs, modes)
    print("\n# speed (same run, same recordings; peers in their own process)")
    for line in speed_lines(recs):
        print(f"- {line}")
    print(f"\n# wall time {time.perf_counter() - t_start:.0f} s (our detectors {ours_s:.0f} s CPU)")
    if (args.reference or args.write_reference) and (args.realistic or "mix" not in modes):
        print("# reference: only the mix grid is stored and compared (drop --realistic / --mode consistent)")
        return 1 if args.reference else 0
    figures = {"args": {"quick": args.quick, "per_cell": n_per_cell, "seed": args.seed},
               "figures": reference_figures(tables)}
    if args.write_reference:
        Path(args.write_reference).write_text(json.dumps(figures, indent=1, sort_keys=True))
        print(f"# reference written: {args.write_reference}")
    if args.reference:
        return compare_reference(figures, json.loads(Path(args.reference).read_text()), args.reference)
    return 0


REFERENCE_COLUMNS = ("n", "found%", "FB/min", "med|e|", "p90|e|", "bias", "med|e10|", "p90|e10|", "order%",
                     "cal2sd%")
REFERENCE_TOLERANCE = 0.5
"""Every figure (ms, %, bursts/min) must stay within this of the stored reference run."""


def reference_figures(tables: dict[str, pd.DataFrame]) -> dict[str, float | None]:
    """Flat ``section|row|column -> value`` of the summary tables (NaN as None), for a stored reference."""
    out: dict[str, float | None] = {}
    for name, table in tables.items():
        for idx, row in table.iterrows():
            label = "/".join(str(i) for i in idx) if isinstance(idx, tuple) else str(idx)
            for col in REFERENCE_COLUMNS:
                v = float(row[col])
                out[f"{name}|{label}|{col}"] = None if not np.isfinite(v) else v
    return out


def compare_reference(now: dict[str, object], ref: dict[str, object], path: str) -> int:
    """Print the largest deviation per column from the stored run; 1 if any exceeds the tolerance."""
    if now["args"] != ref["args"]:
        print(f"# reference {path}: different grid {ref['args']} vs {now['args']}; not compared")
        return 1
    a, b = now["figures"], ref["figures"]
    assert isinstance(a, dict) and isinstance(b, dict)
    common = sorted(set(a) & set(b))
    worst: dict[str, tuple[float, str]] = {}
    bad = []
    for key in common:
        x, y = a[key], b[key]
        if x is None or y is None:
            d = 0.0 if x is None and y is None else float("inf")
        else:
            d = float(x) - float(y)
        col = key.split("|", 2)[2]  # "<table>|<row>|<column>"; column names hold "|" (med|e|)
        if abs(d) >= abs(worst.get(col, (0.0, ""))[0]):
            worst[col] = (d, key)
        if not abs(d) <= REFERENCE_TOLERANCE:
            bad.append(f"{key}: {x} vs {y}")
    print(f"\n## Against the reference {path} ({len(common)} figures compared; tolerance "
          f"+-{REFERENCE_TOLERANCE})")
    for col in REFERENCE_COLUMNS:
        if col in worst:
            d, key = worst[col]
            print(f"- {col}: largest change {d:+.2f} ({key})")
    if bad:
        print(f"REFERENCE FAILED: {len(bad)} figures outside +-{REFERENCE_TOLERANCE}:")
        for line in bad[:40]:
            print(f"    {line}")
        return 1
    print("reference held: every figure within tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
