"""The exchange model (Stokman and Van Oosten 1994) as decide-exchange-model computes it.

Actors trade: on a pair of issues, two actors on opposite sides of the expected outcome on
both each give way on the issue they care relatively less about, at the equal-gain rate;
each round realises every exchange that stays valid, best gain first, and each actor's next
position is a salience-weighted step towards its voting position (docs/exchange.md). The
expected outcome of an issue is the capability-and-salience weighted mean of the positions.

Two implementations compute it. ``arithmetic = "decimal"`` (the default) is decide's own
arithmetic, 28-digit decimal in decide's order of operations (``sim.kernels.exchange_decimal``):
it reproduces decide's runs exactly, including the branches decide's rounding decides.
``arithmetic = "float"`` is the float64 numba kernel (``sim.kernels.exchange``), equal to the
model in exact arithmetic and much faster; it parts from decide where decide's rounding, not
the model, decides a branch. The mesa agents (``sim.abm.exchange``, one per party) step
either: each is offered the exchanges it is party to and decides for itself.

Each issue's scale is mapped to decide's 0-100 by ``(x - lo) * 100 / (hi - lo)`` (positions
and red lines alike); outputs are on the issue's scale. sim has one capability per actor: it
is the actor's power on every issue. An actor with salience or capability 0 on an issue takes
no part in it (decide's actor without a row on it). A red line bounds an exchange: a trade
that would move an actor's voting position outside it is not on the table. With
``blocs = "party"`` (the default) a consensus bloc trades as one party (its declared line,
its members' summed capability, the intersection of their red lines), and an exchange of the
bloc's is realised only when none of its members loses by it; ``blocs = "members"``: each
member trades for itself.

The model needs two or more issues. Only the equal-gain rate (``rate = equal``) is
implemented: decide's random-rate variant fails on decide's own sample data and has no
reference. ``p`` above 0 is decide's randomised equal gain, in the decimal arithmetic, its
draws from ``random.Random(seed)``. ``random_ties`` is decide's tie-breaking switch (``ALLOW_RANDOM``): off, equal
gains keep their order; on, each tie between the best and the runner-up is settled by a coin
from ``random.Random(seed)``. The round limit is ``--rounds``, else the scenario's
``[model] rounds`` when its kind is ``exchange``, else 10 (decide's default); decide has no
convergence test, so a run always makes its rounds (it reports ``converged`` when its last
round realised no exchange).
"""

from __future__ import annotations

import dataclasses
import html
import math
import numbers
from dataclasses import dataclass

import numpy as np

from sim.kernels import exchange as _k
from sim.kernels import exchange_decimal as _xd
from sim.models.base import KERNEL_LOCK, Model, distribution_stats, parameter
from sim.models.parties import party_arrays
from sim.models.trajectory import ForecastSweeps, Trajectory
from sim.uncertainty import perturb

DEFAULT_ROUNDS = 10
"""decide's default number of rounds (``--iterations``)."""
MAX_SEED = 2**53
KIND = "outcome"
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Params:
    """Parameters of the exchange model."""

    rate: str = parameter(
        "equal",
        help="Exchange rate: equal (equal gain for both sides; decide's random-rate variant "
        "is not implemented).",
        choices=("equal",),
    )
    random_ties: bool = parameter(
        False,
        help="Break ties between the best and the runner-up exchange with a coin (decide's "
        "ALLOW_RANDOM): true or false (default); false: equal gains keep their order.",
        metavar="true|false",
    )
    seed: int = parameter(
        0, help="Seed of the tie-breaking coins and of the randomised gains (used only with "
        "--random-ties or --p above 0).", lo=0, hi=MAX_SEED,
    )  # fmt: skip
    p: float = parameter(
        0.0,
        help="decide's randomised equal gain (randomized_value): 0 the plain equal gain; "
        "above 0 one side of each exchange gains up to p of the way towards its maximum "
        "gain or loses up to p of its gain (seeded draws; decimal arithmetic only).",
        lo=0.0,
        hi=1.0,
    )
    blocs: str = parameter(
        "party",
        help="How a consensus bloc trades: party (as one party at its declared line, with "
        "its members' summed capability and the intersection of their red lines, and only "
        "when no member loses by the trade) or members (each member for itself).",
        choices=("party", "members"),
    )
    arithmetic: str = parameter(
        "decimal",
        help="Number format: decimal (decide's 28-digit decimal arithmetic, reproduces "
        "decide exactly) or float (the float64 kernel, about 100 times faster; it can part "
        "from decide where decide's rounding decides a branch).",
        choices=("decimal", "float"),
    )


