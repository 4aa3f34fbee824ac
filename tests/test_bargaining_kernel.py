"""The alternating-offers kernel (sim.kernels.bargaining): Rubinstein, strategies, frontiers, batch."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

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

PIE_A = np.array([0.0, 1.0])
PIE_B = np.array([1.0, 0.0])


def run(sa, pa, sb, pb, da, db, ra, rb, deadline, first=None, front=(PIE_A, PIE_B)):
    offers = np.full(deadline, -7.0)
    offers_b = np.full(deadline, -7.0)
    accepted = np.ones(deadline, dtype=np.bool_)
    args = (sa, pa, sb, pb, da, db, ra, rb, front[0], front[1], deadline)
    if first is None:
        r, s = K.alternating_offers(*args, offers, offers_b, accepted)
    else:
        r, s = K.alternating_offers_first(first, *args, offers, offers_b, accepted)
    return r, s, offers, offers_b, accepted


def same_bits(x, y):
    """Equal arrays, nan where nan, and the same sign on zeros."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(np.signbit(x), np.signbit(y))


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
    r, s, offers, offers_b, accepted = run(
        K.HARD_LINE, 0.0, K.TIME_BASED, 1.0, 0.75, 0.9, 0.0, 0.0, 11
    )
    assert (r, s) == (9, pytest.approx(0.9))
    np.testing.assert_allclose(offers[:10], [1, 0.1, 1, 0.3, 1, 0.5, 1, 0.7, 1, 0.9])
    np.testing.assert_allclose(offers_b[:10], [0, 0.9, 0, 0.7, 0, 0.5, 0, 0.3, 0, 0.1])
    assert np.isnan(offers[10]) and np.isnan(offers_b[10])
    assert accepted.tolist() == [False] * 9 + [True, False]


def test_hard_lines_with_incompatible_demands_break_down():
    r, s, offers, offers_b, accepted = run(
        K.HARD_LINE, 0.0, K.HARD_LINE, 0.0, 0.9, 0.9, 0.1, 0.1, 50
    )
    assert r == -1 and np.isnan(s)
    assert not accepted.any()
    np.testing.assert_array_equal(offers, np.tile([1.0, 0.0], 25))
    np.testing.assert_array_equal(offers_b, np.tile([0.0, 1.0], 25))


def test_tit_for_tat_mirrors_concessions():
    # Against a linear conceder, tit for tat concedes as much and agreement comes near 1/2.
    r, s, offers, _, _ = run(K.TIT_FOR_TAT, 1.0, K.TIME_BASED, 1.0, 0.99, 0.99, 0.2, 0.2, 100)
    assert 0 <= r < 99
    a_demands = offers[0 : r + 1 : 2]
    assert np.all(np.diff(a_demands) <= 0) and a_demands[-1] < 1.0
    assert s == pytest.approx(0.5, abs=0.02)
    # Tit for tat against tit for tat never moves.
    r, s, _, _, _ = run(K.TIT_FOR_TAT, 1.0, K.TIT_FOR_TAT, 1.0, 0.9, 0.9, 0.1, 0.1, 100)
    assert r == -1 and np.isnan(s)


def test_boulware_against_conceder():
    common = (0.99, 0.99, 0.2, 0.2, 100)
    r_bc, s_bc, *_ = run(K.TIME_BASED, 0.5, K.TIME_BASED, 2.0, *common)
    r_bb, s_bb, *_ = run(K.TIME_BASED, 0.5, K.TIME_BASED, 0.5, *common)
    r_cc, s_cc, *_ = run(K.TIME_BASED, 2.0, K.TIME_BASED, 2.0, *common)
    assert 0 <= r_bc < 99 and 0 <= r_bb and 0 <= r_cc
    # The conceder gives the Boulware more than another Boulware would ...
    assert s_bc > s_bb + 0.1
    # ... and keeps less for itself than against another conceder.
    assert 1.0 - s_bc < (1.0 - s_cc) - 0.1
    assert r_bc < r_bb  # and agreement comes sooner


