"""``glutesense doctor``: plain findings with fixes, exit 0 when ready and 1 when not, no traceback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from glutesense.cli.cmd_doctor import report
from glutesense.cli.doctor import Machine
from glutesense.cli.main import main


def test_doctor_on_this_machine_says_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    lines = captured.out.splitlines()
    assert lines[0] == "live recording over Bluetooth LE:"
    assert any(line.strip().startswith("ok      bleak:") for line in lines)
    assert "optional extras:" in lines
    for module in ("numba", "pylsl", "dask", "mne", "edfio"):
        assert any(line.split()[1:2] == [f"{module}:"] for line in lines), module
    if code == 1:  # this machine (a container without Bluetooth)
        assert lines[-1].startswith("not ready for live recording")
        assert any("->" in line for line in lines if line.strip().startswith("missing"))
    else:
        assert code == 0 and lines[-1].startswith("ready for live recording")


def _ready_linux(tmp_path: Path, bluez: str = "bluetoothctl: 5.66") -> Machine:
    (tmp_path / "class" / "bluetooth" / "hci0").mkdir(parents=True)
    sock = tmp_path / "dbus_socket"
    sock.write_text("")

    def run(cmd: Sequence[str]) -> tuple[int, str]:
        return 0, bluez

    return Machine(
        platform="linux",
        run=run,
        which=lambda name: f"/usr/bin/{name}",
        sys_root=tmp_path,
        dbus_socket=sock,
        groups=lambda: {"users", "bluetooth"},
        has_module=lambda name: name != "numba",
    )


def test_a_ready_linux_machine_exits_0(tmp_path: Path) -> None:
    code, lines = report(_ready_linux(tmp_path))
    assert code == 0, lines
    assert "  ok      BlueZ: 5.66" in lines and "  ok      adapter: hci0" in lines
    numba = next(line for line in lines if "numba:" in line)
    assert (
        numba.split()[0] == "missing" and "pip install 'glutesense[fast]'" in numba
    )  # optional: still ready
    assert lines[-1].startswith("ready for live recording")


def test_old_bluez_blocked_adapter_and_no_group_each_say_the_fix(tmp_path: Path) -> None:
    m = _ready_linux(tmp_path, bluez="bluetoothctl: 5.50")
    rf = tmp_path / "class" / "rfkill" / "rfkill0"
    rf.mkdir(parents=True)
    (rf / "type").write_text("bluetooth\n")
    (rf / "soft").write_text("1\n")
    code, lines = report(replace(m, groups=lambda: {"users"}))
    text = "\n".join(lines)
    assert code == 1
    assert "5.50 (bleak needs 5.55 or later) -> upgrade BlueZ" in text
    assert "rfkill unblock bluetooth" in text
    group = next(line for line in lines if "bluetooth group" in line)
    assert "sudo usermod -aG bluetooth $USER" in group or "root" in group


def test_macos_and_windows_get_their_notes(tmp_path: Path) -> None:
    mac = Machine(platform="darwin", has_module=lambda name: True)
    code, lines = report(mac)
    assert code == 0 and any("Privacy & Security > Bluetooth" in line for line in lines)
    code, lines = report(replace(mac, platform="win32"))
    assert code == 0 and any("Bluetooth LE adapter" in line for line in lines)
    code, lines = report(replace(mac, has_module=lambda name: name != "bleak"))
    assert code == 1 and any("pip install 'bleak>=3'" in line for line in lines)
