"""The bargaining models on scenarios (sim.models.bargain, sim.models.parties).

Small scenarios are built here as plain dicts and validated as a file would be. The
expected values come from closed forms worked by hand in the comments (the log
Nash product on a segment, the documented rules of alternating offers, Fearon's
offer under a uniform private cost), from invariants (relabelling, probabilities in
[0, 1], seeds) and from the definitions in the module docstrings, not from the
code's output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.models.bargain import alternating, nash
from sim.models.fearon import fearon_optimal_offer, win_probability
from sim.models.parties import parties, war
from sim.models.war import crisis
from sim.scenario import validate_raw

# ---- building scenarios ------------------------------------------------------------------


def issue(iid: str, status_quo: float | None = None, scale=(0.0, 100.0)) -> dict:
    out = {"id": iid, "scale": [float(scale[0]), float(scale[1])]}
    if status_quo is not None:
        out["status_quo"] = float(status_quo)
    return out


def actor(capability: float, position: dict, salience: dict, red_line: dict | None = None):
    out = {
        "capability": float(capability),
        "position": {k: float(v) for k, v in position.items()},
        "salience": {k: float(v) for k, v in salience.items()},
    }
    if red_line:
        out["red_line"] = {k: [float(a), float(b)] for k, (a, b) in red_line.items()}
    return out


def build(issues, actors, **sections):
    raw = {"scenario": {"name": "bargaining test"}, "issues": list(issues), "actors": actors}
    raw.update({k: v for k, v in sections.items() if v is not None})
    return validate_raw(raw, "test.toml")


def one_issue(cap_a=1.0, cap_b=1.0, red_a=None, red_b=None, **sections):
    """ALPHA at 0 and BRAVO at 100 on one issue ``border`` without a status quo.

    Each party's disagreement value is then its utility at its worst end of the
    scale: 0 for both. With linear utility ``u_ALPHA = 1 - s``, ``u_BRAVO = s`` for
    ``s = x / 100``: the contract curve is the whole pie.
    """
    return build(
        [issue("border")],
        {
            "ALPHA": actor(
                cap_a, {"border": 0}, {"border": 1}, {"border": red_a} if red_a else None
            ),
            "BRAVO": actor(
                cap_b, {"border": 100}, {"border": 1}, {"border": red_b} if red_b else None
            ),
        },
        **sections,
    )


# ---- 1. Nash bargaining: symmetric and asymmetric -----------------------------------------


@pytest.mark.parametrize("utility", ["linear", "quadratic"])
def test_symmetric_nash_of_mirror_parties_on_one_issue_is_the_midpoint(utility):
    sc = one_issue(payoffs={"utility": utility})
    rec = nash(sc)
    assert rec["agreement"]["reached"]
    assert rec["agreement"]["outcome"]["border"] == pytest.approx(50.0, abs=1e-6)
    u = rec["agreement"]["utilities"]
    assert u["ALPHA"] == pytest.approx(u["BRAVO"], abs=1e-9)


def test_symmetric_nash_of_mirror_parties_on_two_issues_is_the_midpoint():
    # Reflected ideals, the same saliences: with quadratic losses the Nash product
    # (1 - .8 s^2 - .2 t^2)(1 - .8 (1-s)^2 - .2 (1-t)^2) is maximised at s = t = 1/2 only.
    sal = {"x": 0.8, "y": 0.2}
    sc = build(
        [issue("x"), issue("y")],
        {
            "ALPHA": actor(1, {"x": 0, "y": 0}, sal),
            "BRAVO": actor(1, {"x": 100, "y": 100}, sal),
        },
        payoffs={"utility": "quadratic"},
    )
    out = nash(sc)["agreement"]["outcome"]
    assert out["x"] == pytest.approx(50.0, abs=1e-5)
    assert out["y"] == pytest.approx(50.0, abs=1e-5)


@pytest.mark.parametrize(
    "utility, expected",
    [
        # Linear: u_A = 1 - .8 s - .2 t, u_B = .2 s + .8 t (s = x/100, t = y/100). From A's
        # best, conceding y gains B 4 times what it costs A, so the frontier is (0, t) then
        # (s, 1). On (0, t): d/dt [(1 - .2 t)(.8 t)] = .8 - .32 t > 0 on [0, 1]; on (s, 1):
        # d/ds [(.8 - .8 s)(.8 + .2 s)] = -.48 - .32 s < 0. The maximum is the logroll
        # (0, 100), utilities .8 each.
        ("linear", (0.0, 100.0)),
        # Quadratic: on the symmetry line t = 1 - s, u_A = u_B, so the first-order
        # conditions are grad u_A + grad u_B = 0: -1.6 s + .4 (1 - s) = 0 -> s = .2 and
        # -.4 t + 1.6 (1 - t) = 0 -> t = .8.
        ("quadratic", (20.0, 80.0)),
    ],
)
def test_symmetric_nash_with_mirrored_saliences(utility, expected):
    sc = build(
        [issue("x"), issue("y")],
        {
            "ALPHA": actor(1, {"x": 0, "y": 0}, {"x": 0.8, "y": 0.2}),
            "BRAVO": actor(1, {"x": 100, "y": 100}, {"x": 0.2, "y": 0.8}),
        },
        payoffs={"utility": utility},
    )
    agreement = nash(sc)["agreement"]
    out, u = agreement["outcome"], agreement["utilities"]
    assert out["x"] == pytest.approx(expected[0], abs=1e-5)
    assert out["y"] == pytest.approx(expected[1], abs=1e-5)
    # the mirror (x, y) -> (100 - y, 100 - x) swaps the parties: the solution is on its axis
    assert out["x"] + out["y"] == pytest.approx(100.0, abs=1e-5)
    assert u["ALPHA"] == pytest.approx(u["BRAVO"], abs=1e-8)


def nbs_segment(cap_a, cap_b, d_a=0.0, d_b=0.0, lo=0.0, hi=1.0):
    """Asymmetric Nash solution on the pie by hand.

    Maximise ``a_A log(1 - s - d_A) + a_B log(s - d_B)`` with ``a_i`` the capability
    shares: the derivative ``-a_A / (1 - s - d_A) + a_B / (s - d_B)`` vanishes at
    ``s = d_B + a_B (1 - d_A - d_B)`` (as ``a_A + a_B = 1``); the objective is concave,
    so on the segment ``[lo, hi]`` the maximiser is that point clipped to it.
    """
    w_b = cap_b / (cap_a + cap_b)
    return min(max(d_b + w_b * (1.0 - d_a - d_b), lo), hi)


def test_asymmetric_nash_moves_toward_the_stronger_party_monotonically():
    outcomes = []
    for cap_b in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
        rec = nash(one_issue(cap_a=1.0, cap_b=cap_b), weights="capability")
        x = rec["agreement"]["outcome"]["border"]
        assert x == pytest.approx(100 * nbs_segment(1.0, cap_b), abs=1e-5)
        outcomes.append(x)
    assert all(b > a for a, b in zip(outcomes, outcomes[1:], strict=False))
    # equal capabilities: the asymmetric solution is the symmetric one
    assert outcomes[2] == pytest.approx(nash(one_issue())["agreement"]["outcome"]["border"])


@pytest.mark.parametrize(
    "cap_a, cap_b, d_a, d_b, red_a, red_b",
    [
        (1.0, 3.0, 0.1, 0.2, None, None),  # interior: 0.2 + 0.75 * 0.7 = 0.725
        (2.0, 1.0, 0.0, 0.3, None, None),  # interior: 0.3 + 0.7 / 3
        (1.0, 3.0, 0.1, 0.2, (0.0, 60.0), None),  # ALPHA's red line binds: 0.6
        (3.0, 1.0, 0.0, 0.0, None, (40.0, 100.0)),  # BRAVO's red line binds: 0.4
        (1.5, 1.0, 0.05, 0.1, (0.0, 90.0), (20.0, 100.0)),  # both present, neither binds
    ],
)
def test_asymmetric_nash_on_one_issue_matches_the_closed_form(cap_a, cap_b, d_a, d_b, red_a, red_b):
    sc = one_issue(
        cap_a,
        cap_b,
        red_a,
        red_b,
        payoffs={"outside_option": {"ALPHA": d_a, "BRAVO": d_b}},
    )
    rec = nash(sc, weights="capability")
    lo = max(r[0] for r in (red_a or (0, 100), red_b or (0, 100))) / 100
    hi = min(r[1] for r in (red_a or (0, 100), red_b or (0, 100))) / 100
    s = nbs_segment(cap_a, cap_b, d_a, d_b, lo, hi)
    assert rec["agreement"]["reached"]
    assert rec["agreement"]["outcome"]["border"] == pytest.approx(100 * s, abs=1e-5)
    assert rec["agreement"]["utilities"]["ALPHA"] == pytest.approx(1 - s, abs=1e-7)
    assert rec["agreement"]["utilities"]["BRAVO"] == pytest.approx(s, abs=1e-7)
    assert rec["bargaining_weights"]["BRAVO"] == pytest.approx(cap_b / (cap_a + cap_b))
    assert rec["disagreement"] == pytest.approx({"ALPHA": d_a, "BRAVO": d_b})


# ---- 2. no zone of agreement ------------------------------------------------------------


def test_red_lines_that_do_not_overlap_empty_the_zone_and_are_named():
    sc = build(
        [issue("border"), issue("trade")],
        {
            "ROSSO": actor(
                1, {"border": 10, "trade": 20}, {"border": 1, "trade": 0.5}, {"border": (0, 30)}
            ),  # fmt: skip
            "BLU": actor(
                1, {"border": 90, "trade": 80}, {"border": 1, "trade": 0.5}, {"border": (60, 100)}
            ),  # fmt: skip
        },
    )
    rec = nash(sc)
    assert rec["agreement"]["reached"] is False
    assert rec["agreement"]["outcome"] is None
    msg = rec["message"]
    assert msg.startswith("no zone of agreement")
    for name in ("border", "ROSSO", "BLU"):
        assert name in msg
    assert "trade" not in msg
    zone = rec["zone_of_agreement"]
    assert set(zone) == {"border", "trade"}
    assert zone["border"]["empty"] is True
    assert zone["trade"]["empty"] is False
    assert (zone["trade"]["lo"], zone["trade"]["hi"]) == (0.0, 100.0)
    assert sorted(zone["border"]["parties"]) == ["BLU", "ROSSO"]
    assert {(b["party"], b["issue"]) for b in rec["blocking"]} == {
        ("ROSSO", "border"),
        ("BLU", "border"),
    }


def test_red_lines_that_overlap_give_the_intersection_as_the_zone():
    sc = build(
        [issue("border")],
        {
            "ROSSO": actor(1, {"border": 10}, {"border": 1}, {"border": (0, 70)}),
            "BLU": actor(1, {"border": 90}, {"border": 1}, {"border": (40, 100)}),
        },
    )
    zone = nash(sc)["zone_of_agreement"]["border"]
    assert (zone["lo"], zone["hi"], zone["empty"]) == (40.0, 70.0, False)


def test_a_bloc_whose_members_red_lines_do_not_meet_empties_the_zone():
    sc = build(
        [issue("border"), issue("trade")],
        {
            "ROSSO": actor(1, {"border": 10, "trade": 20}, {"border": 1, "trade": 1}),
            "P1": actor(
                1, {"border": 20, "trade": 60}, {"border": 1, "trade": 1}, {"border": (0, 40)}
            ),  # fmt: skip
            "P2": actor(
                1, {"border": 80, "trade": 70}, {"border": 1, "trade": 1}, {"border": (60, 100)}
            ),  # fmt: skip
        },
        blocs={"PACT": {"members": ["P1", "P2"], "rule": "consensus"}},
    )
    rec = nash(sc, ["ROSSO", "PACT"])
    assert rec["agreement"]["reached"] is False
    assert rec["message"].startswith("no zone of agreement")
    assert "border" in rec["message"] and "PACT" in rec["message"]
    assert rec["zone_of_agreement"]["border"]["empty"] is True
    assert "PACT" in rec["zone_of_agreement"]["border"]["parties"]
    assert rec["zone_of_agreement"]["trade"]["empty"] is False


# ---- 3. relabelling changes nothing --------------------------------------------------------


def three_parties(order=("ALPHA", "BRAVO", "CHARLIE"), **sections):
    actors = {
        "ALPHA": actor(1.0, {"x": 10, "y": 30}, {"x": 0.9, "y": 0.3}, {"x": (0, 60)}),
        "BRAVO": actor(2.5, {"x": 80, "y": 90}, {"x": 0.4, "y": 0.8}, {"y": (40, 100)}),
        "CHARLIE": actor(0.7, {"x": 50, "y": 10}, {"x": 0.5, "y": 0.6}),
    }
    return build([issue("x", 40), issue("y")], {k: actors[k] for k in order}, **sections)


@pytest.mark.parametrize("weights", ["equal", "capability"])
@pytest.mark.parametrize("utility", ["linear", "quadratic"])
def test_nash_does_not_depend_on_the_order_of_the_parties(weights, utility):
    sc = three_parties(payoffs={"utility": utility, "outside_option": {"CHARLIE": 0.2}})
    a = nash(sc, ["ALPHA", "BRAVO", "CHARLIE"], weights)["agreement"]
    b = nash(sc, ["CHARLIE", "ALPHA", "BRAVO"], weights)["agreement"]
    assert a["reached"] and b["reached"]
    for iid in ("x", "y"):
        assert a["outcome"][iid] == pytest.approx(b["outcome"][iid], abs=1e-5)
    assert a["utilities"] == pytest.approx(b["utilities"], abs=1e-8)


def assert_close(a, b, path="record"):
    """Records equal, floats to 1e-7 (the Nash solver's tolerance), key order ignored."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and not isinstance(a, bool):
        assert b == pytest.approx(a, abs=1e-7, nan_ok=True), path
    else:
        assert a == b, path


CRISIS_ACTORS = {
    "CH": actor(2.0, {"border": 0, "trade": 20}, {"border": 1.0, "trade": 0.5}),
    "D1": actor(1.0, {"border": 100, "trade": 70}, {"border": 1.0, "trade": 0.4}),
    "D2": actor(0.5, {"border": 90, "trade": 60}, {"border": 0.8, "trade": 0.6}),
    "S1": actor(4.0, {"border": 80, "trade": 50}, {"border": 0.3, "trade": 0.9}),
    "S2": actor(1.0, {"border": 10, "trade": 40}, {"border": 0.5, "trade": 0.5}),
}
CRISIS = {
    "challenger": "CH",
    "defender": "DEF",
    "supporters": {"S1": 0.5},
    "challenger_supporters": {"S2": 0.5},
    "contested": ["border"],
    "cost": {"CH": 0.15, "DEF": 0.2},
    "cost_range": [0.1, 0.7],
    "exponent": 1.5,
}
DEF_BLOC = {"members": ["D1", "D2"], "position": {"border": 100.0, "trade": 65.0}}


def crisis_scenario(order=None, crisis_table=None, actors=None, status_quo=100.0, **sections):
    """CH against the bloc DEF (D1 + D2, declared line border 100), S1 backing DEF with
    half its capability, S2 backing CH with half. The status quo on the contested
    issue is DEF's line, so the challenger's status-quo share is 0."""
    actors = dict(actors or CRISIS_ACTORS)
    order = order or list(actors)
    return build(
        [issue("border", status_quo), issue("trade", 50)],
        {k: actors[k] for k in order},
        blocs={"DEF": DEF_BLOC},
        crisis=crisis_table or CRISIS,
        **sections,
    )


@pytest.mark.parametrize("negotiation", ["nbs", "alternating", "status_quo"])
def test_crisis_does_not_depend_on_the_order_of_the_actors(negotiation):
    a = crisis(crisis_scenario(), negotiation)
    b = crisis(crisis_scenario(order=["S2", "D2", "S1", "CH", "D1"]), negotiation)
    assert_close(a, b)


@pytest.mark.parametrize(
    "strategies",
    [
        {"ALPHA": "linear", "BRAVO": "boulware"},
        {"ALPHA": "conceder", "BRAVO": "tit_for_tat"},
        {"ALPHA": "hard_line", "BRAVO": "linear"},
    ],
)
@pytest.mark.parametrize("first", ["ALPHA", "BRAVO"])
def test_alternating_offers_does_not_depend_on_the_order_of_the_parties(strategies, first):
    sc = three_parties(payoffs={"discount": {"ALPHA": 0.95, "BRAVO": 0.9}})
    ab, rows_ab = alternating(sc, ["ALPHA", "BRAVO"], strategies, first, deadline=12)
    ba, rows_ba = alternating(sc, ["BRAVO", "ALPHA"], strategies, first, deadline=12)
    assert ab["agreement"]["reached"] == ba["agreement"]["reached"]
    assert ab["round"] == ba["round"]
    assert len(rows_ab) == len(rows_ba)
    assert list(rows_ab["proposer"]) == list(rows_ba["proposer"])
    if ab["agreement"]["reached"]:
        for iid in ("x", "y"):
            assert ab["agreement"]["outcome"][iid] == pytest.approx(
                ba["agreement"]["outcome"][iid], abs=1e-6
            )
        assert ab["share"]["ALPHA"] == pytest.approx(ba["share"]["ALPHA"], abs=1e-9)
        assert ab["share"]["BRAVO"] == pytest.approx(ba["share"]["BRAVO"], abs=1e-9)


# ---- 4. alternating offers on the pie --------------------------------------------------------


def pie(deadline=11, discount=None, outside=None, first="ALPHA"):
    payoffs = {}
    if discount:
        payoffs["discount"] = discount
    if outside:
        payoffs["outside_option"] = outside
    return one_issue(payoffs=payoffs, bargaining={"deadline": deadline, "first": first})


def check_rounds_table(table: pd.DataFrame, first: str, other: str, rec: dict) -> None:
    assert list(table["round"]) == list(range(len(table)))
    assert len(table) == rec["rounds_played"]
    expected = [first if t % 2 == 0 else other for t in range(len(table))]
    assert list(table["proposer"]) == expected
    accepted = list(table["accepted"])
    if rec["agreement"]["reached"]:
        assert accepted == [False] * (len(table) - 1) + [True]
        assert rec["round"] == len(table) - 1
    else:
        assert not any(accepted)
        assert len(table) == rec["deadline"]


# The documented rules (sim/kernels/bargaining.py) on the pie, ALPHA linear (time based,
# exponent 1) with reservation r_A, BRAVO hard line (always demands 1, reservation 0),
# T = deadline - 1, ALPHA proposing at even rounds:
#   ALPHA demands 1 - (1 - r_A) t / T, so offers BRAVO (1 - r_A) t / T; BRAVO accepts when
#   that is >= delta_B * 1 before the deadline, >= 0 at it.
#   BRAVO demands 1, offers ALPHA 0; ALPHA accepts when 0 >= r_A and, before the deadline,
#   0 >= delta_A (1 - (1 - r_A)(t + 1) / T).
@pytest.mark.parametrize(
    "deadline, delta_b, outside_a, first, round_, share_a",
    [
        # r_A = 0, T = 10, no discount: BRAVO never takes less than 1 before the deadline;
        # ALPHA takes BRAVO's 0 at t = 9 (odd, BRAVO proposes), as its own next demand
        # 1 - 10/10 is 0.
        (11, 1.0, None, "ALPHA", 9, 0.0),
        # delta_B = 0.75: BRAVO takes t / 10 >= 0.75 at the first even t >= 7.5: t = 8,
        # ALPHA's share 1 - 8/10.
        (11, 0.75, None, "ALPHA", 8, 0.2),
        # r_A = 0.3 (ALPHA's outside option): ALPHA never takes BRAVO's 0; BRAVO takes
        # 0.7 t / 10 only at the deadline t = 10 (even, ALPHA proposes): share 0.3.
        (11, 1.0, 0.3, "ALPHA", 10, 0.3),
        # the same with T = 9: the deadline is BRAVO's round (odd), ALPHA refuses 0 < 0.3:
        # breakdown after 10 rounds.
        (10, 1.0, 0.3, "ALPHA", None, None),
        # BRAVO first (proposes at even t), T = 9: ALPHA proposes at odd t and offers
        # BRAVO t/9 < 1 before the deadline; at t = 8 BRAVO offers 0 and ALPHA's next
        # demand is 1 - 9/9 = 0, so ALPHA accepts: round 8, share 0.
        (10, 1.0, None, "BRAVO", 8, 0.0),
        # BRAVO first, T = 10, delta_B = 0.75: ALPHA's offers at odd t give BRAVO t/10,
        # accepted from t = 9 (>= 7.5); ALPHA's share 1 - 9/10.
        (11, 0.75, None, "BRAVO", 9, 0.1),
    ],
)
def test_linear_against_hard_line_by_hand(deadline, delta_b, outside_a, first, round_, share_a):
    sc = pie(
        deadline,
        discount={"BRAVO": delta_b} if delta_b != 1.0 else None,
        outside={"ALPHA": outside_a} if outside_a is not None else None,
        first=first,
    )
    rec, table = alternating(sc, strategies={"ALPHA": "linear", "BRAVO": "hard_line"})
    assert rec["first"] == first
    assert rec["reservation"]["ALPHA"] == pytest.approx(outside_a or 0.0)
    assert rec["reservation"]["BRAVO"] == pytest.approx(0.0)
    other = "BRAVO" if first == "ALPHA" else "ALPHA"
    check_rounds_table(table, first, other, rec)
    if round_ is None:
        assert rec["agreement"]["reached"] is False
        assert rec["round"] is None
        assert rec["rounds_played"] == deadline
        assert "deadline" in rec["message"]
        return
    assert rec["agreement"]["reached"] is True
    assert rec["round"] == round_
    assert rec["share"]["ALPHA"] == pytest.approx(share_a, abs=1e-12)
    # on the pie ALPHA's share s is the point x = 100 (1 - s), utilities 1 - x/100 and x/100
    x = rec["agreement"]["outcome"]["border"]
    assert x == pytest.approx(100 * (1 - share_a), abs=1e-9)
    assert rec["agreement"]["utilities"]["ALPHA"] == pytest.approx(share_a, abs=1e-12)
    assert rec["agreement"]["utilities"]["BRAVO"] == pytest.approx(1 - share_a, abs=1e-12)
    last = table.iloc[-1]
    assert last["value_a"] == pytest.approx(share_a, abs=1e-12)
    assert last["position.border"] == pytest.approx(x, abs=1e-9)


def test_discount_makes_the_responder_accept_earlier():
    rounds = []
    for delta in (1.0, 0.95, 0.85, 0.75, 0.6):
        sc = pie(21, discount={"BRAVO": delta} if delta < 1 else None)
        rec, _ = alternating(sc, strategies={"ALPHA": "linear", "BRAVO": "hard_line"})
        assert rec["agreement"]["reached"]
        rounds.append(rec["round"])
        if delta < 1:
            # BRAVO accepts ALPHA's offer t / 20 at the first even t with t / 20 >= delta,
            # unless ALPHA takes BRAVO's 0 before, at t = 19 (its next demand is 0)
            t = math.ceil(20 * delta)
            assert rec["round"] == min(t + t % 2, 19)
    assert rounds == sorted(rounds, reverse=True)
    assert rounds[0] > rounds[-1]


@pytest.mark.parametrize("deadline", [1, 2, 7, 8])
def test_hard_line_against_hard_line_breaks_down_at_the_deadline(deadline):
    # Both demand everything; with outside options 0.2 neither takes the other's 0, even
    # at the deadline (with reservation 0 the responder would take 0 there, by the rules).
    sc = pie(deadline, outside={"ALPHA": 0.2, "BRAVO": 0.2})
    rec, table = alternating(sc, strategies={"ALPHA": "hard_line", "BRAVO": "hard_line"})
    assert rec["agreement"] == {"reached": False, "outcome": None, "utilities": None}
    assert rec["round"] is None
    assert rec["zone"] is True
    assert rec["message"] == f"breakdown at the deadline after {deadline} rounds"
    check_rounds_table(table, "ALPHA", "BRAVO", rec)
    assert set(table["value_a"].where(table["proposer"] == "ALPHA").dropna()) <= {1.0}
    assert set(table["value_a"].where(table["proposer"] == "BRAVO").dropna()) <= {0.0}


def reference_pie(kind_a, e_a, kind_b, e_b, delta_a, delta_b, r_a, r_b, deadline, first):
    """The documented rules for time-based and hard-line strategies, literally, on the pie."""
    last = deadline - 1

    def demand(kind, e, r, t):
        if kind == "hard_line":
            return 1.0
        frac = t / last if last > 0 else 1.0
        return min(max(1.0 - (1.0 - r) * frac ** (1.0 / e), r), 1.0)

    for t in range(deadline):
        a_proposes = (t + (0 if first == "ALPHA" else 1)) % 2 == 0
        if a_proposes:
            share_a = demand(kind_a, e_a, r_a, t)
            offer, r, delta = 1.0 - share_a, r_b, delta_b
            nxt = demand(kind_b, e_b, r_b, t + 1) if t < last else 0.0
        else:
            share_a = 1.0 - demand(kind_b, e_b, r_b, t)
            offer, r, delta = share_a, r_a, delta_a
            nxt = demand(kind_a, e_a, r_a, t + 1) if t < last else 0.0
        if offer >= r and offer >= delta * nxt:
            return t, share_a
    return None, None


@pytest.mark.parametrize(
    "sa, sb, delta_a, delta_b, out_a, out_b, deadline, first",
    [
        ("linear", "boulware", 1.0, 1.0, None, None, 10, "ALPHA"),
        ("conceder", "boulware", 0.9, 0.95, 0.1, 0.2, 15, "BRAVO"),
        ("linear", "linear", 0.8, 0.8, 0.25, 0.25, 9, "ALPHA"),
        ("boulware", "hard_line", 0.7, 0.99, None, 0.4, 30, "BRAVO"),
        ("conceder", "conceder", 1.0, 0.5, 0.3, None, 6, "ALPHA"),
    ],
)
def test_alternating_offers_on_the_pie_follows_the_documented_rules(
    sa, sb, delta_a, delta_b, out_a, out_b, deadline, first
):
    exponents = {"linear": 1.0, "boulware": 0.2, "conceder": 5.0, "hard_line": 1.0}
    outside = {k: v for k, v in (("ALPHA", out_a), ("BRAVO", out_b)) if v is not None}
    sc = pie(deadline, {"ALPHA": delta_a, "BRAVO": delta_b}, outside or None, first)
    rec, table = alternating(sc, strategies={"ALPHA": sa, "BRAVO": sb})
    kind = {s: ("hard_line" if s == "hard_line" else "time_based") for s in (sa, sb)}
    want_round, want_share = reference_pie(
        kind[sa], exponents[sa], kind[sb], exponents[sb], delta_a, delta_b,
        out_a or 0.0, out_b or 0.0, deadline, first,
    )  # fmt: skip
    assert rec["round"] == want_round
    check_rounds_table(table, first, "BRAVO" if first == "ALPHA" else "ALPHA", rec)
    if want_round is not None:
        assert rec["share"]["ALPHA"] == pytest.approx(want_share, abs=1e-9)
        assert rec["agreement"]["outcome"]["border"] == pytest.approx(
            100 * (1 - want_share), abs=1e-7
        )
        # discounted payoffs in the table: delta ** t times the share
        row = table.iloc[-1]
        assert row["discounted.ALPHA"] == pytest.approx(delta_a**want_round * want_share)
        assert row["discounted.BRAVO"] == pytest.approx(delta_b**want_round * (1 - want_share))


# ---- 5. crisis: power, range, Fearon's offer, the ensemble ---------------------------------

K_C = 2.0 + 0.5 * 1.0  # CH + half of S2
K_D = (1.0 + 0.5) + 0.5 * 4.0  # the bloc DEF is D1 + D2; plus half of S1
P_HAND = K_C**1.5 / (K_C**1.5 + K_D**1.5)
A, B, C_D = 0.1, 0.7, 0.2  # c_D < b - 2a: P(war) strictly inside (0, 1)
# Fearon by hand: x* = p + (c_D - b) / 2, P(war) = 1 - (b + c_D) / (2 (b - a)) = 0.25
OFFER_HAND = P_HAND + (C_D - B) / 2
P_WAR_HAND = 1 - (B + C_D) / (2 * (B - A))


def test_crisis_power_and_bargaining_range_by_hand():
    rec = crisis(crisis_scenario(), "status_quo")
    assert rec["power"]["CH"] == pytest.approx(K_C, rel=1e-12)
    assert rec["power"]["DEF"] == pytest.approx(K_D, rel=1e-12)
    assert rec["p"] == pytest.approx(P_HAND, rel=1e-12)
    assert rec["p"] == pytest.approx(win_probability(K_C, K_D, 1.5), rel=1e-12)
    c_c = CRISIS["cost"]["CH"]
    assert rec["bargaining_range"] == pytest.approx([P_HAND - c_c, P_HAND + C_D], rel=1e-12)
    assert rec["war_value_share"]["CH"] == pytest.approx(P_HAND - c_c, rel=1e-12)
    assert rec["war_value_share"]["DEF"] == pytest.approx(1 - P_HAND - C_D, rel=1e-12)
    assert rec["negotiation"]["status_quo_share"] == pytest.approx(0.0, abs=1e-12)


def test_crisis_with_an_actor_defender_and_exponent_one():
    table = dict(CRISIS, defender="D1", supporters={"S1": 0.25, "D2": 1.0}, exponent=1.0)
    table["cost"] = {"CH": 0.15, "D1": 0.2}
    sc = crisis_scenario(crisis_table=table)
    k_d = 1.0 + 0.25 * 4.0 + 1.0 * 0.5
    assert crisis(sc, "status_quo")["p"] == pytest.approx(K_C / (K_C + k_d), rel=1e-12)


def test_crisis_fearon_offer_without_red_lines_is_the_closed_form():
    rec = crisis(crisis_scenario(), "status_quo")
    closed = fearon_optimal_offer(P_HAND, C_D, A, B)
    assert closed["offer"] == pytest.approx(OFFER_HAND, abs=1e-12)
    assert closed["p_war"] == pytest.approx(P_WAR_HAND, abs=1e-12)
    f = rec["fearon"]
    assert f["cost_range"] == [A, B]
    assert f["offer"] == pytest.approx(closed["offer"], abs=1e-12)
    assert f["p_war"] == pytest.approx(closed["p_war"], abs=1e-12)
    # nothing binds: the offer within the red lines is the same
    assert f["with_red_lines"]["offer"] == pytest.approx(closed["offer"], abs=1e-12)
    assert f["with_red_lines"]["p_war"] == pytest.approx(closed["p_war"], abs=1e-12)
    assert f["with_red_lines"]["constrained"] is False
    # the offer's point: on the linear path from DEF's line (100) to CH's ideal (0)
    assert f["offer_position"]["border"] == pytest.approx(100 * (1 - OFFER_HAND), abs=1e-9)


def test_crisis_offer_bound_by_a_supporters_red_line_by_hand():
    # S1 (backing DEF) accepts border in [90, 100] only. On the path from DEF's war outcome
    # (border 100) to CH's (0) the share is t = (100 - border) / 100 (linear utility), so
    # the defender's side may offer at most 0.1 < x* = p - 0.25: the defender's utility
    # rises up to x*, so it offers 0.1 and CH fights when p - c_C > 0.1:
    # P(war) = (p - 0.1 - a) / (b - a).
    acts = dict(CRISIS_ACTORS)
    acts["S1"] = actor(4.0, {"border": 95, "trade": 50}, {"border": 0.3, "trade": 0.9},
                       {"border": (90, 100)})  # fmt: skip
    rec = crisis(crisis_scenario(actors=acts), "status_quo")
    assert rec["offers_allowed"]["defender_side"] == pytest.approx([0.0, 0.1], abs=1e-12)
    bound = rec["fearon"]["with_red_lines"]
    assert bound["constrained"] is True
    assert bound["offer"] == pytest.approx(0.1, abs=1e-12)
    assert bound["offer_position"]["border"] == pytest.approx(90.0, abs=1e-9)
    assert bound["p_war"] == pytest.approx((P_HAND - 0.1 - A) / (B - A), abs=1e-12)
    # without the red lines: Fearon's offer as before
    assert rec["fearon"]["offer"] == pytest.approx(OFFER_HAND, abs=1e-12)


def wilson(k, n, z=1.959963984540054):
    phat = k / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_crisis_ensemble_without_spreads_matches_the_closed_form():
    # Each run draws c_C ~ U[a, b]; the defender offers x* and the challenger fights when
    # p - c_C > x*, i.e. c_C < (b - c_D) / 2: P(war) = ((b - c_D) / 2 - a) / (b - a) = 0.25.
    sc = crisis_scenario()
    res = sim.ensemble(
        sc, runs=4000, seed=11, model="crisis", position_sd=0, salience_sd=0,
        capability_cv=0, progress=False,
    )  # fmt: skip
    s = res.summary()
    runs = res.runs
    assert s["runs"] == 4000 == len(runs)
    k = int(runs["war"].sum())
    assert s["p_war"] == k / 4000
    lo, hi = s["p_war_interval"]
    assert (lo, hi) == pytest.approx(wilson(k, 4000), abs=1e-12)
    assert lo <= P_WAR_HAND <= hi
    assert s["p_war_believed"] == pytest.approx(P_WAR_HAND, abs=1e-12)
    # the runs: p fixed, costs uniform on [a, b], the offer x*, war exactly when p - c > x*
    assert np.allclose(runs["p"], P_HAND, rtol=0, atol=1e-12)
    assert runs["cost"].between(A, B).all()
    assert abs(runs["cost"].mean() - (A + B) / 2) < 4 * (B - A) / math.sqrt(12 * 4000)
    assert np.allclose(runs["offer"], OFFER_HAND, rtol=0, atol=1e-12)
    assert np.allclose(runs["status_quo_share"], 0.0, atol=1e-12)
    assert (runs["war"] == (runs["p"] - runs["cost"] > runs["offer"])).all()
    assert s["unperturbed"]["p_war"] == pytest.approx(P_WAR_HAND, abs=1e-12)


# ---- 6. probabilities stay in [0, 1] -------------------------------------------------------

capability = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)
share = st.floats(0.0, 1.0)


