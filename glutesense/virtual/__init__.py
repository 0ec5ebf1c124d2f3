"""The virtual sensor: a physiological model of a person, served as a Bleak backend.

Nothing in the live path (transport, acquire) imports this package; the CLI reaches it
through :mod:`glutesense.virtual.devices` when the device is ``sim``.
"""

from glutesense.virtual.offline import simulate
from glutesense.virtual.params import BASIC_EMG_ROLES, DEFAULT_EMG_ROLES, Pattern, PersonParams
from glutesense.virtual.person import VirtualPerson, parse_cue_label

__all__ = [
    "BASIC_EMG_ROLES",
    "DEFAULT_EMG_ROLES",
    "Pattern",
    "PersonParams",
    "VirtualPerson",
    "parse_cue_label",
    "simulate",
]
