"""The alternating-offers kernel (sim.kernels.bargaining): Rubinstein, strategies, batch."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.kernels import bargaining as K

deltas = st.floats(0.0, 0.99)
strategies = st.sampled_from([K.HARD_LINE, K.TIME_BASED, K.TIT_FOR_TAT])
exponents = st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0])
reservations = st.floats(0.0, 0.6)


def run(sa, pa, sb, pb, da, db, ra, rb, deadline, first=None):
    offers = np.full(deadline, -7.0)
    accepted = np.ones(deadline, dtype=np.bool_)
    if first is None:
        r, s = K.alternating_offers(sa, pa, sb, pb, da, db, ra, rb, deadline, offers, accepted)
    else:
        args = (sa, pa, sb, pb, da, db, ra, rb, deadline, offers, accepted)
        r, s = K.alternating_offers_first(first, *args)
    return r, s, offers, accepted


# --- subgame perfection -------------------------------------------------------------


@given(deltas, deltas)
def test_backward_induction_converges_to_rubinstein(da, db):
    s = K.subgame_perfect_offers(da, db, 20001)
    expected = (1.0 - db) / (1.0 - da * db)
    assert K.rubinstein_share(da, db) == pytest.approx(expected, abs=1e-15)
    assert s[0] == pytest.approx(expected, abs=1e-9)


@given(st.floats(0.0, 0.99))
def test_equal_deltas_split_one_over_one_plus_delta(d):
    assert K.rubinstein_share(d, d) == pytest.approx(1.0 / (1.0 + d), abs=1e-12)
    assert K.subgame_perfect_offers(d, d, 20001)[0] == pytest.approx(1.0 / (1.0 + d), abs=1e-9)


@given(st.floats(0.0, 0.999))
def test_first_mover_advantage(d):
    assert K.rubinstein_share(d, d) > 0.5
    assert K.subgame_perfect_offers(d, d, 2001)[0] > 0.5


def test_finite_deadline_by_hand():
    # One round: A takes all. Two: A offers B its discounted 1. Three: B offers A d_a.
    assert K.subgame_perfect_offers(0.9, 0.8, 1)[0] == 1.0
    assert K.subgame_perfect_offers(0.9, 0.8, 2)[0] == pytest.approx(1.0 - 0.8)
    assert K.subgame_perfect_offers(0.9, 0.8, 3)[0] == pytest.approx(1.0 - 0.8 * (1.0 - 0.9))
    np.testing.assert_allclose(K.subgame_perfect_offers(0.9, 0.8, 3), [0.92, 0.9, 1.0])


@given(deltas, deltas, st.integers(2, 60))
def test_backward_induction_relabelled(da, db, deadline):
    # From round 1 on, the game is a (deadline - 1)-round game with B first: swap labels.
    s = K.subgame_perfect_offers(da, db, deadline)
    swapped = K.subgame_perfect_offers(db, da, deadline - 1)
    np.testing.assert_allclose(s[1:], 1.0 - swapped, rtol=0, atol=1e-12)


# --- strategies ------------------------------------------------------------------------


def test_hard_line_against_linear_by_hand():
    # A hard line (demands 1); B linear from 1 to 0 over T = 10 rounds, proposing at odd t.
    # A accepts t / 10 >= 0.75 * 1 first at t = 9; B never accepts 0 before the deadline.
    r, s, offers, accepted = run(K.HARD_LINE, 0.0, K.TIME_BASED, 1.0, 0.75, 0.9, 0.0, 0.0, 11)
    assert (r, s) == (9, pytest.approx(0.9))
    np.testing.assert_allclose(offers[:10], [1, 0.1, 1, 0.3, 1, 0.5, 1, 0.7, 1, 0.9])
    assert np.isnan(offers[10])
    assert accepted.tolist() == [False] * 9 + [True, False]


def test_hard_lines_with_incompatible_demands_break_down():
    r, s, offers, accepted = run(K.HARD_LINE, 0.0, K.HARD_LINE, 0.0, 0.9, 0.9, 0.1, 0.1, 50)
    assert r == -1 and np.isnan(s)
    assert not accepted.any()
    np.testing.assert_array_equal(offers, np.tile([1.0, 0.0], 25))


def test_tit_for_tat_mirrors_concessions():
    # Against a linear conceder, tit for tat concedes as much and agreement comes near 1/2.
    r, s, offers, _ = run(K.TIT_FOR_TAT, 1.0, K.TIME_BASED, 1.0, 0.99, 0.99, 0.2, 0.2, 100)
    assert 0 <= r < 99
    a_demands = offers[0 : r + 1 : 2]
    assert np.all(np.diff(a_demands) <= 0) and a_demands[-1] < 1.0
    assert s == pytest.approx(0.5, abs=0.02)
    # Tit for tat against tit for tat never moves.
    r, s, _, _ = run(K.TIT_FOR_TAT, 1.0, K.TIT_FOR_TAT, 1.0, 0.9, 0.9, 0.1, 0.1, 100)
    assert r == -1 and np.isnan(s)


def test_boulware_against_conceder():
    common = (0.99, 0.99, 0.2, 0.2, 100)
    r_bc, s_bc, _, _ = run(K.TIME_BASED, 0.5, K.TIME_BASED, 2.0, *common)
    r_bb, s_bb, _, _ = run(K.TIME_BASED, 0.5, K.TIME_BASED, 0.5, *common)
    r_cc, s_cc, _, _ = run(K.TIME_BASED, 2.0, K.TIME_BASED, 2.0, *common)
    assert 0 <= r_bc < 99 and 0 <= r_bb and 0 <= r_cc
    # The conceder gives the Boulware more than another Boulware would ...
    assert s_bc > s_bb + 0.1
    # ... and keeps less for itself than against another conceder.
    assert 1.0 - s_bc < (1.0 - s_cc) - 0.1
    assert r_bc < r_bb  # and agreement comes sooner


@given(strategies, exponents, strategies, exponents, deltas, deltas, reservations, reservations)
def test_relabelling_is_consistent(sa, pa, sb, pb, da, db, ra, rb):
    # A first as (A, B) is the same game as B first with the labels swapped.
    r1, s1, o1, a1 = run(sa, pa, sb, pb, da, db, ra, rb, 40)
    r2, s2, o2, a2 = run(sb, pb, sa, pa, db, da, rb, ra, 40, first=1)
    assert r1 == r2
    np.testing.assert_allclose(o1, 1.0 - o2, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(a1, a2)
    if r1 >= 0:
        assert s1 == pytest.approx(1.0 - s2, abs=1e-12)
        assert s1 >= ra - 1e-12 and 1.0 - s1 >= rb - 1e-12
    else:
        assert np.isnan(s1) and np.isnan(s2)


# --- batch -----------------------------------------------------------------------------


def random_batch(n, seed=0):
    rng = np.random.default_rng(seed)
    codes = np.array([K.HARD_LINE, K.TIME_BASED, K.TIT_FOR_TAT])
    return (
        rng.choice(codes, n),
        rng.choice([0.25, 0.5, 1.0, 2.0, 4.0], n),
        rng.choice(codes, n),
        rng.choice([0.25, 0.5, 1.0, 2.0, 4.0], n),
        rng.uniform(0.5, 1.0, n),
        rng.uniform(0.5, 1.0, n),
        rng.uniform(0.0, 0.5, n),
        rng.uniform(0.0, 0.5, n),
    )


def run_batch(params, deadline):
    n = params[0].shape[0]
    offers = np.full((n, deadline), -7.0)
    accepted = np.ones((n, deadline), dtype=np.bool_)
    rounds = np.full(n, -7, dtype=np.int64)
    shares = np.full(n, -7.0)
    K.batch_alternating_offers(*params, deadline, offers, accepted, rounds, shares)
    return offers, accepted, rounds, shares


def test_batch_equals_single_kernel_loop():
    params = random_batch(500)
    offers, accepted, rounds, shares = run_batch(params, 60)
    assert (rounds >= 0).any() and (rounds == -1).any()
    for i in range(500):
        r, s, o, a = run(*(p[i] for p in params), 60)
        assert rounds[i] == r
        np.testing.assert_array_equal(shares[i], s)  # exact, nan == nan
        np.testing.assert_array_equal(offers[i], o)
        np.testing.assert_array_equal(accepted[i], a)


def test_batch_independent_of_thread_count():
    params = random_batch(2000, seed=1)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_batch(params, 80)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run_batch(params, 80)
    finally:
        numba.set_num_threads(before)
    for x, y in zip(one, two, strict=True):
        np.testing.assert_array_equal(x, y)
