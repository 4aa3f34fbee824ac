"""Parties to a bargain and what they get from it (DESIGN.md 5.3 to 5.5).

A *party* is an actor, or a bloc speaking as one: a bloc's ideal point is its
declared line (or, where it declares none, its members' capability-weighted
line), its capability the sum of its members' and its acceptable range on an issue
what its rule lets it accept (for ``consensus`` the intersection of its members'
red lines). No capability is counted twice.

Every bargaining model uses the same utility of a point ``x`` over all issues,

    u_i(x) = 1 - sum_k sbar_ik (|x_k - p_ik| / D_k) ** gamma

(:func:`sim.payoffs.utility`), and the same disagreement value ``d_i``: the
utility of the status quo (on an issue without one, the party's worst end of the
scale) or the party's outside option from ``[payoffs] outside_option``: a utility,
or ``"war"``, the value of the `[crisis]` war lottery.

The war lottery (:class:`War`): war decides the contested issues, at the
challenger's ideal with probability ``p`` and at the defender's otherwise; every
other issue stays where it is. Each side pays its cost of war as a share of its
stakes, the difference between winning and losing:

    W_i = p u_i(x^C) + (1 - p) u_i(x^D) - c_i |u_i(x^C) - u_i(x^D)|

On the challenger's *pie* (its utility rescaled so that losing the war is 0 and
winning it 1) the war is worth ``p - c_C`` to the challenger, Fearon's model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.models.fearon import win_probability
from sim.payoffs import normalised_salience
from sim.scenario import Scenario, ScenarioArrays

QUALIFIED = 2.0 / 3.0
"""Capability share a ``qualified_majority`` bloc needs (a ``majority`` needs more than half)."""


@dataclass(frozen=True)
class Parties:
    """The parties to a bargain as arrays, row ``i`` for ``ids[i]``.

    Attributes
    ----------
    ids : tuple of str
    issue_ids : tuple of str
    ideal, salience : ndarray (P, m)
        Ideal points and saliences (raw; utilities normalise them per party).
    lo, hi : ndarray (P, m)
        Acceptable range per issue; ``lo > hi`` where a party can accept nothing.
    capability : ndarray (P,)
    discount : ndarray (P,)
    status_quo : ndarray (P, m)
        The status quo as each party sees it (its worst end where an issue has none).
    disagreement : ndarray (P,)
        ``d_i``: utility of the status quo or of the outside option.
    outside : tuple of str
        Where ``d_i`` comes from: ``"status_quo"``, ``"given"`` or ``"war"``.
    width : ndarray (m,)
    gamma : float
    """

    ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    ideal: np.ndarray
    salience: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    capability: np.ndarray
    discount: np.ndarray
    status_quo: np.ndarray
    disagreement: np.ndarray
    outside: tuple[str, ...]
    width: np.ndarray
    gamma: float

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, pid: str) -> int:
        return self.ids.index(pid)

    def utility(self, x: np.ndarray) -> np.ndarray:
        """``u_i(x)`` for every party; ``x`` is (m,) or (..., m) giving (..., P)."""
        return utilities(x, self.ideal, self.salience, self.width, self.gamma)

    def feasible(self) -> np.ndarray:
        """(P,) bool: whether each party can accept any point at all."""
        return np.all(self.lo <= self.hi, axis=1)


def utilities(x, ideal, salience, width, gamma) -> np.ndarray:
    """Utility of point(s) ``x`` (..., m) to parties with ``ideal`` (P, m): shape (..., P)."""
    x = np.asarray(x, dtype=np.float64)
    sbar = normalised_salience(salience)
    dist = np.abs(x[..., None, :] - ideal) / width
    return 1.0 - (sbar * dist**gamma).sum(axis=-1)


def bloc_line(sc: Scenario, bloc_id: str, arrays: ScenarioArrays):
    """A bloc's ideal points and saliences (m,): declared, or its members' weighted line."""
    bloc = sc.blocs[bloc_id]
    idx = [arrays.actor_ids.index(a) for a in bloc.members]
    w = arrays.capability[idx]
    w = w / w.sum()
    if bloc.position:
        ideal = np.array([bloc.position[i] for i in arrays.issue_ids], dtype=np.float64)
    else:
        ideal = arrays.position[:, idx] @ w
    if bloc.salience:
        sal = np.array([bloc.salience[i] for i in arrays.issue_ids], dtype=np.float64)
    else:
        sal = arrays.salience[:, idx] @ w
    return ideal, sal


def bloc_range(sc: Scenario, bloc_id: str, arrays: ScenarioArrays) -> tuple[np.ndarray, np.ndarray]:
    """What a bloc can accept per issue, (m,) lo and hi (``lo > hi`` where nothing).

    ``consensus``: the intersection of the members' ranges (and the bloc's own red
    line). ``majority`` and ``qualified_majority``: the span of positions that members
    holding more than half (two thirds) of the bloc's capability accept, intersected
    with the bloc's own red line.
    """
    bloc = sc.blocs[bloc_id]
    idx = [arrays.actor_ids.index(a) for a in bloc.members]
    m = len(arrays.issue_ids)
    lo, hi = np.empty(m), np.empty(m)
    for k, iid in enumerate(arrays.issue_ids):
        mlo, mhi = arrays.red_lo[k, idx], arrays.red_hi[k, idx]
        if bloc.rule == "consensus":
            lo[k], hi[k] = mlo.max(), mhi.min()
        else:
            w = arrays.capability[idx] / arrays.capability[idx].sum()
            need = 0.5 if bloc.rule == "majority" else QUALIFIED
            points = np.unique(np.concatenate([mlo, mhi]))
            cover = np.array([w[(mlo <= x) & (x <= mhi)].sum() for x in points])
            ok = points[cover > need] if bloc.rule == "majority" else points[cover >= need]
            lo[k], hi[k] = (ok.min(), ok.max()) if ok.size else (np.inf, -np.inf)
        own = bloc.red_line.get(iid)
        if own is not None:
            lo[k], hi[k] = max(lo[k], own[0]), min(hi[k], own[1])
    return lo, hi


def party_arrays(sc: Scenario, ids, arrays: ScenarioArrays):
    """Ideal points, saliences, acceptable ranges (P, m) and capabilities (P,) of ``ids``."""
    m = len(arrays.issue_ids)
    P = len(ids)
    ideal, sal = np.empty((P, m)), np.empty((P, m))
    lo, hi, cap = np.empty((P, m)), np.empty((P, m)), np.empty(P)
    for r, pid in enumerate(ids):
        if pid in sc.actors:
            i = arrays.actor_ids.index(pid)
            ideal[r], sal[r] = arrays.position[:, i], arrays.salience[:, i]
            lo[r], hi[r] = arrays.red_lo[:, i], arrays.red_hi[:, i]
            cap[r] = arrays.capability[i]
        elif pid in sc.blocs:
            ideal[r], sal[r] = bloc_line(sc, pid, arrays)
            lo[r], hi[r] = bloc_range(sc, pid, arrays)
            idx = [arrays.actor_ids.index(a) for a in sc.blocs[pid].members]
            cap[r] = arrays.capability[idx].sum()
        else:
            raise ValueError(f"unknown party {pid!r}; expected an actor or a bloc")
    return ideal, sal, lo, hi, cap


def status_quo_points(arrays: ScenarioArrays, ideal: np.ndarray) -> np.ndarray:
    """(P, m): the status quo, or on an issue without one each party's worst end."""
    sq = np.array(arrays.status_quo, dtype=np.float64)
    worst = np.where(
        np.abs(ideal - arrays.scale_lo) >= np.abs(ideal - arrays.scale_hi),
        arrays.scale_lo,
        arrays.scale_hi,
    )
    return np.where(np.isnan(sq), worst, sq)


