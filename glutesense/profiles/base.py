"""The contract every device profile fulfils.

A profile is data (GATT UUIDs, commands, channel specs, default role map)
plus a pure decoder: ``decoder.decode(char, payload) -> tuple[SampleBlock, ...]``.
Decoders never touch a clock or do I/O; they raise :class:`MalformedPacket`
(and nothing else) for bytes they cannot read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from glutesense.model.records import ChannelSpec, SampleBlock, StreamKind
from glutesense.model.roles import ACC_ROLES, GYR_ROLES, Role, SignalKind


def imu_channels(acc_g_per_count: float, gyr_dps_per_count: float | None = None) -> tuple[ChannelSpec, ...]:
    """``acc_x/y/z`` (and ``gyr_x/y/z`` when the device has a gyroscope) with their roles and scales."""
    acc = tuple(ChannelSpec(r.value, SignalKind.ACC, r, acc_g_per_count) for r in ACC_ROLES)
    if gyr_dps_per_count is None:
        return acc
    return acc + tuple(ChannelSpec(r.value, SignalKind.GYR, r, gyr_dps_per_count) for r in GYR_ROLES)


class MalformedPacket(ValueError):
    """A payload that does not follow the profile's wire format."""


class Decoder(Protocol):
    """Decodes one notification at a time.

    A decoder may also offer ``decode_many(chars, payloads)``: the result of
    :meth:`decode` for each packet in order (its blocks, or the :class:`MalformedPacket`
    it raises, returned, not raised), computed in fewer steps; replay and whole-file
    decoding use it where it exists (``diy-v1``).
    """

    def decode(self, char: int, payload: bytes) -> tuple[SampleBlock, ...]:
        """Decode one notification from notify characteristic number ``char``."""
        ...


class DecoderFactory(Protocol):
    def __call__(self) -> Decoder: ...


@dataclass(frozen=True)
class DeviceProfile:
    """Everything the transport and pipeline need to know about a device type.

    Attributes
    ----------
    name : str
        Profile id, e.g. ``"diy-v1"``.
    service_uuids : tuple of str
        Advertised services that identify the device when scanning.
    name_prefixes : tuple of str
        Advertised name prefixes that identify the device when scanning.
    notify_chars : tuple of str
        Characteristics to subscribe; a packet's ``char`` is the index here.
    control_char : str or None
        Characteristic commands are written to.
    start_commands, stop_commands : tuple of bytes
        Written to ``control_char`` to start and stop streaming.
    channels : mapping StreamKind -> tuple of ChannelSpec
        Channel specs per stream, with the profile's default roles.
    new_decoder : callable
        Makes a fresh decoder (decoders may keep state between packets).
    has_device_clock : bool
        Whether packets carry a device clock; without one, timing comes from
        arrival only and the report says so.
    annotation_char : str or None
        Optional readable characteristic holding JSON annotations (simulators
        publish their ground truth there).
    marker_command : callable or None
        ``(marker_id, label) -> bytes`` command asking the device to echo a
        marker stamped with its own clock (cue alignment); None if unsupported.
    """

    name: str
    service_uuids: tuple[str, ...]
    name_prefixes: tuple[str, ...]
    notify_chars: tuple[str, ...]
    control_char: str | None
    start_commands: tuple[bytes, ...]
    stop_commands: tuple[bytes, ...]
    channels: Mapping[StreamKind, tuple[ChannelSpec, ...]]
    new_decoder: DecoderFactory
    has_device_clock: bool = True
    annotation_char: str | None = None
    marker_command: Callable[[int, str], bytes] | None = None
    description: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def default_roles(self) -> dict[str, Role]:
        """Device channel name -> role, from the channel specs."""
        return {c.name: c.role for cs in self.channels.values() for c in cs if c.role is not None}