@settings(max_examples=30, deadline=None)
@given(
    caps=st.lists(capability, min_size=5, max_size=5),
    shares=st.tuples(share, share),
    costs=st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 3.0)),
    a=st.floats(0.0, 2.0),
    width=st.floats(0.01, 2.0),
    exponent=st.floats(0.05, 100.0),
    red_lines=st.booleans(),
    status_quo=st.floats(0.0, 100.0),
)
def test_probabilities_stay_in_the_unit_interval(
    caps, shares, costs, a, width, exponent, red_lines, status_quo
):
    actors = {}
    for (aid, spec), cap in zip(CRISIS_ACTORS.items(), caps, strict=True):
        spec = dict(spec, capability=float(cap))
        if red_lines and aid in ("CH", "S1"):
            # CH will not accept border above 50, S1 (a defender's supporter) below 30
            spec["red_line"] = {"border": [0.0, 50.0] if aid == "CH" else [30.0, 100.0]}
        actors[aid] = spec
    table = dict(
        CRISIS,
        supporters={"S1": shares[0]},
        challenger_supporters={"S2": shares[1]},
        cost={"CH": costs[0], "DEF": costs[1]},
        cost_range=[a, a + width],
        exponent=exponent,
    )
    sc = crisis_scenario(crisis_table=table, actors=actors, status_quo=status_quo)
    rec = crisis(sc, "status_quo")
    assert 0.0 <= rec["p"] <= 1.0
    f = rec["fearon"]
    assert 0.0 <= f["p_war"] <= 1.0
    assert 0.0 <= f["offer"] <= 1.0
    assert 0.0 <= f["with_red_lines"]["p_war"] <= 1.0
    offer = f["with_red_lines"]["offer"]
    assert offer is None or 0.0 <= offer <= 1.0
    lo, hi = rec["bargaining_range"]
    assert hi - lo == pytest.approx(costs[0] + costs[1])
    res = sim.ensemble(
        sc, runs=12, seed=1, model="crisis", position_sd=5.0, salience_sd=0.1,
        capability_cv=0.5, progress=False,
    )  # fmt: skip
    s = res.summary()
    assert 0.0 <= s["p_war"] <= 1.0
    assert 0.0 <= s["p_war_believed"] <= 1.0
    lo, hi = s["p_war_interval"]
    assert 0.0 <= lo <= hi <= 1.0
    # the interval holds the estimate (up to rounding here: an exact test is below)
    assert lo - 1e-12 <= s["p_war"] <= hi + 1e-12
    runs = res.runs
    assert runs["p"].between(0.0, 1.0).all()
    assert runs["p_war_believed"].between(0.0, 1.0).all()
    assert runs["cost"].between(a, a + width).all()


