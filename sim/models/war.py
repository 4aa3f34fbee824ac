"""Crisis bargaining on a scenario: force as the outside option (DESIGN.md 5.5).

:func:`crisis` puts the scenario's ``[crisis]`` war lottery
(:func:`sim.models.parties.war`) beside Fearon's closed forms
(:mod:`sim.models.fearon`), the offers the red lines allow, and the outcome of a
negotiation (:mod:`sim.models.bargain`); :func:`defender_offer` is also what each
run of a crisis ensemble decides with.
"""

from __future__ import annotations

import math

import numpy as np

from sim.models.bargain import alternating, nash
from sim.models.fearon import bargaining_range, fearon_optimal_offer
from sim.models.parties import War, party_arrays, war
from sim.scenario import Scenario, ScenarioArrays


def _num(x: float) -> float | None:
    """A float for JSON: None for NaN or infinity."""
    x = float(x)
    return x if math.isfinite(x) else None


# ---- crisis -------------------------------------------------------------------------------
def _offer_interval(w: War, sc: Scenario, arrays: ScenarioArrays, who) -> tuple[float, float]:
    """Fractions t in [0, 1] of the path from the defender's war outcome to the
    challenger's that lie inside every listed party's acceptable range."""
    lo_t, hi_t = 0.0, 1.0
    if not who:
        return lo_t, hi_t
    _, _, lo, hi, _ = party_arrays(sc, tuple(who), arrays)
    a, b = w.win_defender[0], w.win_challenger[0]
    for k in w.contested:
        d = b[k] - a[k]
        for i in range(lo.shape[0]):
            rlo, rhi = lo[i, k], hi[i, k]
            if rlo > rhi:
                return 1.0, 0.0
            if d == 0:
                if not rlo <= a[k] <= rhi:
                    return 1.0, 0.0
                continue
            t1, t2 = (rlo - a[k]) / d, (rhi - a[k]) / d
            lo_t, hi_t = max(lo_t, min(t1, t2)), min(hi_t, max(t1, t2))
    return lo_t, hi_t


def defender_offer(
    w: War,
    cost_range,
    feasible: tuple[float, float] = (0.0, 1.0),
    accept_min: float = 0.0,
    fallback: float = -math.inf,
) -> dict:
    """The defender's best offer (the challenger's pie share) and the probability of war.

    ``feasible`` is the interval of shares the defender side's red lines allow it to
    offer; ``accept_min`` the least share the challenger's red lines let it accept;
    ``fallback`` the challenger's share of what stands without a deal (the status
    quo). The challenger's cost ``c_C`` is uniform on ``cost_range = (a, b)`` as the
    defender sees it (known, ``w.cost_challenger``, when ``cost_range`` is None). The
    defender offers the ``x`` in ``feasible`` that maximises Fearon's
    ``F(x) (1 - x) + (1 - F(x)) (1 - p - c_D)``, ``F(x) = P(x >= p - c_C)``, preferring
    peace on ties; with nothing binding this is
    :func:`sim.models.fearon.fearon_optimal_offer`. If no feasible offer is one the
    challenger may accept, or when offering none and letting the fallback stand
    (at the risk of war) is worth more to the defender, ``offer`` is None. War comes
    when the war is worth more to the challenger than both the offer it may accept
    and the fallback: ``P(war) = P(p - c_C > max(x, fallback))``.
    """
    p, cd = w.p, w.cost_defender
    lo, hi = max(0.0, feasible[0], accept_min), min(1.0, feasible[1])
    W = 1.0 - p - cd
    if cost_range is None:
        a = b = w.cost_challenger
    else:
        a, b = float(cost_range[0]), float(cost_range[1])

    def fight(v):
        """P(p - c_C > v)."""
        if b == a:
            return 1.0 if p - a > v else 0.0
        return float(np.clip((p - v - a) / (b - a), 0.0, 1.0))

    def value(x):
        f = 1.0 - fight(x) if b > a else (1.0 if x >= p - a else 0.0)
        return f * (1.0 - x) + (1.0 - f) * W

    def keep():
        """No acceptable offer: the status quo stands unless the challenger fights."""
        f = fight(fallback)
        return (1.0 - f) * (1.0 - fallback) + f * W

    unconstrained = p - a if b == a else p + min(0.5 * (cd - b), -a)
    if lo > hi:
        return {
            "offer": None,
            "p_war": fight(fallback),
            "constrained": True,
            "unconstrained_offer": float(min(max(unconstrained, 0.0), 1.0)),
        }
    cands = sorted({min(max(unconstrained, lo), hi), lo, hi}, reverse=True)
    best = max(cands, key=lambda x: round(value(x), 12))
    if math.isfinite(fallback) and round(keep(), 12) > round(value(best), 12):
        # offering nothing the challenger may accept, and risking war, is worth more
        return {
            "offer": None,
            "p_war": fight(fallback),
            "constrained": True,
            "unconstrained_offer": float(min(max(unconstrained, 0.0), 1.0)),
        }
    return {
        "offer": float(best),
        "p_war": fight(max(best, fallback)),
        "constrained": bool(not lo <= unconstrained <= hi),
        "unconstrained_offer": float(min(max(unconstrained, 0.0), 1.0)),
    }


