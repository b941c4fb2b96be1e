"""Names for flag bits and message ids used in the warehouse (JT/T 808-2019 tables 24 and 25)."""

from __future__ import annotations

from hazrisk.jt808.flags import Alarm

#: Alarm word bit -> name: the codec's :class:`hazrisk.jt808.flags.Alarm` names, lower case
#: (JT/T 808-2013 table 24 with the 2019 bits 15-17).
ALARM_BITS: dict[int, str] = {
    bit: (Alarm(1 << bit).name or f"bit_{bit}").lower() for bit in range(32)
}

#: Active-safety additional items (JT/T 1078 / 苏标 extensions).
SAFETY_SYSTEMS: dict[int, str] = {0x64: "adas", 0x65: "dsm", 0x66: "tpms", 0x67: "bsd"}

MSG_HEARTBEAT = 0x0002
MSG_REGISTER = 0x0100
MSG_AUTH = 0x0102
MSG_PARAM_ANSWER = 0x0104
MSG_LOCATION = 0x0200
MSG_BATCH = 0x0704
MSG_MEDIA_EVENT = 0x0800
MSG_MEDIA_UPLOAD = 0x0801
MSG_TEXT = 0x8300
POSITION_MSGS = frozenset({MSG_LOCATION, MSG_BATCH})