@dataclass(frozen=True)
class ExchangeTrajectory(Trajectory):
    """An exchange run: ``positions`` (R + 1, m, n) on each issue's scale (round r: the
    start of round r + 1), ``voting`` (R, m, n) each round's voting positions,
    ``outcomes`` (R + 1, m) the expected outcome per issue (round 0 on the start positions,
    round r on round r's voting positions), ``ex_int`` (K, 5) and ``ex_float`` (K, 6) the
    realised exchanges (`sim.kernels.exchange.EX_INT`, `EX_FLOAT`; moves on the 0-100
    scale), ``externalities`` (R, n, pairs) per round, actor and issue pair; ``ties`` the
    coins drawn, ``settings`` the parameters."""

    voting: np.ndarray | None = None
    outcomes: np.ndarray | None = None
    ex_int: np.ndarray | None = None
    ex_float: np.ndarray | None = None
    externalities: np.ndarray | None = None
    ties: int = 0
    settings: tuple[tuple[str, object], ...] = ()
    ext_kind: np.ndarray | None = None
    ext_value: np.ndarray | None = None
    parties: tuple[str, ...] | None = None
    party_capability: np.ndarray | None = None
    gain_sides: np.ndarray | None = None

    def party_ids(self, scenario) -> tuple[str, ...]:
        """Who traded: the actors, or with consensus blocs as parties the parties (the
        labels of ``ex_int``'s actor columns and of ``externalities``)."""
        return self.parties if self.parties is not None else tuple(scenario.actor_ids)


def _inputs(arrays, position=None, salience=None, capability=None):
    x = arrays.position if position is None else position
    s = arrays.salience if salience is None else salience
    c = arrays.capability if capability is None else capability
    lo = arrays.scale_lo[:, None]
    width = (arrays.scale_hi - arrays.scale_lo)[:, None]

    def to100(v):
        return np.ascontiguousarray((np.asarray(v, dtype=np.float64) - lo) * (100.0 / width))

    m, n = x.shape
    pw = np.ascontiguousarray(np.broadcast_to(np.asarray(c, dtype=np.float64), (m, n)))
    sal = np.ascontiguousarray(s, dtype=np.float64)
    return to100(x), sal, pw, to100(arrays.red_lo), to100(arrays.red_hi)


def _decimal_inputs(arrays, position=None, salience=None, capability=None):
    """The decimal path's inputs: positions and red lines on 0-100 by decide's
    normalisation, in decimal; who takes part in each issue (salience and capability above
    0); each issue's actors in order."""
    x = arrays.position if position is None else np.asarray(position, dtype=np.float64)
    s = arrays.salience if salience is None else np.asarray(salience, dtype=np.float64)
    c = arrays.capability if capability is None else np.asarray(capability, dtype=np.float64)
    m, n = x.shape
    lo_s, hi_s = arrays.scale_lo, arrays.scale_hi
    pos = [[_xd.normalise(x[d, a], lo_s[d], hi_s[d]) for a in range(n)] for d in range(m)]
    sal = [[_xd.to_decimal(s[d, a]) for a in range(n)] for d in range(m)]
    pw = [[_xd.to_decimal(c[a]) for a in range(n)] for d in range(m)]
    present = [[bool(s[d, a] > 0.0 and c[a] > 0.0) for a in range(n)] for d in range(m)]
    order = [[a for a in range(n) if present[d][a]] for d in range(m)]
    lo = hi = None
    if np.any(arrays.red_lo > lo_s[:, None]) or np.any(arrays.red_hi < hi_s[:, None]):
        lo = [[_xd.normalise(arrays.red_lo[d, a], lo_s[d], hi_s[d]) for a in range(n)]
              for d in range(m)]  # fmt: skip
        hi = [[_xd.normalise(arrays.red_hi[d, a], lo_s[d], hi_s[d]) for a in range(n)]
              for d in range(m)]  # fmt: skip
    return pos, sal, pw, present, order, lo, hi


