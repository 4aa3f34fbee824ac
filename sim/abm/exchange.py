"""The exchange model (decide-exchange-model's equal-gain exchanges) as mesa agents.

``ExchangeAgentsModel`` holds the arrays of one run on decide's 0-100 scale; each
``ExchangeActor`` is one actor. A step is one round, with the kernel's own functions
(``sim.kernels.exchange``): ``round_start`` finds and calculates every candidate exchange;
then, until none is left, ``take_best`` ranks the open exchanges by gain (and settles a tie
with a coin under random tie-breaking) and takes the best, which is offered to its two
actors; each decides for itself with ``accepts`` (its own move valid: more than decide's
smallest move, within 0-100 and its red line, all its moves of the round one way; the gain
worth it; for a consensus bloc that trades as one party, ``members_agree``: none of its
members loses by the trade) and when both accept, ``realise`` recalculates the rest against
it; ``round_end``
moves the positions. The kernel's ``run_round`` is the same sequence with the same
functions, so the agents' run equals ``sim.kernels.exchange.simulate`` bit for bit, coins
included: under random tie-breaking both read ``random.Random(seed)``.

>>> from sim import load_scenario
>>> model = ExchangeAgentsModel(load_scenario("nato_russia_2022"), rounds=2)
>>> model.run_model()
>>> model.result()["positions"].shape[0]
3
"""

from __future__ import annotations

import random

import mesa
import numpy as np

from sim.kernels import exchange as _k
from sim.kernels import exchange_decimal as _xd
from sim.models import exchange as _m
from sim.scenario import Scenario

FIRST_COINS = 64
"""Tie-breaking coins drawn at the start (as ``sim.kernels.exchange.simulate``); four times
as many whenever they run out."""


class ExchangeActor(mesa.Agent):
    """One actor of the run: its index into the model's arrays. It is offered, one at a
    time, the exchanges it is party to that come first in a round, and accepts or refuses
    each; ``decisions`` lists them for the current round: (the exchange's row in the
    model's round arrays ``act``, ``sup``, ...; accepted)."""

    def __init__(self, model: ExchangeAgentsModel, index: int, actor_id: str, name: str):
        super().__init__(model)
        self.index = index
        self.actor_id = actor_id
        self.name = name or actor_id
        self.decisions: list[tuple[int, bool]] = []

    @property
    def position(self) -> np.ndarray:
        """(m,) this actor's position on each issue at the start of the current round
        (0-100)."""
        m = self.model
        source = m.decimal.positions if m.decimal is not None else m.positions
        return source[m.round, :, self.index].copy()

    def decide(self, e: int) -> bool:
        """Whether this actor accepts exchange ``e`` of the round as it now stands
        (``sim.kernels.exchange.accepts``; a bloc that trades as one party also asks its
        members, ``members_agree``)."""
        m = self.model
        if not _k.accepts(e, self.index, m.act, m.sup, m.sf, m.ef, m.lo, m.hi):
            return False
        mpos, msal, moff = m.members
        return bool(_k.members_agree(e, self.index, m.act, m.sup, m.sf, mpos, msal, moff))

    def offer(self, e: int) -> bool:
        """Offer exchange ``e`` to this actor: its decision."""
        ok = self.decide(e)
        self.decisions.append((int(e), ok))
        return ok

    def offer_decimal(self, rnd, exchange) -> bool:
        """In decide's arithmetic: offer ``exchange`` (of the round ``rnd``) to this actor;
        it accepts when the exchange is valid and, for a bloc, no member loses by it
        (``sim.kernels.exchange_decimal``'s ``accepts``)."""
        ok = bool(rnd.accepts(exchange, self.index))
        self.decisions.append((len(self.decisions), ok))
        return ok

    def __repr__(self) -> str:
        return f"ExchangeActor({self.actor_id!r})"