@given(strategies, exponents, strategies, exponents, deltas, deltas, reservations, reservations)
def test_relabelling_is_consistent(sa, pa, sb, pb, da, db, ra, rb):
    # A first as (A, B) is the same game as B first with the labels swapped.
    r1, s1, o1, ob1, a1 = run(sa, pa, sb, pb, da, db, ra, rb, 40)
    r2, s2, o2, ob2, a2 = run(sb, pb, sa, pa, db, da, rb, ra, 40, first=1)
    assert r1 == r2
    np.testing.assert_allclose(o1, 1.0 - o2, rtol=0, atol=1e-12)
    same_bits(o1, ob2)
    same_bits(ob1, o2)
    np.testing.assert_array_equal(a1, a2)
    if r1 >= 0:
        assert s1 == pytest.approx(1.0 - s2, abs=1e-12)
        assert s1 >= ra - 1e-12 and 1.0 - s1 >= rb - 1e-12
    else:
        assert np.isnan(s1) and np.isnan(s2)


# --- the pie: bit for bit what the pie-only kernel gave ---------------------------------


def old_demand(strategy, param, reservation, t, last, own_last, opp_last, opp_prev):
    """``demand`` as it was, in plain Python."""
    if strategy == K.TIME_BASED:
        frac = t / last if last > 0 else 1.0
        d = 1.0 - (1.0 - reservation) * frac ** (1.0 / param)
    elif strategy == K.TIT_FOR_TAT:
        d = own_last - param * (opp_prev - opp_last)
    else:
        return 1.0
    if d > 1.0:
        d = 1.0
    if d < reservation:
        d = reservation
    return d


def old_pie_kernel(first, sa, pa, sb, pb, da, db, ra, rb, deadline):
    """A plain-Python copy of the pie-only ``alternating_offers_first`` (offer = 1 - demand).

    Returns (round, share_a, A's shares, B's shares, accepted), the pie's B share being
    ``1 - d`` when A demands ``d`` and ``d`` when B does.
    """
    offers = [math.nan] * deadline
    offers_b = [math.nan] * deadline
    accepted = [False] * deadline
    if deadline <= 0:
        return -1, math.nan, offers, offers_b, accepted
    last = deadline - 1
    a_last = a_prev = b_last = b_prev = 1.0
    for t in range(deadline):
        if (t + first) % 2 == 0:
            d = old_demand(sa, pa, ra, t, last, a_last, b_last, b_prev)
            a_prev, a_last = a_last, d
            share_a = d
            offered = 1.0 - d
            share_b = offered
            accept = offered >= rb
            if accept and t < last:
                accept = offered >= db * old_demand(sb, pb, rb, t + 1, last, b_last, a_last, a_prev)
        else:
            d = old_demand(sb, pb, rb, t, last, b_last, a_last, a_prev)
            b_prev, b_last = b_last, d
            share_b = d
            offered = 1.0 - d
            share_a = offered
            accept = offered >= ra
            if accept and t < last:
                accept = offered >= da * old_demand(sa, pa, ra, t + 1, last, a_last, b_last, b_prev)
        offers[t] = share_a
        offers_b[t] = share_b
        if accept:
            accepted[t] = True
            return t, share_a, offers, offers_b, accepted
    return -1, math.nan, offers, offers_b, accepted


def random_game(rng):
    """Random kernel inputs with plenty of exact ties (reservations 0, 0.5, 1; delta 1)."""
    codes = [K.HARD_LINE, K.TIME_BASED, K.TIT_FOR_TAT]

    def param():
        return float(rng.choice([0.25, 0.5, 1.0, 2.0, 4.0, rng.uniform(0.05, 6.0)]))

    def delta():
        return float(rng.choice([0.0, 0.5, 0.9, 1.0, rng.uniform(0.0, 1.0)]))

    def reservation():
        return float(rng.choice([0.0, 0.2, 0.5, 1.0, rng.uniform(0.0, 1.0)]))

    return (
        int(rng.choice(codes)),
        param(),
        int(rng.choice(codes)),
        param(),
        delta(),
        delta(),
        reservation(),
        reservation(),
    )


