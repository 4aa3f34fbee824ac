"""The expected-utility kernels (sim.kernels.eum) against the plain-Python reference.

* kernel vs ``tests.reference`` on generated inputs, round by round and whole runs;
* small cases worked out by hand (P, EU, r and the moves);
* invariants: positions stay in the initial range, red lines hold, the stop
  reason is true, relabelling the actors relabels the run and changes nothing else.

Offers between actors at the same position are not made (they would move nobody;
with Q = 1 their value is a rounding residue of 0 that differs between numba's
``exp2`` and Python's ``pow``), so kernel and reference must agree on every event.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sim.kernels import eum as K
from sim.models.eum import run_kernel
from sim.scenario import ScenarioArrays
from tests import reference as ref

EDGE = 1e-9
TOL = {"rtol": 1e-9, "atol": 1e-9}


# ---- inputs ----------------------------------------------------------------------
saliences = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0.0, 1.0))
capabilities = st.one_of(st.integers(1, 10).map(float), st.floats(0.01, 100.0))
unit = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))
risk_values = st.one_of(st.sampled_from([0.5, 1.0, 2.0]), st.floats(0.1, 5.0))


@st.composite
def eum_inputs(draw, grid=None, n=None, m=None, rounds=None, red_lines=True):
    """Arrays for ``run_issues``: positions on an integer grid or floats inside each scale."""
    n = draw(st.integers(2, 8)) if n is None else n
    m = draw(st.integers(1, 3)) if m is None else m
    grid = draw(st.booleans()) if grid is None else grid
    X0 = np.empty((m, n))
    lo = np.empty((m, n))
    hi = np.empty((m, n))
    scale_lo = np.empty(m)
    scale_hi = np.empty(m)
    for k in range(m):
        if grid:
            a, b = 0.0, float(draw(st.sampled_from([2, 4, 10])))
            values = st.integers(0, int(b)).map(float)
        else:
            a = draw(st.sampled_from([0.0, -50.0, 3.5]))
            b = a + draw(st.one_of(st.sampled_from([1.0, 100.0]), st.floats(0.5, 300.0)))
            values = st.floats(a, b)
            if draw(st.booleans()):  # a few distinct values, so that actors share positions
                values = st.sampled_from(draw(st.lists(values, min_size=1, max_size=3)))
        scale_lo[k], scale_hi[k] = a, b
        for i in range(n):
            x = draw(values)
            X0[k, i] = x
            lo[k, i], hi[k, i] = a, b
            if red_lines and draw(st.integers(0, 3)) == 0:
                if grid:
                    lo[k, i] = float(draw(st.integers(int(a), int(x))))
                    hi[k, i] = float(draw(st.integers(int(x), int(b))))
                else:
                    lo[k, i] = draw(st.floats(a, x))
                    hi[k, i] = draw(st.floats(x, b))
    mode = draw(st.sampled_from(["computed", "computed", "all", "some"]))
    fixed = np.full(n, np.nan)
    for i in range(n):
        if mode == "all" or (mode == "some" and draw(st.booleans())):
            fixed[i] = draw(risk_values)
    return {
        "X0": X0,
        "c": np.array([draw(capabilities) for _ in range(n)]),
        "S": np.array([[draw(saliences) for _ in range(n)] for _ in range(m)]),
        "width": scale_hi - scale_lo,
        "fixed": fixed,
        "Q": draw(unit),
        "T": draw(unit),
        "lo": lo,
        "hi": hi,
        "rounds": draw(st.integers(1, 12)) if rounds is None else rounds,
    }


def kernel_run(case):
    """``run_issues`` on a case, trimmed to the rounds it ran."""
    m, n = case["X0"].shape
    R = case["rounds"]
    history = np.full((R + 1, m, n), np.nan)
    events = np.full((R, m, n), -7, dtype=np.int64)
    senders = np.full((R, m, n), -7, dtype=np.int64)
    clipped = np.zeros((R, m, n), dtype=np.bool_)
    rounds, stop, cycle = K.run_issues(
        case["X0"],
        case["c"],
        case["S"],
        case["width"],
        np.full(m, np.nan),
        K.DESIGN,
        case["fixed"],
        float(case["Q"]),
        float(case["T"]),
        case["lo"],
        case["hi"],
        R,
        history,
        events,
        senders,
        clipped,
    )
    return {
        "history": history[: rounds + 1],
        "events": events[:rounds],
        "senders": senders[:rounds],
        "clipped": clipped[:rounds],
        "rounds": rounds,
        "stopped": K.STOP_NAMES[stop],
        "cycle_length": cycle,
    }


def reference_run(case):
    out = ref.eum_run_detailed(
        case["X0"],
        case["c"],
        case["S"],
        case["width"],
        case["fixed"],
        case["Q"],
        case["T"],
        case["lo"],
        case["hi"],
        case["rounds"],
    )
    m, n = case["X0"].shape
    R = out["rounds"]
    out["history"] = np.array(out["history"], dtype=np.float64).reshape(R + 1, m, n)
    for key in ("events", "senders"):
        out[key] = np.array(out[key], dtype=np.int64).reshape(R, m, n)
    out["clipped"] = np.array(out["clipped"], dtype=bool).reshape(R, m, n)
    return out


def prepare(x, c, s, width, fixed, Q, T):
    n = len(x)
    w, r = np.empty(n), np.empty(n)
    P, EU = np.empty((n, n)), np.empty((n, n))
    mu = K.prepare_round(
        np.ascontiguousarray(x, dtype=np.float64),
        c,
        s,
        float(width),
        np.nan,
        fixed,
        float(Q),
        float(T),
        w,
        P,
        EU,
        r,
    )
    return {"w": w, "mu": mu, "P": P, "EU": EU, "r": r}


def sender_positions(run):
    """(rounds, m, n): the position of the actor whose offer each actor took, NaN where none."""
    h, se = run["history"][:-1], run["senders"]
    at = np.take_along_axis(h, np.maximum(se, 0), axis=2)
    return np.where(se >= 0, at, np.nan)


def knife_edge(EU, x, i, tol=EDGE):
    """Whether receiver i's decision is ill-conditioned: a rounding-sized change of EU could move it
    elsewhere (an offer from elsewhere worth about 0; two best offers about equal, or exactly equal
    but leading to different moves; U_i about 0 or about U_j, where "lose" jumps)."""
    offers = sorted(((EU[j, i], j) for j in range(len(x)) if j != i), reverse=True)
    if any(abs(v) < tol and x[j] != x[i] for v, j in offers):
        return True
    real = [(v, j) for v, j in offers if v >= tol]
    if not real:
        return False
    best, j = real[0]
    for v, other in real[1:]:
        if v > best - tol and (x[other] != x[j] or EU[i, other] != EU[i, j]):
            return True
    ui = EU[i, j]
    return abs(ui) < tol or abs(ui - best) < tol


def first_knife_edge(case, run, tol=EDGE):
    """The first round index t whose decisions (round t + 1) include a knife edge, or None."""
    for t in range(run["rounds"]):
        for k in range(run["history"].shape[1]):
            x = run["history"][t, k]
            EU = prepare(
                x, case["c"], case["S"][k], case["width"][k], case["fixed"], case["Q"], case["T"]
            )["EU"]
            if any(knife_edge(EU, x, i, tol) for i in range(len(x))):
                return t
    return None


def compare_runs(case, got, want, relabel=None, relabelled_case=None, upto=None):
    """Same stop, positions within TOL, same decisions (see :func:`assert_runs_agree`); only the
    first ``upto`` rounds when given.

    With ``relabel`` (``got`` ran on ``relabelled_case``, whose actor i is ``want``'s actor
    ``relabel[i]``), senders are compared by position: equal offers from actors at the same
    position go to the lowest index, which depends on the labels.
    """
    p = np.arange(got["history"].shape[2]) if relabel is None else relabel
    if upto is None:
        assert (got["rounds"], got["stopped"], got["cycle_length"]) == (
            want["rounds"],
            want["stopped"],
            want["cycle_length"],
        )
        h = t = slice(None)
    else:
        h, t = slice(0, upto + 1), slice(0, upto)
    np.testing.assert_allclose(got["history"][h], want["history"][h][:, :, p], **TOL)
    np.testing.assert_array_equal(got["clipped"][t], want["clipped"][t][:, :, p])
    same = got["events"][t] == want["events"][t][:, :, p]
    if relabel is None:
        same &= got["senders"][t] == want["senders"][t]
    else:
        same &= np.isclose(
            sender_positions(got)[t],
            sender_positions(want)[t][:, :, p],
            rtol=1e-9,
            atol=1e-9,
            equal_nan=True,
        )
    for r, k, i in zip(*np.nonzero(~same), strict=True):
        raise AssertionError(
            f"round {r + 1}, issue {k}, actor {i}: event {got['events'][r, k, i]} from "
            f"{got['senders'][r, k, i]}, expected event {want['events'][r, k, p[i]]} from "
            f"{want['senders'][r, k, p[i]]} (unrelabelled)"
        )


def describe(run):
    """Hypothesis statistics: how the run went (see ``pytest --hypothesis-show-statistics``)."""
    event(f"stopped: {run['stopped']}")
    moves = set(run["events"].ravel().tolist()) - {K.NO_OFFER, K.RESISTED}
    event("moves: " + (", ".join(K.EVENT_NAMES[e] for e in sorted(moves)) or "none"))


def assert_runs_agree(case, got, want, relabel=None, relabelled_case=None):
    """Two runs of the same negotiation agree: stop reason and round count, positions, events.

    The expected-utility rules are discontinuous (at U_i = 0 "compromise by nothing" turns into
    "lose: jump to the sender"), and the dynamics can approach such an edge geometrically, so
    rounding-level differences (the kernel's ``exp2`` for ``0.5**r``; sums taken in another
    order after relabelling) may legitimately send two runs apart after a knife-edge decision.
    So: full agreement is required, unless it fails, in which case the runs must agree up to
    the first knife-edge decision of either run (and there must be one). Likewise a run stops
    when a state repeats *exactly*; where positions differ by rounding, one run may see a
    repeat the other sees only within rounding: then they must agree up to the shorter run's
    end, where the longer one must be within rounding of that repeat.
    """
    describe(want)
    try:
        compare_runs(case, got, want, relabel, relabelled_case)
    except AssertionError:
        edges = [first_knife_edge(relabelled_case or case, got), first_knife_edge(case, want)]
        edges = [e for e in edges if e is not None]
        if edges:
            compare_runs(case, got, want, relabel, relabelled_case, upto=min(edges))
            event("runs part after a knife-edge decision")
            return
        if got["rounds"] == want["rounds"]:
            raise
        short, longer = sorted((got, want), key=lambda run: run["rounds"])
        R, L = short["rounds"], short["cycle_length"]
        assert short["stopped"] in ("converged", "cycle")
        compare_runs(case, got, want, relabel, relabelled_case, upto=R)
        np.testing.assert_allclose(longer["history"][R], longer["history"][R - L], **TOL)
        event("a repeat seen exactly in one run, within rounding in the other")


# ---- kernel against the reference ------------------------------------------------------------
@settings(max_examples=50)
@given(eum_inputs(grid=True))
def test_run_matches_reference_on_integer_grid(case):
    assert_runs_agree(case, kernel_run(case), reference_run(case))


@settings(max_examples=50)
@given(eum_inputs(grid=False))
def test_run_matches_reference_on_floats(case):
    assert_runs_agree(case, kernel_run(case), reference_run(case))


@settings(max_examples=25)
@given(eum_inputs(red_lines=False, rounds=40), st.integers(0, 2**32 - 1))
def test_run_matches_reference_from_random_floats(case, seed):
    """Generic (tie-free) positions, capabilities and saliences, long runs."""
    rng = np.random.default_rng(seed)
    m, n = case["X0"].shape
    case["X0"] = case["width"][:, None] * rng.random((m, n))
    case["lo"], case["hi"] = np.full((m, n), -np.inf), np.full((m, n), np.inf)
    case["c"] = rng.uniform(0.1, 10.0, n)
    case["S"] = rng.random((m, n))
    assert_runs_agree(case, kernel_run(case), reference_run(case))


@settings(max_examples=50)
@given(eum_inputs(m=1, rounds=1))
def test_round_quantities_match_reference(case):
    """prepare_round's w, median, P, r, EU and each actor_decision against the reference."""
    x, c, s = case["X0"][0], case["c"], case["S"][0]
    got = prepare(x, c, s, case["width"][0], case["fixed"], case["Q"], case["T"])
    want = ref.round_quantities(x, c, s, case["width"][0], case["fixed"], case["Q"], case["T"])
    np.testing.assert_array_equal(got["w"], want["w"])
    assert got["mu"] == want["mu"]
    np.testing.assert_array_equal(got["P"], np.array(want["P"]))  # same sums in the same order
    np.testing.assert_allclose(got["r"], want["r"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["EU"], np.array(want["EU"]), rtol=1e-12, atol=1e-12)
    # the decision step alone, fed the kernel's own EU, must agree exactly
    for i in range(len(x)):
        kernel = K.actor_decision(got["EU"], x, i, case["lo"][0, i], case["hi"][0, i])
        reference = ref.decide(got["EU"].tolist(), x, i, case["lo"][0, i], case["hi"][0, i])
        assert (float(kernel[0]), int(kernel[1]), int(kernel[2]), bool(kernel[3])) == reference, i


def test_run_kernel_through_scenario_arrays_matches_reference():
    """sim.models.eum.run_kernel (the batch driver) on a hand-made ScenarioArrays."""
    X0 = np.array([[0.0, 30.0, 45.0, 60.0, 100.0], [10.0, 90.0, 50.0, 50.0, 20.0]])
    arrays = ScenarioArrays(
        actor_ids=tuple("ABCDE"),
        issue_ids=("one", "two"),
        capability=np.array([3.0, 1.0, 2.0, 0.5, 4.0]),
        position=X0,
        salience=np.array([[0.9, 0.3, 0.6, 1.0, 0.4], [0.2, 0.8, 0.5, 0.5, 1.0]]),
        red_lo=np.array([[0.0, 0.0, 40.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]),
        red_hi=np.full((2, 5), 100.0),
        scale_lo=np.zeros(2),
        scale_hi=np.full(2, 100.0),
        status_quo=np.full(2, np.nan),
        risk=np.full(5, np.nan),
        Q=1.0,
        T=1.0,
        rounds=20,
    )
    tr = run_kernel(arrays)
    want = ref.eum_run_detailed(
        X0,
        arrays.capability,
        arrays.salience,
        arrays.width,
        arrays.risk,
        1.0,
        1.0,
        arrays.red_lo,
        arrays.red_hi,
        20,
    )
    assert (tr.rounds, tr.stopped, tr.cycle_length) == (
        want["rounds"],
        want["stopped"],
        want["cycle_length"],
    )
    np.testing.assert_allclose(tr.positions, np.array(want["history"]), **TOL)
    np.testing.assert_array_equal(tr.events, np.array(want["events"]))
    np.testing.assert_array_equal(tr.senders, np.array(want["senders"]))
    assert tr.rounds >= 1 and tr.events.shape == (tr.rounds, 2, 5)
    assert tr.positions[1:, 0, 2].min() >= 40.0  # C's red line


# ---- by hand ---------------------------------------------------------------------------------
def test_three_actors_by_hand():
    """Scale [0, 10], r fixed at 1, Q = T = 1, so ``Us = 2d``, ``Uf = -2d``, ``Usq = 0`` and
    ``EU_ij = 2 d_ij (1 - 2 s_j (1 - P_ij))``.

    A at 0 (c 1, s 1), B at 10 (c 1, s 0.25), C at 4 (c 2, s 0.75): w = 1, 0.25, 1.5.
    Sorted: A (1), C (2.5 >= 2.75/2) -> median 4; compromise 8.5 / 2.75.
    P_AB = (10 - 2.5 + 3) / (10 + 2.5 + 3) = 21/31; P_CA = 3/11; P_CB = 13.5/16.5 = 9/11; others 0.
    EU_AB = 2 (1 - 0.5 (10/31)) = 52/31; EU_AC = 0.8 (1 - 1.5) = -0.4; EU_BA = 2 (1 - 2) = -2;
    EU_BC = 1.2 (1 - 1.5) = -0.6; EU_CA = 0.8 (1 - 2 (8/11)) = -4/11;
    EU_CB = 1.2 (1 - 0.5 (2/11)) = 12/11.
    Only B receives offers (from A 52/31 and C 12/11); it takes A's, |U_B| = 2 > 52/31, so it
    capitulates to 0 -- clipped at 5 by its red line [5, 10].
    """
    x = np.array([0.0, 10.0, 4.0])
    c = np.array([1.0, 1.0, 2.0])
    s = np.array([1.0, 0.25, 0.75])
    got = prepare(x, c, s, 10.0, np.ones(3), 1.0, 1.0)
    assert got["mu"] == 4.0
    np.testing.assert_allclose(got["w"], [1.0, 0.25, 1.5])
    P = [[0, 21 / 31, 0], [0, 0, 0], [3 / 11, 9 / 11, 0]]
    np.testing.assert_allclose(got["P"], P, rtol=1e-14, atol=1e-15)
    EU = [[0, 52 / 31, -0.4], [-2, 0, -0.6], [-4 / 11, 12 / 11, 0]]
    np.testing.assert_allclose(got["EU"], EU, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(got["r"], [1.0, 1.0, 1.0])
    assert K.actor_decision(got["EU"], x, 0, 0.0, 10.0) == (0.0, K.NO_OFFER, -1, False)
    assert K.actor_decision(got["EU"], x, 1, 0.0, 10.0) == (0.0, K.CAPITULATED, 0, False)
    assert K.actor_decision(got["EU"], x, 1, 5.0, 10.0) == (5.0, K.CAPITULATED, 0, True)
    assert K.actor_decision(got["EU"], x, 2, 0.0, 10.0) == (4.0, K.NO_OFFER, -1, False)


def test_two_actors_compromise_by_hand():
    """A at 0 (c 3, s 0.6), B at 10 (c 1, s 0.2), r = 1: P_AB = (1.8 - 0.2) / 2 = 0.8;
    EU_AB = 2 (1 - 2 0.2 0.2) = 1.84 offers; EU_BA = 2 (1 - 1.2) = -0.4 < 0 and 0.4 < 1.84:
    B compromises by 10 * 0.4 / 1.84 = 50/23 to 180/23. Next round A is offered nothing and B
    (at 180/23, d = 18/23) gets EU_AB = 2 (18/23)(0.92) again > 0 ... the run goes on moving B."""
    X0 = np.array([[0.0, 10.0]])
    case = {
        "X0": X0,
        "c": np.array([3.0, 1.0]),
        "S": np.array([[0.6, 0.2]]),
        "width": np.array([10.0]),
        "fixed": np.ones(2),
        "Q": 1.0,
        "T": 1.0,
        "lo": np.zeros((1, 2)),
        "hi": np.full((1, 2), 10.0),
        "rounds": 1,
    }
    got = prepare(X0[0], case["c"], case["S"][0], 10.0, case["fixed"], 1.0, 1.0)
    np.testing.assert_allclose(got["P"], [[0, 0.8], [0, 0]], atol=1e-15)
    np.testing.assert_allclose(got["EU"], [[0, 1.84], [-0.4, 0]], atol=1e-14)
    run = kernel_run(case)
    assert run["events"][0, 0].tolist() == [K.NO_OFFER, K.COMPROMISED]
    assert run["senders"][0, 0].tolist() == [-1, 0]
    np.testing.assert_allclose(run["history"][1, 0], [0.0, 180 / 23], rtol=1e-14)
    assert run["stopped"] == "limit"


def test_two_actors_lost_then_converged_by_hand():
    """A at 0 (c 3, s 0.4), B at 10 (c 1, s 0.2), r = 1: P_AB = (1.2 - 0.2)/1.4 = 5/7.
    EU_AB = 2 (1 - 0.4 (2/7)) = 12.4/7, EU_BA = 2 (1 - 0.8) = 0.4: both offer.
    B: 0 < U_B = 0.4 < 12.4/7 -> loses, moves to 0. A: U_A = 12.4/7 > 0.4 -> resists.
    Round 2: both at 0, EU = 0, no offers, nobody moves -> converged after 2 rounds."""
    case = {
        "X0": np.array([[0.0, 10.0]]),
        "c": np.array([3.0, 1.0]),
        "S": np.array([[0.4, 0.2]]),
        "width": np.array([10.0]),
        "fixed": np.ones(2),
        "Q": 1.0,
        "T": 1.0,
        "lo": np.zeros((1, 2)),
        "hi": np.full((1, 2), 10.0),
        "rounds": 10,
    }
    got = prepare(case["X0"][0], case["c"], case["S"][0], 10.0, case["fixed"], 1.0, 1.0)
    np.testing.assert_allclose(got["P"], [[0, 5 / 7], [0, 0]], atol=1e-15)
    np.testing.assert_allclose(got["EU"], [[0, 12.4 / 7], [0.4, 0]], atol=1e-14)
    run = kernel_run(case)
    assert run["events"][0, 0].tolist() == [K.RESISTED, K.LOST]
    assert run["senders"][0, 0].tolist() == [1, 0]
    assert run["history"][:, 0].tolist() == [[0.0, 10.0], [0.0, 0.0], [0.0, 0.0]]
    assert (run["rounds"], run["stopped"], run["cycle_length"]) == (2, "converged", 1)
    assert run["events"][1, 0].tolist() == [K.NO_OFFER, K.NO_OFFER]


def test_symmetric_standoff_by_hand():
    """A at 0, B at 10, equal c = 1 and s = 0.25: w = 0.25 each, so P_AB = P_BA = 0 (the
    numerator 2.5 - 2.5 is 0). Securities are equal, so r = 1 (max S = min S), and
    EU_AB = EU_BA = 0.25 (-2) + 0.75 (2) = 1 > 0: both offer, and each, with U_i = U_j = 1,
    is not "0 < U_i < U_j": both resist and the run has converged after one round."""
    case = {
        "X0": np.array([[0.0, 10.0]]),
        "c": np.ones(2),
        "S": np.full((1, 2), 0.25),
        "width": np.array([10.0]),
        "fixed": np.full(2, np.nan),
        "Q": 1.0,
        "T": 1.0,
        "lo": np.zeros((1, 2)),
        "hi": np.full((1, 2), 10.0),
        "rounds": 5,
    }
    got = prepare(case["X0"][0], case["c"], case["S"][0], 10.0, case["fixed"], 1.0, 1.0)
    assert got["mu"] == 0.0
    np.testing.assert_array_equal(got["P"], np.zeros((2, 2)))
    np.testing.assert_array_equal(got["r"], [1.0, 1.0])
    np.testing.assert_allclose(got["EU"], [[0, 1.0], [1.0, 0]], atol=1e-15)
    run = kernel_run(case)
    assert run["events"][0, 0].tolist() == [K.RESISTED, K.RESISTED]
    assert run["senders"][0, 0].tolist() == [1, 0]
    assert (run["rounds"], run["stopped"], run["cycle_length"]) == (1, "converged", 1)


def test_computed_risk_two_actors_by_hand():
    """A at 0 (c 1, s 1), B at 1 (c 3, s 0.5), scale [0, 1], Q = T = 1: w = 1, 1.5, median 1.
    P_AB = 0, P_BA = (1.5 - 1)/2.5 = 0.2.
    At r = 1: EU_AB = 2 (1 - 2 0.5) = 0, EU_BA = 2 (1 - 2 0.8) = -1.2.
    Securities S_A = EU_BA = -1.2, S_B = EU_AB = 0, so R_A = -1, R_B = 1: r_A = 2, r_B = 0.5.
    Again with those: A (r 2): Us = 2, Uf = -2, Usq = 1: EU_AB = 0.5 (-2) + 0.5 (2) - 1 = -1.
    B (r 0.5): Usq = 2 - 4 sqrt(0.5): EU_BA = (0.2 (2) + 0.8 (-2)) - Usq = 2 sqrt(2) - 3.2.
    Neither offers: converged in one round."""
    x = np.array([0.0, 1.0])
    c, s = np.array([1.0, 3.0]), np.array([1.0, 0.5])
    got = prepare(x, c, s, 1.0, np.full(2, np.nan), 1.0, 1.0)
    assert got["mu"] == 1.0
    np.testing.assert_allclose(got["P"], [[0, 0], [0.2, 0]], atol=1e-15)
    np.testing.assert_allclose(got["r"], [2.0, 0.5], rtol=1e-14)
    np.testing.assert_allclose(got["EU"], [[0, -1.0], [2 * math.sqrt(2) - 3.2, 0]], atol=1e-14)
    # a fixed exponent replaces the computed one for that actor only
    half = prepare(x, c, s, 1.0, np.array([np.nan, 1.0]), 1.0, 1.0)
    np.testing.assert_allclose(half["r"], [2.0, 1.0], rtol=1e-14)
    # B at r = 1: Usq = 0, so EU_BA = 0.2 (2) + 0.8 (-2) = -1.2
    np.testing.assert_allclose(half["EU"][1, 0], -1.2, rtol=1e-14)


def test_q_and_t_by_hand():
    """Q and T at 0 bring Uw in: A at 0, B at 1, scale [0, 1], r = 1, equal weights (median 0,
    the first to reach half). For A: dmu = 0, b = 0.25 (0 + 1) = 0.25, Uw = 2 - 4 (0.75) = -1;
    EU_AB = s_B (P Us + (1 - P) Uf) + (1 - s_B) Us - 0 - (Uw) with P = 0, Us = 2, Uf = -2:
    s_B = 0.5 -> 0.5 (-2) + 0.5 (2) + 1 = 1. For B: dmu = 1, b = 0.5, Uw = 2 - 4 = -2,
    EU_BA = 0.5 (-2) + 0.5 (2) + 2 = 2."""
    got = prepare(np.array([0.0, 1.0]), np.ones(2), np.full(2, 0.5), 1.0, np.ones(2), 0.0, 0.0)
    assert got["mu"] == 0.0
    np.testing.assert_allclose(got["EU"], [[0, 1.0], [2.0, 0]], atol=1e-14)
    # T = 1 uses Ub instead: A: b = 0.25, Ub = 2 - 4 (0.25) = 1 -> EU_AB = 0 - 1 = -1;
    # B: b = 0.5, Ub = 2 - 0 = 2 -> EU_BA = -2
    got = prepare(np.array([0.0, 1.0]), np.ones(2), np.full(2, 0.5), 1.0, np.ones(2), 0.0, 1.0)
    np.testing.assert_allclose(got["EU"], [[0, -1.0], [-2.0, 0]], atol=1e-14)


def test_offer_ties_go_to_the_nearest_then_the_lowest_index():
    x = np.array([5.0, 1.0, 8.0, 2.0, 9.0])
    EU = np.zeros((5, 5))
    EU[1, 0] = EU[2, 0] = EU[3, 0] = 0.5  # equal offers to actor 0 from 1 (d 4), 2 (d 3), 3 (d 3)
    EU[0, :] = 2.0  # 0 resists everything
    assert K.actor_decision(EU, x, 0, 0.0, 10.0)[2] == 2
    EU[4, 0] = 0.5000001  # a higher offer beats the nearer ones
    assert K.actor_decision(EU, x, 0, 0.0, 10.0)[2] == 4
    assert ref.decide(EU.tolist(), x, 0, 0.0, 10.0)[2] == 4


@settings(max_examples=60)
@given(eum_inputs(m=1, rounds=1))
def test_risk_exponents_lie_in_half_to_two(case):
    got = prepare(
        case["X0"][0],
        case["c"],
        case["S"][0],
        case["width"][0],
        np.full(len(case["c"]), np.nan),
        case["Q"],
        case["T"],
    )
    assert np.all(got["r"] >= 0.5) and np.all(got["r"] <= 2.0), got["r"]
    if np.ptp(got["r"]) == 0:
        np.testing.assert_array_equal(got["r"], 1.0)
    else:  # the most secure actor gets R = 1, the least R = -1
        assert got["r"].min() == pytest.approx(0.5, abs=1e-12)
        assert got["r"].max() == pytest.approx(2.0, abs=1e-12)


def test_risk_exponent_never_exceeds_two_exactly():
    """DESIGN 5.2 step 5: r lies in [0.5, 2]. Found by hypothesis: the textbook
    arrangement of R_i rounded to -1 - 2e-16 here, giving r = 2.0000000000000004."""
    x = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    got = prepare(
        x, np.ones(7), np.array([0, 0, 0, 0, 0, 0, 1.0]), 98.5, np.full(7, np.nan), 0.0, 0.8125
    )
    assert 0.5 <= got["r"].min() and got["r"].max() <= 2.0, repr(got["r"])
    assert got["r"].max() == pytest.approx(2.0, abs=1e-15)


def test_actors_at_the_same_position_send_no_offers():
    """An offer of the receiver's own position changes nothing and is not made.

    With Q = 1 and x_i = x_j the design's EU_ij is 0, but numba computes 0.5**r as
    exp2(-r), an ulp away from pow(0.5, r) for some r, which left 2e-16 'offers'.
    """
    r = 1.4882355217192196  # one of the ~0.1% of exponents where exp2(-r) != pow(0.5, r)
    x = np.array([3.0, 3.0, 0.0])
    want = ref.round_quantities(x, np.ones(3), np.ones(3), 10.0, [r] * 3, 1.0, 1.0)
    assert ref.decide(want["EU"], x, 0, 0.0, 10.0)[1] == ref.NO_OFFER
    got = prepare(x, np.ones(3), np.ones(3), 10.0, np.full(3, r), 1.0, 1.0)
    assert abs(got["EU"][0, 1]) < 1e-15
    assert K.actor_decision(got["EU"], x, 0, 0.0, 10.0) == (3.0, K.NO_OFFER, -1, False)
    # an offer from a different position still counts, however small its value
    EU = np.zeros((3, 3))
    EU[2, 0] = 1e-300
    assert K.actor_decision(EU, x, 0, 0.0, 10.0)[1:3] == (K.RESISTED, 2)


# ---- invariants ----------------------------------------------------------------------------
@settings(max_examples=60)
@given(eum_inputs(rounds=30))
def test_run_invariants(case):
    run = kernel_run(case)
    h, R = run["history"], run["rounds"]
    assert 1 <= R <= case["rounds"]
    np.testing.assert_array_equal(h[0], case["X0"])
    # positions stay within each issue's initial [min, max] and inside every actor's red line
    assert np.all(h >= case["X0"].min(axis=1)[None, :, None])
    assert np.all(h <= case["X0"].max(axis=1)[None, :, None])
    assert np.all(h >= case["lo"][None]) and np.all(h <= case["hi"][None])
    # the stop reason is true
    distinct = len({state.tobytes() for state in h[:-1]}) == R
    assert distinct, "a state repeated before the run stopped"
    if run["stopped"] == "converged":
        np.testing.assert_array_equal(h[-1], h[-2])
        assert run["cycle_length"] == 1
    elif run["stopped"] == "cycle":
        L = run["cycle_length"]
        assert 2 <= L <= R
        np.testing.assert_array_equal(h[-1], h[-1 - L])
    else:
        assert run["stopped"] == "limit" and R == case["rounds"] and run["cycle_length"] == 0
        assert len({state.tobytes() for state in h}) == R + 1
    # each event is consistent with the move it records
    for t in range(R):
        for k in range(h.shape[1]):
            x, new = h[t, k], h[t + 1, k]
            for i in range(len(x)):
                ev, j = run["events"][t, k, i], run["senders"][t, k, i]
                lo, hi = case["lo"][k, i], case["hi"][k, i]
                if ev == K.NO_OFFER:
                    assert j == -1 and new[i] == x[i]
                else:
                    assert 0 <= j < len(x) and j != i
                if ev == K.RESISTED:
                    assert new[i] == x[i]
                if ev in (K.LOST, K.CAPITULATED):
                    assert new[i] == min(max(x[j], lo), hi)
                if ev == K.COMPROMISED:
                    assert min(x[i], x[j]) <= new[i] <= max(x[i], x[j]) or run["clipped"][t, k, i]
                if ev in (K.NO_OFFER, K.RESISTED):
                    assert not run["clipped"][t, k, i]
                elif ev in (K.LOST, K.CAPITULATED):
                    assert run["clipped"][t, k, i] == (x[j] < lo or x[j] > hi)
                elif run["clipped"][t, k, i]:
                    assert new[i] in (lo, hi)


@settings(max_examples=40)
@given(eum_inputs(m=1, rounds=1, grid=False), st.randoms(use_true_random=False))
def test_relabelling_permutes_round_quantities(case, rnd):
    n = len(case["c"])
    perm = list(range(n))
    rnd.shuffle(perm)
    p = np.array(perm)
    a = prepare(
        case["X0"][0],
        case["c"],
        case["S"][0],
        case["width"][0],
        case["fixed"],
        case["Q"],
        case["T"],
    )
    b = prepare(
        case["X0"][0][p],
        case["c"][p],
        case["S"][0][p],
        case["width"][0],
        case["fixed"][p],
        case["Q"],
        case["T"],
    )
    assert b["mu"] == a["mu"]
    np.testing.assert_allclose(b["P"], a["P"][np.ix_(p, p)], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b["r"], a["r"][p], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b["EU"], a["EU"][np.ix_(p, p)], rtol=1e-12, atol=1e-12)


@settings(max_examples=40)
@given(eum_inputs(rounds=25, red_lines=False), st.integers(0, 2**32 - 1))
def test_relabelling_permutes_the_trajectory(case, seed):
    """Generic positions and weights (no ties between distinct positions), some red lines."""
    rng = np.random.default_rng(seed)
    m, n = case["X0"].shape
    case["X0"] = case["width"][:, None] * rng.random((m, n))
    case["c"] = rng.uniform(0.1, 10.0, n)
    case["S"] = rng.uniform(0.05, 1.0, (m, n))
    case["lo"] = case["X0"] - case["width"][:, None] * rng.random((m, n)) * rng.integers(
        0, 2, (m, n)
    )
    case["hi"] = case["X0"] + case["width"][:, None] * rng.random((m, n)) * rng.integers(
        0, 2, (m, n)
    )
    p = rng.permutation(n)
    moved = dict(
        case,
        X0=case["X0"][:, p],
        c=case["c"][p],
        S=case["S"][:, p],
        fixed=case["fixed"][p],
        lo=case["lo"][:, p],
        hi=case["hi"][:, p],
    )
    assert_runs_agree(case, kernel_run(moved), kernel_run(case), relabel=p, relabelled_case=moved)


@settings(max_examples=30)
@given(eum_inputs())
def test_red_line_is_never_crossed_even_when_it_binds(case):
    """Pin every actor's red line to its start: nobody may move at all."""
    pinned = dict(case, lo=case["X0"].copy(), hi=case["X0"].copy())
    run = kernel_run(pinned)
    assert all(np.array_equal(state, case["X0"]) for state in run["history"])
    assert (run["rounds"], run["stopped"]) == (1, "converged")
    for t, k, i in zip(*np.nonzero(run["clipped"]), strict=True):
        assert run["events"][t, k, i] >= K.LOST
    for t, k, i in zip(*np.nonzero(np.isin(run["events"], [K.LOST, K.CAPITULATED])), strict=True):
        j = run["senders"][t, k, i]
        assert run["clipped"][t, k, i] == (case["X0"][k, j] != case["X0"][k, i])
