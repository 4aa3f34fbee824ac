"""KTAB's spatial model of politics as mesa agents that call the kernels for themselves.

``SmpAgentsModel`` holds the state arrays of one run (positions on [0, 1], every actor's
estimate of every utility, the risk attitudes); each ``SmpActor`` is one actor. Each
state the model lets every agent pick its challenge and offer its bargains
(``sim.kernels.smp.best_challenge`` and ``propose``; the third parties' votes are computed
inside the challenge estimate), gathers the bargains in the order of the initiators, lets
every agent choose among its status quo and the bargains it is party to
(``sim.kernels.smp.choose``), applies the choices at once and computes the next state's
utilities and winning probabilities; it stops by KTAB's rule (fractional change against
the first step below ``TARGET`` from step ``MIN_STATES`` on) or the state limit. Each
agent writes only its own slots, so the order of the agents does not matter. Stochastic
transitions read the uniforms the kernel's run reads (``rng.random((limit, n))``), so
``driver="abm"`` and ``driver="kernel"`` give the same run bit for bit.

>>> from sim import load_scenario
>>> model = SmpAgentsModel(load_scenario("nato_russia_2022"), rounds=3)
>>> model.run_model()
>>> model.trajectory().positions.shape[0] <= 4
True
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.kernels import smp as _k
from sim.models import smp as _m
from sim.scenario import Scenario


class SmpActor(mesa.Agent):
    """One actor of the run: its index into the model's arrays."""

    def __init__(self, model: SmpAgentsModel, index: int, actor_id: str, name: str):
        super().__init__(model)
        self.index = index
        self.actor_id = actor_id
        self.name = name or actor_id

    @property
    def position(self) -> np.ndarray:
        """(d,) this actor's current position on [0, 1], one dimension per issue."""
        return self.model.pos[self.index].copy()

    def challenge(self) -> None:
        """Pick this state's challenge and write the bargains it offers into this actor's
        slots of the model (none when no challenge has a gain worth it)."""
        m = self.model
        i = self.index
        j, p, gain = _k.best_challenge(m.opts, m.cap, m.stot, m.autil, i)
        m.target[i] = j
        m.count[i] = 0
        if j < 0:
            return
        m.count[i] = _k.propose(m.opts, m.cap, m.sal, m.stot, m.pos, m.lo, m.hi, m.autil, i,
                                j, p, m.offer_ipos[i], m.offer_rpos[i], 0)  # fmt: skip
        m.offer_prob[i] = p
        m.offer_gain[i] = gain

    def choose(self) -> None:
        """Choose among the status quo and the bargains this actor is party to; write the
        row taken and the position it adopts."""
        m = self.model
        k = self.index
        t = m.current
        draw = m.draws[t, k] if m.opts[_k.O_TRANSITIONS] == _k.STOCHASTIC else 0.0
        nq, best = _k.choose(m.opts, m.cap, m.sal, m.pos, m.risk, m.autil, k, m.b_init[t],
                             m.b_rcvr[t], m.b_ipos[t], m.b_rpos[t], m.rows, draw, self.queue,
                             self.probs)  # fmt: skip
        r = int(self.queue[best])
        m.chosen[t, k] = r
        if r < 0:
            m.pending[k] = m.pos[k]
        elif m.b_init[t, r] == k:
            m.pending[k] = m.b_ipos[t, r]
        else:
            m.pending[k] = m.b_rpos[t, r]

    def step(self) -> None:
        """The agent's part of the model's current phase (challenge, then choice)."""
        if self.model.phase == "challenge":
            self.challenge()
        else:
            self.choose()

    def __repr__(self) -> str:
        return f"SmpActor({self.actor_id!r})"