def test_pie_is_bit_for_bit_the_old_pie_kernel():
    rng = np.random.default_rng(20240611)
    agreed = 0
    for _ in range(4000):
        game = random_game(rng)
        deadline = int(rng.integers(0, 60))
        first = int(rng.integers(0, 2))
        r, s, offers, offers_b, accepted = run(*game, deadline, first=first)
        r0, s0, offers0, offers_b0, accepted0 = old_pie_kernel(first, *game, deadline)
        assert r == r0, (game, deadline, first)
        same_bits(s, s0)
        same_bits(offers, offers0)
        same_bits(offers_b, offers_b0)
        np.testing.assert_array_equal(accepted, accepted0)
        agreed += r >= 0
    assert 1000 < agreed < 3900  # both outcomes well covered


def test_pie_offers_are_exactly_one_minus_demand():
    rng = np.random.default_rng(3)
    ds = np.concatenate(
        [[0.0, 1.0, 0.5, 1e-300, 5e-324, 1.0 - 2.0**-53, 2.0**-53], rng.uniform(0.0, 1.0, 20000)]
    )
    got_b = np.array([K.b_of_a(d, PIE_A, PIE_B) for d in ds])
    got_a = np.array([K.a_of_b(d, PIE_A, PIE_B) for d in ds])
    same_bits(got_b, 1.0 - ds)
    same_bits(got_a, 1.0 - ds)


# --- frontier look-ups -----------------------------------------------------------------


def random_frontier(rng, g, flat=True):
    """A random frontier with ``g`` points, optionally with flat (repeated) stretches."""
    steps_a = rng.exponential(1.0, g - 1)
    steps_b = rng.exponential(1.0, g - 1)
    if flat:
        steps_a[rng.uniform(size=g - 1) < 0.3] = 0.0
        steps_b[(rng.uniform(size=g - 1) < 0.3) & (steps_a > 0)] = 0.0
    if steps_a.sum() == 0.0:
        steps_a[-1] = 1.0
    if steps_b.sum() == 0.0:
        steps_b[0] = 1.0
    fa = np.concatenate([[0.0], np.cumsum(steps_a)])
    fb = np.concatenate([[0.0], np.cumsum(steps_b)])
    fa = fa / fa[-1]
    fb = 1.0 - fb / fb[-1]
    fa[-1] = 1.0
    fb[-1] = 0.0
    return fa, fb


def b_of_a_by_definition(d, fa, fb, samples=2001):
    """Largest B share over densely sampled frontier points with A share >= d."""
    best = -math.inf
    for i in range(len(fa) - 1):
        u = np.linspace(0.0, 1.0, samples)
        xs = fa[i] + u * (fa[i + 1] - fa[i])
        ys = fb[i] + u * (fb[i + 1] - fb[i])
        ok = xs >= d
        if ok.any():
            best = max(best, ys[ok].max())
    return best


def test_lookups_match_the_definition_on_random_frontiers():
    rng = np.random.default_rng(11)
    for _ in range(40):
        fa, fb = random_frontier(rng, int(rng.integers(2, 12)))
        K.check_frontier(fa, fb)
        for d in np.concatenate([rng.uniform(-0.1, 1.0, 25), fa]):
            want = b_of_a_by_definition(d, fa, fb)
            # dense sampling sees each segment's value at d to within a sample step
            assert K.b_of_a(d, fa, fb) == pytest.approx(want, abs=2e-3)
            assert K.b_of_a(d, fa, fb) >= want - 1e-12
            want_a = b_of_a_by_definition(d, fb[::-1], fa[::-1])
            assert K.a_of_b(d, fa, fb) == pytest.approx(want_a, abs=2e-3)


def test_a_of_b_is_b_of_a_mirrored_exactly():
    rng = np.random.default_rng(12)
    for _ in range(50):
        fa, fb = random_frontier(rng, int(rng.integers(2, 30)))
        ra, rb = fb[::-1].copy(), fa[::-1].copy()
        for d in np.concatenate([rng.uniform(0.0, 1.0, 50), fa, fb]):
            same_bits(K.a_of_b(d, fa, fb), K.b_of_a(d, ra, rb))
            same_bits(K.b_of_a(d, fa, fb), K.a_of_b(d, ra, rb))


