"""BIDS-EMG export: the official validator (where installed) and the BIDS schema's own required
fields accept it, and ``analyze`` reads it back to the same onsets, roles and events."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import glutesense as gs
from glutesense.cli.main import main
from glutesense.export.bids import write_bids
from glutesense.io.bids import role_of_channel


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, gs.Recording]:
    root = tmp_path_factory.mktemp("bids")
    rec = gs.simulate("bridge", n_reps=3, lag_ms=90.0, seed=11)
    rec = gs.read(rec)
    write_bids(rec, root, subject="P07")
    write_bids(gs.simulate("single-leg-stand", n_reps=2, seed=12), root, subject="P08", session="2", bdf=True)
    return root, rec


def test_official_validator_finds_no_error(dataset: tuple[Path, gs.Recording]) -> None:
    exe = shutil.which("bids-validator-deno")
    if exe is None:
        pytest.skip("bids-validator-deno (the official BIDS validator) is not installed; .ci/run installs it")
    out = subprocess.run(
        [exe, str(dataset[0]), "--json"], capture_output=True, text=True, timeout=300, check=False
    )
    report = json.loads(out.stdout)
    errors = [i for i in report["issues"]["issues"] if i["severity"] == "error"]
    assert errors == []
    assert report["summary"]["dataTypes"] == ["emg"]


def _tsv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines(), dialect="excel-tab"))


def _level(level: object) -> str:
    return level if isinstance(level, str) else str(level["level"])  # type: ignore[index]


def test_schema_required_fields_and_values(dataset: tuple[Path, gs.Recording]) -> None:
    schema = pytest.importorskip("bidsschematools.schema").load_schema()
    assert schema["bids_version"].startswith("1.11")
    rules, objects = schema["rules"], schema["objects"]
    root = dataset[0]
    desc = json.loads((root / "dataset_description.json").read_text())
    for field, level in rules["json"]["dataset"]["dataset_description"]["fields"].items():
        if _level(level) == "required":
            assert field in desc, field
    for path in root.glob("sub-*/**/emg/*_coordsystem.json"):
        coords = json.loads(path.read_text())
        for name, group in rules["json"]["emg"].items():
            if name == "EMGChildCoordSystem":
                continue  # only with a ParentCoordinateSystem, which we do not write
            for field, level in group["fields"].items():
                if _level(level) == "required":
                    assert field in coords, f"{path.name}: {field}"
    sidecars = list(root.glob("sub-*/**/emg/*_emg.json"))
    assert len(sidecars) == 2
    for path in sidecars:
        side = json.loads(path.read_text())
        for group in rules["sidecars"]["emg"].values():
            for field, level in group["fields"].items():
                if _level(level) == "required":
                    assert field in side, f"{path.name}: {field}"
        assert side["EMGPlacementScheme"] in objects["metadata"]["EMGPlacementScheme"]["enum"]
    for table, rule in (("channels", "EMGChannels"), ("electrodes", "EMGElectrodes")):
        spec = rules["tabular_data"]["emg"][rule]
        for path in root.glob(f"sub-*/**/emg/*_{table}.tsv"):
            rows = _tsv(path)
            cols = list(rows[0])
            initial = [objects["columns"][c]["name"] for c in spec["initial_columns"]]
            present = [c for c in initial if c in cols]
            assert cols[: len(present)] == present, f"{path.name}: columns must start {initial}"
            for key, level in spec["columns"].items():
                name = objects["columns"][key]["name"]
                if level == "required":
                    assert name in cols, f"{path.name}: {name}"
                enum = objects["columns"][key].get("enum")
                if enum and name in cols:
                    assert {r[name] for r in rows} <= {*enum, "n/a"}, f"{path.name}: {name}"
    parts = _tsv(root / "participants.tsv")
    assert [p["participant_id"] for p in parts] == ["sub-P07", "sub-P08"]
    assert list(parts[0]) == ["participant_id"]  # pseudonyms only


def test_reads_back_to_the_same_onsets(dataset: tuple[Path, gs.Recording], tmp_path: Path) -> None:
    root, rec = dataset
    data = root / "sub-P07" / "emg" / "sub-P07_task-bridge_emg.edf"
    back = gs.read(data)
    assert back.meta["subject"] == "P07"
    assert set(back.roles) == set(rec.roles)
    assert [(e.onset_s, e.trial_type, e.side, e.rep) for e in back.events] == [
        (e.onset_s, e.trial_type, e.side, e.rep) for e in rec.events
    ]
    np.testing.assert_allclose(
        back.signal(gs.Role.ACC_Z)[0], rec.signal(gs.Role.ACC_Z)[0], atol=1e-3
    )  # m/s^2 -> g
    original = gs.analyze(rec, "bridge").reps
    assert main(["analyze", str(data), "--protocol", "bridge", "--out", str(tmp_path / "o")]) == 0
    cli = pd.read_csv(tmp_path / "o" / "reps.csv")
    for col in ("glute_onset_s", "hamstring_onset_s", "movement_onset_s"):
        np.testing.assert_allclose(cli[col], original[col].astype(float), atol=2e-3, err_msg=col)
    assert cli["order"].tolist() == original["order"].tolist()


def test_cli_export_to_bids(tmp_path: Path, samples_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ds"
    session = samples_dir / "bridge_glute_first.gses"
    assert main(["export", str(session), "--to", "bids", str(out), "--session", "w0"]) == 0
    assert (out / "sub-SIM01" / "ses-w0" / "emg" / "sub-SIM01_ses-w0_task-bridge_emg.edf").exists()
    assert "wrote" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    assert main(["export", str(session), "--to", "bids", str(tmp_path / "file")]) == 2


@pytest.mark.parametrize(
    ("row", "role"),
    [
        ({"name": "EMG1", "type": "EMG", "target_muscle": "left gluteus maximus"}, "glute_max_l"),
        ({"name": "R_ST", "type": "EMG", "target_muscle": "semitendinosus"}, "hamstring_r"),
        ({"name": "gmed right", "type": "EMG", "target_muscle": "n/a"}, "glute_med_r"),
        ({"name": "thigh_acc_z", "type": "ACCEL"}, "acc_z"),
        ({"name": "EMG3", "type": "EMG", "target_muscle": "tibialis anterior"}, None),
    ],
)
def test_channel_roles_from_other_datasets(row: dict[str, str], role: str | None) -> None:
    found = role_of_channel(row)
    assert (found.value if found else None) == role
