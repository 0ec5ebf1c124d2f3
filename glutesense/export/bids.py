"""BIDS-EMG export (BIDS 1.11): one recording into a BIDS dataset folder.

Written for a recording of subject ``S01`` doing the bridge (``ses-`` only when a session label
is given)::

    DIR/dataset_description.json       Name, BIDSVersion 1.11.0, DatasetType raw, GeneratedBy
    DIR/README.md
    DIR/participants.tsv               participant_id only: the pseudonym, nothing else
    DIR/sub-S01/emg/sub-S01_task-bridge_emg.edf        EDF+ (or .bdf): signals named by role
    DIR/sub-S01/emg/sub-S01_task-bridge_emg.json       SamplingFrequency, EMGReference, ...
    DIR/sub-S01/emg/sub-S01_task-bridge_channels.tsv   name, type (EMG/ACCEL/GYRO), units, target_muscle, ...
    DIR/sub-S01/emg/sub-S01_task-bridge_events.tsv     onset, duration, trial_type, side, rep (+ .json)
    DIR/sub-S01/emg/sub-S01_electrodes.tsv             one bipolar sensor per EMG channel
    DIR/sub-S01/emg/sub-S01_space-seniam_coordsystem.json

Electrode positions are given in glutesense's placement scheme (SENIAM, ``docs/placement.md``):
``x`` is the percentage along the muscle's SENIAM line (50 = the recommended site), ``y`` 0
(on the line).  Accelerations are written in m/s^2 (SI), angular rates in deg/s, EMG in uV.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from glutesense.export.base import ExportError, ExportResult
from glutesense.export.edf import write_bdf, write_edf
from glutesense.export.table import write_events_tsv
from glutesense.model.records import Recording, Stream
from glutesense.model.roles import Muscle, SignalKind
from glutesense.version import __version__

BIDS_VERSION = "1.11.0"
G_TO_MS2 = 9.80665
SPACE = "seniam"
CHANNEL_TYPE = {SignalKind.EMG: "EMG", SignalKind.ACC: "ACCEL", SignalKind.GYR: "GYRO"}
BIDS_UNIT = {SignalKind.EMG: "uV", SignalKind.ACC: "m/s^2", SignalKind.GYR: "deg/s"}
MUSCLE_NAME = {
    Muscle.GLUTE_MAX: "gluteus maximus",
    Muscle.GLUTE_MED: "gluteus medius",
    Muscle.HAMSTRING: "hamstrings",
    Muscle.ERECTOR: "erector spinae",
}
SENIAM_LINE = {
    Muscle.GLUTE_MAX: "sacral vertebrae to greater trochanter",
    Muscle.GLUTE_MED: "iliac crest to greater trochanter",
    Muscle.HAMSTRING: "ischial tuberosity to the tibial epicondyle",
    Muscle.ERECTOR: "two finger widths lateral to the spinous process of L1 (vertical line)",
}
PLACEMENT = (
    "SENIAM (Hermens et al. 2000): bipolar electrodes 20 mm apart along the fibres, at 50 % of each "
    "muscle's SENIAM line; glutesense's placement guide, docs/placement.md."
)


def label(value: object, default: str) -> str:
    """A BIDS label (letters and digits only) from ``value``, else ``default``."""
    text = re.sub(r"[^A-Za-z0-9]", "", str(value or ""))
    return text or default


def write_bids(
    rec: Recording,
    root: str | Path,
    *,
    subject: str | None = None,
    session: str | None = None,
    task: str | None = None,
    bdf: bool = False,
    dataset_files: bool = True,
) -> ExportResult:
    """Write ``rec`` into the BIDS dataset at ``root`` (created if missing; other subjects kept).

    ``dataset_files=False`` leaves ``dataset_description.json``, ``README.md`` and
    ``participants.tsv`` to the caller (:func:`write_dataset_files`): parallel writers of one
    dataset write them once, at the end.

    Raises
    ------
    ExportError
        A recording without EMG, or a file that cannot be written (names the file).
    """
    root = Path(root)
    if not any(s.roles and s.roles[0].kind is SignalKind.EMG for s in rec.streams):
        raise ExportError(f"{rec.source or 'recording'}: no EMG channel to write as BIDS EMG")
    sub = label(subject or rec.meta.get("subject"), "01")
    ses = label(session, "") if session else ""
    tsk = label(task or rec.meta.get("protocol"), "emg")
    folder = root / f"sub-{sub}" / (f"ses-{ses}" if ses else "") / "emg"
    stem = "_".join(p for p in (f"sub-{sub}", f"ses-{ses}" if ses else "", f"task-{tsk}") if p)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"{folder}: cannot create ({e.strerror or e})") from None
    data_path = folder / f"{stem}_emg.{'bdf' if bdf else 'edf'}"
    result = (write_bdf if bdf else write_edf)(_si(rec), data_path)
    _set_dimensions(data_path, {r.value: BIDS_UNIT[r.kind] for r in rec.roles})
    anat = "_".join(p for p in (f"sub-{sub}", f"ses-{ses}" if ses else "") if p)
    paths = [data_path]
    paths.append(_write_json(folder / f"{stem}_emg.json", emg_sidecar(rec, tsk)))
    paths.append(_write_tsv(folder / f"{stem}_channels.tsv", channel_rows(rec)))
    paths.append(_write_tsv(folder / f"{anat}_electrodes.tsv", electrode_rows(rec)))
    paths.append(_write_json(folder / f"{anat}_space-{SPACE}_coordsystem.json", COORDSYSTEM))
    events_path = folder / f"{stem}_events.tsv"
    write_events_tsv(rec.events, events_path)
    paths += [events_path, _write_json(folder / f"{stem}_events.json", EVENTS_SIDECAR)]
    if dataset_files:
        paths += write_dataset_files(root, [sub])
    return ExportResult(tuple(paths), result.notes)


def _si(rec: Recording) -> Recording:
    """Accelerometer streams in m/s^2 (BIDS asks for SI units); other streams as they are."""
    streams = []
    for s in rec.streams:
        scale = np.array([G_TO_MS2 if r.kind is SignalKind.ACC else 1.0 for r in s.roles])[:, None]
        streams.append(
            s if np.all(scale == 1.0) else Stream(s.name, s.fs_hz, s.t0_s, s.roles, s.data * scale)
        )
    return replace(rec, streams=tuple(streams))


def _set_dimensions(path: Path, units: dict[str, str]) -> None:
    """Rewrite the physical-dimension field (8 characters) of the signals named in ``units``."""
    raw = bytearray(path.read_bytes())
    n = int(raw[252:256].decode("ascii").strip())
    labels = [raw[256 + 16 * i : 256 + 16 * (i + 1)].decode("ascii").strip() for i in range(n)]
    base = 256 + n * (16 + 80)
    for i, name in enumerate(labels):
        if name in units:
            raw[base + 8 * i : base + 8 * (i + 1)] = units[name].ljust(8)[:8].encode("ascii")
    path.write_bytes(bytes(raw))


def emg_sidecar(rec: Recording, task: str) -> dict[str, Any]:
    """The ``_emg.json`` sidecar: every REQUIRED field of BIDS 1.11 EMG and the recommended counts."""
    from glutesense.signal.mains import detect_mains_hz

    emg = next(s for s in rec.streams if s.roles and s.roles[0].kind is SignalKind.EMG)
    x = emg.data[0][np.isfinite(emg.data[0])]
    mains = detect_mains_hz(x, emg.fs_hz) if x.size > emg.fs_hz else None
    n_emg = sum(1 for r in rec.roles if r.kind is SignalKind.EMG)
    return {
        "TaskName": task,
        "TaskDescription": f"glutesense guided test: {rec.meta.get('protocol', task)}",
        "SamplingFrequency": emg.fs_hz,
        "EMGReference": "Bipolar",
        "EMGPlacementScheme": "Other",
        "EMGPlacementSchemeDescription": PLACEMENT,
        "EMGGround": "ankle or the spinous process of C7 (SENIAM)",
        "PowerLineFrequency": mains if mains is not None else "n/a",
        "RecordingType": "continuous",
        "RecordingDuration": round(rec.duration_s, 6),
        "SoftwareFilters": "n/a",
        "HardwareFilters": "n/a",
        "EMGChannelCount": n_emg,
        "SoftwareVersions": f"glutesense {__version__}",
        "InterelectrodeDistance": 20,
    }


def channel_rows(rec: Recording) -> list[dict[str, object]]:
    """One ``_channels.tsv`` row per channel, in the data file's order."""
    rows: list[dict[str, object]] = []
    for s in rec.streams:
        for r in s.roles:
            emg = r.kind is SignalKind.EMG
            muscle = f"{r.side.value} {MUSCLE_NAME[r.muscle]}" if emg and r.side and r.muscle else "n/a"
            rows.append(
                {
                    "name": r.value,
                    "type": CHANNEL_TYPE[r.kind],
                    "units": BIDS_UNIT[r.kind],
                    "sampling_frequency": s.fs_hz,
                    "target_muscle": muscle,
                    "signal_electrode": r.value if emg else "n/a",
                    "reference": "bipolar" if emg else "n/a",
                    "group": "emg" if emg else "imu",
                    "placement_scheme": "other" if emg else "n/a",
                    "placement_description": f"SENIAM: 50 % of {SENIAM_LINE[r.muscle]}"
                    if emg and r.muscle
                    else "n/a",
                }
            )
    return rows


