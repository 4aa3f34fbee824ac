"""Nash bargaining solution (DESIGN.md 5.3) and the utility of sim.payoffs."""

from __future__ import annotations

import numpy as np
import pytest

from sim.models.nash_solution import nash_bargaining, nash_objective
from sim.payoffs import utility


def one_issue(weights=None, gamma=1.0, d=(0.0, 0.0), ideals=(0.0, 100.0), lo=(0, 0), hi=(100, 100)):
    return nash_bargaining(
        ideal=np.array([[ideals[0]], [ideals[1]]]),
        salience=np.ones((2, 1)),
        width=np.array([100.0]),
        lo=np.array([[lo[0]], [lo[1]]], dtype=float),
        hi=np.array([[hi[0]], [hi[1]]], dtype=float),
        disagreement=np.array(d),
        weights=weights,
        gamma=gamma,
    )


def random_problem(seed: int, n: int = 4, m: int = 3):
    rng = np.random.default_rng(seed)
    width = np.full(m, 100.0)
    ideal = rng.uniform(0, 100, (n, m))
    salience = rng.uniform(0, 1, (n, m))
    lo = np.clip(ideal - rng.uniform(40, 90, (n, m)), 0, 100)
    hi = np.clip(ideal + rng.uniform(40, 90, (n, m)), 0, 100)
    lo = np.minimum(lo, 45.0)  # keep the box non-empty
    hi = np.maximum(hi, 55.0)
    d = rng.uniform(-0.3, 0.3, n)
    return dict(ideal=ideal, salience=salience, width=width, lo=lo, hi=hi, disagreement=d)


# --- utility ---------------------------------------------------------------


def test_utility_values_and_normalisation():
    ideal = np.array([[0.0, 0.0], [100.0, 50.0], [10.0, 10.0]])
    sal = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 0.0]])
    u = utility(np.array([50.0, 50.0]), ideal, sal, np.array([100.0, 100.0]))
    assert u == pytest.approx([1 - (0.25 * 0.5 + 0.75 * 0.5), 1 - 0.5 * 0.5, 1 - 0.4])
    u2 = utility(np.array([50.0, 50.0]), ideal, sal, np.array([100.0, 100.0]), gamma=2)
    assert u2 == pytest.approx([0.75, 1 - 0.5 * 0.25, 1 - 0.16])


def test_utility_rejects_gamma_below_one():
    with pytest.raises(ValueError):
        utility(np.zeros(1), np.zeros((1, 1)), np.ones((1, 1)), np.ones(1), gamma=0.5)


# --- symmetric and asymmetric solutions --------------------------------------


@pytest.mark.parametrize("gamma", [1.0, 2.0])
def test_mirror_parties_meet_at_midpoint(gamma):
    r = one_issue(gamma=gamma)
    assert r["reached"]
    assert r["outcome"][0] == pytest.approx(50.0, abs=1e-6)
    assert r["utilities"][0] == pytest.approx(r["utilities"][1], abs=1e-9)


@pytest.mark.parametrize("gamma", [1.0, 2.0])
def test_mirror_midpoint_from_off_centre_start(gamma):
    # unequal ideals but symmetric about 50 via red lines: the box is [20, 80]
    r = one_issue(gamma=gamma, ideals=(0.0, 100.0), lo=(20, 0), hi=(100, 80))
    assert r["outcome"][0] == pytest.approx(50.0, abs=1e-6)


def test_weights_move_solution_toward_stronger_party_monotonically():
    outs = [one_issue(weights=[a, 1.0])["outcome"][0] for a in (1.0, 1.5, 2.0, 3.0, 5.0)]
    assert outs[0] == pytest.approx(50.0, abs=1e-6)
    assert all(b < a for a, b in zip(outs, outs[1:], strict=False))
    # gamma = 1 closed form: maximise a log(1 - t) + b log t -> t = b / (a + b)
    assert outs[3] == pytest.approx(100 * 1 / 4, abs=1e-6)
    outs2 = [one_issue(weights=[a, 1.0], gamma=2)["outcome"][0] for a in (1.0, 2.0, 4.0)]
    assert outs2[0] > outs2[1] > outs2[2]


@pytest.mark.parametrize("a,b", [(1.0, 1.0), (2.0, 1.0), (1.0, 3.0), (0.7, 0.2)])
def test_gamma2_matches_derivative_closed_form(a, b):
    # Ideals 0 and 100, width 100, d = 0, t = x / 100:
    #   u_A = 1 - t^2, u_B = 1 - (1 - t)^2 = t (2 - t)
    # d/dt [a log u_A + b log u_B] = -2 a t / (1 - t^2) + b (2 - 2t) / (t (2 - t)) = 0
    #   <=> a t^2 (2 - t) = b (1 - t)(1 - t^2) = b (1 - t)^2 (1 + t)
    #   <=> (a + b) t^3 - 2a t^2 ... expand: b (1 - t - t^2 + t^3) = -a t^3 + 2a t^2
    #   <=> (a + b) t^3 - (2a + b) t^2 - b t + b = 0, one root in (0, 1).
    roots = np.roots([a + b, -(2 * a + b), -b, b])
    real = [r.real for r in roots if abs(r.imag) < 1e-12 and 0 < r.real < 1]
    assert len(real) == 1
    r = one_issue(weights=[a, b], gamma=2)
    assert r["outcome"][0] == pytest.approx(100 * real[0], abs=1e-6)


# --- no zone of agreement ------------------------------------------------------