def test_lookups_by_hand_with_flat_segments():
    # A vertical stretch (A's share stays 0.5 while B's falls from 0.8 to 0.3) and a
    # horizontal one (B's share stays 0.3 while A's rises from 0.5 to 0.75).
    fa = np.array([0.0, 0.5, 0.5, 0.75, 1.0])
    fb = np.array([1.0, 0.8, 0.3, 0.3, 0.0])
    K.check_frontier(fa, fb)
    assert K.b_of_a(0.5, fa, fb) == 0.8  # the best for B among A >= 0.5
    assert K.b_of_a(0.25, fa, fb) == pytest.approx(0.9)
    assert K.b_of_a(0.6, fa, fb) == 0.3
    assert K.b_of_a(0.875, fa, fb) == pytest.approx(0.15)
    assert K.b_of_a(0.0, fa, fb) == 1.0 and K.b_of_a(-1.0, fa, fb) == 1.0
    assert K.b_of_a(1.0, fa, fb) == 0.0
    assert K.a_of_b(0.3, fa, fb) == 0.75  # the best for A among B >= 0.3
    assert K.a_of_b(0.5, fa, fb) == 0.5
    assert K.a_of_b(0.9, fa, fb) == pytest.approx(0.25)
    assert K.a_of_b(0.0, fa, fb) == 1.0
    assert K.a_of_b(1.0, fa, fb) == 0.0
    # No point with so large a share: the offer gives the other party -inf.
    assert K.b_of_a(1.5, fa, fb) == -math.inf
    assert K.a_of_b(math.inf, fa, fb) == -math.inf
    assert math.isnan(K.b_of_a(math.nan, fa, fb)) and math.isnan(K.a_of_b(math.nan, fa, fb))


