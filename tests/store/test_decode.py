"""The ingest decoder (columnar fast path + codec for the rest) gives exactly the codec's
records and positions, for raw captures and hex logs, at any chunk size."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_testkit import PHONE_A, PHONE_B, T0, Stream, loc, mixed_stream

from hazrisk.jt808 import iter_records
from hazrisk.jt808 import reader as D
from hazrisk.jt808.columnar import decode_positions, records_table

Key = tuple[object, ...]
POS_COLS = ("offset", "pos_index", "msg_id", "phone", "lat_deg", "device_time", "is_backfill",
            "recv_time", "q_invalid_bcd_time", "mileage_km", "reassembled", "safety_items")


def _key(r: object) -> Key:
    return tuple(tuple(v) if isinstance(v, list) else v for v in (
        getattr(r, k) for k in ("offset", "length", "status", "reason", "msg_id", "phone",
                                "serial", "version", "reassembled_from", "recv_time",
                                "direction", "line")))


def _rows(table: object) -> list[Key]:
    cols = [table.column(c).to_pylist() for c in POS_COLS]  # type: ignore[attr-defined]
    return sorted(zip(*cols, strict=True), key=repr)


def check_equivalent(data: bytes, chunk: int, fmt: str = "raw", threads: int = 1) -> None:
    full = list(iter_records(data, fmt=fmt))
    records: list[Key] = []
    hbs: list[Key] = []
    fast_offsets: set[int] = set()
    positions: list[Key] = []
    it = (D.iter_raw_chunks(io.BytesIO(data), chunk_bytes=chunk, reuse_buffers=True)
          if fmt == "raw" else D.iter_hexlog_chunks(io.BytesIO(data), chunk_bytes=chunk,
                                                    threads=threads))
    for ch in it:
        records.extend(_key(r) for r in ch.records)
        scalar_offsets = {r.offset for r in ch.records if r.status == "ok" and r.length > 0
                          and r.msg_id in (0x0200, 0x0704) and r.subpackage is None}
        if ch.heartbeats is not None:
            hb = ch.heartbeats
            times = (hb.column("recv_time").to_pylist() if "recv_time" in hb.column_names
                     else [None] * hb.num_rows)
            hbs.extend(zip(*(hb.column(c).to_pylist()
                             for c in ("offset", "phone", "serial", "version")), times,
                           strict=True))
        if ch.positions is not None:
            positions.extend(_rows(ch.positions))
            fast_offsets |= set(ch.positions.column("offset").to_pylist()) - scalar_offsets
    hb_offsets = {h[0] for h in hbs}
    mine = set(records)
    # the codec's records, in order, minus those the fast path took ...
    assert records == [_key(r) for r in full if _key(r) in mine]
    # ... which are exactly heartbeats and plain ok location frames
    for r in full:
        if _key(r) not in mine:
            assert r.status == "ok" and r.length > 0 and r.subpackage is None, _key(r)
            assert (r.msg_id in (0x0200, 0x0704) and r.offset in fast_offsets) or (
                r.msg_id == 0x0002 and r.offset in hb_offsets), _key(r)
    assert sorted(hbs, key=repr) == sorted(
        ((r.offset, r.phone, r.serial, r.version, r.recv_time) for r in full
         if r.offset in hb_offsets and r.status == "ok" and r.length > 0), key=repr)
    pos_recs = [r for r in full if r.status == "ok" and r.msg_id in (0x0200, 0x0704)
                and (r.subpackage is None or r.reassembled_from is not None)]
    want = _rows(records_table(pos_recs, with_recv=True)) if pos_recs else []
    assert sorted(positions, key=repr) == want
    assert sum(r.length for r in full) == len(data)


def test_mixed_stream_any_chunk_size() -> None:
    s = mixed_stream()
    for fmt, data in (("raw", s.raw_bytes()), ("hexlog", s.hexlog())):
        for chunk in (64, 100, 257, 1000, 1 << 20):
            check_equivalent(data, chunk, fmt)


def test_hexlog_blocks_on_threads_give_the_same_chunks() -> None:
    """``threads`` (the ingest's decoding process): hex-log blocks decoded two or three at
    once give the chunks of the one-at-a-time reader, in order, and the codec's whole."""
    data = mixed_stream().hexlog()
    for chunk in (64, 257, 1000):
        one = list(D.iter_chunks(io.BytesIO(data), fmt="hexlog", chunk_bytes=chunk))
        for threads in (2, 3):
            check_equivalent(data, chunk, "hexlog", threads=threads)
            many = list(D.iter_chunks(io.BytesIO(data), fmt="hexlog", chunk_bytes=chunk,
                                      threads=threads, ahead=1))
            assert [(c.bytes_done, c.frames_fast, c.records, c.text) for c in many] == [
                (c.bytes_done, c.frames_fast, c.records, c.text) for c in one]
            assert all((a.positions is None and b.positions is None)
                       or a.positions.equals(b.positions) for a, b in zip(
                           one, many, strict=True))


def test_fast_path_takes_most_frames() -> None:
    s = mixed_stream(n=200)
    (ch,) = list(D.iter_raw_chunks(io.BytesIO(s.raw_bytes())))
    assert ch.frames_fast >= 240 and len(ch.records) < 20
    (ch,) = list(D.iter_hexlog_chunks(io.BytesIO(s.hexlog())))
    assert ch.frames_fast >= 190


def test_reused_read_buffers_keep_a_chunk_until_two_more_are_drawn() -> None:
    """With ``reuse_buffers`` (ingest), a chunk's frame bytes stay right while the next chunk
    is decoded: what ingest's writer thread, one chunk behind, reads from them."""
    data = mixed_stream(n=400).raw_bytes()
    it = D.iter_raw_chunks(io.BytesIO(data), chunk_bytes=4096, reuse_buffers=True)
    prev = next(it)
    checked = 0
    for ch in it:  # ``prev`` was drawn one chunk ago
        assert ch.raw is not None and prev.raw is not None
        assert ch.raw[0].base is not prev.raw[0].base  # another buffer of the ring
        offs = prev.positions.column("offset").to_pylist() if prev.positions else []
        for off in offs[:5]:
            frame = prev.frame_at(off)
            assert frame is not None and frame == data[off : off + len(frame)]
            checked += 1
        prev = ch
    assert checked > 20


def test_barrier_is_a_valid_heartbeat() -> None:
    (rec,) = list(iter_records(D.BARRIER, fmt="raw"))
    assert (rec.status, rec.msg_id, rec.length) == ("ok", 0x0002, len(D.BARRIER))


def _pieces() -> list[bytes]:
    s = Stream()
    for i in range(6):
        s.msg(0x0200, loc(T0 + timedelta(seconds=i), 30 + i / 100), PHONE_A if i % 2 else PHONE_B)
    s.msg(0x0002, {})
    s.msg(0x0002, {}, version=2019)
    s.serial = 0x7E7C
    s.msg(0x0002, {})  # serial 0x7E7D: an escaped heartbeat (codec path)
    s.msg(0x0704, {"batch_type": 1, "positions": [loc(T0 - timedelta(hours=1))]})
    s.msg(0x0102, {"auth_code": "x"})
    s.subpackages(0x0704, {"batch_type": 0, "positions": [loc(T0)] * 6}, max_body=120)
    return [d for d, _, _ in s.items]


PIECES = _pieces()


def _corrupt(order: list[int], cuts: list[tuple[int, int, str]]) -> list[bytes]:
    frames = [bytearray(PIECES[i]) for i in order]
    extra: list[tuple[int, bytes]] = []
    for idx, at, what in cuts:
        if idx >= len(frames) or not frames[idx]:
            continue
        f = frames[idx]
        at = min(at, len(f) - 1)
        if what == "drop_tail":
            del f[at:]
        elif what == "flip":
            f[at] ^= 0x5A
        elif what == "garbage":
            extra.append((idx, bytes(np.random.default_rng(at).integers(0, 256, 9, np.uint8))))
        elif what == "flag":
            f.insert(at, 0x7E)
        else:
            extra.append((idx, bytes(f)))
    out = []
    for i, f in enumerate(frames):
        out.append(bytes(f))
        out.extend(b for j, b in extra if j == i)
    return out


STREAMS = dict(
    order=st.lists(st.integers(0, len(PIECES) - 1), min_size=1, max_size=30),
    cuts=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 80), st.sampled_from(
        ["drop_tail", "flip", "garbage", "flag", "dup"])), max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**STREAMS, chunk=st.sampled_from([48, 97, 200, 4096]))
