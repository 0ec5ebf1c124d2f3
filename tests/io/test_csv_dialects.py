"""CSV dialects: the delimiter sniffed on a sample, then the C parser (issue 18: fast readers).

(pandas' own ``sep=None`` sniffs the header line alone, and took ``_`` for the delimiter of a
pipe-separated file with role names.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glutesense.io.csv_import import read_csv, read_delimited, sniff_delimiter


def _table(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "time_s": np.arange(n) / 1000.0,
        "glute_max_l": rng.normal(0, 20, n),
        "hamstring_l": rng.normal(0, 20, n),
    })


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_delimiter_reads_the_same_table(tmp_path: Path, sep: str) -> None:
    df = _table()
    p = tmp_path / "r.csv"
    body = df.to_csv(sep=sep, index=False, float_format="%g")
    p.write_text("# exported by some tool\n# second comment\n" + body)
    assert sniff_delimiter(p) == sep
    got = read_delimited(p)
    pd.testing.assert_frame_equal(got, pd.read_csv(p, sep=sep, engine="python", comment="#"))
    rec = read_csv(p)
    np.testing.assert_allclose(rec.signal(rec.streams[0].roles[0])[0], df["glute_max_l"].to_numpy(),
                               rtol=1e-5)
    assert rec.streams[0].fs_hz == 1000.0


def test_space_separated_with_runs_of_spaces(tmp_path: Path) -> None:
    p = tmp_path / "r.txt"
    p.write_text("time_s  glute_max_l  hamstring_l\n0.000  1.5  -2\n0.001  2.5  3\n0.002  -1  4\n")
    assert sniff_delimiter(p) == " "
    got = read_delimited(p)
    assert list(got.columns) == ["time_s", "glute_max_l", "hamstring_l"]
    np.testing.assert_array_equal(got["hamstring_l"].to_numpy(), [-2.0, 3.0, 4.0])


def test_long_file_sniffed_on_its_first_lines_only(tmp_path: Path) -> None:
    df = _table(20000)  # ~1 MB: the sample (64 kB) ends mid-line
    p = tmp_path / "long.csv"
    df.to_csv(p, sep=";", index=False)
    assert p.stat().st_size > 200_000
    assert sniff_delimiter(p) == ";"
    pd.testing.assert_frame_equal(read_delimited(p), pd.read_csv(p, sep=";"))


def test_undecidable_sample_falls_back_to_whole_file_sniffing(tmp_path: Path) -> None:
    p = tmp_path / "one.csv"
    p.write_text("glute_max_l\n1\n2\n3\n")  # one column: no delimiter to find
    assert list(read_delimited(p)["glute_max_l"]) == [1, 2, 3]