def test_flat_segments_in_a_negotiation_by_hand():
    fa = np.array([0.0, 0.5, 0.5, 1.0])
    fb = np.array([1.0, 0.8, 0.3, 0.0])
    # A linear from 1 to its reservation 0.5 over T = 2; B hard line, reservation 0.7.
    # t=0: A demands 1, B gets 0. t=1: B demands 1, A gets 0. t=2: A demands 0.5 and
    # offers B the better end of the vertical stretch, 0.8 >= 0.7: accepted.
    r, s, offers, offers_b, accepted = run(
        K.TIME_BASED, 1.0, K.HARD_LINE, 0.0, 0.9, 0.9, 0.5, 0.7, 3, front=(fa, fb)
    )
    assert (r, s) == (2, 0.5)
    np.testing.assert_array_equal(offers, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(offers_b, [0.0, 1.0, 0.8])
    assert accepted.tolist() == [False, False, True]
    # A horizontal stretch: B's hard line (1) leaves A the far end of it, 0.4.
    fa = np.array([0.0, 0.4, 1.0])
    fb = np.array([1.0, 1.0, 0.0])
    r, s, offers, offers_b, _ = run(
        K.HARD_LINE, 0.0, K.HARD_LINE, 0.0, 0.9, 0.9, 0.4, 0.9, 2, front=(fa, fb)
    )
    assert (r, s) == (1, 0.4)
    np.testing.assert_array_equal(offers_b, [0.0, 1.0])


# --- general frontiers against a slow reference -----------------------------------------


def ref_b_of_a(d, fa, fb):
    """``b_of_a`` by a linear scan (same interpolation formula, no binary search)."""
    if d != d:
        return math.nan
    if d > fa[-1]:
        return -math.inf
    j = next(i for i in range(len(fa)) if fa[i] >= d)
    if j == 0 or fa[j] == d:
        return float(fb[j])
    x0, f0, x1, f1 = float(fa[j - 1]), float(fb[j - 1]), float(fa[j]), float(fb[j])
    v = f0 + (d - x0) * (f1 - f0) / (x1 - x0)
    return min(max(v, f1), f0)


def ref_a_of_b(d, fa, fb):
    """``a_of_b`` by a linear scan, written out rather than mirrored."""
    if d != d:
        return math.nan
    if d > fb[0]:
        return -math.inf
    g = len(fb)
    j = max(i for i in range(g) if fb[i] >= d)
    if j == g - 1 or fb[j] == d:
        return float(fa[j])
    x0, f0, x1, f1 = float(fb[j + 1]), float(fa[j + 1]), float(fb[j]), float(fa[j])
    v = f0 + (d - x0) * (f1 - f0) / (x1 - x0)
    return min(max(v, f1), f0)


def ref_negotiation(first, sa, pa, sb, pb, da, db, ra, rb, fa, fb, deadline):
    """The rules of the module docstring in plain Python, on any frontier."""
    offers = [math.nan] * deadline
    offers_b = [math.nan] * deadline
    accepted = [False] * deadline
    last = deadline - 1
    hist = {"a": [1.0, 1.0], "b": [1.0, 1.0]}  # [previous, latest] demand of each party
    params = {"a": (sa, pa, ra, da), "b": (sb, pb, rb, db)}
    for t in range(deadline):
        p, q = ("a", "b") if (t + first) % 2 == 0 else ("b", "a")
        s_p, par_p, r_p, _ = params[p]
        s_q, par_q, r_q, d_q = params[q]
        d = old_demand(s_p, par_p, r_p, t, last, hist[p][1], hist[q][1], hist[q][0])
        hist[p] = [hist[p][1], d]
        offered = ref_b_of_a(d, fa, fb) if p == "a" else ref_a_of_b(d, fa, fb)
        ok = offered >= r_q
        if ok and t < last:
            nxt = old_demand(s_q, par_q, r_q, t + 1, last, hist[q][1], hist[p][1], hist[p][0])
            ok = offered >= d_q * nxt
        share_a, share_b = (d, offered) if p == "a" else (offered, d)
        offers[t], offers_b[t] = share_a, share_b
        if ok:
            accepted[t] = True
            return t, share_a, offers, offers_b, accepted
    return -1, math.nan, offers, offers_b, accepted


def concave_frontier(g=41):
    fa = np.linspace(0.0, 1.0, g)
    return fa, 1.0 - fa**2


@pytest.mark.parametrize(
    "frontier",
    [
        concave_frontier(),
        concave_frontier(2),
        random_frontier(np.random.default_rng(5), 17),
        random_frontier(np.random.default_rng(6), 60, flat=False),
        (np.array([0.0, 0.5, 0.5, 0.75, 1.0]), np.array([1.0, 0.8, 0.3, 0.3, 0.0])),
    ],
    ids=["concave", "pie", "flat-segments", "random", "by-hand-flat"],
)
def test_kernel_matches_reference_on_frontiers(frontier):
    fa, fb = frontier
    K.check_frontier(fa, fb)
    rng = np.random.default_rng(int(fa.shape[0]))
    agreed = 0
    for _ in range(600):
        game = random_game(rng)
        deadline = int(rng.integers(1, 50))
        first = int(rng.integers(0, 2))
        got = run(*game, deadline, first=first, front=(fa, fb))
        want = ref_negotiation(first, *game, fa, fb, deadline)
        assert got[0] == want[0], (game, deadline, first)
        same_bits(got[1], want[1])
        same_bits(got[2], want[2])
        same_bits(got[3], want[3])
        np.testing.assert_array_equal(got[4], want[4])
        agreed += got[0] >= 0
        if got[0] >= 0:
            # the agreement is a point of the frontier, within both reservations
            assert got[2][got[0]] >= game[6] and got[3][got[0]] >= game[7]
    assert 50 < agreed < 590


@given(strategies, exponents, strategies, exponents, deltas, deltas, reservations, reservations)
def test_relabelling_on_a_curved_frontier(sa, pa, sb, pb, da, db, ra, rb):
    # Swapping the parties and reversing the frontier is the same game, to the bit.
    fa, fb = concave_frontier()
    r1, s1, o1, ob1, a1 = run(sa, pa, sb, pb, da, db, ra, rb, 40, front=(fa, fb))
    mirrored = (fb[::-1].copy(), fa[::-1].copy())
    r2, s2, o2, ob2, a2 = run(sb, pb, sa, pa, db, da, rb, ra, 40, first=1, front=mirrored)
    assert r1 == r2
    same_bits(o1, ob2)
    same_bits(ob1, o2)
    np.testing.assert_array_equal(a1, a2)
    if r1 >= 0:
        same_bits(s1, ob2[r2])


def test_incompatible_reservations_break_down_at_the_deadline():
    # On u_b = 1 - u_a**2 the point giving A 0.8 gives B only 0.36 < 0.8: no deal exists.
    fa, fb = concave_frontier()
    for sa, sb in [(K.TIME_BASED, K.TIME_BASED), (K.TIT_FOR_TAT, K.TIME_BASED)]:
        r, s, offers, offers_b, accepted = run(
            sa, 2.0, sb, 4.0, 0.99, 0.99, 0.8, 0.8, 30, front=(fa, fb)
        )
        assert r == -1 and np.isnan(s)
        assert not accepted.any()
        assert not np.isnan(offers).any()  # every round up to the deadline was played
        assert np.all(offers[0::2] >= 0.8) and np.all(offers_b[1::2] >= 0.8)
        assert np.all(offers[1::2] < 0.8) and np.all(offers_b[0::2] < 0.8)
    # B's last demand, at the deadline, is its reservation: A would get sqrt(0.2) < 0.8.
    assert offers_b[29] == 0.8 and offers[29] == pytest.approx(0.2**0.5, abs=1e-3)
    # A reservation no frontier point meets (share_bounds gives inf): never any deal.
    r, s, offers, offers_b, _ = run(
        K.TIME_BASED, 1.0, K.TIME_BASED, 1.0, 0.9, 0.9, math.inf, 0.0, 10, front=(fa, fb)
    )
    assert r == -1 and np.isnan(s)
    assert np.all(offers[0::2] == math.inf) and np.all(offers_b[0::2] == -math.inf)


def test_check_frontier():
    K.check_frontier(PIE_A, PIE_B)
    K.check_frontier(np.tile(PIE_A, (3, 1)), np.tile(PIE_B, (3, 1)))
    K.check_frontier(np.ones(4), np.ones(4))  # one point: both get everything
    bad = [
        (np.array([0.0]), np.array([1.0]), "G >= 2"),
        (PIE_A, np.array([1.0, 0.5, 0.0]), "front_b shape"),
        (np.array([0, 1]), np.array([1, 0]), "front_a must hold finite floats"),
        (np.array([0.0, np.nan]), PIE_B, "front_a must hold finite floats"),
        (np.array([0.0, 1.5]), PIE_B, "front_a must lie in"),
        (np.array([0.0, 0.6, 0.5, 1.0]), np.array([1.0, 0.6, 0.5, 0.0]), "front_a must be"),
        (np.array([0.0, 0.9]), PIE_B, "front_a must be"),
        (np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.4, 0.5]), "front_b must be"),
    ]
    for fa, fb, msg in bad:
        with pytest.raises(ValueError, match=msg):
            K.check_frontier(fa, fb)


