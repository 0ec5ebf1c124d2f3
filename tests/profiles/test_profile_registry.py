"""The profile registry and the contract every real-sensor profile fulfils."""

from __future__ import annotations

import uuid

import pytest

from glutesense.profiles import PROFILES, get_profile
from glutesense.profiles.base import DeviceProfile

REAL_SENSORS = (
    "myoware-ble-uart",
    "polar-h10",
    "polar-h10-ecg",
    "polar-verity-sense",
    "ganglion",
    "ganglion-fw2",
    "myo",
)


@pytest.mark.parametrize("name", REAL_SENSORS)
def test_lookup(name: str) -> None:
    profile = get_profile(name)
    assert isinstance(profile, DeviceProfile)
    assert profile.name == name
    assert PROFILES[name] is profile


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="polar-h10"):
        get_profile("polar-h11")


@pytest.mark.parametrize("name", REAL_SENSORS)
def test_profile_contract(name: str) -> None:
    profile = get_profile(name)
    for u in (*profile.service_uuids, *profile.notify_chars, profile.control_char):
        if u is not None:
            assert str(uuid.UUID(u)) == u  # canonical lower-case form
    assert profile.notify_chars
    assert profile.name_prefixes
    roles = [c.role for specs in profile.channels.values() for c in specs if c.role is not None]
    assert len(roles) == len(set(roles)), "a role may be claimed by one channel only"
    for specs in profile.channels.values():
        for spec in specs:
            assert spec.role is None or spec.role.kind is spec.kind
    decoder = profile.new_decoder()
    assert callable(decoder.decode)
    assert profile.new_decoder() is not decoder  # fresh state per session
    if not profile.has_device_clock:
        assert "no device clock" in profile.description
