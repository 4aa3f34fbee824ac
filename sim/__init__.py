"""sim: a negotiation game-theory simulator.

>>> import sim
>>> scenario = sim.load_scenario()          # the NATO-Russia Council, January 2022
>>> len(scenario.actors), len(scenario.issues)
(12, 6)
>>> sim.play_match("tit_for_tat", "defector", turns=200).totals.tolist()
[199.0, 204.0]
"""

import importlib as _importlib

__version__ = "0.1.0"

_ATTRIBUTES = {
    "AlternatingOffersModel": "sim.abm.bargaining",
    "NegotiationModel": "sim.abm",
    "RepeatedGameModel": "sim.abm.games",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "SweepResult": "sim.grid",
    "backtest": "sim.backtesting",
    "ensemble": "sim.experiment",
    "evolve": "sim.games",
    "load_scenario": "sim.scenario",
    "play": "sim.games",
    "play_match": "sim.games",
    "run": "sim.experiment",
    "sweep": "sim.grid",
    "tournament": "sim.games",
}
"""Where each public name lives: imported on first use, so ``import sim`` loads nothing heavy."""

__all__ = [
    "Scenario",
    "NegotiationModel",
    "__version__",
    "backtest",
    "ensemble",
    "evolve",
    "load_scenario",
    "play",
    "play_match",
    "run",
    "sweep",
    "tournament",
]


def __getattr__(name: str):
    module = _ATTRIBUTES.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ATTRIBUTES))
