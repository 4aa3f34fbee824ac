"""Alternating offers as mesa agents: two delegations that propose and respond in turn.

Each :class:`Delegation` is one party (an actor, or a bloc speaking as one). Every
round the model asks the proposer for its demand and the responder whether it
accepts; each agent decides for itself with the same compiled functions the batch
kernel uses (:func:`sim.kernels.bargaining.demand`, ``b_of_a``, ``a_of_b``), so
stepping the model gives the offers :func:`sim.models.bargain.alternating` computes
in one call. ``DataCollector`` records every round.

>>> import sim
>>> model = AlternatingOffersModel(sim.load_scenario(), parties=("RUS", "NATO"))
>>> model.run_model()
>>> model.offers()["proposer"].tolist()[:2]
['RUS', 'NATO']
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd

from sim.kernels import bargaining as _k
from sim.models.bargain import STRATEGY_CODES, haggle
from sim.scenario import Scenario


class Delegation(mesa.Agent):
    """One party to alternating offers: its strategy, reservation share and discount.

    ``last`` and ``previous`` are its latest and previous demands (its own share; 1,
    its best, until made).
    """

    def __init__(self, model, side: int, party: str, strategy, reservation: float, delta: float):
        super().__init__(model)
        self.side = side
        self.party = party
        self.strategy = strategy
        self.code = STRATEGY_CODES[strategy.kind]
        self.param = float(strategy.param)
        self.reservation = float(reservation)
        self.delta = float(delta)
        self.last = 1.0
        self.previous = 1.0

    @property
    def other(self) -> Delegation:
        return self.model.delegations[1 - self.side]

    def demand_at(self, t: int, opponent_last: float, opponent_previous: float) -> float:
        return _k.demand(
            self.code, self.param, self.reservation, t, self.model.deadline - 1,
            self.last, opponent_last, opponent_previous,
        )  # fmt: skip

    def propose(self, t: int) -> float:
        """Make this round's demand (own share) and remember it."""
        d = self.demand_at(t, self.other.last, self.other.previous)
        self.previous, self.last = self.last, d
        return d

    def respond(self, t: int, offered: float) -> bool:
        """Accept an offer worth ``offered`` (own share) or not."""
        if not offered >= self.reservation:
            return False
        if t >= self.model.deadline - 1:
            return True
        nxt = self.demand_at(t + 1, self.other.last, self.other.previous)
        return bool(offered >= self.delta * nxt)

    def __repr__(self) -> str:
        return f"Delegation({self.party!r}, {self.strategy.kind})"


class AlternatingOffersModel(mesa.Model):
    """Alternating offers between two parties of a scenario, one round per ``step()``.

    Parameters are those of :func:`sim.models.bargain.alternating`. After a step,
    ``accepted`` says whether the round's offer was taken; the model stops running
    at an agreement or after the deadline.
    """

    def __init__(
        self,
        scenario: Scenario,
        parties=None,
        strategies: dict | None = None,
        first: str | None = None,
        deadline: int | None = None,
        rng=None,
    ):
        super().__init__(rng=rng)
        self.negotiation = scenario
        h = haggle(scenario, parties, strategies, first, deadline)
        self.haggle = h
        self.deadline = h.deadline
        self.front_a = np.ascontiguousarray(h.curve.share_a)
        self.front_b = np.ascontiguousarray(h.curve.share_b)
        pt = h.parties
        res = h.kernel_reservation
        self.delegations = [
            Delegation(self, i, pt.ids[i], h.strategies[pt.ids[i]], res[i], pt.discount[i])
            for i in range(2)
        ]
        self.first = 0 if h.first == pt.ids[0] else 1
        self.t = 0
        self.agreement_round: int | None = None
        self.share_a = math.nan
        self.share_b = math.nan
        self.proposer = ""
        self.accepted = False
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "t",
                "proposer": "proposer",
                "value_a": "share_a",
                "value_b": "share_b",
                "accepted": "accepted",
            }
        )
        self.running = self.deadline > 0

    def step(self) -> None:
        """One round: the proposer demands, the responder accepts or not."""
        if not self.running:
            return
        t = self.t
        p = self.delegations[(t + self.first) % 2]
        r = p.other
        d = p.propose(t)
        if p.side == 0:
            self.share_a, self.share_b = d, _k.b_of_a(d, self.front_a, self.front_b)
        else:
            self.share_a, self.share_b = _k.a_of_b(d, self.front_a, self.front_b), d
        offered = self.share_b if r.side == 1 else self.share_a
        self.proposer = p.party
        self.accepted = r.respond(t, offered)
        self.datacollector.collect(self)
        if self.accepted:
            self.agreement_round = t
            self.running = False
        self.t += 1
        if self.t >= self.deadline:
            self.running = False

    def run_model(self) -> None:
        while self.running:
            self.step()

    def offers(self) -> pd.DataFrame:
        """One row per round played: ``round, proposer, value_a, value_b, accepted``."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return df[["round", "proposer", "value_a", "value_b", "accepted"]]
