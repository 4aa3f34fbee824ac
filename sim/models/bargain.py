"""Bargaining on a scenario: Nash bargaining and alternating offers between parties.

Each function takes a :class:`~sim.scenario.Scenario` (and optionally its arrays,
perturbed for an ensemble run) and returns plain records: what `summary.json`
holds, plus the rows of the round-by-round files. The numerics live in
:mod:`sim.models.nash_solution`, :mod:`sim.models.contract`, :mod:`sim.kernels.bargaining`
and :mod:`sim.models.fearon`; the parties and the war lottery in
:mod:`sim.models.parties`. The models built on them are :mod:`sim.models.nbs`,
:mod:`sim.models.alternating` and :mod:`sim.models.crisis`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.kernels.bargaining import alternating_offers_first
from sim.models.contract import contract_curve, position_at, share_bounds
from sim.models.nash_solution import nash_bargaining
from sim.models.parties import Parties, parties
from sim.scenario import Scenario, ScenarioArrays
from sim.scenario.schema import STRATEGY_PRESETS, Strategy, strategy_of

if TYPE_CHECKING:
    import pandas as pd

STRATEGY_CODES = {"hard_line": 0, "time_based": 1, "tit_for_tat": 2}


def _num(x: float) -> float | None:
    """A float for JSON: None for NaN or infinity."""
    x = float(x)
    return x if math.isfinite(x) else None


# ---- zone of agreement ---------------------------------------------------------------
def zone_of_agreement(pt: Parties) -> dict:
    """Per issue, the positions every party can accept and, where there are none, who
    empties the range: ``{issue: {"lo", "hi", "empty", "parties"}}``.

    ``parties`` lists the parties whose range misses another party's (or who can
    accept nothing on the issue).
    """
    out = {}
    for k, iid in enumerate(pt.issue_ids):
        lo, hi = pt.lo[:, k], pt.hi[:, k]
        zlo, zhi = float(lo.max()), float(hi.min())
        empty = not zlo <= zhi
        who: list[str] = []
        if empty:
            clash = (lo[:, None] > hi[None, :]) | (hi[:, None] < lo[None, :]) | (lo > hi)[:, None]
            who = [pt.ids[i] for i in np.nonzero(clash.any(axis=1))[0]]
        out[iid] = {
            "lo": None if empty else zlo,
            "hi": None if empty else zhi,
            "empty": empty,
            "parties": who,
        }
    return out


def _agreement(pt: Parties, reached: bool, outcome=None) -> dict:
    if not reached:
        return {"reached": False, "outcome": None, "utilities": None}
    u = pt.utility(outcome)
    return {
        "reached": True,
        "outcome": {iid: float(outcome[k]) for k, iid in enumerate(pt.issue_ids)},
        "utilities": {pid: float(u[i]) for i, pid in enumerate(pt.ids)},
    }


# ---- Nash bargaining ------------------------------------------------------------------
def nash(
    sc: Scenario,
    ids=None,
    weights: str | None = None,
    arrays: ScenarioArrays | None = None,
) -> dict:
    """The Nash bargaining solution among ``ids`` (default: `[bargaining] parties` or every
    actor), restricted to every party's acceptable range.

    Returns a record with ``parties``, ``weights``, ``zone_of_agreement``,
    ``agreement`` (``reached``, ``outcome``, ``utilities``), ``disagreement``,
    and, when no agreement exists, ``reason``, ``blocking`` and ``message``.
    """
    weights = weights or sc.bargaining.weights
    if weights not in ("equal", "capability"):
        raise ValueError(f"weights: expected 'equal' or 'capability', got {weights!r}")
    pt = parties(sc, ids, arrays, "nbs")
    zone = zone_of_agreement(pt)
    a = pt.capability / pt.capability.sum() if weights == "capability" else None
    record = {
        "parties": list(pt.ids),
        "weights": weights,
        "bargaining_weights": {
            pid: float(w)
            for pid, w in zip(
                pt.ids, a if a is not None else np.full(len(pt), 1 / len(pt)), strict=True
            )
        },
        "zone_of_agreement": zone,
        "disagreement": {pid: float(d) for pid, d in zip(pt.ids, pt.disagreement, strict=True)},
        "outside_option": dict(zip(pt.ids, pt.outside, strict=True)),
    }
    empty = [iid for iid, z in zone.items() if z["empty"]]
    if empty:
        blocking = [{"party": p, "issue": iid} for iid in empty for p in zone[iid]["parties"]]
        parts = [f"{iid} ({', '.join(zone[iid]['parties'])})" for iid in empty]
        record.update(
            agreement=_agreement(pt, False),
            reason="red_lines",
            blocking=blocking,
            message="no zone of agreement: red lines do not overlap on " + "; ".join(parts),
        )
        return record
    res = nash_bargaining(
        pt.ideal, pt.salience, pt.width, pt.lo, pt.hi, pt.disagreement, a, pt.gamma
    )
    if not res["reached"]:
        blocking = [
            {"party": pt.ids[i], "issue": None if k is None else pt.issue_ids[k]}
            for i, k in res["blocking"]
        ]
        who = sorted({b["party"] for b in blocking}, key=pt.ids.index)
        why = (
            "cannot get more than their disagreement value anywhere inside the red lines"
            if "anywhere" in res["message"]
            else "have disagreement values that no common point inside the red lines beats"
        )
        record.update(
            agreement=_agreement(pt, False),
            reason=res["reason"],
            blocking=blocking,
            message=f"no zone of agreement: {', '.join(who)} {why}",
        )
        return record
    record.update(agreement=_agreement(pt, True, res["outcome"]), converged=res["converged"])
    return record


# ---- alternating offers ---------------------------------------------------------------
def strategies_for(sc: Scenario, ids, given: dict | None = None) -> dict[str, Strategy]:
    """Each party's strategy: ``given`` (name or `Strategy`), else the scenario's, else linear."""

    given = given or {}
    if not isinstance(given, dict):
        raise ValueError(f"strategies: expected a dict of party id to strategy, got {given!r}")
    for pid in given:
        if pid not in ids:
            raise ValueError(
                f"strategies: {pid!r} is not a bargaining party; expected one of {', '.join(ids)}"
            )
    out = {}
    for pid in ids:
        spec = given.get(pid, sc.bargaining.strategies.get(pid, "linear"))
        if not isinstance(spec, Strategy) and spec not in STRATEGY_PRESETS:
            raise ValueError(
                f"strategies[{pid!r}]: expected one of {', '.join(STRATEGY_PRESETS)} or a "
                f"Strategy, got {spec!r}"
            )
        out[pid] = strategy_of(spec)
    return out


def _reservation(u_end_lo, u_end_hi, d) -> float:
    """A party's share at which its utility equals its disagreement value ``d``."""
    span = u_end_hi - u_end_lo
    if span <= 0:
        return 0.0 if d < u_end_hi else math.inf
    return max(0.0, (d - u_end_lo) / span)


