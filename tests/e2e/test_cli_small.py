"""Small CLI items a new user hit: each a one-line message and exit 2, never a silent wrong result."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.paths import SAMPLES

from glutesense.cli.main import main


def test_export_refuses_a_name_that_says_another_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s01.txt"
    assert main(["export", str(SAMPLES / "bridge_glute_late.gses"), "--to", "edf", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "s01.txt" in err and "s01.edf" in err
    assert not out.exists()


def test_scan_without_bluetooth_and_without_the_virtual_sensors_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import glutesense.transport.ble as ble

    async def no_bluetooth(*_a: object, **_k: object) -> list[object]:
        raise ble.BluetoothUnavailable("Bluetooth is not available: no adapter")

    monkeypatch.setattr(ble, "scan", no_bluetooth)
    assert main(["scan", "--no-sim", "--timeout", "0.1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("glutesense scan: error: Bluetooth is not available") and "\n" not in err