# --- batch -----------------------------------------------------------------------------


def random_batch(n, seed=0, g=9):
    """Random batch inputs; every third row the pie (its two points repeated), the rest random."""
    rng = np.random.default_rng(seed)
    codes = np.array([K.HARD_LINE, K.TIME_BASED, K.TIT_FOR_TAT])
    front_a = np.empty((n, g))
    front_b = np.empty((n, g))
    for i in range(n):
        if i % 3 == 0:
            k = g // 2
            front_a[i] = np.r_[np.zeros(k), np.ones(g - k)]
            front_b[i] = 1.0 - front_a[i]
        else:
            front_a[i], front_b[i] = random_frontier(rng, g, flat=i % 3 == 1)
    return (
        rng.choice(codes, n),
        rng.choice([0.25, 0.5, 1.0, 2.0, 4.0], n),
        rng.choice(codes, n),
        rng.choice([0.25, 0.5, 1.0, 2.0, 4.0], n),
        rng.uniform(0.5, 1.0, n),
        rng.uniform(0.5, 1.0, n),
        rng.uniform(0.0, 0.5, n),
        rng.uniform(0.0, 0.5, n),
        front_a,
        front_b,
    )


def run_batch(params, deadline):
    n = params[0].shape[0]
    offers = np.full((n, deadline), -7.0)
    offers_b = np.full((n, deadline), -7.0)
    accepted = np.ones((n, deadline), dtype=np.bool_)
    rounds = np.full(n, -7, dtype=np.int64)
    shares = np.full(n, -7.0)
    K.batch_alternating_offers(*params, deadline, offers, offers_b, accepted, rounds, shares)
    return offers, offers_b, accepted, rounds, shares


