"""The compromise baseline: nobody moves; the forecast is the capability- and
salience-weighted mean of the initial positions."""

from __future__ import annotations

from sim.models.trajectory import (
    PositionModel,
    Trajectory,
    baseline_forecasts,
    forecast_batch,
    static_trajectory,
)


class Static(PositionModel):
    """A baseline: a zero-round run reported as converged; its forecast is read off the
    initial positions (both the compromise and the weighted median are reported)."""

    def run(self, scenario, params=None, rounds=None, **how) -> Trajectory:
        return static_trajectory(scenario.arrays())

    def batch(self, scenario, arrays, spreads, seeds, rounds):
        return forecast_batch(scenario.issue_ids, arrays, spreads, seeds, 0, static=True)

    def trajectory(self, arrays, rounds) -> Trajectory:
        return static_trajectory(arrays)

    def point_forecasts(self, problems, params, rounds=None) -> list[dict]:
        """The baseline of each problem's initial positions (its own kind only)."""
        out = []
        for a in problems:
            comp, med = baseline_forecasts(a.capability, a.salience, a.position)
            both = {"compromise": comp, "median": med}
            out.append({kind: both[kind] for kind in self.forecast_kinds})
        return out


class Compromise(Static):
    name = "compromise"
    forecast_kinds = ("compromise",)
    summary = "Compromise baseline: the capability- and salience-weighted mean position"
    citation = (
        "Achen, C. H. (2006). Evaluating political decision-making models. In Thomson et "
        "al. (eds.), The European Union Decides, Cambridge University Press."
    )


MODEL = Compromise()
