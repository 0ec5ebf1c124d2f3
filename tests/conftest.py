"""Shared fixtures.  Builders and paths shared by tests live in ``tests/support`` (importable as
``support``: ``tests`` and ``benchmarks`` are on the test path, see ``pyproject.toml``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.paths import SAMPLES


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """``sample_recordings/``: small sessions made by the virtual sensor, with their truth files."""
    return SAMPLES