@dataclass(frozen=True)
class War:
    """The `[crisis]` war lottery resolved on a scenario (see the module docstring).

    Attributes
    ----------
    challenger, defender : str
    k_challenger, k_defender : float
        Each side's power: the lead's capability plus its supporters' committed shares.
    p : float
        Probability the challenger wins, ``K_C**g / (K_C**g + K_D**g)``.
    exponent : float
    cost_challenger, cost_defender : float
        Costs of war as shares of each side's stakes.
    contested : ndarray of int
        Indices of the contested issues.
    sides : Parties
        The challenger (row 0) and the defender (row 1), disagreement at the status quo.
    win_challenger, win_defender : ndarray (2, m)
        For each side, the outcome if the challenger wins and if the defender wins.
    """

    challenger: str
    defender: str
    k_challenger: float
    k_defender: float
    p: float
    exponent: float
    cost_challenger: float
    cost_defender: float
    contested: np.ndarray
    sides: Parties
    win_challenger: np.ndarray
    win_defender: np.ndarray

    def stakes(self) -> np.ndarray:
        """(2,) ``u_i(x^C) - u_i(x^D)`` for the challenger and the defender."""
        u = self.sides.utility
        return np.array(
            [u(self.win_challenger[i])[i] - u(self.win_defender[i])[i] for i in range(2)]
        )

    def values(self) -> np.ndarray:
        """(2,) the war lottery's value to the challenger and to the defender."""
        u = self.sides.utility
        uc = np.array([u(self.win_challenger[i])[i] for i in range(2)])
        ud = np.array([u(self.win_defender[i])[i] for i in range(2)])
        cost = np.array([self.cost_challenger, self.cost_defender])
        return self.p * uc + (1.0 - self.p) * ud - cost * np.abs(uc - ud)

    def share(self, x: np.ndarray) -> float:
        """The challenger's pie share of an outcome ``x`` (m,): 0 = losing the war, 1 = winning.

        Only the contested issues count; the others are held at the status quo.
        NaN when the challenger's stakes are zero.
        """
        point = self.sides.status_quo[0].copy()
        point[self.contested] = np.asarray(x, dtype=np.float64)[self.contested]
        u = self.sides.utility
        lose = u(self.win_defender[0])[0]
        win = u(self.win_challenger[0])[0]
        if win == lose:
            return float("nan")
        return float((u(point)[0] - lose) / (win - lose))

    def offer_point(self, share: float, base: np.ndarray | None = None) -> np.ndarray:
        """The outcome on the straight path from the defender's to the challenger's war
        outcome that gives the challenger the pie share ``share`` (m,)."""
        t = self.path_fraction(share)
        lo, hi = self.win_defender[0], self.win_challenger[0]
        point = (self.sides.status_quo[0] if base is None else np.asarray(base, float)).copy()
        point[self.contested] = (lo + t * (hi - lo))[self.contested]
        return point

    def path_fraction(self, share: float) -> float:
        """Fraction t of the path from the defender's outcome that gives ``share``."""
        s = min(max(float(share), 0.0), 1.0)
        if self.sides.gamma == 1.0:
            return s
        return 1.0 - (1.0 - s) ** (1.0 / self.sides.gamma)

    def share_of_fraction(self, t: float) -> float:
        t = min(max(float(t), 0.0), 1.0)
        return 1.0 - (1.0 - t) ** self.sides.gamma