def electrode_rows(rec: Recording) -> list[dict[str, object]]:
    """One bipolar sensor per EMG channel, at 50 % of its muscle's SENIAM line."""
    rows: list[dict[str, object]] = []
    for r in rec.roles:
        if r.kind is not SignalKind.EMG or r.muscle is None:
            continue
        rows.append(
            {
                "name": r.value,
                "x": 50,
                "y": 0,
                "coordinate_system": SPACE,
                "type": "bipolar surface",
                "material": "Ag/AgCl",
                "group": "emg",
            }
        )
    return rows


COORDSYSTEM: dict[str, Any] = {
    "EMGCoordinateSystem": "Other",
    "EMGCoordinateUnits": "percent",
    "EMGCoordinateSystemDescription": (
        "Per muscle, along its SENIAM line (x: percent of the line's length from its first landmark; "
        "y: 0 on the line): " + "; ".join(f"{MUSCLE_NAME[m]}: {line}" for m, line in SENIAM_LINE.items())
    ),
}

EVENTS_SIDECAR: dict[str, Any] = {
    "trial_type": {"Description": "Cue or phase of the guided test (docs/DESIGN.md, Events)."},
    "side": {
        "Description": "Stance leg (single-leg stand) or working side.",
        "Levels": {"left": "left", "right": "right"},
    },
    "rep": {"Description": "Repetition number, 1-based."},
}