def test_disjoint_red_lines_not_reached_and_issue_named():
    ideal = np.array([[0.0, 0.0], [100.0, 100.0], [50.0, 50.0]])
    lo = np.array([[0.0, 0.0], [0.0, 60.0], [0.0, 0.0]])
    hi = np.array([[100.0, 40.0], [100.0, 100.0], [100.0, 100.0]])
    r = nash_bargaining(ideal, np.ones((3, 2)), np.array([100.0, 100.0]), lo, hi, np.zeros(3))
    assert r["reached"] is False
    assert r["reason"] == "red_lines"
    assert sorted(r["blocking"]) == [(0, 1), (1, 1)]
    assert "issue 1" in r["message"]


def test_disagreement_too_high_not_reached():
    r = one_issue(d=(0.6, 0.6))
    assert r["reached"] is False
    assert r["reason"] == "disagreement"
    assert {i for i, _ in r["blocking"]} == {0, 1}
    # one party alone unsatisfiable: its best point in the box is worth < d
    r = one_issue(d=(0.0, 0.95), hi=(100, 90))
    assert r["reached"] is False
    assert r["blocking"] == [(1, None)]
    # just feasible: a zone exists
    assert one_issue(d=(0.45, 0.45))["reached"]


# --- invariance, feasibility and optimality ---------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_relabelling_parties_changes_nothing(seed):
    prob = random_problem(seed)
    w = np.random.default_rng(100 + seed).uniform(0.5, 2, 4)
    r = nash_bargaining(**prob, weights=w)
    perm = np.array([2, 0, 3, 1])
    permuted = {k: (v[perm] if k != "width" else v) for k, v in prob.items()}
    rp = nash_bargaining(**permuted, weights=w[perm])
    assert r["reached"] and rp["reached"]
    np.testing.assert_allclose(rp["outcome"], r["outcome"], atol=1e-6)
    np.testing.assert_allclose(rp["utilities"], r["utilities"][perm], atol=1e-8)


@pytest.mark.parametrize("gamma", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("seed", range(6))
def test_solution_feasible_and_beats_random_feasible_points(seed, gamma):
    prob = random_problem(seed)
    w = np.random.default_rng(200 + seed).uniform(0.5, 2, 4)
    r = nash_bargaining(**prob, weights=w, gamma=gamma)
    assert r["reached"]
    x = r["outcome"]
    assert np.all(x >= prob["lo"] - 1e-12) and np.all(x <= prob["hi"] + 1e-12)
    args = {k: prob[k] for k in ("ideal", "salience", "width", "disagreement")}
    best = nash_objective(x, **args, weights=w, gamma=gamma)
    assert np.all(r["utilities"] > prob["disagreement"])
    assert best == pytest.approx(r["objective"])
    box_lo, box_hi = prob["lo"].max(0), prob["hi"].min(0)
    rng = np.random.default_rng(seed)
    pts = rng.uniform(box_lo, box_hi, (2000, box_lo.size))
    # also points close to the solution, where a premature stop would show
    pts = np.vstack([pts, np.clip(x + rng.normal(0, 0.5, (500, x.size)), box_lo, box_hi)])
    vals = [nash_objective(y, **args, weights=w, gamma=gamma) for y in pts]
    assert np.sum(np.isfinite(vals)) > 100
    assert best >= max(vals) - 1e-9


def test_kinked_optimum_on_several_issues():
    # gamma = 1, three parties on two issues: the optimum of a piecewise-linear
    # utility problem; check against a fine grid search.
    ideal = np.array([[0.0, 0.0], [100.0, 30.0], [30.0, 100.0]])
    sal = np.array([[1.0, 1.0], [2.0, 1.0], [1.0, 2.0]])
    width = np.array([100.0, 100.0])
    lo, hi = np.zeros((3, 2)), np.full((3, 2), 100.0)
    d = np.zeros(3)
    r = nash_bargaining(ideal, sal, width, lo, hi, d)
    g = np.linspace(0, 100, 201)
    best = max(nash_objective(np.array([a, b]), ideal, sal, width, d) for a in g for b in g)
    assert r["objective"] >= best - 1e-12


def test_bad_input_rejected():
    with pytest.raises(ValueError):
        one_issue(gamma=0.9)
    with pytest.raises(ValueError):
        one_issue(weights=[-1.0, 1.0])
    with pytest.raises(ValueError):
        one_issue(lo=(60, 0), hi=(50, 100))


def test_perturbed_default_scenario_converges_within_a_few_hundred_sweeps():
    """Coordinate ascent alone zigzagged for 10,000 sweeps on some of these inputs;
    the line search along each sweep's step must bring every one home quickly, to
    a point no coordinate move improves."""
    import dataclasses

    import sim
    from sim.models.parties import parties
    from sim.uncertainty import perturb, run_seeds, spreads

    sc = sim.load_scenario("nato_russia_2022", ["actors.RUS.red_line.enlargement=[0,100]"])
    arr = sc.arrays()
    X, S, C = perturb(arr, spreads(sc), run_seeds(1, 80, 95))
    for r in range(len(X)):
        a = dataclasses.replace(arr, position=X[r], salience=S[r], capability=C[r])
        pt = parties(sc, None, a)
        res = nash_bargaining(
            pt.ideal, pt.salience, pt.width, pt.lo, pt.hi, pt.disagreement, max_iter=300
        )
        assert res["reached"] and res["converged"], r
        x = res["outcome"]
        best = nash_objective(x, pt.ideal, pt.salience, pt.width, pt.disagreement)
        for k in range(x.size):
            for step in (-1e-3, 1e-3):
                y = x.copy()
                y[k] = np.clip(y[k] + step * pt.width[k], pt.lo[:, k].max(), pt.hi[:, k].min())
                other = nash_objective(y, pt.ideal, pt.salience, pt.width, pt.disagreement)
                assert other <= best + 1e-12