def test_wilson_interval_holds_the_estimate_at_the_ends():
    from sim.models.base import wilson_interval

    for n in range(1, 200):
        for k in range(n + 1):
            lo, hi = wilson_interval(k, n)
            assert lo <= k / n <= hi, (k, n, lo, hi)


def test_crisis_ensemble_without_war_reports_an_interval_from_zero():
    # CH (1) against DEF (1 + 1): p = 1/3; the status quo is CH's ideal (share 1), so the
    # war (worth p - c_C < 1) is never better: no run ends in war and P(war) = 0.
    actors = {k: dict(v, capability=1.0) for k, v in CRISIS_ACTORS.items()}
    table = dict(CRISIS, supporters={}, challenger_supporters={}, exponent=1.0)
    table.update(cost={"CH": 0.0, "DEF": 0.0}, cost_range=[0.0, 1.0])
    sc = crisis_scenario(crisis_table=table, actors=actors, status_quo=0.0)
    s = sim.ensemble(
        sc, runs=12, seed=1, model="crisis", position_sd=0, salience_sd=0, capability_cv=0,
        progress=False,
    ).summary()  # fmt: skip
    assert s["war_runs"] == 0 and s["p_war"] == 0.0
    assert s["p_war_interval"][0] == 0.0


# ---- 7. same seed, same bytes ------------------------------------------------------------


