"""Test helpers for hazrisk.jt808: Hypothesis strategies derived from the message table,
and an independent frame builder (its own XOR and escaping, not the codec's)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hypothesis import strategies as st

from hazrisk.jt808 import fields as F
from hazrisk.jt808.items import ITEMS, Items
from hazrisk.jt808.messages import LOCATION, MESSAGES, Batch
from hazrisk.jt808.params import BYTES, CAN_ID_RANGE, PARAMS, STR, Params

BEIJING = F.BEIJING

# --------------------------------------------------------------------------------------------
# Independent frame builder
# --------------------------------------------------------------------------------------------


def xor(data: bytes) -> int:
    code = 0
    for b in data:
        code ^= b
    return code


def wire(content_hex: str) -> bytes:
    """7E + escaped(content + XOR) + 7E, computed byte by byte (independent of the codec)."""
    content = bytes.fromhex(content_hex.replace(" ", ""))
    out = bytearray([0x7E])
    for b in content + bytes([xor(content)]):
        if b == 0x7E:
            out += b"\x7d\x02"
        elif b == 0x7D:
            out += b"\x7d\x01"
        else:
            out.append(b)
    out.append(0x7E)
    return bytes(out)


def header2013(msg_id: int, body_len: int, phone: str, serial: int, sub: tuple[int, int] | None = None) -> str:
    props = body_len | (0x2000 if sub else 0)
    h = f"{msg_id:04X}{props:04X}{phone.rjust(12, '0')}{serial:04X}"
    return h + (f"{sub[0]:04X}{sub[1]:04X}" if sub else "")


def header2019(msg_id: int, body_len: int, phone: str, serial: int, sub: tuple[int, int] | None = None) -> str:
    props = body_len | 0x4000 | (0x2000 if sub else 0)
    h = f"{msg_id:04X}{props:04X}01{phone.rjust(20, '0')}{serial:04X}"
    return h + (f"{sub[0]:04X}{sub[1]:04X}" if sub else "")


def frame2013(msg_id: int, body_hex: str, phone: str = "13800000000", serial: int = 1) -> bytes:
    body_hex = body_hex.replace(" ", "")
    return wire(header2013(msg_id, len(body_hex) // 2, phone, serial) + body_hex)


def frame2019(msg_id: int, body_hex: str, phone: str = "13800000000", serial: int = 1) -> bytes:
    body_hex = body_hex.replace(" ", "")
    return wire(header2019(msg_id, len(body_hex) // 2, phone, serial) + body_hex)


# --------------------------------------------------------------------------------------------
# Strategies from the table
# --------------------------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZabcxyz0123456789 .:-_浙粤京沪苏皖闽赣鲁豫鄂湘"),
    max_size=12,
)


def text_fitting(width: int) -> st.SearchStrategy[str]:
    return _TEXT.filter(lambda s: len(s.encode("gb18030")) <= width)


def bcd_times(name: str) -> st.SearchStrategy[dict[str, Any]]:
    valid = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)
    ).map(lambda t: {name: t.replace(microsecond=0, tzinfo=BEIJING)})
    invalid = st.binary(min_size=6, max_size=6).filter(
        lambda b: F.parse_bcd_time(b) is None
    ).map(lambda b: {name: None, f"{name}_bcd": b.hex()})
    return st.one_of(valid, valid, valid, invalid)


def bcd_dates(name: str) -> st.SearchStrategy[dict[str, Any]]:
    valid = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)).map(lambda d: {name: d})
    invalid = st.sampled_from(["20231301", "ffffffff", "00000000"]).map(
        lambda h: {name: None, f"{name}_bcd": h}
    )
    return st.one_of(valid, valid, invalid)


def _item_value(spec_id: int) -> st.SearchStrategy[dict[str, Any]]:
    spec = ITEMS[spec_id]
    return st.sampled_from(spec.layouts).flatmap(lambda lay: struct_values(lay.layout))


_VENDOR_IDS = [i for i in range(256) if i not in ITEMS]


@st.composite
def items_dicts(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ids = draw(st.lists(st.sampled_from(sorted(ITEMS)), max_size=4, unique=True))
    vendor = draw(st.lists(st.sampled_from(_VENDOR_IDS), max_size=2, unique=True))
    order = draw(st.permutations(ids + vendor))
    for item_id in order:
        key = f"0x{item_id:02X}"
        if item_id in ITEMS:
            out[key] = draw(_item_value(item_id))
        else:
            out[key] = {"raw_hex": draw(st.binary(max_size=12)).hex()}
    if vendor and draw(st.booleans()):  # a repeated vendor id
        out[f"0x{vendor[0]:02X}#2"] = {"raw_hex": draw(st.binary(max_size=4)).hex()}
    return out


@st.composite
def params_dicts(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = draw(st.lists(st.sampled_from(sorted(PARAMS)), max_size=6, unique=True))
    extra = draw(st.lists(st.integers(0xF000, 0xF0FF), max_size=2, unique=True))
    can = draw(st.lists(st.sampled_from(list(CAN_ID_RANGE)), max_size=1))
    for pid in known + extra + can:
        kind = PARAMS[pid][0] if pid in PARAMS else BYTES
        key = f"0x{pid:04X}"
        if kind == STR:
            out[key] = draw(_TEXT)
        elif kind == BYTES:
            out[key] = {"raw_hex": draw(st.binary(max_size=10)).hex()}
        else:
            width = {"u8": 1, "u16": 2, "u32": 4}[kind]
            out[key] = draw(st.integers(0, (1 << (8 * width)) - 1))
    return out


@st.composite
def struct_values(draw: st.DrawFn, layout: F.Struct) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in layout.fields:
        draw_field(draw, field, out)
    return out


def draw_field(draw: st.DrawFn, f: F.Field, out: dict[str, Any]) -> None:  # noqa: C901
    if isinstance(f, F.LatLon):
        raw = draw(st.integers(0, 0xFFFFFFFF))
        neg = raw and out.get(f.status_key, 0) & f.sign_bit
        out[f.name] = -(raw / 1e6) if neg else raw / 1e6
    elif isinstance(f, F.SignMagnitude16):
        out[f.name] = draw(st.integers(-0x7FFF, 0x7FFF))
    elif isinstance(f, F.SInt):
        out[f.name] = draw(st.integers(f.min, f.max))
    elif isinstance(f, F.UInt):
        small = st.integers(0, 3)  # hits the conditions of When fields (status 1, result 0)
        raw = draw(st.one_of(small, st.integers(0, f.max)) if f.width == 1 else st.integers(0, f.max))
        out[f.name] = raw if f.div == 1 else raw / f.div
    elif isinstance(f, F.BcdTime):
        out.update(draw(bcd_times(f.name)))
    elif isinstance(f, F.BcdDate):
        out.update(draw(bcd_dates(f.name)))
    elif isinstance(f, F.FixedStr):
        out[f.name] = draw(text_fitting(f.width))
    elif isinstance(f, F.Bcd):
        out[f.name] = draw(st.text("0123456789", min_size=2 * f.width, max_size=2 * f.width))
    elif isinstance(f, F.ByteList):
        out[f.name] = draw(st.lists(st.integers(0, 255), min_size=f.width, max_size=f.width))
    elif isinstance(f, F.RestStr | F.LenStr):
        out[f.name] = draw(_TEXT)
    elif isinstance(f, F.RestHex):
        out[f.name] = draw(st.binary(max_size=40)).hex()
    elif isinstance(f, F.Const):
        out[f.name] = f.value
    elif isinstance(f, F.Nested):
        out[f.name] = draw(struct_values(f.layout))
    elif isinstance(f, F.ListOf):
        out[f.name] = draw(st.lists(struct_values(f.layout), max_size=3))
    elif isinstance(f, F.When):
        if f.predicate(out):
            for inner in f.layout.fields:
                draw_field(draw, inner, out)
    elif isinstance(f, Items):
        out[f.name] = draw(items_dicts())
    elif isinstance(f, Params):
        out[f.name] = draw(params_dicts())
    elif isinstance(f, Batch):
        out["batch_type"] = draw(st.integers(0, 1))
        out["positions"] = draw(st.lists(struct_values(LOCATION), max_size=3))
    else:  # pragma: no cover - a new field type needs a strategy here
        raise NotImplementedError(type(f).__name__)


def bodies(msg_id: int, layout_version: int) -> st.SearchStrategy[dict[str, Any]]:
    """Body dictionaries for ``msg_id`` in the given layout version."""
    layout = MESSAGES[msg_id].layouts[layout_version]
    strategy = struct_values(layout)
    if msg_id == 0x0100 and layout_version == 2011:
        # 2011 and 2013 are told apart by body length only: keep 2011 plates short
        strategy = strategy.filter(lambda b: len(b["plate"].encode("gb18030")) <= 11)
    return strategy


def message_cases() -> list[tuple[int, int]]:
    """(msg_id, layout version) for every layout in the table."""
    return [(mid, v) for mid, spec in sorted(MESSAGES.items()) for v in sorted(spec.layouts)]