@dataclass(frozen=True)
class Haggle:
    """Everything alternating offers needs, resolved from a scenario (see :func:`haggle`)."""

    parties: Parties
    curve: object
    strategies: dict
    first: str
    deadline: int
    res_disagreement: list
    res_red_lines: list

    @property
    def reservation(self) -> list[float]:
        """Each party's reservation share: what its disagreement value and red lines need."""
        return [max(self.res_disagreement[i], self.res_red_lines[i]) for i in range(2)]

    @property
    def kernel_reservation(self) -> list[float]:
        # any reservation above 1 means the same to the kernel: nothing acceptable
        return [min(r, 2.0) for r in self.reservation]


def haggle(
    sc: Scenario,
    ids=None,
    strategies: dict | None = None,
    first: str | None = None,
    deadline: int | None = None,
    arrays: ScenarioArrays | None = None,
    points: int = 201,
) -> Haggle:
    """Resolve two parties, their contract curve, strategies and reservation shares."""

    pt = parties(sc, ids, arrays, "alternating")
    if len(pt) != 2:
        raise ValueError(f"alternating offers takes two parties, got {len(pt)}: {pt.ids}")
    A, B = pt.ids
    first = first or sc.bargaining.first or A
    if first not in pt.ids:
        raise ValueError(f"first: expected {A} or {B}, got {first!r}")
    deadline = int(deadline if deadline is not None else sc.bargaining.deadline)
    strat = strategies_for(sc, pt.ids, strategies)
    curve = contract_curve(
        pt.ideal[0], pt.ideal[1], pt.salience[0], pt.salience[1], pt.width, pt.gamma, points
    )
    res_u = [
        _reservation(curve.u_a[0], curve.u_a[-1], pt.disagreement[0]),
        _reservation(curve.u_b[-1], curve.u_b[0], pt.disagreement[1]),
    ]
    res_red = [
        share_bounds(curve, pt.lo[0], pt.hi[0], "a") if pt.feasible()[0] else math.inf,
        share_bounds(curve, pt.lo[1], pt.hi[1], "b") if pt.feasible()[1] else math.inf,
    ]
    return Haggle(pt, curve, strat, first, deadline, res_u, res_red)


