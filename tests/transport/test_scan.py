"""``glutesense scan`` lists virtual sensors of several profiles; ``record`` works with each."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from glutesense.cli.main import main
from glutesense.io import read_native
from glutesense.model.roles import Role
from glutesense.transport.ble import scan
from glutesense.transport.clock import MonotonicClock
from glutesense.virtual.devices import is_sim, showcase_backend, sim_profile, sim_target
from glutesense.virtual.wire import WIRES

BRIDGE = ["--protocol", "bridge", "--reps", "1", "--rest-s", "2", "--rep-period-s", "4.5", "--hold-s", "2"]
EMG4 = [Role.GLUTE_MAX_L, Role.HAMSTRING_L, Role.GLUTE_MAX_R, Role.HAMSTRING_R]
ACC = [Role.ACC_X, Role.ACC_Y, Role.ACC_Z]
IMU6 = [*ACC, Role.GYR_X, Role.GYR_Y, Role.GYR_Z]

# device -> (extra args, {stream name: (roles, fs_hz, rel tolerance)}, timing note or "")
CASES = {
    "sim": ([], {"emg": (None, 1000.0, 1e-4), "imu": (IMU6, 100.0, 1e-4)}, ""),
    "sim:polar-h10": ([], {"imu": (ACC, 200.0, 1e-4)}, ""),
    "sim:ganglion": ([], {"emg": (EMG4, 200.0, 1e-3), "imu": (ACC, 10.0, 1e-3)}, "packet counters"),
    "sim:myo": (
        ["--map", "glute_max_l=emg0,hamstring_l=emg1,glute_max_r=emg2,hamstring_r=emg3"],
        {"emg": (EMG4, 200.0, 1e-3), "imu": (IMU6, 50.0, 1e-3)},
        "arrival only",
    ),  # IMU: no counter
    "sim:myoware-ble-uart": ([], {"emg": ([Role.GLUTE_MAX_L], 500.0, 0.01)}, "arrival only"),
}


def test_sim_device_names() -> None:
    assert is_sim("sim") and is_sim("SIM:polar-h10") and not is_sim("5A:1E:00:00:00:01")
    assert sim_profile("sim") == "diy-v1" and sim_profile("sim:myo") == "myo"
    assert sim_target("diy-v1") == "sim" and sim_target("ganglion") == "sim:ganglion"


def test_scan_finds_a_virtual_sensor_of_every_profile() -> None:
    found = asyncio.run(scan(0.3, backend=showcase_backend(clock=MonotonicClock())))
    assert sorted(d.profile or "" for d in found) == sorted(WIRES)


def test_scan_command_lists_how_to_record(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--timeout", "0.3"]) == 0
    out = capsys.readouterr().out
    for profile in WIRES:
        assert f"glutesense record --device {sim_target(profile)}" in out


@pytest.mark.parametrize("device", list(CASES))
def test_record_through_each_profile(tmp_path: Path, device: str, capsys: pytest.CaptureFixture[str]) -> None:
    extra, want, note = CASES[device]
    out = tmp_path / "s.gses"
    code = main(
        [
            "record",
            "--device",
            device,
            "--speed",
            "inf",
            "--subject",
            "P1",
            "--out",
            str(out),
            *BRIDGE,
            *extra,
        ]
    )
    assert code == 0
    rec = read_native(out)
    assert rec.meta["devices"][0]["profile"] == sim_profile(device)
    streams = {s.name: s for s in rec.streams}
    assert set(streams) == set(want)
    for name, (roles, fs_hz, rel) in want.items():
        s = streams[name]
        if roles is not None:
            assert list(s.roles) == roles
        assert s.fs_hz == pytest.approx(fs_hz, rel=rel)
        assert s.n_samples / s.fs_hz > 5.0
    clock = rec.clock.devices[0]
    assert note in clock.note
    if note:
        assert any("no device clock" in n for n in rec.timing_notes)
    assert rec.meta["ground_truth"]["reps"], "the virtual person heard the cues"
    err = capsys.readouterr().err
    if device == "sim:polar-h10":
        assert "records movement only" in err
        assert "movement only" in rec.meta["setup_warnings"][0]


def test_myo_without_a_map_records_and_says_what_to_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.gses"
    assert main(["record", "--device", "sim:myo", "--speed", "inf", "--out", str(out), *BRIDGE]) == 0
    err = capsys.readouterr().err
    assert "--map" in err and "emg0" in err
    code = main(["analyze", str(out), "--protocol", "bridge", "--out", str(tmp_path / "r")])
    assert code == 2
    assert "no side has both a glute_max and a hamstring" in capsys.readouterr().err