def simulate(
    arrays, rounds, seed=None, position=None, salience=None, capability=None,
    arithmetic="decimal", p=0.0, random_ties=None,
):  # fmt: skip
    """One run (a dict of `sim.kernels.exchange.simulate`'s arrays, positions still on
    0-100): in decide's decimal arithmetic (`sim.kernels.exchange_decimal`) or with the
    float64 kernel."""
    if arithmetic == "decimal":
        pos, sal, pw, present, order, lo, hi = _decimal_inputs(
            arrays, position, salience, capability
        )
        return _xd.simulate(pos, sal, pw, present, order, int(rounds), seed, lo, hi, None, p,
                            random_ties)  # fmt: skip
    pos, sal, pw, lo, hi = _inputs(arrays, position, salience, capability)
    with KERNEL_LOCK:
        return _k.simulate(pos, sal, pw, lo, hi, int(rounds), seed=seed)


def _scale(arrays, v):
    """Values (..., m, n) or (..., m) on 0-100 back on each issue's scale."""
    lo = arrays.scale_lo
    width = arrays.scale_hi - arrays.scale_lo
    if v.ndim >= 2 and v.shape[-1] != lo.shape[0]:
        return np.ascontiguousarray(lo[:, None] + v * (width[:, None] / 100.0))
    return np.ascontiguousarray(lo + v * (width / 100.0))


@dataclass(frozen=True)
class PartyView:
    """A scenario's actors with each consensus bloc as one party: ``ids`` the parties (an
    actor not in such a bloc, or a bloc at the place of its first member), ``arrays`` their
    arrays (a bloc at its declared line, its members' summed capability, the intersection of
    their red lines), ``column`` (n,) each actor's party, ``members`` per party None or its
    members' actor indices."""

    ids: tuple[str, ...]
    arrays: object
    column: np.ndarray
    members: tuple


def party_view(scenario, arrays) -> PartyView | None:
    """The parties of ``scenario`` (None when it has no consensus bloc); ``arrays`` may be
    perturbed."""
    blocs = [b for b, bloc in scenario.blocs.items() if bloc.rule == "consensus"]
    if not blocs:
        return None
    bloc_of = {}
    for b in blocs:
        for a in scenario.blocs[b].members:
            if a in bloc_of:
                raise ValueError(
                    f"{scenario.name}: actor {a!r} is a member of consensus blocs "
                    f"{bloc_of[a]!r} and {b!r}; with blocs = party an actor trades in one "
                    "party only: expected one consensus bloc per actor, or blocs = members"
                )
            bloc_of[a] = b
    ids: list[str] = []
    for a in arrays.actor_ids:
        party = bloc_of.get(a, a)
        if party not in ids:
            ids.append(party)
    ideal, sal, lo, hi, cap = party_arrays(scenario, ids, arrays)
    P = len(ids)
    view = dataclasses.replace(
        arrays,
        actor_ids=tuple(ids),
        capability=np.ascontiguousarray(cap),
        position=np.ascontiguousarray(ideal.T),
        salience=np.ascontiguousarray(sal.T),
        red_lo=np.ascontiguousarray(lo.T),
        red_hi=np.ascontiguousarray(hi.T),
        risk=np.full(P, np.nan),
    )
    column = np.array([ids.index(bloc_of.get(a, a)) for a in arrays.actor_ids], dtype=np.int64)
    members = tuple(
        tuple(arrays.actor_ids.index(a) for a in scenario.blocs[pid].members)
        if pid in scenario.blocs
        else None
        for pid in ids
    )
    return PartyView(tuple(ids), view, column, members)


