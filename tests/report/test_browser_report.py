"""The report renders in headless Chromium with its figures visible, loads nothing, escapes user strings.

Chromium comes from the system packages (``.ci/run`` installs it).  Without it the test
skips, except in CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glutesense.analysis.pipeline import analyze
from glutesense.model.roles import Protocol
from glutesense.report import write_outputs
from glutesense.virtual.synth import SynthSpec, make_recording

EVIL = "<script>alert(1)</script>"


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing in CI (.ci/run installs it from the Debian packages)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")
    return exe


def _browser(exe: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec, _ = make_recording(SynthSpec(n_reps=3, lag_ms=120.0, seed=61))
    rec = dataclasses.replace(rec, source=f"{EVIL}.csv", meta={**rec.meta, "subject": EVIL})
    res = analyze(rec, Protocol.BRIDGE, detector="changepoint")
    out = tmp_path_factory.mktemp("browser")
    return write_outputs(res, rec, out)["report"]


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") and value is not None:
                self.refs.append((tag, name, value))


def test_page_makes_no_external_requests(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    p = _Refs()
    p.feed(html)
    assert "script" not in p.tags
    assert "link" not in p.tags  # no style sheets, icons or preloads by URL
    assert "iframe" not in p.tags and "object" not in p.tags and "embed" not in p.tags
    assert p.refs, "the figures should be <img> elements"
    for tag, name, value in p.refs:
        assert value.startswith("data:image/png;base64,") or value.startswith("#"), (tag, name, value[:60])
    assert not re.search(r"url\s*\(", html)
    assert "@import" not in html
    assert not re.search(r"https?://", html)


def test_user_strings_are_escaped(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert EVIL not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_renders_in_headless_chromium_with_figures_visible(report: Path, tmp_path: Path) -> None:
    exe = _chromium()
    shot = tmp_path / "report.png"
    run = _browser(exe, tmp_path, f"--screenshot={shot}", "--window-size=1000,2600", report.as_uri())
    assert shot.is_file(), run.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB")).astype(np.int16)
    assert img.shape[0] >= 2000 and img.shape[1] >= 900
    non_white = (img < 235).any(axis=2).mean()
    assert non_white > 0.05, f"page looks blank ({100 * non_white:.1f} % non-white)"
    assert img.std() > 20

    def near(rgb: tuple[int, int, int], tol: int = 40) -> int:
        return int((np.abs(img - np.array(rgb)).max(axis=2) < tol).sum())

    # the figures' traces: hamstring blue #0072B2 and glute vermillion #D55E00 (text is never coloured so)
    assert near((0x00, 0x72, 0xB2)) > 2000
    assert near((0xD5, 0x5E, 0x00)) > 2000


def test_dom_keeps_the_subject_as_text(report: Path, tmp_path: Path) -> None:
    exe = _chromium()
    run = _browser(exe, tmp_path, "--dump-dom", report.as_uri())
    dom = run.stdout
    assert "Glute activation report" in dom, run.stderr[-2000:]
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
