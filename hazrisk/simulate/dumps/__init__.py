"""The gateway captures: ``frames`` (one terminal's uplink and downlink messages as dump items,
faults applied) and ``writer`` (spilled per provider-hour, written in receive order)."""
