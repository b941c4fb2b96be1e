"""What the vehicles really do: ``track`` (trips, stops, rests, overnight parking, driving
behaviour), ``drivers`` (shifts, swaps, IC-card sign-in/out) and ``events`` (ADAS/DSM alarms
drawn and violations found by the rules of ``conf/rules.toml`` on the true track)."""
