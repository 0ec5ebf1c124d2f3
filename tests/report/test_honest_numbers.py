"""Honest numbers: a silent glute has no symmetry, ratio or hold number; a "cannot tell" side no lag; no
false precision and no "-0".

The glute-absent session comes from the virtual sensor through the CLI (``record --sim-pattern
glute-absent``, then ``analyze``), the way a user makes one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support.paths import ROOT, SAMPLES

from glutesense.clinical.wording import signed_ms
from glutesense.report.html import _cell, column_format

ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}


def _gs(*args: str, cwd: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "glutesense", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.fixture(scope="module")
def absent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("absent")
    _gs(
        "record",
        "--device",
        "sim",
        "--speed",
        "inf",
        "--sim-pattern",
        "glute-absent",
        "--reps",
        "4",
        "--subject",
        "S09",
        "--out",
        "s.gses",
        cwd=d,
    )
    _gs("analyze", "s.gses", "--protocol", "bridge", "--out", "out", cwd=d)
    return d / "out"


def _key_rows(html: str) -> dict[str, list[str]]:
    """The key-numbers table: quantity -> the sides' cells (text)."""
    start = html.index("Key numbers")
    table = html[start : html.index("</table>", start)]
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", "", html))


@pytest.mark.slow
def test_silent_glute_has_no_symmetry_ratio_or_hold_number(absent: Path) -> None:
    summary = json.loads((absent / "summary.json").read_text())
    clin = summary["clinical"]
    assert clin["symmetry_index_pct"] is None
    for side in ("left", "right"):
        s = clin["sides"][side]
        assert s["verdict"]["kind"] == "glute_absent"
        assert s["ratio_median"] is None and s["ratio_uv_median"] is None
        assert s["glute_hold_mean_pct_median"] is None and s["hold_cv_median"] is None
    assert any("symmetry: not computed" in line.lower() for line in clin["lines"])
    reps = pd.read_csv(absent / "reps.csv")
    for col in ("glute_ham_ratio", "glute_ham_ratio_uv", "glute_hold_mean_pct", "glute_hold_cv"):
        assert reps[col].isna().all(), col
    html = (absent / "report.html").read_text(encoding="utf-8")
    assert "symmetry index" not in _text(html).lower()
    rows = _key_rows(html)
    for label in ("glute/hamstring hold ratio (normalised)", "glute hold (% of reference)"):
        assert rows[label] == ["— (the glute did not switch on)"] * 2, rows[label]  # a reason, no number


@pytest.mark.slow
def test_cannot_tell_side_shows_no_lag(tmp_path: Path) -> None:
    _gs(
        "analyze",
        str(SAMPLES / "sls_glute_late.gses"),
        "--protocol",
        "single-leg-stand",
        "--out",
        "o",
        cwd=tmp_path,
    )
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    sides = summary["clinical"]["sides"]
    assert {s["verdict"]["kind"] for s in sides.values()} == {"cannot_tell"}
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    lag = _key_rows(html)["median lag, glute minus hamstring"]
    assert all(c.startswith("— (cannot tell") for c in lag), lag
    assert "left minus right" not in _text(html)  # no side difference of lags that carry no verdict


def test_rounding_has_the_methods_precision_and_no_minus_zero() -> None:
    assert signed_ms(-0.4) == "0 ms" and signed_ms(0.49) == "0 ms"
    assert signed_ms(127.6) == "+128 ms" and signed_ms(-6.2) == "-6 ms"
    assert column_format("glute_lag_ms") == ".0f" and column_format("glute_onset_s") == ".3f"
    assert column_format("glute_ham_ratio") == ".2f" and column_format("snr_db") == ".1f"
    assert _cell(133.007, column_format("glute_lag_ms")) == "133"
    assert _cell(-0.0001, ".3f") == "0.000" and _cell(-0.2, ".0f") == "0"
    assert _cell(-1.5, ".0f") == "-2"