def runs_bytes(res) -> bytes:
    """The runs table as raw bytes, column by column (NaN patterns included)."""
    df = res.runs
    return b"".join(
        name.encode() + np.ascontiguousarray(df[name].to_numpy()).tobytes() for name in df.columns
    )


@pytest.fixture(scope="module")
def crisis_300():
    return sim.ensemble(None, runs=300, seed=5, model="crisis", chunk_size=300, progress=False)


def test_crisis_ensemble_does_not_depend_on_the_chunk_size(crisis_300):
    other = sim.ensemble(None, runs=300, seed=5, model="crisis", chunk_size=50, progress=False)
    assert other.table.schema.equals(crisis_300.table.schema)
    assert runs_bytes(other) == runs_bytes(crisis_300)
    # a different seed does give other runs (so the comparison can fail)
    third = sim.ensemble(None, runs=300, seed=6, model="crisis", chunk_size=50, progress=False)
    assert runs_bytes(third) != runs_bytes(crisis_300)


def test_crisis_ensemble_does_not_depend_on_processes(crisis_300):
    other = sim.ensemble(
        None, runs=300, seed=5, model="crisis", chunk_size=75, workers=2, progress=False
    )
    assert runs_bytes(other) == runs_bytes(crisis_300)


# ---- 8. outside options and discounts reach the parties ----------------------------------------


