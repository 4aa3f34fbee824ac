"""The median baseline: nobody moves; the forecast is the position of the weighted median
voter (capability times salience; the weights ``c^b s^a`` with the parameters
``capability_power`` and ``salience_power``, as for the compromise baseline)."""

from __future__ import annotations

from sim.models.compromise import Static


class Median(Static):
    name = "median"
    forecast_kinds = ("median",)
    fit_grid = {"salience_power": (0.0, 0.5, 1.0, 1.5, 2.0), "capability_power": (0.0, 0.5, 1.0)}
    summary = "Median baseline: the capability- and salience-weighted median position"
    citation = (
        "Black, D. (1948). On the rationale of group decision-making. JPE 56(1); weights: "
        "Achen (2006), in Thomson et al. (eds.), The European Union Decides."
    )


MODEL = Median()