def test_raw_random_corruption_matches_codec(order: list[int], cuts: list[tuple[int, int, str]],
                                             chunk: int) -> None:
    check_equivalent(b"".join(_corrupt(order, cuts)), chunk, "raw")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**STREAMS, chunk=st.sampled_from([60, 200, 4096]),
       layout=st.sampled_from(["one", "two", "spaced"]), threads=st.sampled_from([1, 2]))
def test_hexlog_random_corruption_matches_codec(order: list[int],
                                                cuts: list[tuple[int, int, str]], chunk: int,
                                                layout: str, threads: int) -> None:
    frames = _corrupt(order, cuts)
    lines = []
    for i, f in enumerate(frames):
        t = (T0 + timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S.000")
        h = f.hex().upper()
        if layout == "spaced" and i % 3 == 0:
            h = " ".join(h[k:k + 2] for k in range(0, len(h), 2))
        if layout == "two" and i % 2 == 1 and lines:
            lines[-1] = lines[-1].rstrip("\n") + h + "\n"  # two frames on a line
            continue
        if i % 5 == 2:
            t = t.replace("-10-", "-13-")  # a time the reader cannot parse
        lines.append(f"{t} RECV {h}\n" if i % 4 else f"{h}\n")
    lines.append("not a line of hex\n")
    check_equivalent("".join(lines).encode(), chunk, "hexlog", threads=threads)


def test_public_columnar_rows_of_reassembled_groups_are_not_doubled() -> None:
    """A completed group right before a damaged location frame: the columnar path puts the
    group's rows at that frame's offset; only the codec's reassembled record may count."""
    s = Stream()
    s.subpackages(0x0704, {"batch_type": 1, "positions": [loc(T0)] * 6}, max_body=120)
    bad = bytearray(Stream().msg(0x0200, loc(T0 + timedelta(hours=1))))
    bad[-2] ^= 0x33
    s.raw(bytes(bad))
    s.msg(0x0200, loc(T0 + timedelta(hours=2)))
    for chunk in (50, 4096):
        check_equivalent(s.raw_bytes(), chunk, "raw")
        check_equivalent(s.hexlog(), chunk, "hexlog")
    # the columnar path does reassemble the group, and marks its rows: those are dropped
    flagged = decode_positions(s.raw_bytes()).column("reassembled").to_pylist()
    assert flagged.count(True) == 6
