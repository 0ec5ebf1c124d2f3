"""Lab Streaming Layer: publish a live recording's decoded streams and its cues (``record --lsl``).

:mod:`glutesense.lsl.streams` is pure (what each outlet is, marker texts, the clock map);
:mod:`glutesense.lsl.outlet` is the edge that imports ``pylsl`` (the ``[lsl]`` extra), lazily.
"""