def _members_on_100(view: PartyView, arrays):
    """Per party None, or its members' (positions on 0-100, saliences) per issue."""
    lo = arrays.scale_lo
    width = arrays.scale_hi - arrays.scale_lo
    out = []
    for idx in view.members:
        if idx is None:
            out.append(None)
            continue
        out.append(
            [
                (
                    [
                        _xd.normalise(arrays.position[d, a], lo[d], lo[d] + width[d])
                        for d in range(len(lo))
                    ],  # fmt: skip
                    [float(arrays.salience[d, a]) for d in range(len(lo))],
                )
                for a in idx
            ]
        )
    return out


def float_members(view: PartyView, arrays):
    """The float kernel's member arrays of ``view``: ``mpos`` (m, M) the members' positions
    on 0-100, ``msal`` (m, M) their saliences, ``moff`` (P + 1,) each party's columns."""
    lo = arrays.scale_lo[:, None]
    width = (arrays.scale_hi - arrays.scale_lo)[:, None]
    cols, moff = [], [0]
    for idx in view.members:
        cols.extend(idx or ())
        moff.append(len(cols))
    cols = np.array(cols, dtype=np.int64)
    mpos = (arrays.position[:, cols] - lo) * (100.0 / width)
    msal = arrays.salience[:, cols]
    return (
        np.ascontiguousarray(mpos, dtype=np.float64),
        np.ascontiguousarray(msal, dtype=np.float64),
        np.array(moff, dtype=np.int64),
    )


def run_exchange(scenario, arrays, rounds, seed, arithmetic, blocs, p=0.0, random_ties=None):
    """One run on ``arrays`` (the scenario's, or perturbed): with consensus blocs as
    parties when ``blocs`` is ``party``. Returns the kernel's dict and the party view."""
    view = party_view(scenario, arrays) if blocs == "party" else None
    if view is None:
        out = simulate(arrays, rounds, seed, arithmetic=arithmetic, p=p, random_ties=random_ties)
        return out, None
    if arithmetic != "decimal":
        pos, sal, pw, lo, hi = _inputs(view.arrays)
        with KERNEL_LOCK:
            out = _k.simulate(pos, sal, pw, lo, hi, int(rounds), seed, float_members(view, arrays))
        return out, view
    pos, sal, pw, present, order, lo, hi = _decimal_inputs(view.arrays)
    members = _members_on_100(view, arrays)
    out = _xd.simulate(pos, sal, pw, present, order, int(rounds), seed, lo, hi, members, p,
                       random_ties)  # fmt: skip
    return out, view


def _to_actors(view: PartyView | None, v):
    """Party columns (..., m, P) as actor columns (..., m, n): a member holds its bloc's."""
    return v if view is None else np.ascontiguousarray(v[..., view.column])


