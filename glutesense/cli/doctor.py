"""What ``glutesense doctor`` checks: is this machine ready to record from a real sensor over BLE?

Each check is a :class:`Finding` (ok, warn or missing, with the fix in plain words).  The machine is
read through a :class:`Machine` (the platform, a command runner, the file system, the groups), so
tests can hand in another machine; :func:`this_machine` is the real one.  Nothing here scans or
connects: a machine without a Bluetooth adapter is reported, never a traceback.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

MIN_BLUEZ = (5, 55)
"""The oldest BlueZ bleak supports on Linux."""

EXTRAS = (
    ("numba", "fast", "the rise-fit detector's compiled kernel (about 6x faster, same answers)"),
    ("pylsl", "lsl", "record --lsl: publish live streams on Lab Streaming Layer"),
    ("pyxdf", "lsl", "reading XDF files (analyze a .xdf)"),
    ("dask", "scale", "glutesense batch on a Dask cluster"),
    ("mne", "test", "BIDS and EDF round trips checked by an independent reader"),
    ("edfio", "", "EDF+/BDF+ export and import"),
)


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    MISSING = "missing"


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report; ``blocks`` means live recording cannot work until it is fixed."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    blocks: bool = False

    def line(self) -> str:
        fix = f" -> {self.fix}" if self.fix else ""
        return f"{self.status.value:7} {self.name}: {self.detail}{fix}"


def _run(cmd: Sequence[str]) -> tuple[int, str]:
    try:
        r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return 127, str(e)
    return r.returncode, (r.stdout or r.stderr).strip()


@dataclass(frozen=True)
class Machine:
    """What the doctor reads of a machine."""

    platform: str = sys.platform
    run: Callable[[Sequence[str]], tuple[int, str]] = _run
    which: Callable[[str], str | None] = field(default=lambda name: _which(name))
    sys_root: Path = Path("/sys")
    dbus_socket: Path = Path("/run/dbus/system_bus_socket")
    groups: Callable[[], set[str]] = field(default=lambda: _groups())
    has_module: Callable[[str], bool] = field(default=lambda name: importlib.util.find_spec(name) is not None)


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


def _groups() -> set[str]:
    try:
        import grp

        return {grp.getgrgid(g).gr_name for g in os.getgroups()}
    except (ImportError, KeyError, OSError):
        return set()


def this_machine() -> Machine:
    return Machine()


def check_bleak(m: Machine) -> Finding:
    if not m.has_module("bleak"):
        return Finding("bleak", Status.MISSING, "not installed", "pip install 'bleak>=3'", blocks=True)
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("bleak")
    except PackageNotFoundError:
        v = "unknown version"
    backend = {"linux": "BlueZ over D-Bus", "darwin": "CoreBluetooth", "win32": "WinRT"}.get(
        m.platform, "none for this platform"
    )
    return Finding("bleak", Status.OK, f"{v}, backend {backend}")


def check_bluez(m: Machine) -> Finding:
    if m.which("bluetoothctl") is None:
        return Finding(
            "BlueZ",
            Status.MISSING,
            "bluetoothctl not found",
            "install BlueZ (e.g. sudo apt install bluez)",
            blocks=True,
        )
    code, out = m.run(["bluetoothctl", "--version"])
    found = re.search(r"(\d+)\.(\d+)", out)
    if code != 0 or found is None:
        return Finding(
            "BlueZ", Status.WARN, f"bluetoothctl --version said {out[:60]!r}", "check BlueZ is installed"
        )
    ver = (int(found[1]), int(found[2]))
    if ver < MIN_BLUEZ:
        need = ".".join(map(str, MIN_BLUEZ))
        return Finding(
            "BlueZ",
            Status.MISSING,
            f"{ver[0]}.{ver[1]} (bleak needs {need} or later)",
            "upgrade BlueZ",
            blocks=True,
        )
    return Finding("BlueZ", Status.OK, f"{ver[0]}.{ver[1]}")


def check_dbus(m: Machine) -> Finding:
    if m.dbus_socket.exists():
        return Finding("D-Bus", Status.OK, "system bus found")
    return Finding(
        "D-Bus",
        Status.MISSING,
        f"no system bus at {m.dbus_socket}",
        "start D-Bus and the bluetooth service (sudo systemctl start dbus bluetooth); in a container, "
        "share the host's /run/dbus",
        blocks=True,
    )


def check_adapter(m: Machine) -> Finding:
    root = m.sys_root / "class" / "bluetooth"
    adapters = sorted(p.name for p in root.glob("hci*")) if root.is_dir() else []
    if not adapters:
        return Finding(
            "adapter",
            Status.MISSING,
            "no Bluetooth adapter found",
            "plug in a Bluetooth LE (4.0 or later) USB adapter, or switch Bluetooth on; a virtual machine "
            "or container needs the host's adapter passed through. The virtual sensor (--device sim) works "
            "without one",
            blocks=True,
        )
    blocked = []
    for rf in (m.sys_root / "class" / "rfkill").glob("rfkill*"):
        try:
            kind = (rf / "type").read_text().strip()
            soft = (rf / "soft").read_text().strip()
        except OSError:
            continue
        if kind == "bluetooth" and soft == "1":
            blocked.append(rf.name)
    if blocked:
        return Finding(
            "adapter",
            Status.MISSING,
            f"{', '.join(adapters)} switched off (rfkill)",
            "rfkill unblock bluetooth",
            blocks=True,
        )
    return Finding("adapter", Status.OK, ", ".join(adapters))


def check_group(m: Machine) -> Finding:
    groups = m.groups()
    if "bluetooth" in groups or getattr(os, "geteuid", lambda: -1)() == 0:
        return Finding(
            "bluetooth group", Status.OK, "allowed" if "bluetooth" in groups else "running as root"
        )
    return Finding(
        "bluetooth group",
        Status.WARN,
        "you are not in the 'bluetooth' group (fine where polkit allows BLE; some distributions need it)",
        "if scanning says 'not authorized': sudo usermod -aG bluetooth $USER, then log out and back in",
    )


def platform_findings(m: Machine) -> list[Finding]:
    if m.platform.startswith("linux"):
        return [check_bluez(m), check_dbus(m), check_adapter(m), check_group(m)]
    if m.platform == "darwin":
        return [
            Finding(
                "permission",
                Status.WARN,
                "macOS asks once whether your terminal may use Bluetooth",
                "allow it, or later in System Settings > Privacy & Security > Bluetooth "
                "(your terminal or IDE)",
            )
        ]
    if m.platform == "win32":
        return [
            Finding(
                "adapter",
                Status.WARN,
                "Windows 10 (1709) or later with a Bluetooth LE adapter is needed; not checked from here",
                "switch Bluetooth on in Settings > Bluetooth & devices; pair nothing "
                "(glutesense connects itself)",
            )
        ]
    return [
        Finding(
            "platform",
            Status.MISSING,
            f"{m.platform}: no bleak backend",
            "use Linux, macOS or Windows",
            blocks=True,
        )
    ]


def extras(m: Machine) -> list[Finding]:
    out = []
    for module, extra, what in EXTRAS:
        if m.has_module(module):
            out.append(Finding(module, Status.OK, what))
        else:
            how = f"pip install 'glutesense[{extra}]'" if extra else f"pip install {module}"
            out.append(Finding(module, Status.MISSING, f"optional, for {what}", how))
    return out


def diagnose(m: Machine) -> tuple[list[Finding], list[Finding]]:
    """(findings for live recording, optional extras)."""
    live = [check_bleak(m)]
    if live[0].status is Status.OK:
        live.extend(platform_findings(m))
    return live, extras(m)