def alternating(
    sc: Scenario,
    ids=None,
    strategies: dict | None = None,
    first: str | None = None,
    deadline: int | None = None,
    arrays: ScenarioArrays | None = None,
    points: int = 201,
    table: bool = True,
) -> tuple[dict, pd.DataFrame | None]:
    """Alternating offers between two parties along their contract curve.

    The parties haggle over their Pareto frontier (:func:`sim.models.contract.contract_curve`),
    each demand a share of its own utility range on it (0 at the other's best point,
    1 at its own). A party's reservation share is the larger of what its disagreement
    value needs and what its red lines allow (it never proposes or accepts a point
    outside them). The proposer alternates from ``first``; the kernel
    :func:`sim.kernels.bargaining.alternating_offers_first` runs the rounds.

    Returns the summary record (``parties``, ``strategies``, ``agreement``, ``round``,
    ``reservation``, ...) and a table with one row per round: ``round, proposer,
    value_a, value_b`` (the offer's shares), ``utility.<party>`` (its utility),
    ``discounted.<party>``, ``accepted`` and the offer's position on each issue.
    """
    import pandas as pd  # only here: the models import without pandas (fast start-up)

    h = haggle(sc, ids, strategies, first, deadline, arrays, points)
    pt, curve, strat, first, deadline = h.parties, h.curve, h.strategies, h.first, h.deadline
    A, B = pt.ids
    res_u, res_red, reservation = h.res_disagreement, h.res_red_lines, h.reservation
    kernel_res = h.kernel_reservation
    offers = np.empty(deadline)
    offers_b = np.empty(deadline)
    accepted = np.zeros(deadline, dtype=np.bool_)
    sa, sb = strat[A], strat[B]
    rnd, share_a = alternating_offers_first(
        0 if first == A else 1,
        STRATEGY_CODES[sa.kind],
        float(sa.param),
        STRATEGY_CODES[sb.kind],
        float(sb.param),
        float(pt.discount[0]),
        float(pt.discount[1]),
        float(kernel_res[0]),
        float(kernel_res[1]),
        np.ascontiguousarray(curve.share_a),
        np.ascontiguousarray(curve.share_b),
        deadline,
        offers,
        offers_b,
        accepted,
    )
    used = deadline if rnd < 0 else int(rnd) + 1
    rows = []
    for t in range(used if table else 0):
        # a party that can accept nothing demands more than the frontier holds; its
        # offer is then the frontier's end
        s_a = min(max(float(offers[t]), 0.0), 1.0) if not np.isnan(offers[t]) else 1.0
        x = position_at(curve, s_a)
        u = pt.utility(x)
        s_b = float(np.interp(s_a, curve.share_a, curve.share_b))
        row = {
            "round": t,
            "proposer": A if (t + (0 if first == A else 1)) % 2 == 0 else B,
            "value_a": s_a,
            "value_b": s_b,
            f"utility.{A}": float(u[0]),
            f"utility.{B}": float(u[1]),
            f"discounted.{A}": float(pt.discount[0] ** t * s_a),
            f"discounted.{B}": float(pt.discount[1] ** t * s_b),
            "accepted": bool(accepted[t]),
        }
        for k, iid in enumerate(pt.issue_ids):
            row[f"position.{iid}"] = float(x[k])
        rows.append(row)
    frame = pd.DataFrame(rows) if table else None
    reached = rnd >= 0
    outcome = position_at(curve, float(share_a)) if reached else None
    # is there any point on the frontier both can accept?
    fb = np.interp(min(reservation[0], 1.0), curve.share_a, curve.share_b)
    zone = bool(reservation[0] <= 1.0 and reservation[1] <= 1.0 and fb >= reservation[1])
    record = {
        "parties": [A, B],
        "first": first,
        "deadline": deadline,
        "strategies": {
            pid: {"kind": s.kind, "exponent" if s.kind == "time_based" else "factor": s.param}
            for pid, s in strat.items()
        },
        "discount": {A: float(pt.discount[0]), B: float(pt.discount[1])},
        "disagreement": {A: float(pt.disagreement[0]), B: float(pt.disagreement[1])},
        "outside_option": dict(zip(pt.ids, pt.outside, strict=True)),
        "reservation": {A: _num(reservation[0]), B: _num(reservation[1])},
        "reservation_from": {
            pid: ("red_lines" if res_red[i] > res_u[i] else "disagreement")
            for i, pid in enumerate(pt.ids)
        },
        "zone": zone,
        "agreement": _agreement(pt, reached, outcome),
        "round": int(rnd) if reached else None,
        "share": {A: _num(share_a), B: _num(offers_b[rnd]) if reached else None},
        "rounds_played": used,
    }
    if not reached:
        record["message"] = (
            f"breakdown at the deadline after {deadline} rounds"
            if zone
            else "breakdown: no zone of agreement: no point on the frontier is acceptable to both "
            f"({', '.join(p for i, p in enumerate(pt.ids) if res_red[i] >= res_u[i] and res_red[i] > 0) or 'disagreement values'} "
            "bound by red lines)"
        )
    return record, frame


