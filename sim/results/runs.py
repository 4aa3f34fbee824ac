"""One run of a model that moves (or keeps) positions: eum and the baselines."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import __version__
from sim.kernels.eum import EVENT_NAMES
from sim.models import MODELS
from sim.models.trajectory import Trajectory, forecast, initial_forecast
from sim.results.base import Figure
from sim.scenario import Scenario


@dataclass(frozen=True)
class RunResult:
    """One run of a model on a scenario.

    Attributes
    ----------
    scenario : Scenario
    model : str
        ``"eum"``, ``"compromise"`` or ``"median"``.
    trajectory : Trajectory
        Positions per round, events, how the run stopped.
    round_limit : int
    source : str
        Where the scenario came from (a file path or a shipped name).
    overrides : tuple of str
        The ``path=value`` counterfactuals applied.
    """

    scenario: Scenario
    model: str
    trajectory: Trajectory
    round_limit: int
    source: str = ""
    overrides: tuple[str, ...] = field(default_factory=tuple)

    # ---- scalars
    @property
    def rounds(self) -> int:
        return self.trajectory.rounds

    @property
    def stopped(self) -> str:
        return self.trajectory.stopped

    @property
    def cycle_length(self) -> int:
        return self.trajectory.cycle_length

    # ---- tables
    def forecast(self) -> pd.DataFrame:
        """Per issue: initial and final compromise and weighted median (final: mean over a cycle),
        and the columns of a trajectory's own forecasts (``extra_forecasts``) after them."""
        arrays = self.scenario.arrays()
        comp0, med0 = initial_forecast(arrays.capability, arrays.salience, self.trajectory)
        comp, med = forecast(arrays.capability, arrays.salience, self.trajectory)
        extra = getattr(self.trajectory, "extra_forecasts", dict)()
        return pd.DataFrame(
            {
                "issue": list(arrays.issue_ids),
                "initial_compromise": comp0,
                "initial_median": med0,
                "compromise": comp,
                "median": med,
                **extra,
            }
        ).set_index("issue")

    def trajectories(self) -> pd.DataFrame:
        """Tidy positions: columns ``round, issue, actor, position``; round 0 is the start."""
        pos = self.trajectory.positions
        R, m, n = pos.shape
        issues = np.array(self.scenario.issue_ids, dtype=object)
        actors = np.array(self.scenario.actor_ids, dtype=object)
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(R), m * n),
                "issue": np.tile(np.repeat(issues, n), R),
                "actor": np.tile(actors, R * m),
                "position": pos.reshape(-1),
            }
        )

    def risk(self) -> pd.DataFrame:
        """Risk exponents by round: columns ``round, issue, actor, risk``.

        Each round the expected-utility model derives every actor's exponent from its
        security (or takes the fixed ``[payoffs] risk``), in [0.5, 2]: 1 is
        risk-neutral, above 1 risk-averse. Recorded by the run from each round's
        starting positions; models without them (the baselines) give an empty table.
        """
        t = self.trajectory
        R, m, n = t.events.shape
        if t.risk is None or R == 0:
            return pd.DataFrame({"round": [], "issue": [], "actor": [], "risk": []})
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(1, R + 1), m * n),
                "issue": np.tile(np.repeat(np.array(self.scenario.issue_ids, dtype=object), n), R),
                "actor": np.tile(np.array(self.scenario.actor_ids, dtype=object), R * m),
                "risk": t.risk[:R].reshape(-1),
            }
        )

    def offers_sent(self) -> np.ndarray:
        """(rounds, m, n) int64: how many offers (challenges) each actor made in each round.

        Actor i challenges j when its expected utility of doing so is positive and j
        stands elsewhere (``sim.kernels.eum.actor_decision``); read from the expected
        utilities the run recorded at each round's start (zero for models without them).
        """
        t = self.trajectory
        R, m, n = t.events.shape
        out = np.zeros((R, m, n), dtype=np.int64)
        if t.expected_utility is None:
            return out
        for r in range(R):
            x = t.positions[r]
            EU = t.expected_utility[r]
            out[r] = ((EU > 0.0) & (x[:, None, :] != x[:, :, None])).sum(axis=2)
        return out

    def events(self) -> pd.DataFrame:
        """Tidy events, one row per actor per issue per round: ``round, issue, actor,
        offers_sent, event, offer_from, clipped`` (the offer taken, if any, and whether a
        red line clipped the move)."""
        t = self.trajectory
        R, m, n = t.events.shape
        issues = np.array(self.scenario.issue_ids, dtype=object)
        actors = np.array(self.scenario.actor_ids, dtype=object)
        names = np.array(EVENT_NAMES, dtype=object)
        senders = t.senders.reshape(-1)
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(1, R + 1), m * n),
                "issue": np.tile(np.repeat(issues, n), R),
                "actor": np.tile(actors, R * m),
                "offers_sent": self.offers_sent().reshape(-1),
                "event": names[t.events.reshape(-1)] if R else np.array([], dtype=object),
                "offer_from": np.where(senders >= 0, actors[np.maximum(senders, 0)], "")
                if R
                else np.array([], dtype=object),
                "clipped": t.clipped.reshape(-1),
            }
        )

    def summary(self) -> dict:
        """What ``summary.json`` holds."""
        fc = self.forecast()
        arrays = self.scenario.arrays()
        risk = self.scenario.payoffs.risk
        return {
            "scenario": self.scenario.name,
            "source": self.source,
            "model": self.model,
            "rounds": self.rounds,
            "round_limit": self.round_limit,
            "stopped": self.stopped,
            "cycle_length": self.cycle_length,
            "forecast": {
                iid: {"compromise": float(row.compromise), "median": float(row["median"])}
                for iid, row in fc.iterrows()
            },
            "initial": {
                iid: {
                    "compromise": float(row.initial_compromise),
                    "median": float(row.initial_median),
                }
                for iid, row in fc.iterrows()
            },
            "parameters": {
                "Q": arrays.Q,
                "T": arrays.T,
                "risk": dict(risk) if isinstance(risk, dict) else risk,
            },
            **(
                {}
                if tuple(self.trajectory.powers) == (1.0, 1.0)
                else {
                    "weights": {
                        "capability_power": float(self.trajectory.powers[0]),
                        "salience_power": float(self.trajectory.powers[1]),
                    }
                }
            ),
            "overrides": list(self.overrides),
            "actors": list(self.scenario.actor_ids),
            "issues": list(self.scenario.issue_ids),
            **self.spec.run_extra(self),
            "sim_version": __version__,
        }

    def lines(self) -> list[str]:
        """The run as lines of text, as ``sim run`` prints it."""
        return self.spec.lines(self)

    @property
    def spec(self):
        """The model (see `sim.models.MODELS`)."""
        return MODELS[self.model]

    # ---- files
    def outputs(self, focus: str | None = None, **figure) -> list:
        """The files of the run (see `sim.save`): ``rounds.csv``, ``summary.json`` and the
        model's tables and figures (for the expected-utility model ``events.csv``,
        ``positions.png`` and ``quadrant.png`` from ``focus``'s view, the first actor's by
        default)."""
        out = [("rounds.csv", self.trajectories()), ("summary.json", self.summary())]
        figure_options = {"focus": focus or self.scenario.actor_ids[0], **figure}
        for kind, name, what, *takes in self.spec.outputs(self):
            if kind == "table":
                table = getattr(self, what, None)
                out.append((name, table() if table is not None else self.spec.table(self, what)))
            else:
                taken = takes[0] if takes else ()
                wanted = {k: figure_options[k] for k in taken if k in figure_options}
                out.append((name, Figure(what, wanted)))
        return out

    def __repr__(self) -> str:
        return (
            f"RunResult({self.scenario.name!r}, model={self.model!r}, rounds={self.rounds}, "
            f"stopped={self.stopped!r})"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>{html.escape(self.scenario.name)}</b>: model {html.escape(self.model)}, "
            f"{self.rounds} rounds, stopped: {html.escape(self.stopped)}</p>"
        )
        return head + self.forecast().to_html(float_format=lambda v: f"{v:.2f}")
