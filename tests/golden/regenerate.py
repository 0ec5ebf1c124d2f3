"""Rewrite the golden outputs from the current code (a deliberate decision: say why in the commit).

    python tests/golden/regenerate.py           # show what would change
    python tests/golden/regenerate.py --write   # write tests/golden/NAME/{reps.csv,summary.json}
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from goldens import FILES, HERE, analyze_sample, compare_outputs, sample_names


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="write the new golden files")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in sample_names():
            out = analyze_sample(name, Path(tmp) / name)
            golden = HERE / name
            if (golden / "reps.csv").exists():
                diffs = compare_outputs(out, golden)
                print(f"{name}: {len(diffs)} differences", *diffs[:20], sep="\n  ")
            if args.write:
                golden.mkdir(exist_ok=True)
                for f in FILES:
                    shutil.copy(out / f, golden / f)
                print(f"{name}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
