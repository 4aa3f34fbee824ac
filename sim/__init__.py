"""sim: a negotiation game-theory simulator.

>>> import sim
>>> scenario = sim.load_scenario()          # the NATO-Russia Council, January 2022
>>> len(scenario.actors), len(scenario.issues)
(12, 6)
>>> sim.play_match("tit_for_tat", "defector", turns=200).totals.tolist()
[199.0, 204.0]
"""

__version__ = "0.1.0"

from sim.abm import NegotiationModel  # noqa: E402
from sim.abm.bargaining import AlternatingOffersModel  # noqa: E402
from sim.abm.games import RepeatedGameModel, play  # noqa: E402
from sim.experiment import ensemble, run  # noqa: E402
from sim.grid import SweepResult, sweep  # noqa: E402
from sim.models.games import evolve, play_match, tournament  # noqa: E402
from sim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402

__all__ = [
    "AlternatingOffersModel",
    "NegotiationModel",
    "RepeatedGameModel",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "__version__",
    "ensemble",
    "evolve",
    "load_scenario",
    "play",
    "play_match",
    "run",
    "sweep",
    "tournament",
]
