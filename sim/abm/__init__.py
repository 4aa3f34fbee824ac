"""The agent-based view of one run: mesa agents that call the kernels for themselves.

``NegotiationModel`` holds the state arrays; each ``StateActor`` is one actor, a
view onto its column. Each round the model computes, per issue, what every actor
needs to decide (``sim.kernels.eum.prepare_round``); then every agent calls
``sim.kernels.eum.actor_decision`` for itself; then all moves apply at once.
``DataCollector`` records each round.

>>> from sim import load_scenario
>>> model = NegotiationModel(load_scenario("ec_example_scholz2011"), rounds=3)
>>> model.run_model()
>>> model.datacollector.get_model_vars_dataframe().shape[0]
4
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.abm.exchange import ExchangeAgentsModel
from sim.abm.smp import SmpAgentsModel
from sim.kernels import eum as _k
from sim.models.trajectory import Trajectory, baseline_forecasts
from sim.scenario import Scenario


class StateActor(mesa.Agent):
    """One actor of the scenario: a view onto its column of the model's arrays."""

    def __init__(self, model: NegotiationModel, index: int, actor_id: str, name: str):
        super().__init__(model)
        self.index = index
        self.actor_id = actor_id
        self.name = name or actor_id

    @property
    def position(self) -> np.ndarray:
        """(m,) this actor's current position on each issue."""
        return self.model.positions[:, self.index].copy()

    @property
    def salience(self) -> np.ndarray:
        return self.model.arrays.salience[:, self.index].copy()

    @property
    def capability(self) -> float:
        return float(self.model.arrays.capability[self.index])

    def step(self) -> None:
        """Decide this round's move on every issue, from the round-start state."""
        m = self.model
        a = m.arrays
        i = self.index
        for k in range(m.n_issues):
            new, event, sender, clipped = _k.actor_decision(
                m.expected_utility[k], m.positions[k], i, a.red_lo[k, i], a.red_hi[k, i]
            )
            m.pending[k, i] = new
            m.last_events[k, i] = event
            m.last_senders[k, i] = sender
            m.last_clipped[k, i] = clipped

    def __repr__(self) -> str:
        return f"StateActor({self.actor_id!r})"


class NegotiationModel(mesa.Model):
    """The expected-utility negotiation, round by round, as a mesa model.

    Parameters
    ----------
    scenario : Scenario
        Kept as ``model.negotiation`` (mesa reserves ``model.scenario``).
    rounds : int, optional
        The round limit; the scenario's ``[model] rounds`` by default.
    rng : seed or Generator, optional
        Passed to mesa; the expected-utility model itself draws no random numbers.
    """

    def __init__(self, scenario: Scenario, rounds: int | None = None, rng=None):
        super().__init__(rng=rng)
        # mesa >= 3.4 reserves ``Model.scenario``; the negotiation's scenario lives here
        self.negotiation = scenario
        self.arrays = scenario.arrays()
        self.max_rounds = self.arrays.rounds if rounds is None else int(rounds)
        m, n = self.arrays.position.shape
        self.n_issues, self.n_actors = m, n
        self.positions = np.ascontiguousarray(self.arrays.position.copy())
        self.pending = np.empty((m, n))
        self.expected_utility = np.zeros((m, n, n))
        self.risk = np.ones((m, n))
        self.last_events = np.zeros((m, n), dtype=np.int64)
        self.last_senders = np.full((m, n), -1, dtype=np.int64)
        self.last_clipped = np.zeros((m, n), dtype=np.bool_)
        self.history = [self.positions.copy()]
        self._events, self._senders, self._clipped = [], [], []
        self.round = 0
        self.stopped: str | None = None
        self.cycle_length = 0
        self.actors_by_id = {}
        for i, (aid, actor) in enumerate(scenario.actors.items()):
            self.actors_by_id[aid] = StateActor(self, i, aid, actor.name)
        issue_ids = self.arrays.issue_ids
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "round",
                **{
                    f"compromise:{iid}": _forecast_reporter(k, 0) for k, iid in enumerate(issue_ids)
                },
                **{f"median:{iid}": _forecast_reporter(k, 1) for k, iid in enumerate(issue_ids)},
            },
            agent_reporters={
                "actor": "actor_id",
                **{f"position:{iid}": _position_reporter(k) for k, iid in enumerate(issue_ids)},
            },
        )
        self.running = self.max_rounds > 0
        if not self.running:
            self.stopped = "limit"
        self.datacollector.collect(self)

    def _prepare(self) -> None:
        a = self.arrays
        n = self.n_actors
        w, P = np.empty(n), np.empty((n, n))
        for k in range(self.n_issues):
            _k.prepare_round(
                self.positions[k],
                a.capability,
                a.salience[k],
                float(a.width[k]),
                np.nan,  # each actor's own position as the reference point of Usq
                a.risk,
                float(a.Q),
                float(a.T),
                w,
                P,
                self.expected_utility[k],
                self.risk[k],
            )

    def step(self) -> None:
        """One round: prepare, every agent decides for itself, all moves apply at once."""
        if not self.running:
            return
        self._prepare()
        self.agents.do("step")
        self.positions = self.pending.copy()
        self.round += 1
        self.history.append(self.positions.copy())
        self._events.append(self.last_events.copy())
        self._senders.append(self.last_senders.copy())
        self._clipped.append(self.last_clipped.copy())
        self.datacollector.collect(self)
        for s in range(len(self.history) - 2, -1, -1):
            if np.array_equal(self.history[s], self.positions):
                self.cycle_length = self.round - s
                self.stopped = "converged" if self.cycle_length == 1 else "cycle"
                self.running = False
                return
        if self.round >= self.max_rounds:
            self.stopped = "limit"
            self.running = False

    def trajectory(self) -> Trajectory:
        """The run so far as a :class:`~sim.models.Trajectory`."""
        m, n = self.n_issues, self.n_actors
        stacked = lambda xs, dtype: np.array(xs, dtype=dtype).reshape(len(xs), m, n)  # noqa: E731
        return Trajectory(
            positions=np.array(self.history),
            events=stacked(self._events, np.int64),
            senders=stacked(self._senders, np.int64),
            clipped=stacked(self._clipped, np.bool_),
            stopped=self.stopped or "limit",
            cycle_length=self.cycle_length,
        )


def _position_reporter(k: int):
    return lambda agent: float(agent.model.positions[k, agent.index])


def _forecast_reporter(k: int, which: int):
    def report(model: NegotiationModel) -> float:
        comp, med = baseline_forecasts(
            model.arrays.capability, model.arrays.salience, model.positions
        )
        return float((comp, med)[which][k])

    return report


AGENT_MODELS = {"eum": NegotiationModel, "smp": SmpAgentsModel, "exchange": ExchangeAgentsModel}
"""The mesa model that steps each model with a mesa driver, by model name."""


def agents_for(model_name: str):
    """The mesa model class that steps ``model_name`` (KeyError naming it if none does)."""
    try:
        return AGENT_MODELS[model_name]
    except KeyError:
        raise KeyError(f"no mesa agents step the model {model_name!r}") from None


__all__ = [
    "AGENT_MODELS",
    "ExchangeAgentsModel",
    "NegotiationModel",
    "SmpAgentsModel",
    "StateActor",
    "agents_for",
]
