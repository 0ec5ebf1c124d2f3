"""Every example in every ``--help``, in the README and in ``docs/`` runs as written.

The examples run in a folder holding the files they name (``s01.gses``, ``test.csv``, ``a.edf``, ...),
made by glutesense itself from the virtual sensor.  An example that needs a real sensor (``--device
ADDRESS``) or a cluster (``--scheduler tcp://...``) cannot succeed here; it must then fail the way the
CLI contract says: exit status 2 and one line naming the problem, never a traceback.
``docs/guide.md`` has its own test (tests/docs/test_guide.py, every block in order).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support.paths import ROOT

from glutesense.cli.main import build_parser

PY = sys.executable
ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}


def help_examples() -> list[tuple[str, str]]:
    """``(command, example line)`` from each subcommand's epilog and the top-level one."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    found = [("glutesense", line) for line in _example_lines(parser.epilog or "")]
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        found += [(name, line) for line in _example_lines(p.epilog or "")]
    return found


def _example_lines(epilog: str) -> list[str]:
    return [line.strip() for line in epilog.splitlines() if line.strip().startswith("glutesense ")]


def doc_blocks() -> list[tuple[str, str, str]]:
    """``(file, language, body)`` of the fenced code blocks in README.md and docs/*.md (not the guide)."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    out = []
    for f in files:
        if f.name == "guide.md":
            continue
        for lang, body in re.findall(r"```(\w*)\n(.*?)```", f.read_text(encoding="utf-8"), re.S):
            out.append((f.relative_to(ROOT).as_posix(), lang, body))
    return out


def shell_commands(body: str) -> list[str]:
    """The commands of a bash block: comments dropped, ``a && b`` split, installs skipped (done)."""
    cmds = []
    for line in body.strip().splitlines():
        line = line.split("  #")[0].strip()
        if not line or line.startswith("#"):
            continue
        cmds += [c.strip() for c in line.split("&&") if not c.strip().startswith("pip ")]
    return cmds


def _gs(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "glutesense", *args], cwd=cwd, capture_output=True, text=True, env=ENV, timeout=timeout
    )


def _ok(args: str, cwd: Path) -> None:
    r = _gs(shlex.split(args), cwd)
    assert r.returncode == 0, (args, r.stderr[-2000:])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the examples name, from the virtual sensor (short sessions: the examples, not the
    files, are under test)."""
    d = tmp_path_factory.mktemp("inputs")
    rec = "record --device sim --speed inf --reps 2 --rest-s 3 --rep-period-s 5"
    _ok(f"{rec} --side left --subject S01 --out s01.gses", d)
    for name, seed in (("week0", 2), ("week4", 3), ("s01_week0", 2), ("s01_week4", 3)):
        _ok(f"{rec} --subject S01 --sim-seed {seed} --out {name}.gses", d)
    for i, name in enumerate(("a", "b")):
        sls = "record --device sim --speed inf --reps 2 --rest-s 3 --rep-period-s 6.5"
        sls += " --protocol single-leg-stand"
        _ok(f"{sls} --subject S01 --sim-seed {i + 4} --out sls_{name}.gses", d)
        _ok(f"export sls_{name}.gses --to edf {name}.edf", d)
    _ok("export week0.gses --to csv test.csv", d)
    _ok("export week0.gses --to csv bridge.csv", d)
    for name in ("a", "b", "c"):
        _ok(f"export week4.gses --to csv {name}.csv", d)
    samples = pd.read_csv(d / "test.csv")
    raw = pd.DataFrame({"ch1": samples["glute_max_l"] / 1000.0, "ch2": samples["hamstring_l"] / 1000.0})
    raw.to_csv(d / "raw.csv", index=False)  # no time column, mV, channel names nobody knows
    shutil.copy(d / "test_events.tsv", d / "raw_events.tsv")
    (d / "data" / "club").mkdir(parents=True)
    _ok("export week0.gses --to edf data/club/w0.edf", d)
    shutil.copy(d / "week0.gses", d / "data" / "w0.gses")
    shutil.copy(d / "week4.gses", d / "data" / "w4.gses")
    shutil.copy(d / "week0.gses", d / "session.gses")
    shutil.copy(d / "test.csv", d / "data" / "w0.csv")
    shutil.copy(d / "test_events.tsv", d / "data" / "w0_events.tsv")
    return d


def _needs_hardware(argv: list[str]) -> bool:
    device = argv[argv.index("--device") + 1] if "--device" in argv else "sim"
    return not device.startswith("sim") or any(a.startswith("tcp://") for a in argv)


