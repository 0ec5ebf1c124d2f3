"""The rise fit's fast paths give the answers of the plain NumPy fit (issue 18: same answers, faster)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from support.signals import REST_S

from glutesense.detect import DetectionInput, risefit, risefit_kernel, risegrid
from glutesense.detect.default import RISE_LADDER_S, DefaultDetector, DefaultSettings
from glutesense.detect.risefit import RISE_SHAPES, RiseShape, fit_rise
from glutesense.model.roles import Role
from glutesense.signal.condition import condition_emg
from glutesense.virtual.synth import SynthSpec, make_recording


def _bins(seed: int, shape_pow: float) -> tuple[np.ndarray, np.ndarray]:
    """5 ms bin powers (chi-square, nu = 10) of a rise at 0.5 s to 9x rest, one spike, one lost bin."""
    rng = np.random.default_rng(seed)
    t = (np.arange(200) + 0.5) * 0.005
    lam = 1.0 + 8.0 * np.clip((t - 0.5) / 0.1, 0.0, 1.0) ** shape_pow
    p = lam * rng.chisquare(10, t.size) / 10.0
    p[30] = 40.0  # a spike on the rest: winsorised
    p[150] = np.nan
    return t, p


def _fit(t: np.ndarray, p: np.ndarray, shapes: tuple[RiseShape, ...]) -> risefit.RiseFit:
    fit = fit_rise(
        t,
        p,
        nu=10.0,
        base_power=1.0,
        prior_nu=400.0,
        onset_range_s=(0.2, 0.7),
        onset_step_s=0.002,
        rise_grid_s=RISE_LADDER_S[:11],
        bin_s=0.005,
        shapes=shapes,
    )
    assert fit is not None
    return fit


@pytest.mark.skipif(not risefit_kernel.AVAILABLE, reason="numba (the fast extra) not installed")
@pytest.mark.parametrize(("seed", "shape_pow"), [(1, 2.0), (2, 1.0), (3, 0.5)])
def test_compiled_kernel_equals_numpy(monkeypatch: pytest.MonkeyPatch, seed: int, shape_pow: float) -> None:
    t, p = _bins(seed, shape_pow)
    shapes = (*RISE_SHAPES, RiseShape.CUBIC)
    fast = _fit(t, p, shapes)
    monkeypatch.setattr(risefit, "_FORCE_NUMPY", [True])
    assert not risefit.use_kernel()
    slow = _fit(t, p, shapes)
    # every log-likelihood of the grid to rounding (|ll| ~ 2500), so the same posterior and estimate
    np.testing.assert_allclose(fast.shape_loglik, slow.shape_loglik, rtol=0, atol=1e-8)
    assert fast.onset_s == pytest.approx(slow.onset_s, abs=1e-12)
    assert fast.onset_sd_s == pytest.approx(slow.onset_sd_s, abs=1e-12)
    assert (fast.shape, fast.rise_s, fast.map_onset_s) == (slow.shape, slow.rise_s, slow.map_onset_s)
    assert fast.base_power == pytest.approx(slow.base_power, rel=1e-10)
    assert fast.rise_power == pytest.approx(slow.rise_power, rel=1e-10)
    assert abs(fast.onset_s - 0.5) < 0.05  # and it is the rise's onset


def test_sensitive_pass_fits_only_in_its_windows_with_the_same_answers() -> None:
    # detect_in fits only the bursts whose alarm is in a window; they equal those of a whole pass
    rec, _ = make_recording(SynthSpec(snr_db=10.0, n_reps=4, seed=21))
    x, fs, t0 = rec.signal(Role.GLUTE_MAX_L)
    data = DetectionInput(condition_emg(x, fs).signal_uv, fs, t0, REST_S)
    det = DefaultDetector()
    cfg = det.settings
    sensitive = DefaultDetector(
        replace(
            cfg,
            detect_window_ms=cfg.sensitive_window_ms,
            detect_bin_ms=cfg.sensitive_bin_ms,
            detect_min_samples=0,
            h_sd=cfg.sensitive_h_sd,
            h_off_sd=cfg.sensitive_h_off_sd,
            min_on_ms=cfg.sensitive_min_on_ms,
        )
    )
    everything = sensitive.detect(data)
    assert len(everything) >= 4
    windows = [
        (everything[1].alarm_s - 0.1, everything[1].alarm_s + 0.1),
        (everything[3].alarm_s - 0.1, everything[3].alarm_s + 0.1),
    ]
    assert det.detect_in(data, windows) == (everything[1], everything[3])


def test_shape_pooling_still_sees_every_burst() -> None:
    # with pool_shapes the prior is learnt from all bursts, so the window filter must not cut them
    rec, _ = make_recording(SynthSpec(snr_db=10.0, n_reps=4, seed=22))
    x, fs, t0 = rec.signal(Role.HAMSTRING_R)
    data = DetectionInput(condition_emg(x, fs).signal_uv, fs, t0, REST_S)
    det = DefaultDetector(DefaultSettings(pool_shapes=True, pool_min_ms=100.0))
    everything = det.detect(data)
    one = (everything[0].alarm_s - 0.05, everything[0].alarm_s + 0.05)
    assert len(everything) >= 2
    assert det._detect(data, [one]) == everything  # every burst fitted and kept (detect_in filters later)


@pytest.mark.parametrize(
    ("seed", "shape_pow", "gain", "most"), [(1, 2.0, 8.0, 0.5), (4, 1.0, 2.0, 1.0), (5, 0.5, 0.6, 1.0)]
)
def test_coarse_to_fine_grid_equals_the_whole_grid(
    monkeypatch: pytest.MonkeyPatch, seed: int, shape_pow: float, gain: float, most: float
) -> None:
    # the pruned grid fits only the cells near the best, yet the posterior is the whole grid's
    t, p = _bins(seed, shape_pow)
    p = 1.0 + (p - 1.0) * gain / 8.0  # plateau 9x rest down to 1.6x: narrow to broad posteriors
    fitted: list[int] = []
    kernel = risefit._fit_cells_kernel if risefit.use_kernel() else risefit._fit_cells_numpy

    def counting(*args: object, **kw: float) -> None:
        fitted.append(int(np.count_nonzero(args[4])))
        kernel(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(risefit, "_fit_cells_kernel", counting)
    monkeypatch.setattr(risefit, "_fit_cells_numpy", counting)
    pruned = _fit(t, p, RISE_SHAPES)
    n_pruned = sum(fitted)
    monkeypatch.setattr(risegrid, "PRUNE_NATS", np.inf)
    fitted.clear()
    whole = _fit(t, p, RISE_SHAPES)
    n_cells = whole.onsets_s.size * (1 + 5 * 11)
    assert sum(fitted) == n_cells  # without pruning every cell is fitted once
    assert n_pruned <= most * n_cells  # a clear rise prunes most of the grid, a faint one little
    assert pruned.onset_s == pytest.approx(whole.onset_s, abs=1e-9)
    assert pruned.onset_sd_s == pytest.approx(whole.onset_sd_s, abs=1e-9)
    assert (pruned.shape, pruned.rise_s, pruned.map_onset_s) == (whole.shape, whole.rise_s, whole.map_onset_s)
    ev_p, ev_w = pruned.shape_evidence(), whole.shape_evidence()
    np.testing.assert_allclose(np.exp(ev_p - ev_p.max()), np.exp(ev_w - ev_w.max()), atol=1e-9)
