"""``glutesense analyze INPUT... --protocol P --out DIR``."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from glutesense.cli.errors import UsageError
from glutesense.cli.progress import stages
from glutesense.cli.terminal import say
from glutesense.io import InputError, load_recording, parse_map
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol
from glutesense.model.warning_notes import collected

if TYPE_CHECKING:
    from glutesense.analysis.pipeline import AnalysisResult


def add_input_args(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that reads recordings."""
    p.add_argument("--fs", type=float, metavar="HZ", help="sample rate of a CSV without a time_s column")
    p.add_argument(
        "--map",
        metavar="ROLE=NAME[,...]",
        help="map file columns/signals to roles, e.g. glute_max_l=ch1,hamstring_l=ch2",
    )
    p.add_argument("--emg-unit", choices=["uV", "mV", "V"], help="unit of EMG columns in a CSV (default uV)")
    p.add_argument("--events", metavar="FILE", help="events table (TSV/CSV: onset, duration, trial_type)")


def add_analysis_args(p: argparse.ArgumentParser) -> None:
    from glutesense.detect import DETECTORS

    p.add_argument(
        "--protocol", required=True, choices=[x.value for x in Protocol], help="the test performed"
    )
    p.add_argument("--detector", default="default", choices=sorted(DETECTORS), help="onset detector")


def add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "inputs", nargs="*", metavar="INPUT", help="session, EDF+/BDF+, BIDS _emg.edf, XDF, CSV, vendor file"
    )
    p.add_argument("--lsl-xdf", metavar="FILE.xdf", help="XDF (LabRecorder) of 'record --lsl'")
    add_analysis_args(p)
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="write the tables and summary.json only (no figures, no report.html): faster on long files",
    )
    add_input_args(p)
    p.set_defaults(run=run)


def load(path: str, args: argparse.Namespace) -> Recording:
    """Load one input with the shared options; bad input becomes a UsageError."""
    try:
        mapping = parse_map(getattr(args, "map", None))
        return load_recording(
            path,
            fs_hz=getattr(args, "fs", None),
            mapping=mapping,
            emg_unit=getattr(args, "emg_unit", None),
            events_path=getattr(args, "events", None),
        )
    except InputError as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from None


def analyze_to(
    rec: Recording,
    protocol: Protocol,
    detector: str,
    out_dir: Path,
    *,
    report: bool = True,
    on_write: Callable[[], None] | None = None,
) -> AnalysisResult:
    """Analyze ``rec`` and write every output (``report=False``: the tables) into ``out_dir``.

    ``on_write`` is called between the analysis and the writing (the progress bar's next stage).
    """
    from glutesense.analysis.pipeline import analyze
    from glutesense.report import write_outputs

    try:
        with collected() as library:  # a library's warning becomes an analysis note
            result = analyze(rec, protocol, detector=detector)
    except ValueError as e:
        raise UsageError(str(e) if rec.source and rec.source in str(e) else f"{rec.source}: {e}") from None
    if library:
        result = dataclasses.replace(result, notes=(*result.notes, *(f"note from {n}" for n in library)))
    if on_write is not None:
        on_write()
    write_outputs(result, rec, out_dir, report=report)
    return result


def run(args: argparse.Namespace) -> int:
    from glutesense.report.verdict import verdict_lines

    protocol = Protocol(args.protocol)
    out = Path(args.out)
    inputs = list(args.inputs) + ([args.lsl_xdf] if getattr(args, "lsl_xdf", None) else [])
    if not inputs:
        raise UsageError("give at least one INPUT (or --lsl-xdf FILE.xdf)")
    for path in inputs:  # fail fast, before any work, on a missing file
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file")
    multi = len(inputs) > 1
    report = not getattr(args, "no_report", False)
    with stages(3 * len(inputs)) as step:
        for path in inputs:
            name = Path(path).name
            step(f"{name}: reading")
            rec = load(path, args)
            target = out / Path(path).stem if multi else out
            step(f"{name}: analyzing")
            result = analyze_to(
                rec,
                protocol,
                args.detector,
                target,
                report=report,
                on_write=partial(step, f"{name}: writing {'the report' if report else 'tables'}"),
            )
            say(f"{path}: report {target / 'report.html'}" if report else f"{path}: tables in {target}")
            for dmg in rec.info.file_damage:
                say(f"  file damage: {dmg.describe()}")
            for line in verdict_lines(result):
                say(f"  {line}")
    return 0
