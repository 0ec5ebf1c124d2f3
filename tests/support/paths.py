"""Where the repository's shipped files are, for tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's top folder."""
SAMPLES = ROOT / "sample_recordings"
BENCHMARKS = ROOT / "benchmarks"
FIRMWARE_NOTES = ROOT / "firmware_notes"
NOTEBOOKS = ROOT / "notebooks"
