"""Crisis bargaining (sim.models.fearon, DESIGN 5.5).

The defender's expected utility is recomputed here from the model's definition and maximised
by brute force over a fine grid of offers; the closed form must match it.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.models.fearon import (
    bargaining_range,
    fearon_optimal_offer,
    side_capability,
    simulate_offer_acceptance,
    win_probability,
)

GRID = np.linspace(0.0, 1.0, 20_001)
STEP = GRID[1] - GRID[0]


def defender_utility(p, x, cost_defender, a, b):
    """U(x) = F(x)(1 - x) + (1 - F(x))(1 - p - c_D), F(x) = P(c_C >= p - x), c_C ~ U[a, b]."""
    accept = np.clip((b - p + x) / (b - a), 0.0, 1.0)
    return accept * (1.0 - x) + (1.0 - accept) * (1.0 - p - cost_defender)


unit = st.floats(0.0, 1.0, allow_nan=False)
params = st.tuples(
    unit,  # p
    st.floats(0.0, 1.5, allow_nan=False),  # c_D
    unit,  # a
    st.floats(0.02, 1.5, allow_nan=False),  # b - a
)


# --------------------------------------------------------------------------- closed form


@settings(max_examples=300, deadline=None)
@given(params)
def test_closed_form_matches_brute_force(args):
    p, cd, a, width = args
    b = a + width
    res = fearon_optimal_offer(p, cd, a, b)
    x = res["offer"]
    assert 0.0 <= x <= 1.0
    assert 0.0 <= res["p_war"] <= 1.0

    u_grid = defender_utility(p, GRID, cd, a, b)
    best = u_grid.max()
    # |dU/dx| <= max(1, (b + c_D) / (b - a)), so the grid's optimum is at most one step's
    # worth of utility below the true one.
    tol = max(1.0, (b + cd) / (b - a)) * STEP + 1e-12
    u_star = float(defender_utility(p, x, cd, a, b))
    assert res["defender_utility"] == pytest.approx(u_star, abs=1e-12)
    assert u_star >= best - 1e-12  # the closed form is never beaten by the grid
    assert u_star <= best + tol  # and the grid comes within a step of it

    # The offer itself: the grid neighbours of x* are within tol of the grid's best, so x*
    # lies within a step of the grid's near-optimal set.
    near = GRID[u_grid >= best - tol - 1e-12]
    assert near.min() - STEP - 1e-12 <= x <= near.max() + STEP + 1e-12

    accept = min(max((b - p + x) / (b - a), 0.0), 1.0)
    assert res["p_war"] == pytest.approx(1.0 - accept, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(params)
def test_interior_formula_when_unconstrained(args):
    p, cd, a, width = args
    b = a + width
    x_formula = p + (cd - b) / 2
    war_formula = 1 - (b + cd) / (2 * (b - a))
    res = fearon_optimal_offer(p, cd, a, b)
    if cd < b - 2 * a and 0.0 <= x_formula <= 1.0:
        assert 0.0 < war_formula < 1.0
        assert res["offer"] == pytest.approx(x_formula, abs=1e-12)
        assert res["p_war"] == pytest.approx(war_formula, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(params)
def test_peace_for_sure_regime(args):
    p, cd, a, width = args
    b = a + width
    if cd >= b - 2 * a and 0.0 <= p - a <= 1.0:
        res = fearon_optimal_offer(p, cd, a, b)
        assert res["offer"] == pytest.approx(p - a, abs=1e-12)
        assert res["p_war"] == pytest.approx(0.0, abs=1e-12)
        assert res["defender_utility"] == pytest.approx(1.0 - (p - a), abs=1e-12)


def test_worked_examples():
    res = fearon_optimal_offer(0.5, 0.1, 0.0, 0.4)
    assert res["offer"] == pytest.approx(0.35)
    assert res["p_war"] == pytest.approx(0.375)
    assert res["defender_utility"] == pytest.approx(0.625 * 0.65 + 0.375 * 0.4)

    peace = fearon_optimal_offer(0.5, 0.3, 0.1, 0.4)
    assert peace["offer"] == pytest.approx(0.4)
    assert peace["p_war"] == 0.0

    # Boundary c_D == b - 2a: both formulas give x = p - a, P(war) = 0.
    edge = fearon_optimal_offer(0.5, 0.2, 0.1, 0.4)
    assert edge["offer"] == pytest.approx(0.4)
    assert edge["p_war"] == pytest.approx(0.0, abs=1e-12)


def test_offer_clipped_to_the_pie():
    # Strong defender, large costs: the unconstrained optimum p - a is negative.
    low = fearon_optimal_offer(0.1, 2.0, 0.5, 0.6)
    assert low["offer"] == 0.0
    assert low["p_war"] == 0.0  # p - c_C < 0 for every type: any offer is accepted
    # x_u <= p - a <= 1, so the upper bound is reached only at p = 1, a = 0.
    high = fearon_optimal_offer(1.0, 5.0, 0.0, 0.1)
    assert high["offer"] == 1.0
    assert high["p_war"] == pytest.approx(0.0, abs=1e-12)


def test_monte_carlo_matches_closed_form():
    p, cd, a, b = 0.6, 0.1, 0.05, 0.5
    res = fearon_optimal_offer(p, cd, a, b)
    assert res["p_war"] == pytest.approx(1 - 0.6 / 0.9)
    n = 200_000
    est = simulate_offer_acceptance(p, res["offer"], cd, a, b, n, np.random.default_rng(20240501))
    se = math.sqrt(res["p_war"] * (1 - res["p_war"]) / n)
    assert abs(est - res["p_war"]) <= 4 * se


def test_monte_carlo_is_reproducible_and_extreme_offers():
    args = (0.6, 0.4, 0.1, 0.05, 0.5, 1000)
    one = simulate_offer_acceptance(*args, np.random.default_rng(7))
    two = simulate_offer_acceptance(*args, np.random.default_rng(7))
    assert one == two
    assert simulate_offer_acceptance(0.6, 1.0, 0.1, 0.05, 0.5, 1000, np.random.default_rng(1)) == 0
    assert simulate_offer_acceptance(0.9, 0.0, 0.1, 0.05, 0.5, 1000, np.random.default_rng(1)) == 1


# --------------------------------------------------------------------------- range and power


@given(unit, st.floats(0.0, 2.0), st.floats(0.0, 2.0))
def test_bargaining_range(p, cc, cd):
    lo, hi = bargaining_range(p, cc, cd)
    assert lo <= p <= hi
    assert hi - lo == pytest.approx(cc + cd, abs=1e-12)


pos = st.floats(1e-6, 1e6, allow_nan=False)


@given(pos, pos, st.floats(0.0, 10.0))
def test_win_probability_symmetric(kc, kd, g):
    assert win_probability(kc, kd, g) + win_probability(kd, kc, g) == pytest.approx(1.0, abs=1e-12)
    assert 0.0 <= win_probability(kc, kd, g) <= 1.0


@given(pos, pos)
def test_win_probability_exponent_zero_is_coin_flip(kc, kd):
    assert win_probability(kc, kd, 0.0) == 0.5


def test_win_probability_values_and_decisiveness():
    assert win_probability(3.0, 1.0) == pytest.approx(0.75)
    assert win_probability(2.0, 2.0, 5.0) == pytest.approx(0.5)
    ps = [win_probability(3.0, 1.0, g) for g in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert all(x < y for x, y in zip(ps, ps[1:], strict=False))
    assert win_probability(1.0, 3.0, 4.0) < win_probability(1.0, 3.0, 1.0) < 0.5
    assert win_probability(1e300, 1e-300, 50.0) == pytest.approx(1.0)


def test_side_capability():
    caps = {"A": 2.0, "B": 1.0, "C": 4.0}
    assert side_capability(caps, "A", {}) == 2.0
    assert side_capability(caps, "A", {"B": 0.5, "C": 0.25}) == pytest.approx(3.5)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: win_probability(0.0, 1.0), "k_challenger"),
        (lambda: win_probability(1.0, -1.0), "k_defender"),
        (lambda: win_probability(math.inf, 1.0), "k_challenger"),
        (lambda: win_probability(1.0, math.nan), "k_defender"),
        (lambda: win_probability(1.0, 1.0, -1.0), "exponent"),
        (lambda: win_probability(1.0, 1.0, math.inf), "exponent"),
        (lambda: bargaining_range(1.5, 0.1, 0.1), "p"),
        (lambda: bargaining_range(0.5, -0.1, 0.1), "cost_challenger"),
        (lambda: bargaining_range(0.5, 0.1, math.nan), "cost_defender"),
        (lambda: fearon_optimal_offer(-0.1, 0.1, 0.0, 0.4), "p"),
        (lambda: fearon_optimal_offer(0.5, -0.1, 0.0, 0.4), "cost_defender"),
        (lambda: fearon_optimal_offer(0.5, 0.1, -0.1, 0.4), "a"),
        (lambda: fearon_optimal_offer(0.5, 0.1, 0.4, 0.4), "b"),
        (lambda: fearon_optimal_offer(0.5, 0.1, 0.0, math.inf), "b"),
        (lambda: side_capability({"A": 1.0}, "X", {}), "lead"),
        (lambda: side_capability({"A": 1.0}, "A", {"Z": 0.5}), "supporters"),
        (lambda: side_capability({"A": 1.0, "B": 1.0}, "A", {"B": 1.5}), "supporters"),
        (lambda: side_capability({"A": -1.0}, "A", {}), "capabilities"),
        (
            lambda: simulate_offer_acceptance(0.5, 0.3, 0.1, 0.0, 0.4, 0, np.random.default_rng()),
            "n",
        ),
        (
            lambda: simulate_offer_acceptance(0.5, 1.3, 0.1, 0.0, 0.4, 10, np.random.default_rng()),
            "offer",
        ),
    ],
)
def test_bad_input_names_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_rng_must_be_generator():
    with pytest.raises(TypeError, match="rng"):
        simulate_offer_acceptance(0.5, 0.3, 0.1, 0.0, 0.4, 10, 42)
