"""JT/T 808 (2011/2013/2019) codec: one declarative message table, encode and decode.

Scalar, table-driven reference path:

- :func:`decode_frame` / :func:`encode_message` / :func:`encode_subpackages` — whole frames;
- :func:`decode_body` / :func:`encode_body` — message bodies by the table
  (:data:`MESSAGES`, :data:`ITEMS`, :data:`PARAMS`);
- :func:`iter_records` — dumps (raw binary or gateway hex log, gzip or not) as
  :class:`Record` objects, every byte accounted for, subpackages reassembled.

The columnar fast path (``decode_positions``, ``decode_hexlog``, ``iter_position_batches``)
lives in :mod:`hazrisk.jt808.columnar`; the chunked reader that gives a dump's positions,
heartbeats and every other record (:func:`iter_chunks`, as ``hazrisk ingest`` reads dumps) in
:mod:`hazrisk.jt808.reader`.

>>> frame = encode_message(0x0002, {}, phone="13800000000", serial=7)
>>> rec = decode_frame(frame)
>>> rec.status, rec.msg_id, rec.phone, rec.serial, rec.body
('ok', 2, '013800000000', 7, {})
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hazrisk.jt808.codec import (
    decode_body,
    decode_frame,
    encode_body,
    encode_message,
    encode_subpackages,
)
from hazrisk.jt808.errors import (
    DEVIATIONS,
    QUALITY_FLAGS,
    REASONS,
    DecodeError,
    EncodeError,
    JT808Error,
)
from hazrisk.jt808.fields import BEIJING
from hazrisk.jt808.flags import Alarm, Status, alarm_names, load_state, status_names
from hazrisk.jt808.framing import checksum, escape, unescape
from hazrisk.jt808.items import ITEMS
from hazrisk.jt808.messages import MESSAGES
from hazrisk.jt808.params import PARAMS
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import FORMATS, detect_format, iter_records
from hazrisk.kernels import lazy_attributes

__all__ = [
    "Alarm",
    "BEIJING",
    "DEVIATIONS",
    "DecodeError",
    "DecodedChunk",
    "EncodeError",
    "FORMATS",
    "ITEMS",
    "JT808Error",
    "MESSAGES",
    "PARAMS",
    "QUALITY_FLAGS",
    "REASONS",
    "Record",
    "Status",
    "alarm_names",
    "checksum",
    "decode_body",
    "decode_frame",
    "decode_hexlog",
    "decode_positions",
    "detect_format",
    "encode_body",
    "encode_message",
    "encode_subpackages",
    "escape",
    "iter_chunks",
    "iter_position_batches",
    "iter_records",
    "load_state",
    "status_names",
    "unescape",
]

# The columnar path and the chunked reader load the compiled kernels (Numba: ~0.4 s and
# ~60 MB a process): imported when first asked for, so a command that decodes nothing (rates,
# safety, risk: they use the codec's constants) does not pay for them.
_LAZY = {
    "decode_hexlog": "hazrisk.jt808.columnar",
    "decode_positions": "hazrisk.jt808.columnar",
    "iter_position_batches": "hazrisk.jt808.columnar",
    "DecodedChunk": "hazrisk.jt808.reader",
    "iter_chunks": "hazrisk.jt808.reader",
}

if TYPE_CHECKING:
    from hazrisk.jt808.columnar import decode_hexlog, decode_positions, iter_position_batches
    from hazrisk.jt808.reader import DecodedChunk, iter_chunks

__getattr__ = lazy_attributes(__name__, _LAZY)
