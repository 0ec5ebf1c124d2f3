"""Every sample session analyses to its golden outputs (``tests/golden/golden.py`` says how they are
compared; ``regenerate.py --write`` renews them when a change in numbers is meant)."""

from __future__ import annotations

from pathlib import Path

import pytest
from goldens import HERE, analyze_sample, compare_outputs, compare_values, sample_names


@pytest.mark.parametrize("name", sample_names())
def test_sample_matches_its_golden_outputs(name: str, tmp_path: Path) -> None:
    golden = HERE / name
    assert (golden / "reps.csv").is_file(), f"no golden outputs for {name}: regenerate.py --write"
    diffs = compare_outputs(analyze_sample(name, tmp_path / name), golden)
    assert not diffs, "\n".join(diffs[:30])


def test_the_comparison_can_fail() -> None:
    golden = {"lag_median_ms": 120.0, "onset_s": 8.5, "order": "glute_first", "n": 4, "ratio": 1.2}
    assert compare_values(dict(golden), golden) == []
    assert compare_values({**golden, "lag_median_ms": 120.9}, golden) == []
    late = compare_values({**golden, "lag_median_ms": 121.5}, golden)
    assert late == ["/lag_median_ms: 121.5, golden 120.0"]
    assert compare_values({**golden, "onset_s": 8.502}, golden) == ["/onset_s: 8.502, golden 8.5"]
    assert compare_values({**golden, "order": "hamstring_first"}, golden) != []
    assert compare_values({**golden, "n": 5}, golden) != []
    assert compare_values({**golden, "ratio": 1.21}, golden) != []
    assert compare_values({k: v for k, v in golden.items() if k != "n"}, golden) == ["/n: missing"]
