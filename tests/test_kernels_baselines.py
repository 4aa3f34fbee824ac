"""The baseline kernels (sim.kernels.baselines) against the reference and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels import baselines as B
from sim.models.trajectory import Trajectory, baseline_forecasts, forecast
from tests import reference as ref

positions = st.one_of(st.integers(-5, 5).map(float), st.floats(-1e3, 1e3))
saliences = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0.0, 1.0))
capabilities = st.one_of(st.integers(1, 10).map(float), st.floats(0.01, 100.0))


@st.composite
def actors(draw, min_size=1, max_size=12):
    n = draw(st.integers(min_size, max_size))
    x = np.array([draw(positions) for _ in range(n)])
    c = np.array([draw(capabilities) for _ in range(n)])
    s = np.array([draw(saliences) for _ in range(n)])
    return x, c, s


def kernel_weights(c, s):
    return B.weights(c, s, np.full(len(c), np.nan))


@settings(max_examples=60)
@given(actors())
def test_baselines_match_reference(data):
    x, c, s = data
    w = kernel_weights(c, s)
    np.testing.assert_array_equal(w, ref.weights(c, s))
    assert B.weighted_median(x, w) == ref.weighted_median(x, w)
    assert B.compromise(x, w) == pytest.approx(ref.compromise(x, w), rel=1e-12, abs=1e-12)


@settings(max_examples=60)
@given(actors())
def test_baseline_properties(data):
    x, c, s = data
    w = kernel_weights(c, s)
    median = B.weighted_median(x, w)
    assert median in x
    # at least half the weight lies at or below the median, at least half at or above it
    total = w.sum()
    assert w[x <= median].sum() >= 0.5 * total * (1 - 1e-12)
    assert w[x >= median].sum() >= 0.5 * total * (1 - 1e-12)
    # nothing strictly below the median already holds half the weight
    assert w[x < median].sum() < 0.5 * total * (1 + 1e-12)
    assert x.min() - 1e-9 <= B.compromise(x, w) <= x.max() + 1e-9


def test_weighted_median_by_hand():
    x = np.array([3.0, 1.0, 2.0, 5.0])
    # equal weights: sorted 1, 2, 3, 5 with cumulative 1, 2, 3, 4; half is 2, first reached at 2
    assert B.weighted_median(x, np.ones(4)) == 2.0
    # weight 4 on 3: cumulative 1 (at 1), 2 (at 2), 6 (at 3); half of 7 is 3.5 -> 3
    assert B.weighted_median(x, np.array([4.0, 1.0, 1.0, 1.0])) == 3.0
    # weight 5 on 1: 5 >= 4 at once -> 1
    assert B.weighted_median(x, np.array([1.0, 5.0, 1.0, 1.0])) == 1.0
    # the heaviest at the top: cumulative 1, 2, 3 < 4.5, then 9 -> 5
    assert B.weighted_median(x, np.array([1.0, 1.0, 1.0, 6.0])) == 5.0
    # ties in position count together
    assert B.weighted_median(np.array([4.0, 4.0, 9.0]), np.array([1.0, 1.0, 3.0])) == 9.0
    assert B.weighted_median(np.array([4.0, 4.0, 9.0]), np.array([1.5, 1.0, 2.5])) == 4.0


def test_compromise_and_weights_by_hand():
    x = np.array([3.0, 1.0, 2.0, 5.0])
    assert B.compromise(x, np.array([4.0, 1.0, 1.0, 1.0])) == pytest.approx(20 / 7)
    c, s = np.array([2.0, 3.0, 0.5]), np.array([0.5, 0.0, 1.0])
    np.testing.assert_array_equal(kernel_weights(c, s), [1.0, 0.0, 0.5])
    # nobody cares at all: everyone counts equally
    np.testing.assert_array_equal(kernel_weights(c, np.zeros(3)), [1.0, 1.0, 1.0])
    assert B.compromise(np.array([0.0, 3.0, 9.0]), kernel_weights(c, np.zeros(3))) == 4.0
    assert B.weighted_median(np.array([0.0, 3.0, 9.0]), kernel_weights(c, np.zeros(3))) == 3.0


@settings(max_examples=40)
@given(actors(min_size=2), st.randoms(use_true_random=False))
def test_weighted_median_ignores_the_order_of_actors(data, rnd):
    """Exact with dyadic weights (sums exact in any order)."""
    x, c, _ = data
    w = np.round(c) / 4.0 + 0.25
    order = list(range(len(x)))
    rnd.shuffle(order)
    assert B.weighted_median(x[order], w[order]) == B.weighted_median(x, w)
    assert B.compromise(x[order], w[order]) == pytest.approx(
        B.compromise(x, w), rel=1e-12, abs=1e-9
    )


@settings(max_examples=40)
@given(st.integers(1, 3).flatmap(lambda m: st.tuples(st.just(m), actors())))
def test_baseline_forecasts_per_issue(data):
    m, (x, c, s) = data
    n = len(x)
    X = np.stack([np.roll(x, k) + k for k in range(m)])
    S = np.stack([np.roll(s, -k) for k in range(m)])
    comp, med = baseline_forecasts(c, S, X)
    for k in range(m):
        w = ref.weights(c, S[k])
        assert med[k] == ref.weighted_median(X[k], w)
        assert comp[k] == pytest.approx(ref.compromise(X[k], w), rel=1e-12, abs=1e-12)
    assert comp.shape == med.shape == (m,) and n == X.shape[1]


def test_forecast_averages_over_the_cycle():
    """A 2-cycle between [10, 0] and [0, 10]; the forecast is the mean over its two states.

    Equal weights: compromise 5 and 5; median (first to reach half of 2) 0 and 0.
    Weights 3, 1: compromise 30/4 and 10/4 -> 5; median 10 (0 holds 1 < 2) and 0 -> 5.
    """
    states = np.array([[[0.0, 4.0]], [[0.0, 10.0]], [[10.0, 0.0]], [[0.0, 10.0]]])
    tr = Trajectory(
        states,
        np.zeros((3, 1, 2), np.int64),
        np.full((3, 1, 2), -1),
        np.zeros((3, 1, 2), bool),
        "cycle",
        2,
    )
    comp, med = forecast(np.ones(2), np.ones((1, 2)), tr)
    assert comp.tolist() == [5.0] and med.tolist() == [0.0]
    comp, med = forecast(np.array([3.0, 1.0]), np.ones((1, 2)), tr)
    assert comp.tolist() == [5.0] and med.tolist() == [5.0]
    # converged: the last state only, [0, 10] -> compromise 2.5, median 0 with weights 3, 1
    converged = Trajectory(
        states[:2],
        np.zeros((1, 1, 2), np.int64),
        np.full((1, 1, 2), -1),
        np.zeros((1, 1, 2), bool),
        "converged",
        1,
    )
    comp, med = forecast(np.array([3.0, 1.0]), np.ones((1, 2)), converged)
    assert comp.tolist() == [2.5] and med.tolist() == [0.0]
