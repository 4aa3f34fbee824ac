"""sim: a negotiation game-theory simulator.

>>> import sim
>>> scenario = sim.load_scenario()          # the NATO-Russia Council, January 2022
>>> len(scenario.actors), len(scenario.issues)
(12, 6)
"""

__version__ = "0.1.0"

from sim.abm import NegotiationModel  # noqa: E402
from sim.experiment import ensemble, run  # noqa: E402
from sim.grid import SweepResult, sweep  # noqa: E402
from sim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402

__all__ = [
    "NegotiationModel",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "__version__",
    "ensemble",
    "load_scenario",
    "run",
    "sweep",
]
