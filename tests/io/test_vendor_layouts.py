"""Vendor text layouts: each fixture is written to the vendor's documented layout with known
values, imported, and checked for channels, rates, units (values in core units) and events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glutesense.cli.main import main
from glutesense.io import InputError, load_recording
from glutesense.model.roles import Role

FS = 250.0
N = 1000


def _emg(n: int = N, seed: int = 0) -> np.ndarray:
    return np.round(np.random.default_rng(seed).normal(0.0, 40.0, (2, n)), 3)


def write_openbci(path: Path, exg_uv: np.ndarray, *, skip: slice | None = None, marker_at: int = 500) -> None:
    """GUI 5.x layout: % header, names line, index wrapping at 256, accel written every 10th row."""
    n = exg_uv.shape[1]
    lines = [
        "%OpenBCI Raw EXG Data",
        "%Number of channels = 2",
        f"%Sample Rate = {FS:g} Hz",
        "%Board = OpenBCI_GUI$BoardCytonSerial",
    ]
    names = [
        "Sample Index",
        "EXG Channel 0",
        "EXG Channel 1",
        "Accel Channel 0",
        "Accel Channel 1",
        "Accel Channel 2",
        "Other",
        "Analog Channel 0",
        "Timestamp",
        "Marker Channel",
        "Timestamp (Formatted)",
    ]
    lines.append(", ".join(names))
    for i in range(n):
        if skip is not None and skip.start <= i < skip.stop:
            continue
        acc = (0.1, -0.2, 0.98) if i % 10 == 0 else (0.0, 0.0, 0.0)
        mark = 7.0 if i == marker_at else 0.0
        cells = [
            f"{i % 256:.1f}",
            f"{exg_uv[0, i]:.3f}",
            f"{exg_uv[1, i]:.3f}",
            *(f"{a:.3f}" for a in acc),
            "0.0",
            "0.0",
            f"{1700000000 + i // 10 * 0.04:.6f}",
            f"{mark:.1f}",
            "2023-11-14 22:13:20.000",
        ]
        lines.append(", ".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_openbci_gui_channels_units_markers(tmp_path: Path) -> None:
    x = _emg()
    p = tmp_path / "OpenBCI-RAW-2023-11-14.txt"
    write_openbci(p, x)
    rec = load_recording(p, mapping={Role.GLUTE_MAX_L: "EXG Channel 0", Role.HAMSTRING_L: "EXG Channel 1"})
    emg = rec.stream_of(Role.GLUTE_MAX_L)
    assert emg.fs_hz == FS
    assert emg.n_samples == N
    np.testing.assert_allclose(rec.signal(Role.GLUTE_MAX_L)[0], x[0])  # µV as written
    np.testing.assert_allclose(rec.signal(Role.HAMSTRING_L)[0], x[1])
    acc_z, _, _ = rec.signal(Role.ACC_Z)  # the board's axes, zeros between updates filled
    assert np.allclose(acc_z, 0.98, atol=1e-9)
    assert [(e.onset_s, e.trial_type) for e in rec.events] == [(500 / FS, "marker 7")]
    assert rec.meta["source_format"] == "OpenBCI GUI"
    assert rec.meta["created_utc"] == "2023-11-14T22:13:20Z"


def test_openbci_lost_samples_stay_lost(tmp_path: Path) -> None:
    x = _emg()
    p = tmp_path / "OpenBCI-RAW-gap.txt"
    write_openbci(p, x, skip=slice(300, 340))
    rec = load_recording(p, mapping={Role.GLUTE_MAX_L: "EXG Channel 0", Role.HAMSTRING_L: "EXG Channel 1"})
    g = rec.signal(Role.GLUTE_MAX_L)[0]
    assert g.size == N
    assert np.isnan(g[301:339]).all()
    np.testing.assert_allclose(g[:300], x[0, :300])
    np.testing.assert_allclose(g[340:], x[0, 340:])
    assert any("skips 40 samples" in n for n in rec.meta["import_notes"])


def write_opensignals(path: Path, adc: np.ndarray, *, device: str = "biosignalsplux", bits: int = 16) -> None:
    """OpenSignals (r)evolution layout: 3 header lines (JSON in the 2nd), tab-separated ADC rows."""
    n = adc.shape[1]
    header = {
        "00:07:80:0F:31:A9": {
            "sensor": ["EMG", "EMG", "XYZ"],
            "device name": "00:07:80:0F:31:A9",
            "column": ["nSeq", "DI", "CH1", "CH2", "CH3"],
            "sync interval": 2,
            "time": "10:11:12.0",
            "comments": "",
            "device connection": "BTH00:07:80:0F:31:A9",
            "channels": [1, 2, 3],
            "date": "2024-5-1",
            "mode": 0,
            "digital IO": [0, 1],
            "firmware version": 772,
            "device": device,
            "position": 0,
            "sampling rate": 1000,
            "label": ["CH1", "CH2", "CH3"],
            "resolution": [bits, bits, bits],
            "special": [{}, {}, {}],
        }
    }
    rows = [f"{i % 1024}\t0\t{adc[0, i]}\t{adc[1, i]}\t32768\t" for i in range(n)]
    path.write_text(
        "# OpenSignals Text File Format. Version 1\n# "
        + json.dumps(header)
        + "\n# EndOfHeader\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("device", "vcc", "gain"), [("biosignalsplux", 3.0, 1000.0), ("bitalino_rev", 3.3, 1009.0)]
)
def test_opensignals_emg_transfer_function(tmp_path: Path, device: str, vcc: float, gain: float) -> None:
    rng = np.random.default_rng(1)
    adc = rng.integers(30000, 35000, (2, 3000))
    p = tmp_path / "opensignals_000780.txt"
    write_opensignals(p, adc, device=device)
    rec = load_recording(p, mapping={Role.GLUTE_MAX_R: "CH1", Role.HAMSTRING_R: "CH2"})
    assert rec.stream_of(Role.GLUTE_MAX_R).fs_hz == 1000.0
    expect_uv = (adc[0] / 2**16 - 0.5) * vcc / gain * 1e6  # PLUX EMG transfer function, in µV
    np.testing.assert_allclose(rec.signal(Role.GLUTE_MAX_R)[0], expect_uv, rtol=1e-12)
    assert any("CH3 (XYZ)" in n for n in rec.meta["import_notes"])
    assert rec.meta["device"] == device


def write_delsys(path: Path, emg_v: np.ndarray, acc_g: np.ndarray, fs_emg: float, fs_acc: float) -> None:
    """Delsys Trigno export: metadata lines, then X[s]/channel pairs, each channel on its own rate."""
    n, m = emg_v.shape[1], acc_g.size
    lines = [
        "Application: EMGworks Analysis",
        "Date/Time: 05/01/2024 10:11:12",
        "Collection Length (seconds): 2",
        "",
        "X[s],L GLUTEUS MAXIMUS: EMG 1,X[s],L BICEPS FEMORIS: EMG 2,X[s],L GLUTEUS MAXIMUS: ACC.Z 1",
    ]
    for i in range(n):
        cells = [f"{i / fs_emg:.6f}", f"{emg_v[0, i]:.9e}", f"{i / fs_emg:.6f}", f"{emg_v[1, i]:.9e}"]
        cells += [f"{i / fs_acc:.6f}", f"{acc_g[i]:.6f}"] if i < m else ["", ""]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_delsys_per_channel_time_columns(tmp_path: Path) -> None:
    fs_emg, fs_acc = 2148.1481, 148.1481
    n = 4297
    emg_v = np.random.default_rng(2).normal(0, 50e-6, (2, n))
    m = int(n / fs_emg * fs_acc)
    acc = 0.9 + 0.1 * np.sin(np.arange(m) / fs_acc)
    p = tmp_path / "trigno_export.csv"
    write_delsys(p, emg_v, acc, fs_emg, fs_acc)
    rec = load_recording(
        p,
        mapping={
            Role.GLUTE_MAX_L: "L GLUTEUS MAXIMUS: EMG 1",
            Role.HAMSTRING_L: "L BICEPS FEMORIS: EMG 2",
            Role.ACC_Z: "L GLUTEUS MAXIMUS: ACC.Z 1",
        },
    )
    emg = rec.stream_of(Role.GLUTE_MAX_L)
    assert emg.fs_hz == pytest.approx(fs_emg, rel=1e-4)  # the importer may snap to whole Hz (< half a sample)
    np.testing.assert_allclose(rec.signal(Role.GLUTE_MAX_L)[0], emg_v[0] * 1e6, rtol=1e-8)  # V -> µV
    z = rec.signal(Role.ACC_Z)[0]
    t = np.arange(n) / fs_emg
    inside = t <= (m - 1) / fs_acc
    np.testing.assert_allclose(z[inside], np.interp(t[inside], np.arange(m) / fs_acc, acc), atol=1e-5)
    assert rec.meta["source_format"] == "Delsys export"


def test_units_in_a_second_header_row(tmp_path: Path) -> None:
    x = _emg(2000)
    p = tmp_path / "mr3_export.csv"
    lines = ["time,RT GLUT MAX,RT HAMSTRING,Accel X", "ms,mV,uV,m/s^2"]
    lines += [f"{i * 2.0:.1f},{x[0, i] / 1000:.6f},{x[1, i]:.3f},9.80665" for i in range(2000)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rec = load_recording(
        p, mapping={Role.GLUTE_MAX_R: "RT GLUT MAX", Role.HAMSTRING_R: "RT HAMSTRING", Role.ACC_X: "Accel X"}
    )
    assert rec.stream_of(Role.GLUTE_MAX_R).fs_hz == pytest.approx(500.0)
    np.testing.assert_allclose(rec.signal(Role.GLUTE_MAX_R)[0], x[0], atol=5e-4)  # mV column -> µV
    np.testing.assert_allclose(rec.signal(Role.HAMSTRING_R)[0], x[1])
    np.testing.assert_allclose(rec.signal(Role.ACC_X)[0], 1.0)  # m/s^2 -> g


def test_unmapped_vendor_file_says_which_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "OpenBCI-RAW-unmapped.txt"
    write_openbci(p, _emg(200))
    code = main(["analyze", str(p), "--protocol", "bridge", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert str(p) in err
    assert "OpenBCI GUI" in err
    assert "--map" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "%OpenBCI Raw EXG Data\n%Number of channels = 2\nSample Index, EXG Channel 0\n0, 1.0\n",
            "Sample Rate",
        ),
        ("# OpenSignals Text File Format\n# {not json\n# EndOfHeader\n1\t2\n", "not valid JSON"),
        ("# OpenSignals Text File Format\n# {}\n", "EndOfHeader"),
        ("X[s],EMG 1,X[s],EMG 2\n0.0,abc,0.0,1\n", "'abc', not a number"),
    ],
)
def test_broken_vendor_files_exit_2(
    tmp_path: Path, text: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "broken.txt"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=why):
        load_recording(p, mapping={Role.GLUTE_MAX_L: "EMG 1"})
    assert main(["analyze", str(p), "--protocol", "bridge", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(p) in err
    assert why in err
