"""glutesense: do your glutes actually switch on?

Surface-EMG and IMU activation timing for the glute bridge and the
single-leg stand, from a BLE sensor, a saved session, or an EDF+/CSV file.
"""

from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Muscle, Protocol, Role, Side

__version__ = "0.1.0"

__all__ = ["Event", "Muscle", "Protocol", "Recording", "Role", "Side", "Stream", "__version__"]
