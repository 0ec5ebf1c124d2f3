"""``glutesense trend SESSION... --out DIR``: one person's sessions over time."""

from __future__ import annotations

import argparse
from pathlib import Path

from glutesense.cli.cmd_analyze import add_input_args, load
from glutesense.cli.errors import UsageError
from glutesense.cli.progress import track
from glutesense.cli.terminal import say
from glutesense.model.records import Recording
from glutesense.model.roles import Protocol


def add_args(p: argparse.ArgumentParser) -> None:
    from glutesense.detect import DETECTORS

    p.add_argument(
        "inputs", nargs="+", metavar="SESSION", help="two or more sessions (.gses), EDF+/BDF+ or CSV files"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument(
        "--protocol",
        choices=[x.value for x in Protocol],
        help="the test performed (default: the one the sessions record)",
    )
    p.add_argument("--detector", default="default", choices=sorted(DETECTORS), help="onset detector")
    add_input_args(p)
    p.set_defaults(run=run)


def _protocol_of(rec: Recording, path: str, given: str | None) -> Protocol:
    if given is not None:
        return Protocol(given)
    try:
        return Protocol(str(rec.info.protocol))
    except ValueError:
        raise UsageError(f"{path}: the file does not say which test it holds; pass --protocol") from None


def run(args: argparse.Namespace) -> int:
    from glutesense.analysis.pipeline import analyze
    from glutesense.clinical import assess
    from glutesense.clinical.trend import SessionInput, trend
    from glutesense.report.training import is_training
    from glutesense.report.training_trend import training_trend_row, write_training_trend
    from glutesense.report.trend import write_trend

    inputs = list(args.inputs)
    if len(inputs) < 2:
        raise UsageError("trend needs at least two sessions")
    for path in inputs:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file")
    sessions: list[tuple[int, SessionInput]] = []
    training: list[tuple[int, dict[str, object]]] = []
    protocols: set[Protocol] = set()
    for i, path in enumerate(track(inputs, "analyzing", total=len(inputs))):
        rec = load(path, args)
        proto = _protocol_of(rec, path, args.protocol)
        protocols.add(proto)
        try:
            result = analyze(rec, proto, detector=args.detector)
        except ValueError as e:
            raise UsageError(f"{path}: {e}") from None
        sessions.append((i, SessionInput(Path(path).stem, rec.info.created_utc, assess(result, rec))))
        if is_training(rec):
            training.append((i, training_trend_row(Path(path).stem, rec)))
    if len(protocols) > 1:
        names = ", ".join(sorted(p.value for p in protocols))
        raise UsageError(
            f"the sessions hold different tests ({names}); pass --protocol or compare like with like"
        )
    if all(s.when for _, s in sessions):  # time order when every session knows its date
        sessions.sort(key=lambda x: (str(x[1].when), x[0]))
    tr = trend([s for _, s in sessions])
    extra: tuple[tuple[str, str], ...] = ()
    if training:  # training sessions: their own table and a section of trend.html, in time order
        order = {i: k for k, (i, _) in enumerate(sessions)}
        rows = [row for _, row in sorted(training, key=lambda x: order[x[0]])]
        csv, section = write_training_trend(rows, Path(args.out))
        extra = (section,)
        say(f"training trend: {csv}")
    paths = write_trend(tr, args.out, sections=extra)
    say(f"trend: {paths['html']}")
    for line in tr.lines:
        say(f"  {line}")
    return 0