# DEF's line: declared border 100, trade 65; saliences its members' capability-weighted
# ones (D1 2/3, D2 1/3): border 2/3 + .8/3 = 2.8/3, trade .4 * 2/3 + .6/3 = 1.4/3, so the
# normalised trade salience is 1/3. At the status quo (100, 50): u = 1 - (1/3)(15/100).
DEF_STATUS_QUO_UTILITY = 0.95


def test_outside_option_war_is_the_war_lottery_value():
    sc = crisis_scenario(payoffs={"outside_option": {"CH": "war", "DEF": "war"}})
    pt = parties(sc, ["CH", "DEF"])
    w = war(sc)
    assert pt.outside == ("war", "war")
    assert pt.disagreement[0] == pytest.approx(w.values()[0], abs=1e-15)
    assert pt.disagreement[1] == pytest.approx(w.values()[1], abs=1e-15)
    # the lottery by hand for CH: ideal (0, 20), saliences (1, .5) -> (2/3, 1/3), status quo
    # (100, 50). Winning: border 0, trade 50: u = 1 - (1/3)(30/100) = 0.9. Losing: border
    # 100: u = 1 - 2/3 - 0.1. W = p u_win + (1 - p) u_lose - c_C |u_win - u_lose|.
    u_win, u_lose = 0.9, 1 - 2 / 3 - 0.1
    hand = P_HAND * u_win + (1 - P_HAND) * u_lose - 0.15 * abs(u_win - u_lose)
    assert pt.disagreement[0] == pytest.approx(hand, abs=1e-12)
    # and for DEF: winning keeps (100, 50), u = 0.95; losing gives border 0, u = 1 - 2/3 - .05
    d_win, d_lose = DEF_STATUS_QUO_UTILITY, 1 - 2 / 3 - 0.05
    hand_d = (1 - P_HAND) * d_win + P_HAND * d_lose - C_D * abs(d_win - d_lose)
    assert pt.disagreement[1] == pytest.approx(hand_d, abs=1e-12)
    # only the listed party takes the war; the other stays at the status quo
    sc2 = crisis_scenario(payoffs={"outside_option": {"CH": "war"}})
    pt2 = parties(sc2, ["DEF", "CH"])
    assert pt2.outside == ("status_quo", "war")
    assert pt2.disagreement[1] == pytest.approx(hand, abs=1e-12)
    assert pt2.disagreement[0] == pytest.approx(DEF_STATUS_QUO_UTILITY, abs=1e-12)