def side_power(sc: Scenario, lead: str, supporters, arrays: ScenarioArrays) -> float:
    """A side's power: its lead's capability (a bloc's: its members' sum) plus the
    committed shares of its supporters' capabilities."""
    ids = arrays.actor_ids
    if lead in sc.blocs:
        total = float(sum(arrays.capability[ids.index(a)] for a in sc.blocs[lead].members))
    else:
        total = float(arrays.capability[ids.index(lead)])
    for aid, share in supporters.items():
        total += float(share) * float(arrays.capability[ids.index(aid)])
    return total


def war(
    sc: Scenario,
    arrays: ScenarioArrays | None = None,
    cost_challenger: float | None = None,
) -> War:
    """The scenario's war lottery (needs a `[crisis]` section)."""
    crisis = sc.crisis
    if crisis is None:
        raise ValueError(f"{sc.name}: the scenario has no [crisis] section")
    arrays = arrays if arrays is not None else sc.arrays()
    sides = _at_status_quo(sc, (crisis.challenger, crisis.defender), arrays)
    ideal, sq = sides.ideal, sides.status_quo
    contested = np.array([arrays.issue_ids.index(i) for i in crisis.contested], dtype=np.int64)
    win_c, win_d = sq.copy(), sq.copy()
    win_c[:, contested] = ideal[0, contested]
    win_d[:, contested] = ideal[1, contested]
    kc = side_power(sc, crisis.challenger, crisis.challenger_supporters, arrays)
    kd = side_power(sc, crisis.defender, crisis.supporters, arrays)
    cc = crisis.cost[crisis.challenger] if cost_challenger is None else float(cost_challenger)
    return War(
        challenger=crisis.challenger,
        defender=crisis.defender,
        k_challenger=kc,
        k_defender=kd,
        p=win_probability(kc, kd, crisis.exponent),
        exponent=float(crisis.exponent),
        cost_challenger=float(cc),
        cost_defender=float(crisis.cost[crisis.defender]),
        contested=contested,
        sides=sides,
        win_challenger=win_c,
        win_defender=win_d,
    )


