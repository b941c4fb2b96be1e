"""The simulator's frame writer: the vectorised encoder of :mod:`hazrisk.jt808.bulk`."""

from hazrisk.jt808.bulk import (
    BJ,
    ESC,
    FLAG,
    ITEM_WIDTH,
    batch_bodies,
    bcd_time,
    escape,
    frames_fixed,
    frames_var,
    phone_bcd,
    position_bodies,
    split_flat,
)

__all__ = [
    "BJ", "ESC", "FLAG", "ITEM_WIDTH", "batch_bodies", "bcd_time", "escape", "frames_fixed",
    "frames_var", "phone_bcd", "position_bodies", "split_flat",
]
