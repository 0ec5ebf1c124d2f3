"""Why single-leg-stand reps miss the exact count of false starts: a failure table per condition.

For every rep of :mod:`article_checks`' single-leg-stand grid whose count differs from the truth, each
reported try is matched to a truth try (its onset within ``[truth onset - 80 ms, truth end)``), and
the rest is classed:

* over-counting: ``split`` (two reported tries on one truth try), ``rise`` (an extra try within
  -100..+400 ms of the sustained onset: envelope wobble of the rising squeeze), ``noise`` (elsewhere);
* under-counting: each missed truth try with what the signal allowed, measured on the noisy EMG apart
  from the detector (20-450 Hz band, 50 ms RMS): its peak above the pre-cue level in pre-cue SDs and
  in % of the hold's excess, its duration and its gap to the next rise (next try or the squeeze).

    python benchmarks/sls_diagnose.py [--only TEXT] [--seeds 3]
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
import sls_sim
from article_checks import SLS_CONDITIONS
from scipy import signal

from glutesense.analysis.pipeline import analyze
from glutesense.model.roles import Protocol


def _envelope(x: np.ndarray, fs: float, window_s: float = 0.05) -> np.ndarray:
    band = signal.butter(4, [20.0, min(450.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(band, x)
    w = max(1, round(window_s * fs))
    return np.sqrt(np.convolve(y * y, np.ones(w) / w, mode="same"))


def _try_features(
    envs: tuple[np.ndarray, np.ndarray], fs: float, t: sls_sim.SqueezeTruth, j: int
) -> dict[str, float]:
    """Features of truth try ``j`` on the 50 ms envelope (``peak_sd100``: on the 100 ms one)."""

    def at(s: float) -> int:
        return round(s * fs)

    def lift(env: np.ndarray) -> tuple[float, float, float]:
        pre = env[at(t.cue_s - 0.6) : at(t.cue_s)]
        a0, sd = float(np.median(pre)), float(1.4826 * np.median(np.abs(pre - np.median(pre))))
        peak = float(env[at(tr.onset_s) : max(at(tr.end_s), at(tr.onset_s) + 1)].max())
        return a0, max(sd, 1e-9), peak

    env = envs[0]
    tr = t.tries[j]
    a0, sd, peak = lift(env)
    a1, sd1, peak1 = lift(envs[1])
    hold = float(np.median(env[at(t.onset_s + 0.8) : at(t.release_s)]))
    nxt = t.tries[j + 1].onset_s if j + 1 < len(t.tries) else t.onset_s
    gap = env[at(tr.end_s) : max(at(nxt), at(tr.end_s) + 1)]
    low = float(gap.min())
    return {
        "peak_sd": (peak - a0) / sd,
        "peak_sd100": (peak1 - a1) / sd1,
        "peak_pct": 100.0 * (peak - a0) / max(hold - a0, 1e-9),
        "dur_ms": 1000.0 * (tr.end_s - tr.onset_s),
        "gap_ms": 1000.0 * (nxt - tr.end_s),
        "dip_pct": 100.0 * (low - a0) / max(peak - a0, 1e-9),
    }


def _match(found: tuple[float, ...], t: sls_sim.SqueezeTruth) -> tuple[list[str], list[int]]:
    """Classes of unmatched reported tries and indices of missed truth tries."""
    used: set[int] = set()
    extra: list[str] = []
    for f in found:
        hits = [j for j, tr in enumerate(t.tries) if tr.onset_s - 0.08 <= f < tr.end_s]
        free = [j for j in hits if j not in used]
        if free:
            used.add(free[0])
        elif hits:
            extra.append("split")
        elif -0.1 <= f - t.onset_s <= 0.4:
            extra.append("rise")
        else:
            extra.append("noise")
    return extra, [j for j in range(len(t.tries)) if j not in used]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    print("| condition | separable | exact | over | under | both | extra: split/rise/noise | missed |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    details: list[str] = []
    every: list[dict[str, float]] = []
    for cond in [c for c in SLS_CONDITIONS if args.only in c.name]:
        kinds: Counter[str] = Counter()
        extras: Counter[str] = Counter()
        n_sep = n_exact = n_missed = 0
        for seed in range(1, args.seeds + 1):
            spec = sls_sim.SlsSpec(
                cond.fs_hz, cond.snr_db, seed, n_reps=4, tries=cond.tries, merged_p=cond.merged_p
            )
            rec = sls_sim.simulate(spec)
            res = analyze(sls_sim.to_recording(rec), Protocol.SINGLE_LEG_STAND)
            rows = {(r.side.value, r.rep): r for r in res.reps}
            envs = {
                s: tuple(
                    _envelope(rec.emg_uv[rec.roles.index(f"glute_max_{s}")], spec.fs_hz, w)
                    for w in (0.05, 0.1)
                )
                for s in "lr"
            }
            for t in rec.truths:
                r = rows.get((t.side, t.rep))
                if r is None or not t.separable:
                    continue
                n_sep += 1
                for j in range(len(t.tries)):
                    every.append(_try_features(envs[t.side[0]], spec.fs_hz, t, j))
                if r.false_starts == len(t.tries):
                    n_exact += 1
                    continue
                extra, missed = _match(r.false_starts_s, t)
                kinds["both" if extra and missed else "over" if extra else "under"] += 1
                extras.update(extra)
                n_missed += len(missed)
                env = envs[t.side[0]]
                for j in missed:
                    f = _try_features(env, spec.fs_hz, t, j)
                    details.append(
                        f"{cond.name} seed {seed} {t.side} rep {t.rep}: missed try {j + 1}/{len(t.tries)} "
                        + " ".join(f"{k} {v:.0f}" for k, v in f.items())
                    )
                if extra:
                    rel = ", ".join(f"{1000 * (f - t.onset_s):+.0f}" for f in r.false_starts_s)
                    details.append(
                        f"{cond.name} seed {seed} {t.side} rep {t.rep}: extra {extra}; reported tries at "
                        f"{rel} ms from the sustained onset (truth {len(t.tries)} tries, latency "
                        f"{t.latency_ms:.0f} ms)"
                    )
        print(
            f"| {cond.name} | {n_sep} | {n_exact} | {kinds['over']} | {kinds['under']} | {kinds['both']} | "
            f"{extras['split']}/{extras['rise']}/{extras['noise']} | {n_missed} |"
        )
    print()
    print("\n".join(details))
    sd50 = np.array([f["peak_sd"] for f in every])
    sd100 = np.array([f["peak_sd100"] for f in every])
    pct = np.array([f["peak_pct"] for f in every])
    print(
        f"\ntruth tries in separable reps: {sd50.size}; peak < 5 SD of the 50 ms envelope: "
        f"{int(np.sum(sd50 < 5))}, < 3 SD: {int(np.sum(sd50 < 3))}; peak < 5 SD of the 100 ms envelope: "
        f"{int(np.sum(sd100 < 5))}, < 3 SD: {int(np.sum(sd100 < 3))}; peak < 20 % of the hold's excess: "
        f"{int(np.sum(pct < 20))}; gap to the next rise < 100 ms: "
        f"{int(sum(f['gap_ms'] < 100 for f in every))}"
    )


if __name__ == "__main__":
    main()