def _check(line: str, inputs: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    work = tmp_path / "w"
    shutil.copytree(inputs, work)
    argv = shlex.split(line)
    assert argv[0] == "glutesense", line
    made = argv[argv.index("--out") + 1] if argv[1] == "record" else argv[-1] if argv[1] == "export" else None
    if made is not None:
        (work / made).unlink(missing_ok=True)  # the example makes it; the folder has one for the others
    r = _gs(argv[1:], work)
    assert "Traceback" not in r.stderr, (line, r.stderr[-2000:])
    if argv[1] == "doctor":  # checks this machine's Bluetooth: 0 ready, 1 not (with the fixes)
        assert r.returncode in (0, 1) and r.stdout.strip().splitlines()[-1].split()[0] in ("ready", "not")
    elif _needs_hardware(argv):
        # no sensor / cluster here: the contract's one-line error, exit 2 (or success where there is one)
        assert r.returncode in (0, 2), (line, r.returncode, r.stderr[-2000:])
        if r.returncode == 2:
            assert len(r.stderr.strip().splitlines()) == 1, (line, r.stderr)
            assert r.stderr.startswith(f"glutesense {argv[1]}: error: "), (line, r.stderr)
    else:
        assert r.returncode == 0, (line, r.stdout[-1000:], r.stderr[-2000:])
    return r


HELP = help_examples()


def test_every_command_has_examples() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    with_examples = {cmd for cmd, _ in HELP}
    assert set(sub.choices) <= with_examples  # type: ignore[arg-type]


def test_help_examples_use_only_options_the_command_has() -> None:
    """Caught without running anything: a flag in an example that the command's parser does not know."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for _cmd, line in HELP:
        name = shlex.split(line)[1]
        p = parser if name.startswith("-") else sub.choices[name]  # type: ignore[index]
        known = {o for a in p._actions for o in a.option_strings}
        flags = [a for a in shlex.split(line) if a.startswith("--")]
        assert all(f.split("=")[0] in known for f in flags), (line, sorted(set(flags) - known))


BLOCKS = doc_blocks()
SHELL = [
    (f, c)
    for f, lang, body in BLOCKS
    if lang in ("bash", "sh", "shell")
    for c in shell_commands(body)
    if not c.startswith(("python -m pytest", "bash benchmarks/", "python benchmarks/"))
]
BENCH = sorted(
    {
        c.split()[1]
        for _, _, body in BLOCKS
        for c in shell_commands(body)
        if c.startswith("python benchmarks/")
    }
)
RUN: dict[str, str] = {}
for _where, _line in [*HELP, *SHELL]:
    RUN.setdefault(_line, f"{_where}:{_line.split()[1]}:{len(RUN)}")  # each distinct line runs once
PYTHON = [(f, body) for f, lang, body in BLOCKS if lang == "python"]


def test_the_doc_blocks_are_found() -> None:
    assert any(f == "README.md" for f, _ in SHELL)
    assert any(f == "docs/api.md" for f, _ in PYTHON)
    assert BENCH, "docs/accuracy.md shows benchmark commands"
    assert {lang for _, lang, _ in BLOCKS} <= {"", "bash", "python"}, "a block in a language this test skips"


@pytest.mark.slow
@pytest.mark.parametrize("line", list(RUN), ids=list(RUN.values()))
def test_example_runs(line: str, inputs: Path, tmp_path: Path) -> None:
    """A ``--help`` example or a README/docs command, in a folder holding the files it names."""
    r = _check(line, inputs, tmp_path)
    argv = shlex.split(line)
    if "--out" in argv and r.returncode == 0 and argv[1] in ("analyze", "replay", "demo", "trend", "batch"):
        out = tmp_path / "w" / argv[argv.index("--out") + 1]
        assert out.is_dir() and any(out.iterdir()), line


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCH)
def test_doc_benchmarks_start(script: str) -> None:
    """The benchmarks the docs show take minutes (and peers from the network): here they must exist,
    compile and, where they take options, parse them (``--help``)."""
    path = ROOT / script
    assert path.is_file(), script
    argv = ["--help"] if "argparse" in path.read_text(encoding="utf-8") else None
    cmd = [PY, str(path), *argv] if argv else [PY, "-m", "py_compile", str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert argv is None or "usage" in r.stdout.lower()


def test_doc_synopsis_lines_name_real_commands_and_options() -> None:
    """Plain blocks (no language) are synopses with placeholders; each ``glutesense`` line in them names
    a real command and only options it has."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    lines = [
        line.strip()
        for _, lang, body in BLOCKS
        if lang == ""
        for line in body.splitlines()
        if line.strip().startswith("glutesense ")
    ]
    assert lines
    for line in lines:
        cmd = line.split()[1]
        assert cmd in sub.choices, line  # type: ignore[operator]
        known = {o for a in sub.choices[cmd]._actions for o in a.option_strings}  # type: ignore[index]
        flags = [w.split("=")[0] for w in line.split() if w.startswith("--")]
        assert set(flags) <= known, line


@pytest.mark.slow
def test_doc_python_blocks_run_in_order(tmp_path: Path) -> None:
    """docs/api.md's blocks in order in one folder (a later block may read what an earlier one wrote)."""
    for doc, body in PYTHON:
        r = subprocess.run(
            [PY, "-c", body], cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=600
        )
        assert r.returncode == 0, (doc, body[:200], r.stderr[-2000:])
