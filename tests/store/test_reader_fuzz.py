"""Seeded fuzz of the dump readers, bounded in time: mutated raw dumps, hex logs (every form)
and gzip (whole or cut) never raise, every byte lands in exactly one record with a reason from
the closed set, and ingest stores what decode reads."""

from __future__ import annotations

import gzip
import os
import random
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from store_testkit import T0, Stream, adas_item, loc

from hazrisk.jt808 import REASONS, iter_records
from hazrisk.store.connect import connect
from hazrisk.store.ingest import ingest_paths

SEED = int(os.environ.get("HAZRISK_FUZZ_SEED", "808"))
BUDGET_S = float(os.environ.get("HAZRISK_FUZZ_SECONDS", "4"))


def _base(rng: random.Random) -> Stream:
    s = Stream()
    for i in range(rng.randint(3, 25)):
        t = T0 + timedelta(seconds=30 * i)
        kind = rng.random()
        if kind < 0.6:
            s.msg(0x0200, loc(t, 30 + rng.random(), 120 + rng.random()), t=t)
        elif kind < 0.7:
            s.msg(0x0200, loc(t, items={"0x64": adas_item(t)}), t=t)
        elif kind < 0.8:
            s.msg(0x0002, {}, t=t, version=rng.choice((2013, 2019)))
        elif kind < 0.9:
            s.subpackages(0x0704, {"batch_type": 1, "positions": [loc(t), loc(t)]}, t=t,
                          max_body=60)
        else:
            s.raw(bytes(rng.randrange(256) for _ in range(rng.randint(1, 20))), t)
    return s


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(0, 6)):
        if not b:
            break
        op, at = rng.random(), rng.randrange(len(b))
        if op < 0.3:
            b[at] ^= 1 << rng.randrange(8)
        elif op < 0.5:
            del b[at:at + rng.randint(1, 8)]
        elif op < 0.7:
            b[at:at] = bytes(rng.choice((0x7E, 0x7D, rng.randrange(256))) for _ in range(3))
        elif op < 0.85:
            b[at:at] = b[max(0, at - 40):at]  # a repeated stretch
        else:
            b = b[:at]  # cut off
    return bytes(b)


_FORMS = ("{t} {d} {h}", "[{t}] [{d}] {h}", "{h}", "[{t}] {h}")


def _hexlog(rng: random.Random, s: Stream) -> bytes:
    form = rng.choice(_FORMS)
    lines = []
    for data, t, d in s.items:
        stamp = t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        lines.append(form.format(t=stamp, d=d, h=data.hex().upper()) + "\n")
    return _mutate(rng, "".join(lines).encode())


def _case(rng: random.Random) -> tuple[bytes, bool]:
    """(file bytes, whether the decompressed size is the file size)."""
    s = _base(rng)
    plain = _mutate(rng, s.raw_bytes()) if rng.random() < 0.5 else _hexlog(rng, s)
    if rng.random() < 0.3:
        packed = gzip.compress(plain, mtime=0)
        if rng.random() < 0.5:
            packed = packed[: rng.randrange(10, len(packed) + 1)]
        return packed, False
    return plain, True


def test_readers_survive_seeded_mutations(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    deadline = time.monotonic() + BUDGET_S
    cases = ingested = 0
    con = connect(":memory:")
    while time.monotonic() < deadline or cases < 30:
        data, plain = _case(rng)
        recs = list(iter_records(data))
        cases += 1
        assert all(r.status in ("ok", "rejected", "garbage") for r in recs)
        assert all(r.reason in REASONS for r in recs if r.status != "ok"), cases
        if plain:
            assert sum(r.length for r in recs) == len(data), (SEED, cases)
        if cases % 5 == 0:  # ingest stores what decode reads
            path = tmp_path / f"f{cases}.{'bin' if plain else 'log.gz'}"
            path.write_bytes(data)
            rep = ingest_paths(con, [path])
            (f,) = rep.files
            ok = sum(r.status == "ok" and r.length > 0 and not r.reassembled_from for r in recs)
            if f.error:  # only a file with nothing readable at all is refused
                assert ok == 0 and ("no valid JT/T 808 frame" in f.error or "gzip" in f.error)
            else:
                ingested += 1
                rejected = Counter(r.reason for r in recs if r.status == "rejected"
                                   and r.reason != "incomplete_subpackages")
                got = Counter({k: v for k, v in f.rejected.items()
                               if k != "incomplete_subpackages"})
                assert got == rejected, (SEED, cases)
    print(f"fuzz seed {SEED}: {cases} cases, {ingested} ingested")
    assert cases >= 30 and ingested >= 3