def serial(params, deadline):
    """The batch one negotiation at a time through ``alternating_offers``."""
    rows = []
    for i in range(params[0].shape[0]):
        p = [x[i] for x in params]
        r, s, o, ob, a = run(*p[:8], deadline, front=(p[8], p[9]))
        rows.append((o, ob, a, r, s))
    return tuple(np.array(col) for col in zip(*rows, strict=True))


def test_batch_equals_single_kernel_loop():
    params = random_batch(500)
    got = run_batch(params, 60)
    rounds = got[3]
    assert (rounds >= 0).any() and (rounds == -1).any()
    for x, y in zip(got, serial(params, 60), strict=True):
        same_bits(x, y)


def test_batch_on_the_pie_matches_the_old_rules():
    n = 300
    params = list(random_batch(n, seed=4))
    params[8] = np.tile(PIE_A, (n, 1))
    params[9] = np.tile(PIE_B, (n, 1))
    offers, offers_b, accepted, rounds, shares = run_batch(tuple(params), 50)
    for i in range(n):
        game = [float(p[i]) if p.dtype.kind == "f" else int(p[i]) for p in params[:8]]
        r0, s0, o0, ob0, a0 = old_pie_kernel(0, *game, 50)
        assert rounds[i] == r0
        same_bits(shares[i], s0)
        same_bits(offers[i], o0)
        same_bits(offers_b[i], ob0)
        np.testing.assert_array_equal(accepted[i], a0)


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
    for x, y, z in zip(one, two, serial(params, 80), strict=True):
        same_bits(x, y)
        same_bits(x, z)


ONE_SIGNATURE = """
import math
import numpy as np
from sim.kernels import bargaining as K
from sim.models.contract import contract_curve
fa, fb = np.array([0.0, 1.0]), np.array([1.0, 0.0])
o, ob, acc = np.empty(5), np.empty(5), np.empty(5, dtype=np.bool_)
K.alternating_offers(K.TIME_BASED, 1.0, K.HARD_LINE, 0.0, 0.9, 0.9, 0.1, 0.2, fa, fb, 5, o, ob, acc)
c = contract_curve([0.0, 0.0], [1.0, 1.0], [1.0, 2.0], [2.0, 1.0], [1.0, 1.0], 2.0, 11)
K.alternating_offers(
    K.TIT_FOR_TAT, 1.0, K.HARD_LINE, 0.0, 0.9, 0.9, math.inf, 0.2, c.share_a, c.share_b, 5, o, ob, acc
)
K.alternating_offers_first(1, K.TIME_BASED, 1.0, K.HARD_LINE, 0.0, 0.9, 0.9, 0.1, 0.2, fa, fb, 5, o, ob, acc)
n = 3
f = lambda v: np.full(n, v)
codes = np.full(n, K.TIME_BASED, dtype=np.int64)
K.batch_alternating_offers(
    codes, f(1.0), codes, f(2.0), f(0.9), f(0.9), f(0.1), f(0.1),
    np.tile(fa, (n, 1)), np.tile(fb, (n, 1)), 5,
    np.empty((n, 5)), np.empty((n, 5)), np.empty((n, 5), dtype=np.bool_),
    np.empty(n, dtype=np.int64), np.empty(n),
)
for k in (K.alternating_offers, K.alternating_offers_first, K.batch_alternating_offers,
          K.b_of_a, K.a_of_b, K.demand):
    print(k.__name__, len(k.signatures))
"""


def test_one_compiled_signature_per_kernel(tmp_path):
    # The single calls (on the pie and on a contract curve's shares) and the batch's
    # inner calls share one specialisation each. An empty cache directory so that
    # everything compiles here (a helper loaded with its caller from the cache would
    # show no signature).
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", ONE_SIGNATURE],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    counts = dict(zip(out[0::2], map(int, out[1::2]), strict=True))
    assert counts == dict.fromkeys(
        [
            "alternating_offers",
            "alternating_offers_first",
            "batch_alternating_offers",
            "b_of_a",
            "a_of_b",
            "demand",
        ],
        1,
    )