# ---- the bargaining models' shared interface ------------------------------------------
@dataclass(frozen=True)
class Bargain:
    """One run of a bargaining model: its record (what ``summary.json`` reports), the
    crisis layer (how the scenario's `[crisis]` war compares with the outcome, None
    without one) and, for alternating offers, one row per round."""

    record: dict
    crisis: dict | None = None
    rounds: pd.DataFrame | None = None


def party_ids(sc: Scenario, text: str | None, exactly: int | None = None) -> list[str] | None:
    """``A,B,...`` as a list of actor or bloc ids (None when not given); a ValueError
    names the id that is not one, or the count that is wrong."""
    if text is None:
        return None
    ids = [p.strip() for p in text.split(",") if p.strip()] if isinstance(text, str) else list(text)
    known = list(sc.actors) + list(sc.blocs)
    for pid in ids:
        if pid not in known:
            raise ValueError(
                f"--parties {text}: unknown actor or bloc {pid!r}; expected ids from: "
                f"{', '.join(known)}"
            )
    if len(set(ids)) != len(ids) or len(ids) < 2:
        raise ValueError(f"--parties {text}: expected at least two different ids")
    if exactly is not None and len(ids) != exactly:
        raise ValueError(f"--parties {text}: alternating offers takes exactly two")
    return ids


def strategy_map(items) -> dict:
    """``PARTY=NAME`` items (NAME a preset, ``time_based:EXPONENT`` or
    ``tit_for_tat:FACTOR``) as ``{party: name or Strategy}``; a ValueError names a bad one."""
    if isinstance(items, dict):
        return dict(items)
    out = {}
    presets = ", ".join(STRATEGY_PRESETS)
    for item in items or ():
        pid, sep, spec = item.partition("=")
        name, _, param = spec.partition(":")
        pid, name, param = pid.strip(), name.strip(), param.strip()
        if not sep or not pid or not name:
            raise ValueError(f"--strategy {item}: expected PARTY=NAME, NAME one of: {presets}")
        if pid in out:
            raise ValueError(f"--strategy {item}: {pid} is given more than once; expected one each")
        if not param:
            if name not in STRATEGY_PRESETS:
                raise ValueError(
                    f"--strategy {item}: unknown strategy {name!r}; expected one of: {presets}, "
                    "time_based:EXPONENT, tit_for_tat:FACTOR"
                )
            out[pid] = name
            continue
        try:
            value = float(param)
        except ValueError:
            value = math.nan
        if name == "time_based" and math.isfinite(value) and value > 0:
            out[pid] = Strategy(kind="time_based", exponent=value)
        elif name == "tit_for_tat" and math.isfinite(value) and 0 <= value <= 10:
            out[pid] = Strategy(kind="tit_for_tat", factor=value)
        else:
            raise ValueError(
                f"--strategy {item}: expected time_based:EXPONENT with EXPONENT > 0 "
                "or tit_for_tat:FACTOR with FACTOR in [0, 10]"
            )
    return out


def check_strategies(who, strategies: dict, first: str | None) -> None:
    """Strategies are given for parties only, and ``first`` is one of them."""
    for pid in strategies:
        if pid not in who:
            raise ValueError(
                f"--strategy {pid}=...: {pid!r} is not a party (not a bargaining party); "
                f"expected one of: "
                f"{', '.join(who)}"
            )
    if first is not None and first not in who:
        raise ValueError(f"--first {first}: expected one of the parties: {', '.join(who)}")


def crisis_lines(cr: dict) -> list[str]:
    """The crisis layer on the terminal: sides, ``p``, range, war or not, Fearon's offer."""
    c, d = cr["challenger"], cr["defender"]
    lo, hi = cr["bargaining_range"]
    lines = [
        f"crisis: {c} against {d}; P({c} wins) = {cr['p']:.3f}; "
        f"bargaining range [{lo:.3f}, {hi:.3f}] ({c}'s share)"
    ]
    neg = cr["negotiation"]
    what = "the negotiated outcome" if neg["reached"] else "the status quo (no agreement)"
    share = "n/a" if neg["share"] is None else f"{neg['share']:.3f}"
    lines.append(
        f"  war is worth {cr['war_value_share'][c]:.3f} to {c}; {what} ({neg['model']}) "
        f"{share}: {'war' if cr['war'] else 'no war'}"
    )
    f = cr.get("fearon")
    if f is not None:
        lines.append(
            f"  {d}'s optimal offer with {c}'s cost private on [{f['cost_range'][0]:g}, "
            f"{f['cost_range'][1]:g}]: {f['offer']:.3f}, P(war) = {f['p_war']:.3f}"
        )
        b = f["with_red_lines"]
        offer = (
            "no offer both sides' red lines allow"
            if b["offer"] is None
            else (f"offer {b['offer']:.3f}")
        )
        lines.append(f"  within the red lines: {offer}, P(war) = {b['p_war']:.3f}")
    return lines
