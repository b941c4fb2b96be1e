"""The in-memory terminal -> vehicle assignment of ingest (``resolve.Assigner``): half-open
intervals, a later registry row overriding an earlier one, leading zeros of a phone ignored,
no time or no interval giving NULL -- row by row as the per-terminal rule says."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.store.resolve import Assigner


def _assigner(by_key: dict[str, list[tuple[int, int, int]]]) -> Assigner:
    a = Assigner.empty()
    a.index(by_key)
    return a


def _reference(by_key: dict[str, list[tuple[int, int, int]]], phones: list[str | None],
               t: list[int], ok: list[bool]) -> list[int | None]:
    out: list[int | None] = []
    for p, ti, oki in zip(phones, t, ok, strict=True):
        got = None
        for a, b, k in by_key.get(p.lstrip("0") if p else "", []) if p is not None else []:
            if oki and a <= ti < b:
                got = k  # a later interval wins
        out.append(got)
    return out


def test_hand_made_rows() -> None:
    by_key = {"13900000001": [(0, 100, 1), (100, 200, 2)], "13900000002": [(50, 150, 3),
                                                                          (60, 70, 4)]}
    a = _assigner(by_key)
    phones = ["013900000001", "013900000001", "13900000001", "00013900000002",
              "13900000002", "13900000003", "13900000001", None]
    t = [99, 100, 200, 65, 150, 10, 5, 5]
    ok = [True, True, True, True, True, True, False, True]
    got = a.resolve(pc.dictionary_encode(pa.array(phones)), np.array(t, np.int64),
                    np.array(ok)).to_pylist()
    # 100 is the second interval's (half-open), 200 none; 65: both hold, the later wins;
    # 150 none (half-open); unknown phone, no time and no phone: NULL
    assert got == [1, 2, None, 4, None, None, None, None]
    assert got == _reference(by_key, phones, t, ok)


def test_random_rows_match_the_rule() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        by_key = {}
        for p in range(rng.integers(1, 8)):
            ivs = []
            for _ in range(rng.integers(1, 4)):
                lo = int(rng.integers(0, 80))
                ivs.append((lo, lo + int(rng.integers(1, 40)), int(rng.integers(0, 50))))
            by_key[f"1390000000{p}"] = ivs
        n = int(rng.integers(0, 200))
        phones = [None if rng.random() < 0.05 else "0" * int(rng.integers(0, 3))
                  + f"1390000000{rng.integers(0, 9)}" for _ in range(n)]
        t = rng.integers(0, 130, n).tolist()
        ok = (rng.random(n) > 0.1).tolist()
        got = _assigner(by_key).resolve(pc.dictionary_encode(pa.array(phones, pa.string())),
                                        np.array(t, np.int64), np.array(ok, bool))
        assert got.to_pylist() == _reference(by_key, phones, t, ok)
