"""One run of a position-moving model (eum, compromise, median), and a scenario as HTML."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.kernels.eum import EVENT_NAMES
from sim.models.trajectory import Trajectory, baseline_forecasts, forecast
from sim.outputs import write_files
from sim.results._files import figure_bytes, source_inputs
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
        """Per issue: initial and final compromise and weighted median (final: mean over a cycle)."""
        arrays = self.scenario.arrays()
        comp0, med0 = baseline_forecasts(
            arrays.capability, arrays.salience, self.trajectory.positions[0]
        )
        comp, med = forecast(arrays.capability, arrays.salience, self.trajectory)
        return pd.DataFrame(
            {
                "issue": list(arrays.issue_ids),
                "initial_compromise": comp0,
                "initial_median": med0,
                "compromise": comp,
                "median": med,
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
        risk-neutral, above 1 risk-averse. Recomputed from each round's starting
        positions with the kernel the run used; the baselines have none (empty).
        """
        from sim.models.eum import expected_utility_matrix

        t = self.trajectory
        R, m, n = t.events.shape
        if self.model != "eum" or R == 0:
            return pd.DataFrame({"round": [], "issue": [], "actor": [], "risk": []})
        arrays = self.scenario.arrays()
        out = np.empty((R, m, n))
        for r in range(R):
            for k in range(m):
                out[r, k] = expected_utility_matrix(arrays, k, t.positions[r, k])[1]
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(1, R + 1), m * n),
                "issue": np.tile(np.repeat(np.array(self.scenario.issue_ids, dtype=object), n), R),
                "actor": np.tile(np.array(self.scenario.actor_ids, dtype=object), R * m),
                "risk": out.reshape(-1),
            }
        )

    def offers_sent(self) -> np.ndarray:
        """(rounds, m, n) int64: how many offers (challenges) each actor made in each round.

        Actor i challenges j when its expected utility of doing so is positive and j
        stands elsewhere (``sim.kernels.eum.actor_decision``); recomputed from each
        round's starting positions with the same kernel the run used.
        """
        from sim.models.eum import expected_utility_matrix

        t = self.trajectory
        R, m, n = t.events.shape
        out = np.zeros((R, m, n), dtype=np.int64)
        if self.model != "eum":
            return out
        arrays = self.scenario.arrays()
        for r in range(R):
            for k in range(m):
                x = t.positions[r, k]
                EU, *_ = expected_utility_matrix(arrays, k, x)
                out[r, k] = ((EU > 0.0) & (x[None, :] != x[:, None])).sum(axis=1)
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
        from sim import __version__

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
            "overrides": list(self.overrides),
            "actors": list(self.scenario.actor_ids),
            "issues": list(self.scenario.issue_ids),
            "sim_version": __version__,
        }

    # ---- files
    def write(self, out: str | Path, focus: str | None = None) -> list[Path]:
        """Write ``rounds.csv``, ``events.csv``, ``summary.json``, ``positions.png`` and,
        for the expected-utility model, ``quadrant.png`` from ``focus``'s view.

        Every file is made in memory first and written only once all are ready, each
        atomically, into a folder sim owns (see :mod:`sim.outputs`)."""
        from sim import plot

        files = {
            "rounds.csv": self.trajectories().to_csv(
                index=False, float_format="%.17g", lineterminator="\n"
            ),
            "summary.json": json.dumps(self.summary(), indent=2, allow_nan=False) + "\n",
        }
        if self.model == "eum":
            files["events.csv"] = self.events().to_csv(index=False, lineterminator="\n")
        fig = plot.positions(self)
        try:
            files["positions.png"] = figure_bytes(fig)
        finally:
            plot.close(fig)
        if self.model == "eum":
            fig = plot.quadrant(self, focus or self.scenario.actor_ids[0])
            try:
                files["quadrant.png"] = figure_bytes(fig)
            finally:
                plot.close(fig)
        return write_files(out, files, inputs=source_inputs(self.source))

    # ---- display
    def plot(self, issue: str | None = None, ax=None):
        """Positions by round with the forecast marked (see :func:`sim.plot.positions`)."""
        from sim import plot

        return plot.positions(self, issue=issue, ax=ax)

    def plot_quadrant(
        self, focus: str | None = None, issue: str | None = None, ax=None, round: int = 0
    ):
        """The expected-utility quadrant chart from ``focus``'s view at ``round``."""
        from sim import plot

        return plot.quadrant(
            self, focus or self.scenario.actor_ids[0], issue=issue, ax=ax, round=round
        )

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


def scenario_html(sc: Scenario) -> str:
    """A compact HTML view of a scenario: actors by issue (position / salience, and the
    red line where there is one), the status quo, the blocs and the other sections."""
    rows = []

    def cell(actor, iid):
        text = f"{actor.position[iid]:g} / {actor.salience[iid]:.2f}"
        red = actor.red_line.get(iid)
        if red is not None:
            text += f" <small>[{red[0]:g}, {red[1]:g}]</small>"
        return f"<td>{text}</td>"

    for aid, actor in sc.actors.items():
        cells = "".join(cell(actor, i) for i in sc.issue_ids)
        rows.append(
            f"<tr><th>{html.escape(aid)}</th><td>{html.escape(actor.name)}</td>"
            f"<td>{actor.capability:g}</td>{cells}</tr>"
        )
    sq = "".join(
        f"<td>{'' if i.status_quo is None else f'{i.status_quo:g}'}</td>" for i in sc.issues
    )
    rows.append(f"<tr><th>status quo</th><td></td><td></td>{sq}</tr>")
    head = "".join(f"<th>{html.escape(i)}</th>" for i in sc.issue_ids)
    blocs = "".join(
        f"<li>{html.escape(bid)} ({html.escape(b.rule)}): {html.escape(', '.join(b.members))}</li>"
        for bid, b in sc.blocs.items()
    )
    extra = []
    if sc.crisis is not None:
        c = sc.crisis
        extra.append(
            f"crisis: {html.escape(c.challenger)} against {html.escape(c.defender)} over "
            f"{html.escape(', '.join(c.contested))}"
        )
    if sc.bargaining.parties:
        extra.append(f"bargaining: {html.escape(', '.join(sc.bargaining.parties))}")
    if sc.game is not None and sc.game.dyads:
        pairs = ", ".join("-".join(d.actors) for d in sc.game.dyads)
        extra.append(f"repeated games: {html.escape(pairs)}")
    return (
        f"<p><b>{html.escape(sc.name)}</b>: {len(sc.actors)} actors, {len(sc.issues)} issues "
        "(cells: position / salience [red line])</p>"
        f"<table><tr><th>id</th><th>name</th><th>capability</th>{head}</tr>{''.join(rows)}</table>"
        + (f"<p>Blocs:</p><ul>{blocs}</ul>" if blocs else "")
        + (f"<p>{'; '.join(extra)}</p>" if extra else "")
    )
