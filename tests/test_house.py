"""House rules (issue 10): no module over 400 lines, no function over 80 lines in glutesense/.

Walks the package with ``ast``; anything over a limit fails with the list of what is over.  There
are no exceptions: the last known offender (``io/csv_import.py`` ``recording_from_table``, 85 lines)
was split into named steps.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "glutesense"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def sizes() -> dict[tuple[str, str], int]:
    """Every module's line count and every function's (decorators included), by (path, name)."""
    out: dict[tuple[str, str], int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        src = path.read_text(encoding="utf-8")
        out[(rel, "")] = len(src.splitlines())
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                assert node.end_lineno is not None
                key = (rel, node.name)
                out[key] = max(out.get(key, 0), node.end_lineno - start + 1)
    return out


def over_limits(measured: dict[tuple[str, str], int]) -> list[str]:
    """The items over the house limits."""
    bad = []
    for (rel, name), n in sorted(measured.items()):
        limit = MAX_FUNCTION_LINES if name else MAX_MODULE_LINES
        if n > limit:
            what = f"function {name}" if name else "module"
            bad.append(f"{rel}: {what} has {n} lines (limit {limit})")
    return bad


def test_no_module_or_function_over_the_limits() -> None:
    bad = over_limits(sizes())
    assert not bad, "split into named steps (docs/STYLE.md):\n" + "\n".join(bad)


def test_the_checker_finds_offenders() -> None:
    fake = {("x.py", ""): 401, ("x.py", "f"): 81, ("y.py", ""): 400, ("y.py", "g"): 80}
    assert over_limits(fake) == [
        "x.py: module has 401 lines (limit 400)",
        "x.py: function f has 81 lines (limit 80)",
    ]