def offer_limits(w: War, sc: Scenario, arrays: ScenarioArrays) -> tuple[tuple[float, float], float]:
    """What the red lines allow: the shares the defender's side may offer (an interval,
    empty when lo > hi) and the least share the challenger may accept."""
    cr = sc.crisis
    t_def = _offer_interval(w, sc, arrays, (w.defender, *cr.supporters))
    t_ch = _offer_interval(w, sc, arrays, (w.challenger, *cr.challenger_supporters))
    feasible = (
        (w.share_of_fraction(t_def[0]), w.share_of_fraction(t_def[1]))
        if t_def[0] <= t_def[1]
        else (1.0, 0.0)
    )
    accept_min = w.share_of_fraction(t_ch[0]) if t_ch[0] <= t_ch[1] else math.inf
    return feasible, accept_min


def crisis(
    sc: Scenario,
    negotiation: str | None = None,
    arrays: ScenarioArrays | None = None,
    cost_challenger: float | None = None,
    negotiated: dict | None = None,
) -> dict:
    """Crisis bargaining with force as the outside option, on the scenario's `[crisis]`.

    Reports the sides' power and ``p``; the war lottery's value to each side; the
    bargaining range ``[p - c_C, p + c_D]`` on the challenger's pie; the defender's
    optimal offer when the challenger's cost is private (``cost_range``), with and
    without the red lines of the defender's side and the challenger; and the
    comparison with the negotiated outcome of ``negotiation`` (``nbs``,
    ``alternating`` or ``status_quo``): the challenger fights when the war is worth
    more to it than that outcome.
    """

    cr = sc.crisis
    if cr is None:
        raise ValueError(f"{sc.name}: the scenario has no [crisis] section")
    arrays = arrays if arrays is not None else sc.arrays()
    negotiation = negotiation or cr.negotiation
    w = war(sc, arrays, cost_challenger)
    values = w.values()
    rng = bargaining_range(w.p, w.cost_challenger, w.cost_defender)
    # what the negotiation gives
    if negotiated is None:
        if negotiation == "nbs":
            negotiated = nash(sc, arrays=arrays)
        elif negotiation == "alternating":
            negotiated, _ = alternating(sc, (w.challenger, w.defender), arrays=arrays)
        elif negotiation != "status_quo":
            raise ValueError(
                f"negotiation: expected nbs, alternating or status_quo, got {negotiation!r}"
            )
    agreement = negotiated["agreement"] if negotiated is not None else {"reached": False}
    if agreement["reached"]:
        point = np.array([agreement["outcome"][i] for i in arrays.issue_ids])
    else:
        point = w.sides.status_quo[0]
    share = w.share(point)
    sq_share = w.share(w.sides.status_quo[0])
    war_value = w.p - w.cost_challenger
    fights = bool(math.isfinite(share) and war_value > max(share, sq_share))
    feasible, accept_min = offer_limits(w, sc, arrays)
    fearon = None
    if cr.cost_range is not None:
        a, b = cr.cost_range
        free = fearon_optimal_offer(w.p, w.cost_defender, a, b)
        bound = defender_offer(w, cr.cost_range, feasible, accept_min, sq_share)
        fearon = {
            "cost_range": [float(a), float(b)],
            "offer": free["offer"],
            "offer_position": _positions(w, free["offer"], arrays),
            "p_war": free["p_war"],
            "with_red_lines": {
                "offer": bound["offer"],
                "offer_position": None
                if bound["offer"] is None
                else _positions(w, bound["offer"], arrays),
                "p_war": bound["p_war"],
                "constrained": bound["constrained"],
            },
        }
    record = {
        "challenger": w.challenger,
        "defender": w.defender,
        "supporters": dict(cr.supporters),
        "challenger_supporters": dict(cr.challenger_supporters),
        "contested": list(cr.contested),
        "power": {w.challenger: w.k_challenger, w.defender: w.k_defender},
        "exponent": w.exponent,
        "p": w.p,
        "cost": {w.challenger: w.cost_challenger, w.defender: w.cost_defender},
        "war_value": {w.challenger: float(values[0]), w.defender: float(values[1])},
        "war_value_share": {w.challenger: war_value, w.defender: 1.0 - w.p - w.cost_defender},
        "bargaining_range": [rng[0], rng[1]],
        "offers_allowed": {
            "defender_side": [feasible[0], feasible[1]] if feasible[0] <= feasible[1] else None,
            "challenger_accepts_from": _num(accept_min),
        },
        "negotiation": {
            "model": negotiation,
            "reached": bool(agreement["reached"]),
            "outcome": {iid: float(point[k]) for k, iid in enumerate(arrays.issue_ids)},
            "share": _num(share),
            "status_quo_share": _num(sq_share),
            "war": fights,
        },
        "fearon": fearon,
        "war": fights,
    }
    return record


def _positions(w: War, share: float, arrays: ScenarioArrays) -> dict:
    x = w.offer_point(share)
    return {arrays.issue_ids[k]: float(x[k]) for k in w.contested}
