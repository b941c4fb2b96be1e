"""What the terminal and the platform make of the true track: ``recording`` (outages,
blind-area storage, faults, glitches), ``tampering`` (alarm bits masked or forged) and
``monitor`` (the monitoring centre's 0x8300 reminders and handling log)."""
