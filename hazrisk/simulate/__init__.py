"""A simulated Zhejiang hazmat fleet with known truth (``hazrisk simulate``).

>>> from hazrisk.simulate import simulate
>>> res = simulate("data/local/sim", vehicles=40, days=3, seed=808)   # doctest: +SKIP
>>> res.manifest["files"][0]["path"]                                  # doctest: +SKIP
'dumps/P01/2026-10-01.bin'

Pieces, scikit-learn style (``make_*``, ``random_state``):

- :func:`make_fleet` — enterprises, vehicles (true values and latent behaviour rates),
  terminals, drivers and escorts, providers and device makers with quality profiles;
- :func:`make_dumps` — the registry with its defects, fences, every vehicle's movement and
  terminal, the gateway captures, the monitoring centre's logs and ``truth/``;
- :func:`simulate` — both, plus policies and claims (``hazrisk.simulate.insurance``) and
  ``manifest.json``.

The parts, one subpackage each: ``fleet`` (actors, profiles, identities, geography, the
registry files), ``movement`` (true tracks, drivers on duty, events by the rules),
``terminal`` (what the terminal records, tampering, the monitoring centre), ``dumps``
(frames and the gateway captures), ``insurance`` (policies and claims with a known generating
process, the archived vehicle-month history) and ``truth`` (the truth files, the observable
truth, expected rates and verdicts). ``core`` writes the folder, ``vehicle`` runs one vehicle
end to end, ``wire`` is the bulk JT/T 808 writer, ``rng`` the seeded random streams.

Output layout: ARCHITECTURE.md "simulate -> store"; the truth is described in the
``truth/README.md`` every run writes.
"""

from hazrisk.simulate.core import SimulationResult, make_dumps, simulate
from hazrisk.simulate.fleet.actors import Fleet, make_fleet

__all__ = ["Fleet", "SimulationResult", "make_dumps", "make_fleet", "simulate"]