class ExchangeAgentsModel(mesa.Model):
    """One exchange run, round by round, as a mesa model.

    Parameters
    ----------
    scenario : Scenario, optional
        Kept as ``model.negotiation`` (mesa reserves ``model.scenario``); its arrays are
        mapped to 0-100 as ``sim.models.exchange`` does.
    rounds : int, optional
        The round limit (``sim.models.exchange`` ``rounds_for``: the scenario's ``[model]
        rounds`` when its kind is exchange, else 10).
    params : sim.models.exchange.Params, optional
        ``random_ties`` and ``seed``: the coins of random tie-breaking.
    rng : seed or Generator, optional
        Passed to mesa; the coins are drawn from ``random.Random(seed)`` as the kernel does.
    inputs : tuple, optional
        Instead of a scenario: ``(pos, sal, pw, lo, hi)`` (m, n) arrays on 0-100 (then
        ``rounds`` is required and ``seed`` sets random tie-breaking, None: off).

    The agents step the float64 kernel. After a step, ``act``, ``sup``, ``sf``, ``ef`` are
    that round's candidate exchanges (``sim.kernels.exchange``); ``result()`` is the run so
    far as ``sim.kernels.exchange.simulate`` gives it.
    """

    takes_params = True
    """The driver passes the run's parameters (``sim.experiment``)."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        rounds: int | None = None,
        params=None,
        rng=None,
        *,
        inputs=None,
        seed: int | None = None,
    ):
        super().__init__(rng=rng)
        self.negotiation = scenario
        self.view = None
        self.decimal = None
        members = None
        if scenario is not None:
            self.arrays = scenario.arrays()
            p = _m.Params() if params is None else params
            decimal_run = p.arithmetic == "decimal"
            self.view = _m.party_view(scenario, self.arrays) if p.blocs == "party" else None
            if self.view is None:
                inputs = _m._inputs(self.arrays)
                names = [(aid, actor.name) for aid, actor in scenario.actors.items()]
            else:  # one agent per party: an actor, or a consensus bloc that asks its members
                inputs = _m._inputs(self.view.arrays)
                members = _m.float_members(self.view, self.arrays)
                names = [
                    (pid, (scenario.blocs[pid] if pid in scenario.blocs else scenario.actors[pid])
                     .name) for pid in self.view.ids
                ]  # fmt: skip
            self.limit = _m.MODEL.rounds_for(scenario, rounds)
            seed = _m.MODEL._seed(p) if decimal_run else (int(p.seed) if p.random_ties else None)
            if decimal_run:  # decide's arithmetic: the agents step sim.kernels.exchange_decimal
                source = self.arrays if self.view is None else self.view.arrays
                dpos, dsal, dpw, present, order, lo, hi = _m._decimal_inputs(source)
                dmembers = None if self.view is None else _m._members_on_100(self.view, self.arrays)
                self.decimal = _xd.DecimalRun(
                    dpos,
                    dsal,
                    dpw,
                    present,
                    order,
                    self.limit,
                    seed,
                    lo,
                    hi,
                    dmembers,
                    p.p,
                    bool(p.random_ties),
                )
        else:
            if inputs is None or rounds is None:
                raise TypeError("ExchangeAgentsModel needs a scenario, or inputs and rounds")
            self.arrays = None
            self.limit = int(rounds)
            names = None
        pos, sal, pw, lo, hi = (np.ascontiguousarray(v, dtype=np.float64) for v in inputs)
        self.sal, self.pw, self.lo, self.hi = sal, pw, lo, hi
        m, n = pos.shape
        self.n_issues, self.n_actors = m, n
        self.members = _k.no_members(n) if members is None else members
        self.npairs = m * (m - 1) // 2
        R = max(self.limit, 0)
        self.positions = np.zeros((R + 1, m, n))
        self.positions[0] = pos
        self.voting = np.zeros((R, m, n))
        self.outcomes = np.zeros((R + 1, m))
        self.outcomes[0] = _k.outcomes(pos, sal, pw)
        self.externalities = np.zeros((R, n, self.npairs))
        self._ex_int: list[np.ndarray] = []
        self._ex_float: list[np.ndarray] = []
        self._ext_value: list[np.ndarray] = []
        self._ext_kind: list[np.ndarray] = []
        self.use_coins = seed is not None
        self._coin_rng = random.Random(seed) if self.use_coins else None
        self.coins = np.zeros(0)
        if self.use_coins:
            self._draw_coins(FIRST_COINS)
        self.coin_at = 0
        self.round = 0
        self.actor_list = []
        for i in range(n):
            aid, name = names[i] if names is not None else (str(i), "")
            self.actor_list.append(ExchangeActor(self, i, aid, name))
        self.act = self.sup = self.sf = self.ef = None
        self.running = self.limit > 0

    def _draw_coins(self, count: int) -> None:
        more = [self._coin_rng.random() for _ in range(count)]
        self.coins = np.concatenate([self.coins, np.array(more, dtype=np.float64)])

    def _offer_decimal(self, rnd, exchange, party) -> bool:
        return self.actor_list[party].offer_decimal(rnd, exchange)

    def step(self) -> None:
        """One round: the candidates, then the best open exchange offered to its two actors
        until none is left, then the moves."""
        if not self.running:
            return
        if self.decimal is not None:
            for agent in self.actor_list:
                agent.decisions = []
            self.decimal.step(offer=self._offer_decimal)
            self.round = self.decimal.round
            if self.round >= self.limit:
                self.running = False
            return
        r = self.round
        pos0 = self.positions[r].copy()
        sal, pw, lo, hi = self.sal, self.pw, self.lo, self.hi
        den, ei, act, sup, dem, sf, ef, upd, hupd, lst, buf, length = _k.round_start(
            pos0, sal, pw, lo, hi
        )
        self.act, self.sup, self.sf, self.ef = act, sup, sf, ef
        for agent in self.actor_list:
            agent.decisions = []
        ext = self.externalities[r]
        sides = _k.sides(pos0, sal, pw)
        realised = []
        dirty = True
        while length > 0:
            best, left, coin_at, ran_out, moved = _k.take_best(
                lst, length, ef, self.coins, self.coin_at, self.use_coins, dirty
            )
            if ran_out:
                self._draw_coins(3 * self.coins.shape[0])
                dirty = False  # ranked, nothing taken
                continue
            length, self.coin_at, dirty = left, coin_at, moved
            # both are asked; the exchange is realised when both accept
            yes_i = self.actor_list[act[best, 0]].offer(best)
            yes_j = self.actor_list[act[best, 1]].offer(best)
            if not (yes_i and yes_j):
                continue
            row = np.zeros(self.n_actors)
            kind = np.zeros(self.n_actors, dtype=np.int64)
            length = _k.realise(best, lst, length, buf, ei, act, sup, dem, sf, ef, upd, hupd,
                                pos0, sal, pw, den, lo, hi, ext, row, kind, sides)  # fmt: skip
            dirty = True
            realised.append(best)
            self._ext_value.append(row)
            self._ext_kind.append(kind)
        voting, after, rows_i, rows_f = _k.round_end(
            np.array(realised, dtype=np.int64), pos0, sal, ei, act, sup, sf, ef
        )
        self.voting[r] = voting
        self.positions[r + 1] = after
        self.outcomes[r + 1] = _k.outcomes(voting, sal, pw)
        rows = np.zeros((rows_i.shape[0], 5), dtype=np.int64)
        rows[:, 0] = r + 1
        rows[:, 1:] = rows_i[:, :4]
        self._ex_int.append(rows)
        self._ex_float.append(rows_f)
        self.round = r + 1
        if self.round >= self.limit:
            self.running = False

    def result(self) -> dict:
        """The run so far as the dict of ``sim.kernels.exchange.simulate``."""
        if self.decimal is not None:
            return self.decimal.result()
        R = self.round
        ex_i = np.concatenate(self._ex_int) if self._ex_int else np.zeros((0, 5), np.int64)
        ex_f = np.concatenate(self._ex_float) if self._ex_float else np.zeros((0, 6))
        return {
            "positions": self.positions[: R + 1],
            "voting": self.voting[:R],
            "outcomes": self.outcomes[: R + 1],
            "ex_int": ex_i,
            "ex_float": ex_f,
            "externalities": self.externalities[:R],
            "ties": int(self.coin_at),
            "ext_value": np.array(self._ext_value, dtype=np.float64).reshape(-1, self.n_actors),
            "ext_kind": np.array(self._ext_kind, dtype=np.int64).reshape(-1, self.n_actors),
        }

    def trajectory(self) -> _m.ExchangeTrajectory:
        """The run so far as ``sim.models.exchange``'s trajectory (without the run's
        settings, which the model's ``run`` adds); needs a scenario."""
        if self.arrays is None:
            raise TypeError("a run from arrays has no scenario: use result()")
        return _m.trajectory_of(self.arrays, self.result(), view=self.view)


def simulate_agents(pos, sal, pw, lo, hi, rounds, seed=None) -> dict:
    """``sim.kernels.exchange.simulate`` stepped by the mesa agents: the same dict, bit for
    bit (``seed`` None: equal gains keep their order; a seed: random tie-breaking)."""
    model = ExchangeAgentsModel(inputs=(pos, sal, pw, lo, hi), rounds=int(rounds), seed=seed)
    while model.running:
        model.step()
    return model.result()


__all__ = ["ExchangeActor", "ExchangeAgentsModel", "simulate_agents"]