class SmpAgentsModel(mesa.Model):
    """One SMP run, state by state, as a mesa model.

    Parameters
    ----------
    scenario : Scenario
        Kept as ``model.negotiation`` (mesa reserves ``model.scenario``).
    rounds : int, optional
        The state limit (``sim.models.smp`` ``rounds_for``: the scenario's ``[model] rounds``
        when its kind is smp, else KTAB's 100).
    params : sim.models.smp.Params, optional
        The options and the seed of Stochastic transitions (unset options: the scenario's
        KTAB parameters, else KTAB's defaults).
    rng : seed or Generator, optional
        Passed to mesa; the transitions draw from ``params.seed`` as the kernel's run does.
    """

    takes_params = True
    """The driver passes the run's parameters (``sim.experiment``)."""

    def __init__(self, scenario: Scenario, rounds: int | None = None, params=None, rng=None):
        super().__init__(rng=rng)
        self.negotiation = scenario
        p = _m.Params() if params is None else params
        self.smp_params = p
        self.smp_options, _ = _m.options_for(scenario, p)
        self.limit = _m.MODEL.rounds_for(scenario, rounds)
        self.arrays = scenario.arrays()
        inputs = _m.unit_inputs(self.arrays)
        cap, x, sal, lo, hi = _k.check_inputs(*inputs[:5])
        self.salience_factor = inputs[5]
        self.cap, self.sal, self.lo, self.hi = cap, sal, lo, hi
        self.opts = _k.encode_options(self.smp_options)
        n, d = x.shape
        self.n_actors, self.n_dims = n, d
        m = max(1, self.limit)
        rng_t = _m._rng(self.smp_options, p.seed)
        self.draws = (
            np.ascontiguousarray(rng_t.random((m, n))) if rng_t is not None else np.zeros((0, n))
        )
        (self.positions, self.probabilities, self.risks, self.change, self.b_count, self.b_init,
         self.b_rcvr, self.b_ipos, self.b_rpos, self.b_prob, self.b_gain,
         self.chosen) = _k.buffers(n, d, m)  # fmt: skip
        self.stot = np.zeros(n)
        for i in range(n):
            for k in range(d):
                self.stot[i] += sal[i, k]
        self.vdiff = np.empty((n, n))
        self.autil = np.empty((n, n, n))
        self.target = np.full(n, -1, dtype=np.int64)
        self.count = np.zeros(n, dtype=np.int64)
        self.offer_ipos = np.empty((n, 2, d))
        self.offer_rpos = np.empty((n, 2, d))
        self.offer_prob = np.zeros(n)
        self.offer_gain = np.zeros(n)
        self.pending = np.empty((n, d))
        self.positions[0] = np.minimum(np.maximum(x, lo), hi)
        _k.state_utilities(self.opts, cap, sal, self.positions[0], self.vdiff, self.autil,
                           self.risks[0])  # fmt: skip
        _k.win_probabilities(self.opts, cap, self.positions[0], self.autil,
                             self.probabilities[0])  # fmt: skip
        self.done_steps = 0
        self.current = 0
        self.rows = 0
        self.phase = "challenge"
        self.d01 = 0.0
        self.stop = _k.STOP_LIMIT
        self.actor_list = []
        for i, (aid, actor) in enumerate(scenario.actors.items()):
            agent = SmpActor(self, i, aid, actor.name)
            agent.queue = np.empty(2 * n + 1, dtype=np.int64)
            agent.probs = np.empty(2 * n + 1)
            self.actor_list.append(agent)
        self.running = self.limit > 0

    @property
    def pos(self) -> np.ndarray:
        """(n, d) the current state's positions on [0, 1]."""
        return self.positions[self.done_steps]

    @property
    def risk(self) -> np.ndarray:
        """(n,) the current state's inferred risk attitudes."""
        return self.risks[self.done_steps]

    def _gather(self, t: int) -> None:
        """The bargains offered, in the order of the initiators (the kernel's rows)."""
        rows = 0
        for i in range(self.n_actors):
            for c in range(int(self.count[i]) if self.target[i] >= 0 else 0):
                self.b_init[t, rows] = i
                self.b_rcvr[t, rows] = self.target[i]
                self.b_ipos[t, rows] = self.offer_ipos[i, c]
                self.b_rpos[t, rows] = self.offer_rpos[i, c]
                self.b_prob[t, rows] = self.offer_prob[i]
                self.b_gain[t, rows] = self.offer_gain[i]
                rows += 1
        self.b_count[t] = rows
        self.rows = rows

    def step(self) -> None:
        """One step: every agent challenges, the bargains are gathered, every agent
        chooses, the choices apply at once and the next state is computed."""
        if not self.running:
            return
        t = self.done_steps
        self.current = t
        self.phase = "challenge"
        self.agents.do("step")
        self._gather(t)
        self.phase = "choose"
        self.agents.do("step")
        self._finish(t)

    def _finish(self, t: int) -> None:
        """The end of step ``t``: the choices apply at once, the next state's utilities and
        winning probabilities, the fractional change and KTAB's stopping rule."""
        nxt = self.positions[t + 1]
        nxt[:] = self.pending
        self.done_steps = t + 1
        _k.state_utilities(self.opts, self.cap, self.sal, nxt, self.vdiff, self.autil,
                           self.risks[t + 1])  # fmt: skip
        _k.win_probabilities(self.opts, self.cap, nxt, self.autil, self.probabilities[t + 1])
        if t == 0:
            self.d01 = _k._moved(self.positions[0], self.positions[1]) + _k.MIN_SIG_DELTA
        self.change[t] = _k._moved(nxt, self.positions[t]) / self.d01
        done = self.done_steps
        if self.limit <= done:
            self.stop = _k.STOP_LIMIT
            self.running = False
        elif _k.MIN_STATES <= done and self.change[t] < _k.TARGET:
            self.stop = _k.STOP_CONVERGED
            self.running = False

    def result(self) -> _k.SmpRun:
        """The run so far as the kernel's :class:`~sim.kernels.smp.SmpRun`."""
        return _k._result(self.done_steps, self.stop, (
            self.positions, self.probabilities, self.risks, self.change, self.b_count,
            self.b_init, self.b_rcvr, self.b_ipos, self.b_rpos, self.b_prob, self.b_gain,
            self.chosen,
        ))  # fmt: skip

    def trajectory(self) -> _m.SmpTrajectory:
        """The run so far as ``sim.models.smp``'s trajectory (without the run's settings,
        which ``Smp.run`` adds)."""
        return _m.trajectory_of(self.arrays, self.result(), self.salience_factor)


__all__ = ["SmpActor", "SmpAgentsModel"]