def test_status_quo_disagreement_by_hand():
    pt = parties(crisis_scenario(), ["DEF", "CH"])
    assert pt.outside == ("status_quo", "status_quo")
    assert pt.disagreement[0] == pytest.approx(DEF_STATUS_QUO_UTILITY, abs=1e-12)
    # CH at the status quo (100, 50) is CH losing the war: 1 - 2/3 - (1/3)(30/100)
    assert pt.disagreement[1] == pytest.approx(1 - 2 / 3 - 0.1, abs=1e-12)


def test_numeric_outside_option_is_used_as_given():
    sc = crisis_scenario(payoffs={"outside_option": {"S1": 0.25, "DEF": -0.5}})
    pt = parties(sc, ["S1", "DEF", "CH"])
    assert pt.outside == ("given", "given", "status_quo")
    assert pt.disagreement[0] == 0.25
    assert pt.disagreement[1] == -0.5


def test_discount_by_party_reaches_the_parties():
    sc = crisis_scenario(payoffs={"discount": {"CH": 0.9, "DEF": 0.8}})
    pt = parties(sc, ["DEF", "S1", "CH"])
    assert list(pt.discount) == [0.8, 1.0, 0.9]
    sc2 = crisis_scenario(payoffs={"discount": 0.95})
    assert list(parties(sc2, ["CH", "DEF", "S2"]).discount) == [0.95, 0.95, 0.95]
    rec, _ = alternating(sc, ["CH", "DEF"], deadline=4)
    assert rec["discount"] == {"CH": 0.9, "DEF": 0.8}


def test_defender_keeps_the_status_quo_when_buying_peace_costs_more():
    """p = 0.5, c_D = 0.1, c_C ~ U[0, 1]; the challenger's red line needs a share of at
    least 0.45; the status quo gives it 0.2. By hand: the best acceptable offer is 0.45
    (P(war) = P(c < 0.05) = 0.05), worth 0.95 * 0.55 + 0.05 * 0.4 = 0.5425 to the
    defender; offering nothing leaves the status quo unless c < 0.3: 0.7 * 0.8 + 0.3 * 0.4
    = 0.68. So the defender offers nothing and P(war) = 0.3. Without a status quo to
    fall back on (pure Fearon) it makes the offer."""
    from types import SimpleNamespace

    from sim.models.war import defender_offer

    w = SimpleNamespace(p=0.5, cost_defender=0.1, cost_challenger=0.5)
    kept = defender_offer(w, (0.0, 1.0), (0.0, 1.0), 0.45, 0.2)
    assert kept["offer"] is None
    assert kept["p_war"] == pytest.approx(0.3)
    made = defender_offer(w, (0.0, 1.0), (0.0, 1.0), 0.45)
    assert made["offer"] == pytest.approx(0.45)
    assert made["p_war"] == pytest.approx(0.05)
