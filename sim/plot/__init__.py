"""Figures. Every matplotlib import of the package lives in this package.

Functions take a result and an optional ``ax`` and return the figure; they never
call ``show()``. Importing ``sim.plot`` selects the Agg backend when there is no
screen and no notebook (see :mod:`sim.plot._base`); in a notebook a returned figure
shows once, as the cell's value.

The modules: ``runs`` (one expected-utility run), ``ensembles`` (an ensemble's
distributions), ``sweeps`` (sweeps over scenario fields), ``bargaining`` (the
bargaining models, from plain data) and ``games`` (repeated games); ``_base``
holds the backend, :func:`close` and the helpers they share.

Names from a scenario are drawn as typed (never as mathtext or TeX), and a figure stays
bounded whatever the scenario's size: at most 12 issue panels, 40 actors, parties or
strategies by name, 24 dyads, user strings cut to 60 characters (50 in a panel's
title) and 24 x 32 inches; a note on the figure says what it leaves out.
"""

from sim.plot import exchange, games, smp
from sim.plot._base import close, returned
from sim.plot.agreements import run_bargaining_range, run_offers, run_zone
from sim.plot.backtest import backtest_calibration, backtest_errors
from sim.plot.bargaining import bargaining_range, offers, zone
from sim.plot.ensembles import (
    agreement_distribution,
    distribution,
    ensemble_trajectories,
    war_distribution,
)
from sim.plot.games import evolution, payoff_heatmap, repeated_moves, tournament_ranking
from sim.plot.runs import positions, quadrant
from sim.plot.sweeps import sweep_heatmap, sweep_lines, sweep_war_heatmap, sweep_war_lines
from sim.results.base import Figure

__all__ = [
    "FIGURES",
    "agreement_distribution",
    "bargaining_range",
    "close",
    "distribution",
    "ensemble_trajectories",
    "evolution",
    "figure",
    "offers",
    "payoff_heatmap",
    "positions",
    "quadrant",
    "repeated_moves",
    "sweep_heatmap",
    "sweep_lines",
    "sweep_war_heatmap",
    "sweep_war_lines",
    "tournament_ranking",
    "war_distribution",
    "zone",
]


def figure(result, name: str | None = None, ax=None, **options):
    """Draw one of ``result``'s figures: ``name`` (a key of `FIGURES`), else the first one
    it writes (a run's positions, a bargaining run's agreement, offers or bargaining range,
    an ensemble's distribution).

    Examples
    --------
    >>> import sim, sim.plot
    >>> fig = sim.plot.figure(sim.run("ec_example_scholz2011", rounds=2))
    >>> sim.plot.close(fig)
    """

    if name is None:
        wanted = [p for _, p in result.outputs() if isinstance(p, Figure)]
        if not wanted:
            raise ValueError(f"{type(result).__name__} has no figure")
        name, options = wanted[0].name, {**wanted[0].options, **options}
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; expected one of: {', '.join(FIGURES)}")
    return FIGURES[name](result, ax=ax, **options)


for _name in __all__:
    if _name not in ("close", "FIGURES", "figure"):
        globals()[_name] = returned(globals()[_name])
del _name

FIGURES = {
    "positions": positions,
    "quadrant": quadrant,
    "distribution": distribution,
    "agreement_distribution": agreement_distribution,
    "war_distribution": war_distribution,
    "ensemble_trajectories": ensemble_trajectories,
    "zone": returned(run_zone),
    "offers": returned(run_offers),
    "bargaining_range": returned(run_bargaining_range),
    "sweep_lines": sweep_lines,
    "sweep_heatmap": sweep_heatmap,
    "sweep_war_lines": sweep_war_lines,
    "sweep_war_heatmap": sweep_war_heatmap,
    "backtest_errors": returned(backtest_errors),
    "backtest_calibration": returned(backtest_calibration),
    **games.FIGURES,
    **smp.FIGURES,
    **exchange.FIGURES,
}
"""Every figure a result can list in its outputs, by name: ``FIGURES[name](result, **options)``."""
