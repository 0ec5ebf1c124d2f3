"""The decoded blocks a :class:`~glutesense.decode.decoder.SessionDecoder` keeps, held compactly.

A session decoder keeps every block it decoded, so that ``recording()`` can lay the whole
session out (and the live verdicts can read the session so far).  Kept as objects, a
25-sample block costs about 500 bytes of Python objects beside its samples, and each is one
more object for the garbage collector to walk: over a 30-minute session, memory grew by
about 40 MB more than the samples, and a full collection stalled the live path for over
100 ms (``benchmarks/live_latency.py``, ``docs/performance.md``).  :class:`StreamBuffer`
keeps the samples of consecutive blocks in one array per few hundred blocks and their header
fields in typed arrays (41 bytes a block), gives them to
:func:`~glutesense.decode.timeline.timeline` as columns, and rebuilds
:class:`~glutesense.model.records.SampleBlock` objects only when asked.
"""

from __future__ import annotations

import itertools
from array import array

import numpy as np

from glutesense.decode.timeline import Packets
from glutesense.model.arrays import FloatArray
from glutesense.model.records import SampleBlock, StreamKind

CHUNK_BLOCKS = 256  # blocks whose samples are joined into one array
_NO_SEQ, _NO_CLOCK = 1, 2  # bits of a block's ``none`` byte: seq / device_t_us is None


class StreamBuffer:
    """One (device, stream)'s decoded blocks in arrival order, with their receive stamps.

    Parameters
    ----------
    stream : StreamKind
    """

    def __init__(self, stream: StreamKind) -> None:
        self.stream = stream
        self._ints = array("q")  # per block: t_rx_ns, seq, device_t_us, flags
        self._none = bytearray()
        self._fs_hz = array("d")
        self._markers: dict[int, int] = {}  # block index -> marker, for data blocks that carry one
        self._chunks: list[FloatArray] = []  # joined samples of whole runs, (n_samples, n_channels)
        self._chunk_sizes: list[list[int]] = []  # samples per block of each chunk
        self._open: list[FloatArray] = []  # samples of blocks not joined yet (one channel count)

    def __len__(self) -> int:
        return len(self._fs_hz)

    def append(self, block: SampleBlock, t_rx_ns: int) -> None:
        """Keep ``block`` (of this buffer's stream), received at ``t_rx_ns``."""
        if self._open and (
            len(self._open) >= CHUNK_BLOCKS or self._open[0].shape[1:] != block.data.shape[1:]
        ):
            self._join()
        if block.marker is not None:
            self._markers[len(self)] = block.marker
        seq, t_us = block.seq, block.device_t_us
        if seq is None or t_us is None:
            self._none.append((_NO_SEQ if seq is None else 0) | (_NO_CLOCK if t_us is None else 0))
            seq, t_us = seq or 0, t_us or 0
        else:
            self._none.append(0)
        self._ints.extend((t_rx_ns, seq, t_us, block.flags))
        self._fs_hz.append(block.fs_hz)
        self._open.append(block.data)

    def _join(self) -> None:
        self._chunks.append(np.concatenate(self._open) if len(self._open) > 1 else self._open[0])
        self._chunk_sizes.append([d.shape[0] for d in self._open])
        self._open = []

    @property
    def nbytes(self) -> int:
        """Bytes of samples and header fields held (what a longer session adds to)."""
        samples = sum(c.nbytes for c in self._chunks) + sum(d.nbytes for d in self._open)
        return samples + 8 * len(self._ints) + 8 * len(self._fs_hz) + len(self._none)

    def t_rx_ns(self) -> list[int]:
        """Each block's receive stamp, ns."""
        return self._ints[0::4].tolist()

    def _datas(self) -> list[FloatArray]:
        datas: list[FloatArray] = []
        for chunk, sizes in zip(self._chunks, self._chunk_sizes, strict=True):
            edges = np.cumsum([0, *sizes]).tolist()
            datas += [chunk[a:b] for a, b in itertools.pairwise(edges)]
        return datas + self._open

    def packets(self) -> Packets:
        """The blocks as columns (what :func:`~glutesense.decode.timeline.timeline` reads)."""
        none = np.frombuffer(bytes(self._none), dtype=np.uint8)
        ints = np.array(self._ints, dtype=np.int64).reshape(-1, 4)
        return Packets(
            self.stream,
            tuple(self._datas()),
            np.array(self._fs_hz, dtype=np.float64),
            ints[:, 1].copy(),
            ints[:, 2].copy(),
            ints[:, 3].copy(),
            not (none & _NO_SEQ).any(),
            not (none & _NO_CLOCK).any(),
        )

    def blocks(self) -> list[SampleBlock]:
        """The blocks as they were appended (their samples are views into the joined arrays)."""
        datas = self._datas()
        seq, t_us, flags = (self._ints[k::4].tolist() for k in (1, 2, 3))
        fs_hz = self._fs_hz.tolist()
        fields = zip(seq, t_us, self._none, fs_hz, flags, datas, strict=True)
        return [
            SampleBlock(
                self.stream,
                None if none & _NO_SEQ else seq,
                None if none & _NO_CLOCK else t_us,
                fs,
                data,
                marker=self._markers.get(i),
                flags=flags,
            )
            for i, (seq, t_us, none, fs, flags, data) in enumerate(fields)
        ]
