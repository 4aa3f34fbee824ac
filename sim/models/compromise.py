"""The compromise baseline: nobody moves; the forecast is the capability- and
salience-weighted mean of the initial positions.

The weights are ``w_i = c_i s_i``; the parameters ``capability_power`` (b) and
``salience_power`` (a) give the weighting schemes of the literature, ``w_i = c_i^b s_i^a``
(Achen 2006): a = 0 is the capability-weighted mean without salience, a = b = 0 the plain
mean, large powers approach the position of the actor with the most weight. They apply to
runs (the trajectory's ``powers``), point forecasts (``sim backtest``), and `Static.batch`
and `Static.nominal` when given ``params``. See docs/variants.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.models.base import parameter
from sim.models.trajectory import (
    DEFAULT_POWERS,
    PositionModel,
    Trajectory,
    forecast_batch,
    powered,
    static_trajectory,
)

POWER_RANGE = (0.0, 10.0)
"""The range of ``salience_power`` and ``capability_power``."""


@dataclass(frozen=True)
class Params:
    """Parameters of the baselines: the exponents of their weights ``c^b s^a``."""

    salience_power: float = parameter(
        1.0,
        help="Exponent a of salience in the baseline's weights c^b s^a (runs, ensembles "
        "and backtests); 0 ignores salience.",
        lo=POWER_RANGE[0],
        hi=POWER_RANGE[1],
    )
    capability_power: float = parameter(
        1.0,
        help="Exponent b of capability in the baseline's weights c^b s^a (runs, "
        "ensembles and backtests); 0 ignores capability.",
        lo=POWER_RANGE[0],
        hi=POWER_RANGE[1],
    )


def _powers(params) -> tuple[float, float]:
    """(capability_power, salience_power) of ``params`` (None: the default ``c s``)."""
    if params is None:
        return DEFAULT_POWERS
    return (float(params.capability_power), float(params.salience_power))


def powered_baselines(capability, salience, positions, powers) -> tuple[np.ndarray, np.ndarray]:
    """Compromise and weighted median per issue of one state with weights ``c^b s^a``,
    ``powers = (b, a)``; at (1, 1) the kernels' ``c s`` path (`baseline_forecasts`)."""
    return powered(capability, salience, positions, powers)


class Static(PositionModel):
    """A baseline: a zero-round run reported as converged; its forecast is read off the
    initial positions (both the compromise and the weighted median are reported)."""

    Params = Params

    def run(self, scenario, params=None, rounds=None, **how) -> Trajectory:
        """The initial positions, forecast with the weights of ``params``."""
        return dataclasses.replace(static_trajectory(scenario.arrays()), powers=_powers(params))

    def batch(self, scenario, arrays, spreads, seeds, rounds, params=None):
        return forecast_batch(
            scenario.issue_ids, arrays, spreads, seeds, 0, static=True, powers=_powers(params)
        )

    def nominal(self, scenario, rounds: int, params=None) -> dict:
        arrays = scenario.arrays()
        comp, med = powered_baselines(
            arrays.capability, arrays.salience, arrays.position, _powers(params)
        )
        return {
            iid: {"compromise": float(comp[k]), "median": float(med[k])}
            for k, iid in enumerate(scenario.issue_ids)
        }

    def trajectory(self, arrays, rounds) -> Trajectory:
        return static_trajectory(arrays)

    def point_forecasts(self, problems, params, rounds=None) -> list[dict]:
        """The baseline of each problem's initial positions (its own kind only), weighted
        ``c^b s^a`` with the powers of ``params``."""
        powers = _powers(params)
        out = []
        for a in problems:
            comp, med = powered_baselines(a.capability, a.salience, a.position, powers)
            both = {"compromise": comp, "median": med}
            out.append({kind: both[kind] for kind in self.forecast_kinds})
        return out


class Compromise(Static):
    name = "compromise"
    forecast_kinds = ("compromise",)
    fit_grid = {"salience_power": (0.0, 0.5, 1.0, 1.5, 2.0), "capability_power": (0.0, 0.5, 1.0)}
    summary = "Compromise baseline: the capability- and salience-weighted mean position"
    citation = (
        "Achen, C. H. (2006). Evaluating political decision-making models. In Thomson, "
        "Stokman, Achen & Koenig (eds.), The European Union Decides, Cambridge University "
        "Press; Thomson et al. (2006), ibid."
    )


MODEL = Compromise()
