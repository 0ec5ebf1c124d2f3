"""One BLAS thread while a recording is analysed.

Every matrix product of the analysis is small (at most a few dozen rows by a block of samples), so
BLAS threads cost more than they bring; and where other work shares the cores (a batch of sessions,
a recording running, CI), a threaded OpenBLAS spins for its turn: the mains fit of a 10-minute
channel took 1.8 CPU s with OpenBLAS's 2 threads on a loaded 2-core machine and 0.025 CPU s with one
(``docs/performance.md``).  ``threadpoolctl`` sets the limit for the duration of the call only, so a
caller's own NumPy work keeps its threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS (OpenBLAS, MKL, BLIS) to one thread inside the ``with`` block."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