def _write_json(path: Path, obj: dict[str, Any]) -> Path:
    try:
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as e:
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None
    return path


def _write_tsv(path: Path, rows: list[dict[str, object]]) -> Path:
    cols = list(rows[0]) if rows else ["name"]
    lines = ["\t".join(cols)] + ["\t".join(_cell(r.get(c)) for c in cols) for r in rows]
    try:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as e:
        raise ExportError(f"{path}: cannot write ({e.strerror or e})") from None
    return path


def _cell(v: object) -> str:
    return "n/a" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def write_dataset_files(root: Path, subjects: list[str]) -> list[Path]:
    """``dataset_description.json`` and ``README.md`` (kept if present), ``participants.tsv`` merged
    with ``subjects`` (labels without ``sub-``)."""
    root = Path(root)
    out: list[Path] = []
    desc = root / "dataset_description.json"
    if not desc.exists():
        out.append(
            _write_json(
                desc,
                {
                    "Name": "glutesense recordings",
                    "BIDSVersion": BIDS_VERSION,
                    "DatasetType": "raw",
                    "GeneratedBy": [{"Name": "glutesense", "Version": __version__}],
                },
            )
        )
    readme = root / "README.md"
    if not readme.exists():
        readme.write_text(
            "# glutesense recordings\n\nSurface EMG of the glute bridge and single-leg stand, "
            "written by `glutesense export --to bids`. Participants are pseudonyms.\n",
            encoding="utf-8",
        )
        out.append(readme)
    part = root / "participants.tsv"
    known = part.read_text(encoding="utf-8").split("\n")[1:] if part.exists() else []
    ids = sorted({ln.split("\t")[0] for ln in known if ln.strip()} | {f"sub-{s}" for s in subjects})
    out.append(_write_tsv(part, [{"participant_id": i} for i in ids]))
    return out
