"""A surface-EMG carrier whose spectrum compresses as the muscle tires (the virtual person's fatigue).

The carrier is Gaussian noise shaped to the classic surface-EMG spectrum (Shwedyk et al. 1977,
``P(f) = f_h^4 f^2 / ((f^2 + f_l^2)(f^2 + f_h^2)^2)`` with ``f_l = 40 Hz``, ``f_h = 120 Hz``:
a median frequency near 85 Hz, in the range reported for the gluteus maximus).  Fatigue compresses
it by a factor ``k``: ``P(f) -> P(f / k)``, the spectral scaling of a falling conduction velocity
(Lindström & Magnusson 1977, De Luca 1984), and ``k`` follows the channel's accumulated *work*:
seconds of activation at the muscle's own plateau level (``W = ∫ envelope / plateau dt``).  The
person's parameter is how fast the median frequency falls: ``MDF(W) = MDF_fresh * (1 -
drop_per_active_s * W)`` (clipped at 45 % of fresh), so the truth is known exactly: ``k`` is found
from a table of the digital filter's own median frequency, and the truth records the MDF and MNF
that filter has at any time.

The shaping filter is a linear-phase FIR designed by frequency sampling of ``sqrt(P(f / k))``
(Hann-windowed, ``FIR_HALF_S`` each side), so the digital spectrum *is* ``P(f / k)`` to within
0.5 % across the band.  (A bilinear-transformed analog filter with its poles scaled by ``k`` is
not: the transform warps frequency, and at 1 kHz its compressed spectrum departs from ``P(f / k)``
by 4 % at 100 Hz, 40 % at 200 Hz and a factor of 3 at 300 Hz, so it did not compress the way
the model above says.)

Streaming: one FIR per channel, its taps re-designed per block from the channel's current ``k``
and the last ``n_taps - 1`` input samples carried over (``k`` changes by well under 1 % per
block), so a block of any size gives the same samples as long as blocks are the sensor's packets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import signal as sps

from glutesense.model.arrays import FloatArray

F_LOW_HZ = 40.0
F_HIGH_HZ = 120.0
BAND_HZ = (20.0, 450.0)
MIN_SHARE = 0.45
FIR_HALF_S = 0.128
_K_GRID = np.linspace(0.3, 1.0, 36)


def surface_psd(f_hz: FloatArray, k: float) -> FloatArray:
    """The surface-EMG model spectrum compressed by ``k`` at ``f_hz`` (relative units)."""
    f = np.asarray(f_hz, dtype=np.float64) / k
    return np.asarray(F_HIGH_HZ**4 * f**2 / ((f**2 + F_LOW_HZ**2) * (f**2 + F_HIGH_HZ**2) ** 2))


def surface_fir(k: float, fs_hz: float) -> FloatArray:
    """Taps (n_taps,) of the linear-phase FIR whose power response is ``surface_psd(f, k)`` at ``fs_hz``."""
    half = round(FIR_HALF_S * fs_hz)
    n_taps = 2 * half + 1
    n_fft = 1 << int(np.ceil(np.log2(8 * n_taps)))
    amp = np.sqrt(surface_psd(np.fft.rfftfreq(n_fft, 1.0 / fs_hz).astype(np.float64), k))
    taps = np.roll(np.fft.irfft(amp, n_fft), half)[:n_taps]
    return np.asarray(taps * sps.windows.hann(n_taps + 2)[1:-1], dtype=np.float64)


def _band(fs_hz: float) -> tuple[float, float]:
    return BAND_HZ[0], min(BAND_HZ[1], 0.45 * fs_hz)


@dataclass(frozen=True)
class SpectrumTable:
    """Median and mean frequency (Hz, within the EMG band) and noise gain of the filter per ``k``."""

    k: FloatArray
    mdf_hz: FloatArray
    mnf_hz: FloatArray
    gain: FloatArray

    @classmethod
    def build(cls, fs_hz: float) -> SpectrumTable:
        lo, hi = _band(fs_hz)
        f = np.fft.rfftfreq(8192, 1.0 / fs_hz)
        mdf, mnf, gain = [], [], []
        for k in _K_GRID:
            taps = surface_fir(float(k), fs_hz)
            p = np.abs(np.fft.rfft(taps, 8192)) ** 2
            gain.append(float(np.sqrt(np.sum(taps**2))))
            m = (f >= lo) & (f <= hi)
            cum = np.cumsum(p[m])
            mdf.append(float(np.interp(0.5 * cum[-1], cum, f[m])))
            mnf.append(float(np.sum(f[m] * p[m]) / np.sum(p[m])))
        return cls(_K_GRID.copy(), np.array(mdf), np.array(mnf), np.array(gain))

    def k_for_share(self, share: float) -> float:
        """The compression whose MDF is ``share`` of the fresh (k = 1) MDF."""
        target = share * float(self.mdf_hz[-1])
        return float(np.interp(target, self.mdf_hz, self.k))

    def at(self, k: float) -> tuple[float, float]:
        """(MDF, MNF) in Hz at compression ``k``."""
        return float(np.interp(k, self.k, self.mdf_hz)), float(np.interp(k, self.k, self.mnf_hz))


@dataclass
class FatiguingCarrier:
    """Unit-RMS surface-EMG carriers, one per channel, compressing with each channel's work.

    Parameters
    ----------
    fs_hz : float
    plateau_uv : ndarray, shape (n_channels,)
        Each channel's full activation level, µV (work is envelope / plateau, s).
    drop_per_active_s : float
        Share of the fresh MDF lost per second of full activation (0: no fatigue).
    """

    fs_hz: float
    plateau_uv: FloatArray
    drop_per_active_s: float
    table: SpectrumTable = field(init=False)
    work_s: FloatArray = field(init=False)
    _past: list[FloatArray] = field(init=False)
    _history: list[tuple[float, FloatArray]] = field(init=False)

    def __post_init__(self) -> None:
        n = self.plateau_uv.size
        self.table = SpectrumTable.build(self.fs_hz)
        self.work_s = np.zeros(n)
        n_taps = surface_fir(1.0, self.fs_hz).size
        self._past = [np.zeros(n_taps - 1) for _ in range(n)]
        self._history = [(0.0, self.work_s.copy())]

    @classmethod
    def of(cls, params: Any, levels: list[float]) -> FatiguingCarrier | None:
        """The carrier of a person (:class:`~glutesense.virtual.params.PersonParams`) whose
        ``emg_spectrum`` is ``surface``, each channel's plateau ``levels`` x its plateau; else None."""
        if params.emg_spectrum != "surface":
            return None
        plateau = params.plateau_uv * np.asarray(levels, dtype=np.float64)
        return cls(params.emg_fs_hz, plateau, params.fatigue_per_active_s)

    @staticmethod
    def truth_of(carrier: FatiguingCarrier | None, roles: Any, reps: Any) -> dict[str, Any]:
        """``{"fatigue": ...}`` for the person's truth (empty without a fatiguing carrier)."""
        if carrier is None:
            return {}
        return {"fatigue": carrier.truth([r.value for r in roles], [r.to_json() for r in reps])}

    def share(self, work_s: FloatArray) -> FloatArray:
        """MDF relative to fresh after ``work_s`` of activation."""
        return np.clip(1.0 - self.drop_per_active_s * work_s, MIN_SHARE, 1.0)

    def compression(self, col: int) -> float:
        return self.table.k_for_share(float(self.share(self.work_s[col : col + 1])[0]))

    def carrier(self, white: FloatArray, envelope_uv: FloatArray, t0_s: float) -> FloatArray:
        """The next carrier samples (n, n_channels) from ``white`` (n, n_channels); then add the work done."""
        out = np.empty_like(white)
        for col in range(white.shape[1]):
            taps = surface_fir(self.compression(col), self.fs_hz)
            x = np.concatenate([self._past[col], white[:, col]])
            out[:, col] = sps.convolve(x, taps, mode="valid") / float(np.sqrt(np.sum(taps**2)))
            self._past[col] = x[x.size - self._past[col].size :]
        done = np.sum(envelope_uv, axis=0) / (self.plateau_uv * self.fs_hz)
        if np.any(done > 0):
            self.work_s = self.work_s + done
            t_end = t0_s + white.shape[0] / self.fs_hz
            if t_end - self._history[-1][0] >= 0.1:
                self._history.append((t_end, self.work_s.copy()))
        return out

    def spectrum_at(self, col: int, t_s: float) -> tuple[float, float]:
        """True (MDF, MNF) of channel ``col`` at device time ``t_s``, Hz."""
        ts = np.array([t for t, _ in self._history])
        ws = np.array([w[col] for _, w in self._history])
        w = float(np.interp(t_s, ts, ws))
        return self.table.at(self.table.k_for_share(float(self.share(np.array([w]))[0])))

    def truth(self, roles: list[str], reps: list[dict[str, Any]]) -> dict[str, Any]:
        """Fatigue truth: the model, and each rep muscle's MDF/MNF at the middle of its burst."""
        col = {r: i for i, r in enumerate(roles)}
        per_rep = []
        for rep in reps:
            muscles = {}
            for role, m in rep.get("muscles", {}).items():
                on, off = m.get("onset_s"), m.get("offset_s")
                if role not in col or on is None or off is None:
                    continue
                mdf, mnf = self.spectrum_at(col[role], 0.5 * (on + off))
                muscles[role] = {
                    "mid_s": round(0.5 * (on + off), 6),
                    "mdf_hz": round(mdf, 4),
                    "mnf_hz": round(mnf, 4),
                }
            per_rep.append({"rep": rep.get("rep"), "side": rep.get("side"), "muscles": muscles})
        fresh_mdf, fresh_mnf = self.table.at(1.0)
        return {
            "model": "surface-EMG spectrum (Shwedyk 1977) compressed by accumulated work",
            "drop_per_active_s": self.drop_per_active_s,
            "fresh_mdf_hz": round(fresh_mdf, 4),
            "fresh_mnf_hz": round(fresh_mnf, 4),
            "work_s": {r: round(float(self.work_s[i]), 4) for r, i in col.items()},
            "reps": per_rep,
        }