def trajectory_of(arrays, out, settings=(), view: PartyView | None = None) -> ExchangeTrajectory:
    if view is not None:
        out = {**out, "positions": _to_actors(view, out["positions"])}
        out["voting"] = _to_actors(view, out["voting"])
    pos = _scale(arrays, out["positions"])
    R, m, n = out["voting"].shape
    last = out["ex_int"][:, 0] == R if R else np.zeros(0, dtype=bool)
    stopped = "converged" if R and not last.any() else "limit"
    return ExchangeTrajectory(
        positions=pos,
        events=np.zeros((R, m, n), dtype=np.int64),
        senders=np.full((R, m, n), -1, dtype=np.int64),
        clipped=np.zeros((R, m, n), dtype=np.bool_),
        stopped=stopped,
        cycle_length=1 if stopped == "converged" else 0,
        voting=_scale(arrays, out["voting"]) if R else np.zeros((0, m, n)),
        outcomes=_scale(arrays, out["outcomes"]),
        ex_int=out["ex_int"],
        ex_float=out["ex_float"],
        externalities=out["externalities"],
        ties=int(out["ties"]),
        settings=tuple(settings),
        ext_kind=out.get("ext_kind"),
        ext_value=out.get("ext_value"),
        gain_sides=out.get("gain_sides"),
        parties=None if view is None else view.ids,
        party_capability=None if view is None else view.arrays.capability,
    )


def _pairs(issue_ids):
    ids = list(issue_ids)
    return [f"{ids[p]}|{ids[q]}" for p in range(len(ids)) for q in range(p + 1, len(ids))]


