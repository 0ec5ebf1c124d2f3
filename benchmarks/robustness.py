"""Robustness figures of issue 16: SIGKILL storm, packet fuzzing, damaged session files.

Usage::

    python benchmarks/robustness.py            # 100 kills, 10^6 packets per decoder, 600 damaged files
    python benchmarks/robustness.py --quick    # 10 kills, 10^4 packets per decoder, 60 damaged files
    python benchmarks/robustness.py --only fuzz --packets 200000

Three parts, each printing one line per case and a total:

* **kills**: ``glutesense record --device sim`` (real time) in its own process, killed with SIGKILL
  at a random moment 0.2-4 s after its session file appeared.  Survived = the file opens, every
  record but a truncated tail checks, and the packets decode; the loss is the time from the last
  packet on disk to the kill (the writer flushes every 0.5 s; the design allows 1 s).
* **fuzz**: valid packets of each profile (recorded from its virtual twin; a profile without a twin
  gets its sibling's packets), mutated (bit flips, boundary bytes, truncation, extension, splices,
  random bytes, extreme ASCII numbers) and fed to one decoder in a stream (a fresh decoder every
  1000 packets).  Rejected = ``MalformedPacket``; uncaught = any other exception; bad blocks =
  returned samples that are infinite (NaN marks a lost sample) or do not fit the profile's channels.
* **damage**: each sample session (``sample_recordings/``) truncated, bit-flipped (1-4 bits) or
  zeroed over a span (1-4096 bytes) past its metadata.  A record is intact when none of its bytes
  changed; recovered = intact records (packets and events) the reader returned; invented = records
  returned that the original does not hold.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from glutesense.cli.main import main as cli  # noqa: E402
from glutesense.io.native import recording_from_session  # noqa: E402
from glutesense.model.records import StreamKind  # noqa: E402
from glutesense.profiles import PROFILES, get_profile  # noqa: E402
from glutesense.profiles.base import MalformedPacket  # noqa: E402
from glutesense.session import read_session  # noqa: E402
from glutesense.session.format import RecordType  # noqa: E402
from glutesense.session.scan import Frame, scan  # noqa: E402

KILL_WAIT_S = (0.2, 4.0)
ALLOWED_LOSS_S = 1.0
TWIN = {  # profile -> the virtual device whose packets it is fuzzed from
    "diy-v1": "sim",
    "myoware-ble-uart": "sim:myoware-ble-uart",
    "polar-h10": "sim:polar-h10",
    "polar-h10-ecg": "sim:polar-h10",
    "polar-verity-sense": "sim:polar-h10",
    "ganglion": "sim:ganglion",
    "ganglion-fw2": "sim:ganglion",
    "myo": "sim:myo",
}
EXTREME = [
    b"1e308",
    b"-1e308",
    b"nan",
    b"inf",
    b"-inf",
    b"1e-400",
    b"9" * 40,
    b"",
    b",,,",
    b"\r\n",
    b"-",
    b"+",
]


# ------------------------------------------------------------------------------------------ kills
def kill_once(out: Path, rng: random.Random) -> tuple[bool, float, str]:
    """Record (real time) into ``out``, SIGKILL at a random moment, read the file back: (intact up to
    the tail, seconds between the last packet on disk and the kill, why not)."""
    cmd = [sys.executable, "-m", "glutesense.cli.main", "record", "--device", "sim", "--reps", "3"]
    cmd += ["--subject", "K1", "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        if not out.exists():
            return False, float("nan"), "no file"
        time.sleep(rng.uniform(*KILL_WAIT_S))
        killed_ns = time.monotonic_ns()
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    try:
        data = read_session(out)
        if any(not d.truncated for d in data.damage):
            return False, float("nan"), "a damaged span before the tail"
        if data.packets:
            recording_from_session(data)
        last_ns = max([data.start_ns, *(p.t_rx_ns for p in data.packets[-1:])])
        return True, (killed_ns - last_ns) / 1e9, ""
    except Exception as e:
        return False, float("nan"), f"{type(e).__name__}: {e}"


def kill_storm(n: int, rng: random.Random, tmp: Path) -> dict[str, Any]:
    losses, failures = [], []
    for i in range(n):
        ok, loss_s, why = kill_once(tmp / f"kill{i}.gses", rng)
        if ok:
            losses.append(loss_s)
        else:
            failures.append(why)
    worst = max(losses) if losses else float("nan")
    within = sum(x <= ALLOWED_LOSS_S for x in losses)
    print(
        f"kills: {len(losses)} survived of {n}; worst loss {worst:.2f} s, median {np.median(losses):.2f} s; "
        f"{within} of {n} within {ALLOWED_LOSS_S:g} s"
        + (f"; failures: {Counter(failures)}" if failures else "")
    )
    return {"n": n, "survived": len(losses), "worst_loss_s": worst, "within": within}


# ------------------------------------------------------------------------------------------- fuzz
def _seed_packets(tmp: Path) -> dict[str, list[tuple[int, bytes]]]:
    """Valid (characteristic, payload) pairs of each virtual device, from a short recording."""
    out: dict[str, list[tuple[int, bytes]]] = {}
    for device in sorted(set(TWIN.values())):
        path = tmp / f"seed_{device.replace(':', '_')}.gses"
        argv = ["record", "--device", device, "--speed", "inf", "--reps", "1", "--rest-s", "2"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = cli([*argv, "--subject", "F1", "--plain", "--out", str(path)])
        if rc not in (0, 1):
            raise SystemExit(f"could not record {device}")
        out[device] = [(p.char, p.payload) for p in read_session(path).packets]
    return out


def _mutate(payload: bytes, other: bytes, rng: random.Random) -> bytes:
    b = bytearray(payload)
    op = rng.randrange(10)
    if op == 0 and b:
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif op == 1 and b:
        b[rng.randrange(len(b))] = rng.choice([0x00, 0xFF, 0x7F, 0x80, 0x01, rng.randrange(256)])
    elif op == 2:
        del b[rng.randrange(len(b) + 1) :]
    elif op == 3:
        b += rng.randbytes(rng.randint(1, 40))
    elif op == 4:
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.randbytes(rng.randint(1, 8))
    elif op == 5 and b:
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 8)]
    elif op == 6:
        b = b[: rng.randrange(len(b) + 1)] + bytearray(other[rng.randrange(len(other) + 1) :])
    elif op == 7:
        b = bytearray(rng.randbytes(rng.randint(0, max(1, 2 * len(payload)))))
    elif op == 8:  # an extreme number where a number was (ASCII profiles), else anywhere
        fields = bytes(b).replace(b"\n", b",").split(b",")
        fields[rng.randrange(len(fields))] = rng.choice(EXTREME)
        b = bytearray(b",".join(fields) + b"\n")
    else:
        b = bytearray(payload) * rng.randint(2, 3)
    return bytes(b)


def _bad_block(profile: Any, block: Any) -> bool:
    if block.stream is StreamKind.MARK:  # a marker echo carries no samples
        return False
    specs = profile.channels.get(block.stream)
    data = block.data
    return (
        specs is None
        or data.ndim != 2
        or not 0 < data.shape[1] <= len(specs)  # a packet may carry fewer channels (diy-v1)
        or bool(np.isinf(data).any())  # NaN is a lost sample (allowed); inf never is
        or not block.fs_hz > 0
    )


def fuzz_decoder(name: str, seeds: list[tuple[int, bytes]], n: int, rng: random.Random) -> dict[str, Any]:
    profile = get_profile(name)
    decoder = profile.new_decoder()
    rejected = uncaught = bad = 0
    examples: Counter[str] = Counter()
    for i in range(n):
        if i % 1000 == 0:
            decoder = profile.new_decoder()
        char, payload = seeds[rng.randrange(len(seeds))]
        if rng.random() < 0.02:
            char = rng.randint(-1, 4)
        if rng.random() < 0.9:
            payload = _mutate(payload, seeds[rng.randrange(len(seeds))][1], rng)
        try:
            blocks = decoder.decode(char, payload)
        except MalformedPacket:
            rejected += 1
            continue
        except Exception as e:
            uncaught += 1
            examples[f"{type(e).__name__}: {e}"[:80]] += 1
            continue
        if any(_bad_block(profile, b) for b in blocks):
            bad += 1
            examples[f"bad block from {payload[:24]!r}"] += 1
    return {
        "name": name,
        "n": n,
        "rejected": rejected,
        "uncaught": uncaught,
        "bad": bad,
        "examples": examples.most_common(3),
    }


def fuzz(n: int, rng: random.Random, tmp: Path) -> list[dict[str, Any]]:
    seeds = _seed_packets(tmp)
    rows = []
    for name in PROFILES:
        t0 = time.perf_counter()
        r = fuzz_decoder(name, seeds[TWIN[name]], n, rng)
        rows.append(r)
        print(
            f"fuzz {name:<19} {n:>9,} packets: {r['uncaught']} uncaught errors, {r['bad']} bad blocks, "
            f"{r['rejected']:,} rejected as malformed ({time.perf_counter() - t0:.0f} s)"
            + (f"; e.g. {r['examples']}" if r["examples"] else "")
        )
    print(
        f"fuzz: {sum(r['n'] for r in rows):,} packets over {len(rows)} decoders, "
        f"{sum(r['uncaught'] for r in rows)} uncaught errors, {sum(r['bad'] for r in rows)} bad blocks"
    )
    return rows


# ----------------------------------------------------------------------------------------- damage
def _records(buf: bytes) -> list[Frame]:
    version = int.from_bytes(buf[8:10], "little")
    return [f for f in scan(buf, version) if isinstance(f, Frame)]


def _damage(buf: bytes, kind: str, start: int, rng: random.Random) -> bytes:
    b = bytearray(buf)
    if kind == "truncation":
        return bytes(b[: rng.randrange(start, len(b))])
    if kind == "bit flips":
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(start, len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    at = rng.randrange(start, len(b))
    n = rng.randint(1, 4096)
    b[at : at + n] = bytes(len(b[at : at + n]))
    return bytes(b)


def damage_one(src: Path, kind: str, rng: random.Random, tmp: Path) -> tuple[int, int, int]:
    """(records intact, intact records recovered, records invented) for one damaged copy of ``src``."""
    buf = src.read_bytes()
    frames = _records(buf)
    orig = read_session(src)
    items = iter([*orig.packets])
    events = iter(zip(orig.events, orig.event_extras or [{}] * len(orig.events), strict=False))
    key: dict[int, Any] = {}
    for f in frames:
        if f.kind == RecordType.PACKET:
            key[f.pos] = ("p", next(items))
        elif f.kind == RecordType.EVENT:
            e, extra = next(events)
            key[f.pos] = ("e", repr(e), repr(sorted(extra.items())))
    bad = _damage(buf, kind, frames[0].end, rng)
    intact = Counter(key[f.pos] for f in frames if f.pos in key and bad[f.pos : f.end] == buf[f.pos : f.end])
    path = tmp / "damaged.gses"
    path.write_bytes(bad)
    got = read_session(path)
    extras = got.event_extras or [{}] * len(got.events)
    read = Counter([("p", p) for p in got.packets])
    read.update(("e", repr(e), repr(sorted(x.items()))) for e, x in zip(got.events, extras, strict=False))
    recovered = sum(min(n, read[k]) for k, n in intact.items())
    invented = sum((read - Counter(key.values())).values())
    return sum(intact.values()), recovered, invented


def damage(n_per_kind: int, rng: random.Random, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for kind in ("truncation", "bit flips", "zeroed span"):
        tot = [0, 0, 0]
        full = 0
        files = sorted((ROOT / "sample_recordings").glob("*.gses"))
        for src in files:
            for _ in range(n_per_kind):
                r = damage_one(src, kind, rng, tmp)
                tot = [a + b for a, b in zip(tot, r, strict=True)]
                full += r[1] == r[0]
        n = n_per_kind * len(files)
        rows.append(
            {
                "kind": kind,
                "files": n,
                "intact": tot[0],
                "recovered": tot[1],
                "invented": tot[2],
                "files_complete": full,
            }
        )
        print(
            f"damage {kind:<12} {n:>4} files: {tot[1]:,} records recovered of {tot[0]:,} intact; "
            f"every intact record read in {full} of {n} files; {tot[2]} records invented"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 kills, 10^4 packets per decoder, 60 files")
    ap.add_argument("--only", choices=["kills", "fuzz", "damage"], action="append")
    ap.add_argument("--kills", type=int)
    ap.add_argument("--packets", type=int, help="mutated packets per decoder")
    ap.add_argument("--files", type=int, help="damaged copies per sample session and kind")
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    parts = a.only or ["kills", "fuzz", "damage"]
    rng = random.Random(a.seed)
    print(f"glutesense robustness benchmark (seed {a.seed}, load average {os.getloadavg()[0]:.1f})")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "damage" in parts:
            damage(a.files or (5 if a.quick else 50), rng, tmp)
        if "fuzz" in parts:
            fuzz(a.packets or (10_000 if a.quick else 1_000_000), rng, tmp)
        if "kills" in parts:
            kill_storm(a.kills or (10 if a.quick else 100), rng, tmp)


if __name__ == "__main__":
    main()
