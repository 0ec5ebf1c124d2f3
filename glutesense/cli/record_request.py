"""What a recording needs (:class:`RecordRequest`) and how device channels take the roles of ``--map``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glutesense.cli.errors import UsageError
from glutesense.model.records import StreamKind
from glutesense.model.roles import Protocol, Role, Side


@dataclass(frozen=True)
class RecordRequest:
    """Everything a recording needs, gathered from the command line."""

    device: str
    out: Path
    subject: str
    protocol: Protocol
    reps: int
    sides: tuple[Side, ...]
    rest_s: float
    rep_period_s: float
    hold_s: float
    speed: float
    channel_map: Mapping[Role, str]
    sim: Mapping[str, Any]
    scan_timeout_s: float
    devices: tuple[str, ...] = ()
    """Every device to record, in device-index order (empty: just ``device``)."""
    lsl: bool = False
    """Publish on Lab Streaming Layer too (:class:`glutesense.lsl.outlet.LslPublisher`)."""
    plain: bool | None = False
    """Plain timestamped lines (True), the rich view (False, silent without a terminal), or
    plain exactly when standard output is not a terminal (None, ``record``'s default)."""
    gate: bool = False
    """Run the signal-quality gate before the test (``record``'s default; ``--skip-gate``)."""
    verdicts: bool = False
    """A verdict line after each rep (``record``), from the offline analysis of the data so far."""

    @property
    def all_devices(self) -> tuple[str, ...]:
        return self.devices or (self.device,)


def mapped_channels(
    profile_name: str, channel_map: Mapping[Role, str]
) -> dict[str, list[dict[str, Any]]] | None:
    """Profile channel specs with roles remapped by ``--map`` (None: profile defaults)."""
    if not channel_map:
        return None
    from dataclasses import replace

    from glutesense.profiles import get_profile

    profile = get_profile(profile_name)
    names = {c.name for cs in profile.channels.values() for c in cs}
    for name in channel_map.values():
        if name not in names:
            raise UsageError(
                f"--map: device {profile.name} has no channel {name!r} (channels: {', '.join(sorted(names))})"
            )
    by_name = {name: role for role, name in channel_map.items()}
    mapped_roles = set(channel_map)
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, specs in profile.channels.items():
        new = []
        for c in specs:
            role: Role | None = by_name.get(c.name, None if c.role in mapped_roles else c.role)
            new.append(replace(c, role=role).to_json())
        out[kind.name.lower()] = new
    return out


def setup_warning(profile_name: str, channels: Mapping[str, Any] | None) -> str | None:
    """Why a device's channel map cannot carry a glute max + hamstring pair, or None if it can."""
    from glutesense.profiles import get_profile

    profile = get_profile(profile_name)
    if channels is None:
        roles = {c.role for cs in profile.channels.values() for c in cs if c.role is not None}
    else:
        roles = {Role(c["role"]) for cs in channels.values() for c in cs if c.get("role")}
    pair = any(Role(f"glute_max_{x}") in roles and Role(f"hamstring_{x}") in roles for x in "lr")
    if pair:
        return None
    emg = [c.name for c in profile.channels.get(StreamKind.EMG, ())]
    if not emg:
        return (
            f"{profile.name} records movement only (no EMG): analysis needs a glute_max and a hamstring "
            "channel, so combine it with an EMG sensor"
        )
    example = f"glute_max_l={emg[0]},hamstring_l={emg[min(1, len(emg) - 1)]}"
    return (
        f"{profile.name}: no side has both a glute_max and a hamstring channel mapped; map its EMG "
        f"channels ({', '.join(emg)}) with --map, e.g. --map {example}, or add a second sensor"
    )
