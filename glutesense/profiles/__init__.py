"""Device profiles, looked up by name through an explicit registry."""

from __future__ import annotations

from glutesense.profiles import diy_v1, ganglion, myo, myoware_ascii, polar_pmd
from glutesense.profiles.base import Decoder, DeviceProfile, MalformedPacket

PROFILES: dict[str, DeviceProfile] = {
    p.name: p
    for p in (
        diy_v1.PROFILE,
        myoware_ascii.PROFILE,
        *polar_pmd.PROFILES,
        *ganglion.PROFILES,
        myo.PROFILE,
    )
}


def get_profile(name: str) -> DeviceProfile:
    """The profile called ``name``; ``KeyError`` names the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(f"unknown device profile {name!r} (known: {', '.join(PROFILES)})") from None


__all__ = ["PROFILES", "Decoder", "DeviceProfile", "MalformedPacket", "get_profile"]
