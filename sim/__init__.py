"""sim: a negotiation game-theory simulator.

>>> import sim
>>> scenario = sim.load_scenario()          # the NATO-Russia Council, January 2022
>>> len(scenario.actors), len(scenario.issues)
(12, 6)
"""

__version__ = "0.1.0"

# the submodule first: importing it later would rebind `sim.ensemble` from the function to it
import sim.ensemble as _ensemble_module  # noqa: E402, F401
from sim.abm import NegotiationModel  # noqa: E402
from sim.experiment import ensemble, run  # noqa: E402
from sim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from sim.sweep import SweepResult, sweep  # noqa: E402

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