def _discounts(sc: Scenario, ids) -> np.ndarray:
    spec = sc.payoffs.discount
    if isinstance(spec, dict):
        return np.array([float(spec.get(p, 1.0)) for p in ids])
    return np.full(len(ids), float(spec))


def default_parties(sc: Scenario, model: str) -> tuple[str, ...]:
    """`[bargaining] parties`, or every actor for the Nash solution; the crisis sides
    (else the first two actors) for alternating offers."""
    given = sc.bargaining.parties
    if model == "alternating":
        if given:
            return tuple(given[:2])
        if sc.crisis is not None:
            return (sc.crisis.challenger, sc.crisis.defender)
        return tuple(sc.actors)[:2]
    return tuple(given) if given else tuple(sc.actors)


def parties(sc: Scenario, ids=None, arrays: ScenarioArrays | None = None, model="nbs") -> Parties:
    """Resolve actor or bloc ids into :class:`Parties` (see the module docstring)."""
    arrays = arrays if arrays is not None else sc.arrays()
    if ids is not None and (isinstance(ids, str) or not hasattr(ids, "__iter__")):
        raise ValueError(f"parties: expected a list of actor or bloc ids, got {ids!r}")
    ids = tuple(ids) if ids else default_parties(sc, model)
    owners: dict[str, str] = {}
    for pid in ids:
        if pid not in sc.actors and pid not in sc.blocs:
            raise ValueError(f"unknown party {pid!r}; expected an actor or a bloc")
        for a in sc.blocs[pid].members if pid in sc.blocs else (pid,):
            if a in owners:
                raise ValueError(
                    f"actor {a!r} counts in both {owners[a]} and {pid}; "
                    "no capability may be counted twice"
                )
            owners[a] = pid
    if len(set(ids)) != len(ids) or len(ids) < 2:
        raise ValueError(f"expected at least two different parties, got {', '.join(ids)}")
    base = _at_status_quo(sc, ids, arrays)
    d = base.disagreement.copy()
    outside = ["status_quo"] * len(ids)
    options = sc.payoffs.outside_option
    w = None
    for i, pid in enumerate(ids):
        value = options.get(pid)
        if value is None:
            continue
        if value == "war":
            if w is None:
                w = war(sc, arrays)
            side = 0 if pid == w.challenger else 1
            d[i] = w.values()[side]
            outside[i] = "war"
        else:
            d[i] = float(value)
            outside[i] = "given"
    return dataclasses.replace(base, disagreement=d, outside=tuple(outside))


def _at_status_quo(sc: Scenario, ids, arrays: ScenarioArrays) -> Parties:
    """``ids`` as `Parties` whose disagreement value is the status quo's utility."""
    ideal, sal, lo, hi, cap = party_arrays(sc, ids, arrays)
    sq = status_quo_points(arrays, ideal)
    gamma = sc.payoffs.gamma
    width = arrays.width
    # each party's utility of its own status quo point: the diagonal
    d = np.diagonal(utilities(sq, ideal, sal, width, gamma)).copy()
    return Parties(
        ids=tuple(ids),
        issue_ids=arrays.issue_ids,
        ideal=ideal,
        salience=sal,
        lo=lo,
        hi=hi,
        capability=cap,
        discount=_discounts(sc, ids),
        status_quo=sq,
        disagreement=d,
        outside=("status_quo",) * len(ids),
        width=width,
        gamma=gamma,
    )
