"""glutesense: do your glutes actually switch on?

Surface-EMG and IMU activation timing for the glute bridge and the
single-leg stand, from a BLE sensor, a saved session, or an EDF+/CSV file.

>>> import glutesense as gs
>>> res = gs.analyze(gs.simulate("bridge", n_reps=2), protocol="bridge")
>>> list(res.reps.columns[:4])
['side', 'rep', 'cue_s', 'movement_onset_s']

The Python API is :func:`read`, :func:`analyze` (a :class:`Result` with ``.reps``,
``.onsets`` and ``.report(dir)``), :func:`glutesense.detect.onsets` on a plain array,
:func:`simulate` and :func:`to_frame`; see ``docs/api.md``.
"""

from glutesense import detect
from glutesense.api import Result, analyze, read, simulate, to_frame
from glutesense.io.common import InputError
from glutesense.model.records import Event, Recording, Stream
from glutesense.model.roles import Muscle, Protocol, Role, Side
from glutesense.version import __version__

__all__ = [
    "Event",
    "InputError",
    "Muscle",
    "Protocol",
    "Recording",
    "Result",
    "Role",
    "Side",
    "Stream",
    "__version__",
    "analyze",
    "detect",
    "read",
    "simulate",
    "to_frame",
]
