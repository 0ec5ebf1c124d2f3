"""EDF+/BDF+ export read back by independent readers, and the importer's units and labels."""

from __future__ import annotations

from pathlib import Path

import edfio
import numpy as np
import pytest
from support.recordings import (
    EMG_FS_HZ,
    EMG_ROLES,
    EVENTS,
    IMU_FS_HZ,
    IMU_ROLES,
    make_recording,
)

from glutesense.export import export_recording
from glutesense.io import load_recording
from glutesense.io.edf import read_edf
from glutesense.model.arrays import FloatArray
from glutesense.model.records import Event, Recording
from glutesense.model.roles import Role


def step_of(sig: edfio.EdfSignal | edfio.BdfSignal) -> float:
    """Quantization step (physical units per digital count) from the signal's header."""
    return (sig.physical_max - sig.physical_min) / (sig.digital_max - sig.digital_min)


def expected(rec: Recording, role: Role) -> FloatArray:
    """What a file holds for ``role``: the samples with lost ones written as 0."""
    return np.nan_to_num(rec.signal(role)[0], nan=0.0)


@pytest.fixture(scope="module")
def rec() -> Recording:
    return make_recording()


@pytest.fixture(scope="module", params=["edf", "bdf"])
def written(request: pytest.FixtureRequest, rec: Recording, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[str, Path]:
    fmt = request.param
    path = tmp_path_factory.mktemp(fmt) / f"rec.{fmt}"
    result = export_recording(rec, path, fmt)
    assert result.paths == (path,)
    assert any("lost samples" in n for n in result.notes)
    return fmt, path


def test_edfio_reads_values_within_one_quantization_step(rec: Recording, written: tuple[str, Path]) -> None:
    fmt, path = written
    f = edfio.read_edf(path) if fmt == "edf" else edfio.read_bdf(path)
    assert f.labels == tuple(r.value for r in (*EMG_ROLES, *IMU_ROLES))
    n_bits = 16 if fmt == "edf" else 24
    for sig in f.signals:
        role = Role(sig.label)
        x = expected(rec, role)
        assert sig.physical_dimension == role.unit
        assert sig.sampling_frequency == (EMG_FS_HZ if role in EMG_ROLES else IMU_FS_HZ)
        assert sig.digital_max - sig.digital_min == 2**n_bits - 1
        step = step_of(sig)
        assert step < (np.ptp(x) * 1.2) / (2**n_bits - 1)  # the range fits the data (5 % headroom each side)
        got = sig.data[: x.size]
        assert np.max(np.abs(got - x)) <= step / 2 * (1 + 1e-6)
        assert sig.data.size == x.size  # 4 s fills whole 0.1 s records: no padding


def test_edfio_reads_annotations_and_anonymous_header(written: tuple[str, Path]) -> None:
    fmt, path = written
    f = edfio.read_edf(path) if fmt == "edf" else edfio.read_bdf(path)
    texts = [(a.onset, a.duration, a.text) for a in f.annotations]
    assert texts == [(0.0, 1.0, "rest"), (1.25, None, "cue side=left rep=1"), (1.5, 0.02, "gap"),
                     (2.75, None, "cue side=right rep=2"), (3.5, None, "user mark")]
    assert f.local_patient_identification == "S07 X X X"
    assert "Jane" not in f.local_recording_identification
    assert f.recording.equipment_code == "glutesense"
    assert str(f.startdate) == "2024-05-01"


def test_pyedflib_reads_the_same(rec: Recording, written: tuple[str, Path]) -> None:
    pyedflib = pytest.importorskip("pyedflib")
    fmt, path = written
    with pyedflib.EdfReader(str(path)) as f:
        assert f.filetype == (pyedflib.FILETYPE_EDFPLUS if fmt == "edf" else pyedflib.FILETYPE_BDFPLUS)
        labels = f.getSignalLabels()
        assert labels == [r.value for r in (*EMG_ROLES, *IMU_ROLES)]
        for i, label in enumerate(labels):
            role = Role(label)
            x = expected(rec, role)
            step = (f.getPhysicalMaximum(i) - f.getPhysicalMinimum(i)) / (
                f.getDigitalMaximum(i) - f.getDigitalMinimum(i))
            got = f.readSignal(i)
            assert got.size == x.size
            assert np.max(np.abs(got - x)) <= step / 2 * (1 + 1e-6)
            assert f.getPhysicalDimension(i) == role.unit
        onsets, _, texts = f.readAnnotations()
        assert list(texts) == ["rest", "cue side=left rep=1", "gap", "cue side=right rep=2", "user mark"]
        np.testing.assert_allclose(onsets, [0.0, 1.25, 1.5, 2.75, 3.5])
        assert f.getPatientCode() == "S07"


def test_mne_reads_the_same(rec: Recording, written: tuple[str, Path]) -> None:
    """MNE-Python (``read_raw_edf`` / ``read_raw_bdf``), the reader most EMG researchers start from:
    channel names, units, values within one quantization step and the annotations.  MNE puts every
    channel on the highest rate, so the IMU is compared at its own sample instants."""
    mne = pytest.importorskip("mne")
    fmt, path = written
    read = mne.io.read_raw_edf if fmt == "edf" else mne.io.read_raw_bdf
    raw = read(path, preload=True, verbose="error")
    header = edfio.read_edf(path) if fmt == "edf" else edfio.read_bdf(path)
    steps = {Role(s.label): step_of(s) for s in header.signals}
    assert raw.ch_names == [r.value for r in (*EMG_ROLES, *IMU_ROLES)]
    assert raw.info["sfreq"] == EMG_FS_HZ
    k = round(EMG_FS_HZ / IMU_FS_HZ)
    for role in (*EMG_ROLES, *IMU_ROLES):
        x = expected(rec, role)
        got = raw.get_data(picks=[role.value])[0]
        if role in EMG_ROLES:
            assert raw._orig_units[role.value] == "µV"
            got = got * 1e6  # MNE holds voltages in volts
        else:
            got = got[::k]
        assert got.size == x.size
        assert np.max(np.abs(got - x)) <= steps[role] / 2 * (1 + 1e-6), role
    assert [(a["onset"], a["description"]) for a in raw.annotations] == [
        (0.0, "rest"), (1.25, "cue side=left rep=1"), (1.5, "gap"),
        (2.75, "cue side=right rep=2"), (3.5, "user mark")]


def test_import_round_trip(rec: Recording, written: tuple[str, Path]) -> None:
    fmt, path = written
    back = load_recording(path)
    raw = edfio.read_edf(path) if fmt == "edf" else edfio.read_bdf(path)
    steps = {Role(s.label): step_of(s) for s in raw.signals}
    assert back.meta["source_format"] == fmt
    assert back.meta["subject"] == "S07"
    assert back.meta["import_notes"] == []
    assert [s.name for s in back.streams] == ["emg", "imu"]
    for role in (*EMG_ROLES, *IMU_ROLES):
        x, fs_hz, t0_s = back.signal(role)
        assert (fs_hz, t0_s) == (rec.signal(role)[1], 0.0)
        np.testing.assert_allclose(x, expected(rec, role), rtol=0, atol=steps[role] / 2 * (1 + 1e-6))
    assert back.events == EVENTS


def test_emg_in_millivolts_and_imu_in_si_units_are_scaled(tmp_path: Path) -> None:
    """A foreign file: labels with kind prefixes, EMG in mV, acc in m/s^2, gyr in rad/s."""
    rng = np.random.default_rng(1)
    emg_mv = rng.normal(0.0, 0.3, 2000)
    acc_ms2 = 9.80665 * (1.0 + 0.01 * rng.normal(size=200))
    gyr_rads = rng.normal(0.0, 0.5, 200)
    sig = edfio.EdfSignal
    f = edfio.Edf([
        sig(emg_mv, 1000, label="EMG glute_max_r", physical_dimension="mV", physical_range=(-5, 5)),
        sig(acc_ms2, 100, label="ACC acc_z", physical_dimension="m/s^2", physical_range=(-40, 40)),
        sig(gyr_rads, 100, label="gyro_y", physical_dimension="rad/s", physical_range=(-10, 10)),
    ], annotations=[edfio.EdfAnnotation(0.5, None, "squeeze")])
    path = tmp_path / "foreign.edf"
    f.write(path)
    back = read_edf(path)
    assert back.roles == (Role.GLUTE_MAX_R, Role.ACC_Z, Role.GYR_Y)
    step_mv = 10 / 65535
    np.testing.assert_allclose(back.signal(Role.GLUTE_MAX_R)[0], emg_mv * 1e3, atol=step_mv * 1e3 / 2 * 1.001)
    np.testing.assert_allclose(back.signal(Role.ACC_Z)[0], acc_ms2 / 9.80665, atol=80 / 65535 / 9.80665)
    np.testing.assert_allclose(back.signal(Role.GYR_Y)[0], np.degrees(gyr_rads), atol=np.degrees(20 / 65535))
    assert back.events == (Event(0.5, 0.0, "squeeze"),)
    assert back.meta["roles"] == {"glute_max_r": "EMG glute_max_r", "acc_z": "ACC acc_z", "gyr_y": "gyro_y"}


def test_map_names_signals_by_label(tmp_path: Path) -> None:
    x = np.sin(np.arange(1000) / 10.0)
    f = edfio.Edf([edfio.EdfSignal(x, 500, label="EMG1", physical_dimension="uV"),
                   edfio.EdfSignal(-x, 500, label="EMG2", physical_dimension="uV")])
    path = tmp_path / "chans.edf"
    f.write(path)
    back = read_edf(path, mapping={Role.GLUTE_MAX_L: "EMG1", Role.HAMSTRING_L: "EMG2"})
    assert back.roles == (Role.GLUTE_MAX_L, Role.HAMSTRING_L)
    assert back.streams[0].fs_hz == 500.0
    assert back.events == ()


def test_session_clock_rates_and_offsets_survive(tmp_path: Path) -> None:
    """Clock-fitted rates (999.988 Hz) and start offsets, as a native session has them."""
    rec = make_recording(999.988, 99.9988, emg_t0_s=0.0123, imu_t0_s=0.0153)
    path = tmp_path / "clock.bdf"
    result = export_recording(rec, path, "bdf")
    assert any("moved by up to" in n for n in result.notes)
    back = read_edf(path)
    for role, fs_hz in ((Role.GLUTE_MAX_L, 999.988), (Role.ACC_X, 99.9988)):
        assert back.signal(role)[1] == pytest.approx(fs_hz, rel=1e-6)
    # the EMG starts 12 whole samples late (0.0123 s * 999.988 Hz = 12.3): repeated first value
    x = back.signal(Role.GLUTE_MAX_L)[0]
    np.testing.assert_allclose(x[12 : 12 + 1000], rec.signal(Role.GLUTE_MAX_L)[0][:1000], atol=0.01)
    assert np.all(x[:12] == x[12])
    pyedflib = pytest.importorskip("pyedflib")
    with pyedflib.EdfReader(str(path)) as f:  # strict reader: the record start times are exact
        assert f.getSampleFrequency(0) == pytest.approx(999.988, rel=1e-6)


def test_discontinuous_edf_plus_d_becomes_nan_and_gap_events(tmp_path: Path) -> None:
    """EDF+D: the third 1 s data record starts at 5 s instead of 2 s."""
    x = np.arange(4000.0) % 1000 - 500
    f = edfio.Edf([edfio.EdfSignal(x, 1000, label="glute_max_l", physical_dimension="uV",
                                   physical_range=(-600, 600))],
                  annotations=[edfio.EdfAnnotation(5.5, None, "cue")])
    raw = bytearray(f.to_bytes())
    assert raw[192:197] == b"EDF+C"
    raw[192:197] = b"EDF+D"
    for old, new in ((b"+2\x14\x14", b"+5\x14\x14"), (b"+3\x14\x14", b"+6\x14\x14")):
        assert raw.count(old) == 1
        raw = bytearray(raw.replace(old, new))
    path = tmp_path / "disc.edf"
    path.write_bytes(bytes(raw))
    back = read_edf(path)
    y = back.signal(Role.GLUTE_MAX_L)[0]
    assert y.size == 7000
    assert np.isnan(y[2000:5000]).all()
    np.testing.assert_allclose(y[5000:], x[2000:], atol=1200 / 65535)
    assert Event(2.0, 3.0, "gap") in back.events
    assert Event(5.5, 0.0, "cue") in back.events
    assert any("discontinuous" in n for n in back.meta["import_notes"])


def test_bdf_24_bit_boundary_codes(tmp_path: Path) -> None:
    """Digital -2**23 (0x800000), 2**23 - 1 (0x7FFFFF), -1 and 0 decode to the right microvolts."""
    codes = np.array([-(2**23), 2**23 - 1, -1, 0] * 250, dtype=np.int32)
    sig = edfio.BdfSignal.from_digital(codes, 1000, label="glute_med_r", physical_dimension="uV",
                                       physical_range=(-(2**23), 2**23 - 1))
    path = tmp_path / "codes.bdf"
    edfio.Bdf([sig]).write(path)
    assert path.read_bytes()[-12:] == bytes.fromhex("000080 ffff7f ffffff 000000")
    back = read_edf(path)
    np.testing.assert_array_equal(back.signal(Role.GLUTE_MED_R)[0], codes.astype(np.float64))


def test_patient_field_holds_only_a_clean_pseudonym(tmp_path: Path) -> None:
    rec = make_recording()
    rec = Recording(rec.streams, (), {"subject": "S 07 ü", "name": "Jane Doe", "birthdate": "1990-01-01"})
    path = tmp_path / "anon.edf"
    export_recording(rec, path, "edf")
    f = edfio.read_edf(path)
    assert f.local_patient_identification == "S_07_ X X X"
    assert f.local_recording_identification == "Startdate X X X glutesense"
    assert read_edf(path).meta["subject"] == "S_07_"
