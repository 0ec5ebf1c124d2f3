"""Run NeuroKit2 and BioSPPy onset detection on saved recordings (run inside ``benchmarks/.venv-peers``).

Usage: ``.venv-peers/bin/python peers_runner.py OUT.json REC1.npz [REC2.npz ...]``

Each ``.npz`` holds ``emg_uv`` (n_channels, n_samples), ``roles``, ``fs_hz`` and ``rest_s`` (start, stop).
The peers get the raw channel, as a user would hand it to them, and run with their documented
defaults; where a function has no defaults (BioSPPy's Hodges-Bui and Bonato detectors), the settings of
the papers are passed in the units the code actually uses.  Every call is wrapped: an exception is
recorded as that method's error for that recording (its onsets then count as not found).
Output JSON: ``{npz_name: {method: {"error": str|None, "channels": {role: [[onset_s, offset_s], ...]}}}}``.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from multiprocessing import Pool
from pathlib import Path

import numpy as np

Spans = list[list[float]]


def _pairs(idx: np.ndarray, fs: float, n: int) -> Spans:
    """Interleaved [on, off, on, off, ...] sample indices -> [[on_s, off_s], ...]."""
    idx = np.asarray(idx, dtype=float)
    out = []
    for k in range(0, idx.size, 2):
        on = idx[k]
        off = idx[k + 1] if k + 1 < idx.size else n - 1
        out.append([on / fs, off / fs])
    return out


def nk_default(x: np.ndarray, fs: float, rest: tuple[int, int]) -> Spans:
    import neurokit2 as nk

    signals, _ = nk.emg_process(x, sampling_rate=int(fs))
    on = np.flatnonzero(signals["EMG_Onsets"].to_numpy() == 1)
    off = np.flatnonzero(signals["EMG_Offsets"].to_numpy() == 1)
    spans = []
    for o in on:
        later = off[off > o]
        spans.append([o / fs, (later[0] if later.size else x.size - 1) / fs])
    return spans


def bsp_find_onsets(x: np.ndarray, fs: float, rest: tuple[int, int]) -> Spans:
    from biosppy.signals import emg

    out = emg.emg(signal=x, sampling_rate=fs, show=False)
    # find_onsets returns every threshold crossing, up and down, interleaved
    return _pairs(out["onsets"], fs, x.size)


def _bsp_filtered(x: np.ndarray, fs: float) -> np.ndarray:
    from biosppy.signals import emg

    return np.asarray(emg.emg(signal=x, sampling_rate=fs, show=False)["filtered"])


def bsp_hodges_bui(x: np.ndarray, fs: float, rest: tuple[int, int]) -> Spans:
    from biosppy.signals import emg

    f = _bsp_filtered(x, fs)
    # the docstring says size is in seconds, the code uses it as samples: pass 25 ms in samples
    out = emg.hodges_bui_onset_detector(signal=f, rest=[rest[0], rest[1]], sampling_rate=fs,
                                        size=max(int(0.025 * fs), 2), threshold=3)
    return _pairs(out["onsets"], fs, x.size)


def bsp_bonato(x: np.ndarray, fs: float, rest: tuple[int, int]) -> Spans:
    from biosppy.signals import emg

    f = _bsp_filtered(x, fs)
    # Bonato et al. 1998: m = 5, r0 = 1, 30 ms active-state duration (counted in sample pairs)
    out = emg.bonato_onset_detector(signal=f, rest=[rest[0], rest[1]], sampling_rate=fs, threshold=10,
                                    active_state_duration=max(int(0.030 * fs / 2), 1),
                                    samples_above_fail=1, fail_size=5)
    return _pairs(out["onsets"], fs, x.size)


METHODS: dict[str, Callable[[np.ndarray, float, tuple[int, int]], Spans]] = {
    "neurokit2": nk_default,
    "biosppy": bsp_find_onsets,
    "biosppy_hodges_bui": bsp_hodges_bui,
    "biosppy_bonato": bsp_bonato,
}


def run_one(path: str) -> tuple[str, dict[str, dict[str, object]]]:
    warnings.simplefilter("ignore")
    d = np.load(path, allow_pickle=False)
    fs = float(d["fs_hz"])
    rest = (int(float(d["rest_s"][0]) * fs), int(float(d["rest_s"][1]) * fs))
    roles = [str(r) for r in d["roles"]]
    res: dict[str, dict[str, object]] = {}
    for name, fn in METHODS.items():
        channels: dict[str, Spans] = {}
        error = None
        t0 = time.process_time()
        try:
            for i, role in enumerate(roles):
                channels[role] = fn(np.asarray(d["emg_uv"][i], dtype=float), fs, rest)
        except Exception as e:  # a peer's crash is a result, not our failure
            error = f"{type(e).__name__}: {str(e)[:160]}"
            channels = {}
        res[name] = {"error": error, "channels": channels, "cpu_s": time.process_time() - t0}
    return Path(path).name, res


def main(argv: list[str]) -> None:
    out, paths = argv[0], argv[1:]
    with Pool(2) as pool:
        results = dict(pool.imap_unordered(run_one, paths, chunksize=1))
    Path(out).write_text(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
