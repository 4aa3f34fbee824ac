"""The contract curve between two parties (sim.models.contract)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.kernels import bargaining as K
from sim.models.contract import (
    Curve,
    _weighted_x,
    contract_curve,
    position_at,
    share_bounds,
)
from sim.payoffs import normalised_salience, utility


def random_parties(rng, m, zeros=False):
    """Ideals in [0, width], saliences (some zero when ``zeros``), widths in [0.5, 3]."""
    width = rng.uniform(0.5, 3.0, m)
    pa = rng.uniform(0.0, 1.0, m) * width
    pb = rng.uniform(0.0, 1.0, m) * width
    sa = rng.uniform(0.0, 1.0, m)
    sb = rng.uniform(0.0, 1.0, m)
    if zeros:
        sa[rng.uniform(size=m) < 0.25] = 0.0
        sb[rng.uniform(size=m) < 0.25] = 0.0
    return pa, pb, sa, sb, width


def utilities_of(points, pa, pb, sa, sb, width, gamma):
    """u_a, u_b of each row of ``points`` by sim.payoffs.utility."""
    u = np.array([utility(x, np.stack([pa, pb]), np.stack([sa, sb]), width, gamma) for x in points])
    return u[:, 0], u[:, 1]


def check_invariants(c: Curve, pa, pb, sa, sb, width, gamma):
    g, m = c.x.shape
    assert c.u_a.shape == c.u_b.shape == c.share_a.shape == c.share_b.shape == (g,)
    u_a, u_b = utilities_of(c.x, pa, pb, sa, sb, width, gamma)
    np.testing.assert_array_equal(c.u_a, u_a)  # the same bits as sim.payoffs.utility
    np.testing.assert_array_equal(c.u_b, u_b)
    K.check_frontier(c.share_a, c.share_b)
    if c.u_a[-1] > c.u_a[0]:
        assert c.share_a[0] == 0.0 and c.share_b[-1] == 0.0
        span_a = c.u_a[-1] - c.u_a[0]
        np.testing.assert_allclose(c.share_a, (c.u_a - c.u_a[0]) / span_a, atol=1e-12)
        span_b = c.u_b[0] - c.u_b[-1]
        np.testing.assert_allclose(c.share_b, (c.u_b - c.u_b[-1]) / span_b, atol=1e-12)
    # every issue moves monotonically, between the ideals
    dx = np.diff(c.x, axis=0)
    assert np.all(np.all(dx >= -1e-12, axis=0) | np.all(dx <= 1e-12, axis=0))
    lo, hi = np.minimum(pa, pb), np.maximum(pa, pb)
    assert np.all(c.x >= lo - 1e-12) and np.all(c.x <= hi + 1e-12)
    for arr in (c.x, c.u_a, c.u_b, c.share_a, c.share_b):
        assert arr.dtype == np.float64 and arr.flags.c_contiguous and arr.flags.writeable


# --- Pareto optimality -----------------------------------------------------------------


def grid_utilities(pa, pb, sa, sb, width, gamma, n=201):
    g0 = np.linspace(0.0, width[0], n)
    g1 = np.linspace(0.0, width[1], n)
    pts = np.stack(np.meshgrid(g0, g1, indexing="ij"), axis=-1).reshape(-1, 2)
    sbar = normalised_salience(np.stack([sa, sb]))
    u = []
    for p, s in ((pa, sbar[0]), (pb, sbar[1])):
        u.append(1.0 - ((np.abs(pts - p) / width) ** gamma * s).sum(axis=1))
    return u[0], u[1]


@pytest.mark.parametrize("gamma", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("seed", range(6))
def test_every_point_is_pareto_optimal_on_a_grid(gamma, seed):
    rng = np.random.default_rng(seed)
    parties = random_parties(rng, 2, zeros=seed == 5)
    c = contract_curve(*parties, gamma=gamma, points=401)
    check_invariants(c, *parties, gamma)
    ga, gb = grid_utilities(*parties, gamma)
    tol = 1e-10
    for ua, ub in zip(c.u_a, c.u_b, strict=True):
        assert not np.any((ga > ua + tol) & (gb > ub + tol))
    # ... and the curve is the whole frontier: no grid point lies above the sampled
    # frontier (exact for linear losses, where it is piecewise linear with its
    # breakpoints in the grid; a chord's sag otherwise).
    above = gb - np.interp(ga, c.u_a, c.u_b)
    assert above.max() <= (1e-12 if gamma == 1.0 else 2e-4)


@pytest.mark.parametrize("gamma", [1.5, 2.0, 3.0])
def test_closed_form_maximises_the_weighted_sum(gamma):
    # Golden-section search per issue (the weighted sum is separable and convex in x_k).
    rng = np.random.default_rng(int(gamma * 10))
    invphi = (math.sqrt(5.0) - 1.0) / 2.0
    for trial in range(20):
        pa, pb, sa, sb, width = random_parties(rng, 3, zeros=trial % 4 == 3)
        sbar = normalised_salience(np.stack([sa, sb]))
        alpha = sbar[0] / width**gamma
        beta = sbar[1] / width**gamma
        lams = np.array([0.0, 1e-6, 0.1, 0.37, 0.5, 0.9, 1.0 - 1e-6, 1.0])
        x = _weighted_x(lams, pa, pb, alpha, beta, gamma)
        for i, lam in enumerate(lams):

            def cost(v, k, lam=lam, alpha=alpha, beta=beta, pa=pa, pb=pb):
                a = lam * alpha[k] * abs(v - pa[k]) ** gamma
                return a + (1.0 - lam) * beta[k] * abs(v - pb[k]) ** gamma

            for k in range(3):
                lo, hi = min(pa[k], pb[k]), max(pa[k], pb[k])
                for _ in range(200):
                    c1 = hi - invphi * (hi - lo)
                    c2 = lo + invphi * (hi - lo)
                    if cost(c1, k) <= cost(c2, k):
                        hi = c2
                    else:
                        lo = c1
                best = 0.5 * (lo + hi)
                assert cost(x[i, k], k) <= cost(best, k) + 1e-14
                if lam * alpha[k] > 0 or (1.0 - lam) * beta[k] > 0:  # a unique optimum
                    assert x[i, k] == pytest.approx(best, abs=1e-6 * width[k])
            # and in full: lambda u_a + (1 - lambda) u_b is at its maximum
            u = utility(x[i], np.stack([pa, pb]), np.stack([sa, sb]), width, gamma)
            w = lam * u[0] + (1.0 - lam) * u[1]
            for _ in range(50):
                y = x[i] + rng.normal(0.0, 0.01, 3) * width
                uy = utility(y, np.stack([pa, pb]), np.stack([sa, sb]), width, gamma)
                assert lam * uy[0] + (1.0 - lam) * uy[1] <= w + 1e-14


def test_gamma_two_closed_form_by_hand():
    # x = (lam alpha pa + (1 - lam) beta pb) / (lam alpha + (1 - lam) beta) per issue
    pa, pb = np.array([0.0, 1.0]), np.array([1.0, 3.0])
    alpha, beta = np.array([0.2, 0.05]), np.array([0.1, 0.3])
    lam = np.array([0.0, 0.25, 0.5, 1.0])
    want = (lam[:, None] * alpha * pa + (1 - lam[:, None]) * beta * pb) / (
        lam[:, None] * alpha + (1 - lam[:, None]) * beta
    )
    np.testing.assert_allclose(_weighted_x(lam, pa, pb, alpha, beta, 2.0), want, rtol=1e-14)


def test_zero_weights_are_the_limits():
    pa, pb = np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0])
    alpha, beta = np.array([0.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0])
    x = _weighted_x(np.array([0.0, 0.5, 1.0]), pa, pb, alpha, beta, 2.0)
    np.testing.assert_array_equal(x, [[1.0, 0.0, 0.5]] * 3)


def test_gamma_near_one_does_not_overflow():
    rng = np.random.default_rng(9)
    parties = random_parties(rng, 3)
    c = contract_curve(*parties, gamma=1.0 + 1e-6, points=51)
    assert np.all(np.isfinite(c.x))
    check_invariants(c, *parties, 1.0 + 1e-6)
    # the curve tends to the linear one: the same ends
    lin = contract_curve(*parties, gamma=1.0)
    np.testing.assert_allclose(c.x[[0, -1]], lin.x[[0, -1]], atol=1e-12)


def test_convex_grid_takes_even_steps_in_both_shares():
    rng = np.random.default_rng(4)
    for gamma in (1.2, 2.0, 4.0):
        parties = random_parties(rng, 4)
        c = contract_curve(*parties, gamma=gamma, points=41)
        assert c.x.shape == (41, 4)
        progress = c.share_a + (1.0 - c.share_b)
        np.testing.assert_allclose(progress, np.linspace(0.0, 2.0, 41), atol=1e-9)
        assert np.diff(c.share_a).max() <= 2 / 40 + 1e-9
        assert np.diff(c.share_b).min() >= -2 / 40 - 1e-9


# --- special cases by hand ------------------------------------------------------------


@pytest.mark.parametrize("gamma", [1.0, 2.0])
def test_mirror_image_parties_on_one_issue(gamma):
    c = contract_curve([0.2], [0.8], [1.0], [1.0], [1.0], gamma=gamma, points=25)
    x = c.x[:, 0]
    assert x[0] == 0.8 and x[-1] == 0.2
    assert np.all(np.diff(x) < 0)
    if gamma == 1.0:
        np.testing.assert_allclose(x, np.linspace(0.8, 0.2, 25), atol=1e-15)
        np.testing.assert_allclose(c.share_a + c.share_b, 1.0, rtol=0, atol=1e-14)
    else:
        t = (0.8 - x) / 0.6
        np.testing.assert_allclose(c.share_a, 1.0 - (1.0 - t) ** 2, atol=1e-12)
        np.testing.assert_allclose(c.share_b, 1.0 - t**2, atol=1e-12)


@pytest.mark.parametrize("gamma", [1.0, 2.0])
def test_mirror_image_parties_move_every_issue_together(gamma):
    # Equal saliences and widths: every issue has the same ratio, so the curve is the
    # straight line between the ideals.
    pa, pb = np.array([0.1, 0.2, 0.3]), np.array([0.9, 0.6, 0.5])
    c = contract_curve(pa, pb, [1.0, 2.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0], gamma, 11)
    f = (c.x - pa) / (pb - pa)
    np.testing.assert_allclose(f, np.repeat(f[:, :1], 3, axis=1), atol=1e-12)
    np.testing.assert_array_equal(c.x[0], pb)
    np.testing.assert_array_equal(c.x[-1], pa)


LOGROLL = dict(
    ideal_a=[0.0, 0.0, 0.0, 0.0],
    ideal_b=[1.0, 2.0, 1.0, 1.0],
    salience_a=[3.0, 2.0, 0.0, 1.0],  # sbar (1/2, 1/3, 0, 1/6), a = (1/2, 1/6, 0, 1/6)
    salience_b=[1.0, 2.0, 1.0, 0.0],  # sbar (1/4, 1/2, 1/4, 0), b = (1/4, 1/4, 1/4, 0)
    width=[1.0, 2.0, 1.0, 1.0],
)


def test_logroll_order_by_hand():
    # b / a: issue 0 1/2, issue 1 3/2, issue 2 inf (A does not care), issue 3 0 (B does
    # not care). A's best already has issue 2 at B's ideal and issue 3 stays at A's;
    # from there A concedes issue 1 first (B gains 3/2 per unit A loses), then issue 0.
    c = contract_curve(**LOGROLL, points=3)
    np.testing.assert_array_equal(c.x, [[1, 2, 1, 0], [0, 2, 1, 0], [0, 0, 1, 0]])
    np.testing.assert_allclose(c.u_a, [1 / 6, 2 / 3, 1.0], rtol=1e-15)
    np.testing.assert_allclose(c.u_b, [1.0, 0.75, 0.25], rtol=1e-15)
    np.testing.assert_allclose(c.share_a, [0.0, 0.6, 1.0], rtol=1e-15)
    np.testing.assert_allclose(c.share_b, [1.0, 2 / 3, 0.0], rtol=1e-15)
    # Eight points: the five extra shared 3 : 2 by A's utility along the pieces (1/2 and
    # 1/3), evenly spaced within each.
    c = contract_curve(**LOGROLL, points=8)
    np.testing.assert_allclose(
        c.u_a, 1 / 6 + np.r_[0, 1, 2, 3, 4, 4 + 8 / 9, 4 + 16 / 9, 4 + 24 / 9] / 8, rtol=1e-14
    )
    np.testing.assert_array_equal(c.x[4], [0, 2, 1, 0])
    np.testing.assert_allclose(c.x[:, 0], [1, 0.75, 0.5, 0.25, 0, 0, 0, 0], atol=1e-15)
    # Fewer points than breakpoints: the breakpoints anyway.
    assert contract_curve(**LOGROLL, points=2).x.shape == (3, 4)


def test_ties_move_together():
    # Issues 0 and 1 have the same ratio (1 / 2 each, in different units): one piece.
    c = contract_curve([0, 0, 0], [1, 2, 1], [1, 2, 1], [1, 2, 4], [1, 2, 1], points=2)
    np.testing.assert_array_equal(c.x, [[1, 2, 1], [0, 0, 1], [0, 0, 0]])
    c = contract_curve([0, 0, 0], [1, 2, 1], [1, 2, 1], [1, 2, 4], [1, 2, 1], points=5)
    np.testing.assert_allclose(c.x[:, 1], 2 * c.x[:, 0], atol=1e-15)


def test_position_at_is_exact_for_linear_losses():
    c = contract_curve(**LOGROLL, points=3)
    # share 0.3 is u_a = 1/6 + 0.3 * 5/6 = 5/12 on the first piece: x_0 = 1/2.
    np.testing.assert_allclose(position_at(c, 0.3), [0.5, 2, 1, 0], atol=1e-15)
    np.testing.assert_array_equal(position_at(c, 0.0), c.x[0])
    np.testing.assert_array_equal(position_at(c, c.share_a[1]), c.x[1])
    np.testing.assert_array_equal(position_at(c, 1.0), c.x[2])
    rng = np.random.default_rng(1)
    parties = random_parties(rng, 5, zeros=True)
    c = contract_curve(*parties, points=17)
    span = c.u_a[-1] - c.u_a[0]
    for s in rng.uniform(0.0, 1.0, 200):
        u_a, _ = utilities_of([position_at(c, s)], *parties, 1.0)
        assert (u_a[0] - c.u_a[0]) / span == pytest.approx(s, abs=1e-12)


def test_degenerate_curves():
    c = contract_curve([0.3, 0.4], [0.3, 0.4], [1, 1], [2, 1], [1, 1], points=7)
    assert c.x.shape == (7, 2)
    np.testing.assert_array_equal(c.x, np.tile([0.3, 0.4], (7, 1)))
    np.testing.assert_array_equal(c.share_a, np.ones(7))
    np.testing.assert_array_equal(c.share_b, np.ones(7))
    # Each party cares only about an issue the other does not: one point serves both.
    for gamma in (1.0, 2.0):
        c = contract_curve([0, 0], [1, 1], [1, 0], [0, 1], [1, 1], gamma=gamma, points=4)
        np.testing.assert_array_equal(c.x, np.tile([0.0, 1.0], (4, 1)))
        np.testing.assert_array_equal(c.share_a, np.ones(4))
        np.testing.assert_array_equal(c.u_a, np.ones(4))
        assert share_bounds(c, [-1, -1], [2, 2], "a") == 1.0
        assert K.b_of_a(1.0, c.share_a, c.share_b) == 1.0


@pytest.mark.parametrize("gamma", [1.0, 2.0])
def test_relabelling_issues_permutes_x(gamma):
    rng = np.random.default_rng(21)
    for _ in range(5):
        pa, pb, sa, sb, width = random_parties(rng, 5, zeros=True)
        perm = rng.permutation(5)
        c1 = contract_curve(pa, pb, sa, sb, width, gamma, 31)
        c2 = contract_curve(pa[perm], pb[perm], sa[perm], sb[perm], width[perm], gamma, 31)
        np.testing.assert_allclose(c2.x, c1.x[:, perm], rtol=0, atol=1e-9)
        for f in ("u_a", "u_b", "share_a", "share_b"):
            np.testing.assert_allclose(getattr(c2, f), getattr(c1, f), rtol=0, atol=1e-9)


def test_swapping_the_parties_reverses_the_curve():
    # For linear losses only the breakpoints (the extra points follow A's utility).
    rng = np.random.default_rng(8)
    for gamma, points in ((1.0, 2), (2.0, 21)):
        pa, pb, sa, sb, width = random_parties(rng, 4, zeros=True)
        c = contract_curve(pa, pb, sa, sb, width, gamma, points)
        r = contract_curve(pb, pa, sb, sa, width, gamma, points)
        np.testing.assert_allclose(r.x[::-1], c.x, atol=1e-9)
        np.testing.assert_allclose(r.share_a[::-1], c.share_b, atol=1e-9)


# --- red lines -------------------------------------------------------------------------


def test_share_bounds_by_hand():
    inf = math.inf
    for points in (3, 8, 50):
        c = contract_curve(**LOGROLL, points=points)
        # A: issue 0 at most 1/4. From A's end issue 0 stays 0 until issue 1 is at 2,
        # then reaches 1/4 at u_a = 2/3 - 1/8 = 13/24, A's share (13/24 - 1/6) / (5/6).
        assert share_bounds(c, [-inf, -inf, -inf, -inf], [0.25, inf, inf, inf], "a") == (
            pytest.approx(0.45, abs=1e-14)
        )
        # B: issue 1 at least 1. From B's end it crosses 1 halfway down the second piece,
        # u_b = 1/2, B's share (1/2 - 1/4) / (3/4).
        assert share_bounds(c, [-inf, 1.0, -inf, -inf], [inf, inf, inf, inf], "b") == (
            pytest.approx(1 / 3, abs=1e-14)
        )
        # A red line through a breakpoint: the breakpoint's share.
        assert share_bounds(c, [-inf, -inf, 0, 0], [0.0, 2.0, 1, 1], "a") == pytest.approx(0.6)
        # No red line binds: the whole curve.
        assert share_bounds(c, [-inf] * 4, [inf] * 4, "a") == 0.0
        assert share_bounds(c, [-inf] * 4, [inf] * 4, "b") == 0.0
        # A's own end outside its red lines (issue 0 at least 1/2): inf.
        assert share_bounds(c, [0.5, -inf, -inf, -inf], [inf] * 4, "a") == inf
        # ... and B's from its end (issue 0 at 1) down to issue 0 at 1/2 on the first
        # piece: u_b = 1 - 1/8, B's share (7/8 - 1/4) / (3/4).
        assert share_bounds(c, [0.5, -inf, -inf, -inf], [inf] * 4, "b") == (
            pytest.approx(5 / 6, abs=1e-14)
        )


def test_share_bounds_on_a_convex_curve_is_on_the_red_line():
    rng = np.random.default_rng(2)
    for _ in range(20):
        pa, pb, sa, sb, width = random_parties(rng, 3)
        c = contract_curve(pa, pb, sa, sb, width, 2.0, 41)
        k = int(rng.integers(3))
        mid = 0.5 * (pa[k] + pb[k])
        lo, hi = np.full(3, -np.inf), np.full(3, np.inf)
        if pa[k] < pb[k]:
            hi[k] = mid
        else:
            lo[k] = mid
        s = share_bounds(c, lo, hi, "a")
        assert 0.0 < s < 1.0
        assert position_at(c, s)[k] == pytest.approx(mid, abs=1e-12)
        assert position_at(c, min(s + 1e-6, 1.0))[k] != pytest.approx(mid, abs=1e-12)


def test_red_lines_hold_in_a_negotiation():
    # The curve's shares as the kernel's frontier and share_bounds as reservations: an
    # agreement is never outside either party's red lines.
    rng = np.random.default_rng(17)
    agreed = 0
    for trial in range(150):
        m = 3
        pa, pb, sa, sb, width = random_parties(rng, m, zeros=trial % 5 == 0)
        gamma = [1.0, 2.0][trial % 2]
        c = contract_curve(pa, pb, sa, sb, width, gamma, 61)
        # red lines: on about half the issues each party accepts anything up to a
        # random fraction of the way towards the other's ideal, on the rest anything
        fa = np.where(rng.uniform(size=m) < 0.5, 1.0, rng.uniform(0.5, 1.0, m))
        fb = np.where(rng.uniform(size=m) < 0.5, 1.0, rng.uniform(0.5, 1.0, m))
        end_a, end_b = pa + fa * (pb - pa), pb + fb * (pa - pb)
        lo_a, hi_a = np.minimum(pa, end_a), np.maximum(pa, end_a)
        lo_b, hi_b = np.minimum(pb, end_b), np.maximum(pb, end_b)
        ra = share_bounds(c, lo_a, hi_a, "a")
        rb = share_bounds(c, lo_b, hi_b, "b")
        offers = np.empty(40)
        offers_b = np.empty(40)
        acc = np.empty(40, dtype=np.bool_)
        r, s = K.alternating_offers(
            K.TIME_BASED, 0.5, K.TIME_BASED, 2.0, 0.99, 0.99, ra, rb,
            c.share_a, c.share_b, 40, offers, offers_b, acc,
        )  # fmt: skip
        if r < 0:
            continue
        agreed += 1
        x = position_at(c, s)
        assert np.all(x >= lo_a - 1e-9) and np.all(x <= hi_a + 1e-9)
        assert np.all(x >= lo_b - 1e-9) and np.all(x <= hi_b + 1e-9)
    assert agreed > 50


# --- bad input -------------------------------------------------------------------------


GOOD = dict(
    ideal_a=[0.0, 0.0], ideal_b=[1.0, 1.0], salience_a=[1, 1], salience_b=[1, 2], width=[1, 1]
)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(ideal_a=[]), "ideal_a must be a non-empty 1-D"),
        (dict(ideal_a=[[0.0, 0.0]]), "ideal_a must be a non-empty 1-D"),
        (dict(ideal_a=[0.0, np.nan]), "ideal_a must be finite"),
        (dict(ideal_b=[1.0, 1.0, 1.0]), r"ideal_b must have shape \(2,\)"),
        (dict(ideal_b=[1.0, np.inf]), "ideal_b must be finite"),
        (dict(salience_a=[1.0]), r"salience_a must have shape \(2,\)"),
        (dict(salience_a=[1.0, -1.0]), "salience_a must be non-negative"),
        (dict(salience_b=[np.nan, 1.0]), "salience_b must be finite"),
        (dict(width=[1.0, 0.0]), "width must be > 0"),
        (dict(width=[1.0]), r"width must have shape \(2,\)"),
        (dict(gamma=0.5), "gamma must be"),
        (dict(gamma=np.nan), "gamma must be"),
        (dict(points=1), "points must be an integer >= 2"),
        (dict(points=2.5), "points must be an integer >= 2"),
        (dict(points=True), "points must be an integer >= 2"),
    ],
)
def test_bad_curve_inputs(change, message):
    with pytest.raises(ValueError, match=message):
        contract_curve(**{**GOOD, **change})


def test_bad_position_and_bounds_inputs():
    c = contract_curve(**GOOD, points=np.int64(5))
    for s in (-0.1, 1.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="share_a must be a number in"):
            position_at(c, s)
    with pytest.raises(ValueError, match="party must be"):
        share_bounds(c, [0, 0], [1, 1], "c")
    with pytest.raises(ValueError, match=r"lo must have shape \(2,\)"):
        share_bounds(c, [0], [1, 1], "a")
    with pytest.raises(ValueError, match=r"hi must have shape \(2,\)"):
        share_bounds(c, [0, 0], [[1, 1]], "a")
    with pytest.raises(ValueError, match="hi must not be nan"):
        share_bounds(c, [0, 0], [1, np.nan], "b")
    with pytest.raises(ValueError, match="lo must be <= hi"):
        share_bounds(c, [0, 2], [1, 1], "a")