class Exchange(ForecastSweeps, Model):
    """decide's exchange model: equal-gain vote trading between pairs of actors."""

    name = "exchange"
    summary = (
        "Exchange model (Stokman-Van Oosten, as decide-exchange-model): pairs of actors "
        "trade positions on pairs of issues at the equal-gain rate, round by round"
    )
    citation = (
        "Stokman, F. N., Van Oosten, R. (1994). The exchange of voting positions: an "
        "object-oriented model of policy networks. In Bueno de Mesquita, B., Stokman, F. N. "
        "(eds.), European Community Decision Making. Yale University Press; "
        "decide-exchange-model 2022.1.28 (foarsitter/decide-exchange-model)."
    )
    Params = Params
    moves = True
    mesa_driver = True
    forecast_kinds = (KIND,)
    arrays_forecasts = False
    joint_issues = True
    ensemble_figure = "exchange_distribution"

    def params(self, **values):
        """The parameters; ``random_ties`` also as text (true/false, yes/no, on/off, 1/0,
        as the command line gives it)."""
        flag = values.get("random_ties")
        if isinstance(flag, str):
            word = flag.strip().lower()
            if word in _TRUE:
                values["random_ties"] = True
            elif word in _FALSE:
                values["random_ties"] = False
            else:
                raise ValueError(f"random_ties: expected true or false, got {flag!r}")
        elif flag is not None and not isinstance(flag, bool):
            raise TypeError(f"random_ties: expected true or false, got {flag!r}")
        return super().params(**values)

    def rounds_for(self, scenario, rounds: int | None) -> int:
        """``rounds``, else the scenario's ``[model] rounds`` when its kind is exchange,
        else 10 (decide's default)."""
        if rounds is not None:
            return int(rounds)
        if scenario.model.kind == self.name:
            return scenario.model.rounds
        return DEFAULT_ROUNDS

    def check(self, scenario, params, rounds) -> None:
        super().check(scenario, params, rounds)
        if len(scenario.issues) < 2:
            raise ValueError(
                f"{scenario.name}: the exchange model needs two or more issues, "
                f"got {len(scenario.issues)}"
            )
        p = Params() if params is None else params
        if p.rate != "equal":
            raise ValueError(f"rate: expected equal, got {p.rate!r}")
        if p.arithmetic not in ("decimal", "float"):
            raise ValueError(f"arithmetic: expected decimal or float, got {p.arithmetic!r}")
        if (
            isinstance(p.p, bool)
            or not isinstance(p.p, numbers.Real)
            or not math.isfinite(p.p)
            or not 0.0 <= p.p <= 1.0
        ):
            raise ValueError(f"p: expected a number in [0, 1], got {p.p!r}")
        if p.p > 0 and p.arithmetic != "decimal":
            raise ValueError(
                f"p: the randomised equal gain (p = {p.p:g}) is computed in decide's decimal "
                "arithmetic only; expected --arithmetic decimal, or p = 0"
            )
        if p.blocs not in ("party", "members"):
            raise ValueError(f"blocs: expected party or members, got {p.blocs!r}")
        if p.blocs == "party":
            party_view(scenario, scenario.arrays())  # one consensus bloc per actor
        if not isinstance(p.random_ties, bool):
            raise ValueError(f"random_ties: expected true or false, got {p.random_ties!r}")
        if (
            isinstance(p.seed, bool)
            or not isinstance(p.seed, numbers.Real)
            or p.seed != int(p.seed)
            or not 0 <= p.seed <= MAX_SEED
        ):
            raise ValueError(f"seed: expected a whole number in [0, {MAX_SEED}], got {p.seed!r}")

    def _seed(self, p):
        """The run's seed: for the coins of random ties and the draws of p > 0, else None."""
        return int(p.seed) if p.random_ties or p.p > 0 else None

    def _run(self, scenario, arrays, rounds, p, seed=True):
        seed = self._seed(p) if seed else None
        return run_exchange(
            scenario, arrays, rounds, seed, p.arithmetic, p.blocs, p.p, bool(p.random_ties)
        )

    def run(self, scenario, params=None, rounds=None, trajectory=None, **how):
        """One run; ``trajectory`` is one the mesa agents (``sim.abm.exchange``, the
        default driver) already stepped with ``params``, else the kernel runs."""
        p = Params() if params is None else params
        settings = (
            ("rate", p.rate),
            ("random_ties", bool(p.random_ties)),
            ("arithmetic", p.arithmetic),
            ("blocs", p.blocs),
            ("p", float(p.p)),
        )
        if p.random_ties or p.p > 0:
            settings += (("seed", int(p.seed)),)
        if trajectory is not None:
            return dataclasses.replace(trajectory, settings=settings)
        arrays = scenario.arrays()
        limit = self.rounds_for(scenario, rounds)
        out, view = self._run(scenario, arrays, limit, p)
        return trajectory_of(arrays, out, settings, view)

    def batch(self, scenario, arrays, spreads, seeds, rounds, params=None):
        """Perturbed runs, one per seed: ``rounds, stopped, cycle_length`` and per issue
        ``ISSUE.outcome`` (the final expected outcome)."""
        p = Params() if params is None else params
        X, S, C = perturb(arrays, spreads, seeds)
        R = len(seeds)
        m = len(arrays.issue_ids)
        final = np.zeros((R, m))
        steps = np.full(R, int(rounds), dtype=np.int64)
        stopped = np.empty(R, dtype=object)
        for r in range(R):
            perturbed = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
            out, _ = self._run(scenario, perturbed, rounds, p)
            final[r] = _scale(arrays, out["outcomes"][-1])
            last = out["ex_int"][:, 0] == rounds
            stopped[r] = "converged" if rounds and not last.any() else "limit"
        cols = {
            "rounds": steps,
            "stopped": stopped,
            "cycle_length": (stopped == "converged").astype(np.int64),
        }
        for k, iid in enumerate(arrays.issue_ids):
            cols[f"{iid}.{KIND}"] = np.ascontiguousarray(final[:, k])
        return cols

    def nominal(self, scenario, rounds: int, params=None) -> dict:
        p = Params() if params is None else params
        arrays = scenario.arrays()
        out, _ = self._run(scenario, arrays, rounds, p, seed=p.p > 0)
        final = _scale(arrays, out["outcomes"][-1])
        return {iid: {KIND: float(final[k])} for k, iid in enumerate(scenario.issue_ids)}

    def scenario_forecasts(self, scenario, params, rounds=None) -> dict:
        """The final expected outcome per issue."""
        t = self.run(scenario, params, rounds)
        return {KIND: {iid: float(v) for iid, v in zip(scenario.issue_ids, t.outcomes[-1],
                                                         strict=True)}}  # fmt: skip

    # ---- a run's tables, summary and text
    def table(self, result, name: str):
        import pandas as pd

        t = result.trajectory
        sc = result.scenario
        actors = np.array(t.party_ids(sc), dtype=object)
        issues = np.array(sc.issue_ids, dtype=object)
        if name == "outcomes":
            R1, m = t.outcomes.shape
            return pd.DataFrame(
                {
                    "round": np.repeat(np.arange(R1), m),
                    "issue": np.tile(issues, R1),
                    "outcome": t.outcomes.reshape(-1),
                }
            )
        if name == "exchanges":
            ei, ef = t.ex_int, t.ex_float
            width = (sc.arrays().scale_hi - sc.arrays().scale_lo) / 100.0
            p, q = ei[:, 3], ei[:, 4]
            return pd.DataFrame(
                {
                    "round": ei[:, 0],
                    "actor_i": actors[ei[:, 1]],
                    "actor_j": actors[ei[:, 2]],
                    "issue_i": issues[q],
                    "issue_j": issues[p],
                    "move_i": ef[:, 0] * width[q],
                    "move_j": ef[:, 1] * width[p],
                    "gain_i": ef[:, 2] if t.gain_sides is None else t.gain_sides[:, 0],
                    "gain_j": ef[:, 2] if t.gain_sides is None else t.gain_sides[:, 1],
                    "rate": ef[:, 5],
                }
            )
        if name == "externalities":
            e = t.externalities
            R, n, P = e.shape
            cols = {
                "round": np.repeat(np.arange(1, R + 1), n * P),
                "actor": np.tile(np.repeat(actors, P), R),
                "issue_pair": np.tile(np.array(_pairs(sc.issue_ids), dtype=object), R * n),
                "gain": e.reshape(-1),
            }
            if t.ext_kind is not None:
                # decide's split: own (the pair's gain), inner and outer, positive and negative
                split = np.zeros((R, n, P, len(_xd.KINDS)))
                rounds_of = t.ex_int[:, 0] - 1
                m = len(sc.issue_ids)
                pq = t.ex_int[:, 3:5]
                pair_of = pq[:, 0] * (2 * m - pq[:, 0] - 1) // 2 + (pq[:, 1] - pq[:, 0] - 1)
                for k in range(len(t.ex_int)):
                    for a in range(n):
                        split[rounds_of[k], a, pair_of[k], t.ext_kind[k, a]] += t.ext_value[k, a]
                for c, kind in enumerate(_xd.KINDS):
                    cols[kind] = split[..., c].reshape(-1)
            return pd.DataFrame(cols)
        return super().table(result, name)

    def run_extra(self, result) -> dict:
        """The parameters, the rounds, how the run stopped, the exchanges per round and per
        issue the expected outcome at the start and the end."""
        t = result.trajectory
        R = t.rounds
        counts = np.bincount(t.ex_int[:, 0], minlength=R + 1)[1:] if R else np.zeros(0)
        return {
            "parameters": dict(t.settings),
            "rounds": int(R),
            "stopped": t.stopped,
            "exchanges_per_round": [int(v) for v in counts],
            "ties": int(t.ties),
            # the model's forecast is the expected outcome (with blocs as parties: the
            # parties' weighted mean), not the actors' compromise of the final positions
            "forecast": {
                iid: {KIND: float(t.outcomes[-1, k])}
                for k, iid in enumerate(result.scenario.issue_ids)
            },
            "initial": {
                iid: {KIND: float(t.outcomes[0, k])}
                for k, iid in enumerate(result.scenario.issue_ids)
            },
            "outcome": {
                iid: {"start": float(t.outcomes[0, k]), "end": float(t.outcomes[-1, k])}
                for k, iid in enumerate(result.scenario.issue_ids)
            },
        }

    def stop_line(self, result) -> str:
        t = result.trajectory
        return f"{t.rounds} rounds, {len(t.ex_int)} exchanges, stopped: {t.stopped}"

    def lines(self, result) -> list[str]:
        """The expected outcome per issue at the start and the end, and the rounds."""
        t = result.trajectory
        sc = result.scenario
        lines = [f"{sc.name}: model {self.name}, {len(sc.actors)} actors, {len(sc.issues)} issues"]
        header = f"{'issue':<16} {'start: outcome':>14}   {'end: outcome':>12}"
        lines += [header, "-" * len(header)]
        for k, iid in enumerate(sc.issue_ids):
            lines.append(f"{iid[:16]:<16} {t.outcomes[0, k]:>14.2f}   {t.outcomes[-1, k]:>12.2f}")
        lines.append(self.stop_line(result))
        return lines

    def outputs(self, result) -> list:
        """``outcomes.csv``, ``exchanges.csv``, ``externalities.csv``, ``positions.png``,
        ``exchanges.png`` and ``externalities.png``."""
        return [
            ("table", "outcomes.csv", "outcomes"),
            ("table", "exchanges.csv", "exchanges"),
            ("table", "externalities.csv", "externalities"),
            ("figure", "positions.png", "positions"),
            ("figure", "exchanges.png", "exchange_network"),
            ("figure", "externalities.png", "exchange_externalities"),
        ]

    # ---- sweeps (ForecastSweeps): an ensemble at every grid point, the expected outcome's
    # statistics (outcome_mean, outcome_p5, ...)
    sweep_kinds = (KIND,)
    sweep_kind = KIND
    sweep_label = "expected outcome"

    # ---- ensembles
    def ensemble_summary(self, result) -> dict:
        runs = result.runs
        per_issue = {}
        for iid in result.scenario.issue_ids:
            stats = distribution_stats(runs[f"{iid}.{KIND}"])
            stats["unperturbed"] = result.baseline[iid][KIND]
            per_issue[iid] = {KIND: stats}
        stopped = runs["stopped"].to_numpy()
        return {
            "scenario": result.scenario.name,
            "model": self.name,
            "runs": result.n_runs,
            "root_seed": result.root_seed,
            "round_limit": int(result.metadata.get("sim.round_limit", 0)),
            "share_converged": float(np.mean(stopped == "converged")),
            "share_limit": float(np.mean(stopped == "limit")),
            "uncertainty": result.uncertainty,
            "forecast": per_issue,
            "scenario_hash": result.metadata["sim.scenario_hash"],
        }

    def ensemble_lines(self, result, s: dict) -> list[str]:
        lines = [
            f"{result.scenario.name}: {s['runs']} runs of {s['model']}, root seed {s['root_seed']}"
        ]
        header = f"{'issue':<16} {'outcome: mean':>13} {'5%':>7} {'95%':>7}"
        lines += [header, "-" * len(header)]
        for iid, f in s["forecast"].items():
            o = f[KIND]
            lines.append(f"{iid[:16]:<16} {o['mean']:>13.2f} {o['p5']:>7.2f} {o['p95']:>7.2f}")
        return lines

    def ensemble_html(self, result, s: dict) -> str:
        rows = []
        for iid, kinds in s["forecast"].items():
            o = kinds[KIND]
            rows.append(
                f"<tr><th>{html.escape(iid)}</th><td>{o['mean']:.2f}</td>"
                f"<td>{o['p5']:.2f} - {o['p95']:.2f}</td><td>{o['unperturbed']:.2f}</td></tr>"
            )
        return (
            f"<p><b>{html.escape(result.scenario.name)}</b>: ensemble of {result.n_runs} runs "
            f"(model {html.escape(self.name)}, root seed {result.root_seed})</p>"
            "<table><tr><th>issue</th><th>expected outcome: mean</th><th>5-95%</th>"
            "<th>unperturbed</th></tr>" + "".join(rows) + "</table>"
        )


MODEL = Exchange()
