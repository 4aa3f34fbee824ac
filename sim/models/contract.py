"""The contract curve between two parties over several issues (DESIGN.md 5.3, 5.4).

Each party ``i`` in ``{a, b}`` values a point ``x`` (one value per issue) by
:func:`sim.payoffs.utility`,

    u_i(x) = 1 - sum_k sbar_ik (|x_k - p_ik| / D_k) ** gamma,

and the *contract curve* is the set of Pareto-optimal points between the two ideals:
no other point is better for one party without being worse for the other. It runs
from B's best point to A's best point; along it A's utility rises and B's falls.
:func:`contract_curve` samples it as a :class:`Curve`, whose normalised shares
``share_a`` and ``share_b`` are a frontier for the alternating-offers kernels
(:mod:`sim.kernels.bargaining`, arguments ``front_a`` and ``front_b``), and
:func:`share_bounds` turns a party's red lines into its reservation share there.

Linear losses (``gamma == 1``). With ``a_k = sbar_ak / D_k`` and
``b_k = sbar_bk / D_k``, moving issue ``k`` from A's ideal towards B's costs A
``a_k`` and gains B ``b_k`` per unit, so the efficient way from A's best to B's best
concedes whole issues one at a time in decreasing order of ``b_k / a_k`` (a
logroll): first the issues where B gains most per unit A loses. Issues A does not
care about (``a_k = 0``) are at B's ideal all along, issues B does not care about
(``b_k = 0``) at A's ideal, issues neither cares about halfway between the ideals,
and issues with equal ratios move together. The curve is piecewise linear; every
breakpoint is a grid point, and the remaining points are shared among the pieces in
proportion to A's utility along each (largest remainders) and spaced evenly in A's
utility within a piece. Utility is linear along each piece, so interpolating between
grid points (:func:`position_at`, :func:`share_bounds`) is exact.

Strictly convex losses (``gamma > 1``). The curve is the set of maximisers of
``lambda u_a + (1 - lambda) u_b`` for ``lambda`` in ``[0, 1]``, in closed form per
issue with ``alpha_k = sbar_ak / D_k ** gamma`` and ``beta_k`` likewise:

    r_k = ((1 - lambda) beta_k / (lambda alpha_k)) ** (1 / (gamma - 1)),
    x_k = p_ak + r_k / (1 + r_k) (p_bk - p_ak)

(for ``gamma = 2``, ``x_k = (lambda alpha_k p_ak + (1 - lambda) beta_k p_bk) /
(lambda alpha_k + (1 - lambda) beta_k)``), evaluated through ``log r_k`` and a
stable logistic function so that ``gamma`` near 1 does not overflow. The ends are
the limits: ``lambda = 1`` is A's best (issues with ``alpha_k = 0`` at B's ideal),
``lambda = 0`` B's best; an issue with ``alpha_k = 0`` sits at B's ideal for every
``lambda``, one with ``beta_k = 0`` at A's, one with both zero halfway. The
``lambda`` of each grid point is found by bisection (64 halvings) so that
``share_a + (1 - share_b)``, the curve's length in the plane of the two shares
measured along the axes, takes even steps from 0 to 2: each step moves either share
by at most ``2 / (points - 1)``. (Even steps in ``share_a`` alone would leave a few
large jumps in ``share_b`` next to A's end, where the frontier in utilities is
steep, and the same for ``share_a`` next to B's end if spread by ``share_b``.) The
grid points lie on the curve exactly; between them the sampled curve is the
straight line (a chord of the true curve).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np

from sim.payoffs import check_gamma, normalised_salience

__all__ = ["Curve", "contract_curve", "position_at", "share_bounds"]

_TIE = 1e-12
"""Relative gap below which two issues' ratios ``b_k / a_k`` count as equal."""

_BISECTIONS = 64
"""Halvings of ``[0, 1]`` when solving for each grid point's ``lambda``."""


@dataclass(frozen=True)
class Curve:
    """The contract curve sampled at ``G`` points, from B's best to A's best.

    Attributes
    ----------
    x : ndarray, shape (G, m)
        The points; row 0 is B's best, row ``G - 1`` A's best.
    u_a, u_b : ndarray, shape (G,)
        Each party's utility of each point (as :func:`sim.payoffs.utility` computes).
    share_a : ndarray, shape (G,)
        ``(u_a - u_a[0]) / (u_a[-1] - u_a[0])``, non-decreasing from 0 to 1 (1
        everywhere when ``u_a`` is the same at both ends).
    share_b : ndarray, shape (G,)
        ``(u_b - u_b[-1]) / (u_b[0] - u_b[-1])``, non-increasing from 1 to 0 (1
        everywhere when ``u_b`` is the same at both ends).

    Notes
    -----
    ``share_a`` and ``share_b`` are a frontier for :mod:`sim.kernels.bargaining`, to
    pass as they are (C-contiguous float64; writable, as read-only arrays would
    compile the kernels a second time); rounding noise is removed from them with
    running maxima (minima) so that they are monotone to the bit.
    """

    x: np.ndarray
    u_a: np.ndarray
    u_b: np.ndarray
    share_a: np.ndarray
    share_b: np.ndarray


# --------------------------------------------------------------------------- validation


def _vector(name: str, value, m: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if m is not None and arr.shape != (m,):
        raise ValueError(f"{name} must have shape ({m},), got {arr.shape}")
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return arr


def _finite(name: str, arr: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


# --------------------------------------------------------------------------- helpers


def _utilities(
    x: np.ndarray, ideal: np.ndarray, sbar: np.ndarray, width: np.ndarray, g: float
) -> np.ndarray:
    """Utilities of many points to both parties, shape (G, 2).

    The arithmetic of :func:`sim.payoffs.utility` row by row (the same bits), vectorised.
    """
    loss = (np.abs(x[:, None, :] - ideal[None, :, :]) / width[None, None, :]) ** g
    return 1.0 - (sbar[None, :, :] * loss).sum(axis=2)


def _lerp(p: np.ndarray, q: np.ndarray, f) -> np.ndarray:
    """``(1 - f) p + f q``, exactly ``p`` at ``f = 0``, ``q`` at ``f = 1`` and where ``p == q``."""
    f = np.asarray(f, dtype=np.float64)
    return np.where(p == q, p, (1.0 - f) * p + f * q)


def _shares(u_a: np.ndarray, u_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised, monotone shares from utilities along the curve (B's best first)."""
    span_a = u_a[-1] - u_a[0]
    span_b = u_b[0] - u_b[-1]
    if span_a > 0.0:
        share_a = np.clip(np.maximum.accumulate((u_a - u_a[0]) / span_a), 0.0, 1.0)
        share_a[-1] = 1.0
    else:
        share_a = np.ones_like(u_a)
    if span_b > 0.0:
        share_b = np.clip(np.minimum.accumulate((u_b - u_b[-1]) / span_b), 0.0, 1.0)
        share_b[0] = 1.0
    else:
        share_b = np.ones_like(u_b)
    return share_a, share_b


def _weighted_x(
    lam: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    g: float,
) -> np.ndarray:
    """The maximiser of ``lam u_a + (1 - lam) u_b`` for each ``lam``, ``gamma = g > 1``.

    Parameters
    ----------
    lam : ndarray, shape (G,)
        Weights on A in ``[0, 1]``.
    pa, pb : ndarray, shape (m,)
        The ideals.
    alpha, beta : ndarray, shape (m,)
        ``sbar_ik / D_k ** g`` of each party.
    g : float
        The loss exponent, > 1.

    Returns
    -------
    ndarray, shape (G, m)
        ``x_k = (1 - t_k) p_ak + t_k p_bk`` with ``t_k = r_k / (1 + r_k)`` (module
        docstring), with the limits at ``lam`` 0 and 1 and at zero weights.
    """
    lam = np.asarray(lam, dtype=np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = (np.log((1.0 - lam) * beta[None, :]) - np.log(lam * alpha[None, :])) / (g - 1.0)
        e = np.exp(-np.abs(log_r))
        t = np.where(log_r >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    both = (alpha > 0.0) & (beta > 0.0)
    t = np.where(both[None, :] & (lam >= 1.0), 0.0, t)
    t = np.where(both[None, :] & (lam <= 0.0), 1.0, t)
    t = np.where((alpha == 0.0) & (beta > 0.0), 1.0, t)
    t = np.where((beta == 0.0) & (alpha > 0.0), 0.0, t)
    t = np.where((alpha == 0.0) & (beta == 0.0), 0.5, t)
    return _lerp(pa[None, :], pb[None, :], t)


def _linear_breakpoints(
    pa: np.ndarray, pb: np.ndarray, a: np.ndarray, b: np.ndarray
) -> list[np.ndarray]:
    """The logroll's breakpoints for ``gamma = 1``, from A's best to B's best."""
    start = pa.copy()
    start = np.where((a == 0.0) & (b > 0.0), pb, start)
    start = np.where((a == 0.0) & (b == 0.0), 0.5 * (pa + pb), start)
    movable = np.flatnonzero((a > 0.0) & (b > 0.0) & (pa != pb))
    points = [start]
    if movable.size == 0:
        return points
    ratio = b[movable] / a[movable]
    order = np.argsort(-ratio, kind="stable")
    groups: list[list[int]] = []
    prev = math.inf
    for o in order:
        r = ratio[o]
        if groups and prev - r <= _TIE * prev:
            groups[-1].append(int(movable[o]))
        else:
            groups.append([int(movable[o])])
        prev = r
    x = start
    for group in groups:
        x = x.copy()
        x[group] = pb[group]
        points.append(x)
    return points


def _largest_remainders(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainders)."""
    s = weights.sum()
    if s <= 0.0:  # no utility to spread along (not reached: every piece moves u_a)
        return np.r_[total, np.zeros(weights.shape[0] - 1, dtype=np.int64)]
    quota = total * weights / s
    out = np.floor(quota).astype(np.int64)
    left = total - int(out.sum())
    order = np.argsort(-(quota - out), kind="stable")
    out[order[:left]] += 1
    return out


def _linear_curve(pa, pb, sbar, width, points):
    a = sbar[0] / width
    b = sbar[1] / width
    bps = _linear_breakpoints(pa, pb, a, b)[::-1]  # B's best first
    ideal = np.stack([pa, pb])
    if len(bps) == 1:
        return np.repeat(bps[0][None, :], points, axis=0)
    u_a = _utilities(np.array(bps), ideal, sbar, width, 1.0)[:, 0]
    extra = _largest_remainders(max(points - len(bps), 0), np.maximum(np.diff(u_a), 0.0))
    rows = []
    for j in range(len(bps) - 1):
        f = np.arange(extra[j] + 1) / (extra[j] + 1)
        rows.append(_lerp(bps[j][None, :], bps[j + 1][None, :], f[:, None]))
    rows.append(bps[-1][None, :])
    return np.concatenate(rows)


def _convex_curve(pa, pb, sbar, width, g, points):
    alpha = sbar[0] / width**g
    beta = sbar[1] / width**g
    ideal = np.stack([pa, pb])

    def utilities_at(lam):
        return _utilities(_weighted_x(lam, pa, pb, alpha, beta, g), ideal, sbar, width, g)

    ends = utilities_at(np.array([0.0, 1.0]))  # B's best, A's best
    span_a = ends[1, 0] - ends[0, 0]
    span_b = ends[0, 1] - ends[1, 1]
    if not (span_a > 0.0 and span_b > 0.0):  # one point (or rounding): nothing to spread
        return _weighted_x(np.linspace(0.0, 1.0, points), pa, pb, alpha, beta, g)

    def progress(lam):
        """``share_a + (1 - share_b)``, from 0 at B's best to 2 at A's best."""
        u = utilities_at(lam)
        return (u[:, 0] - ends[0, 0]) / span_a + (ends[0, 1] - u[:, 1]) / span_b

    target = np.linspace(0.0, 2.0, points)
    lo = np.zeros(points)
    hi = np.ones(points)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        below = progress(mid) < target
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    lam = 0.5 * (lo + hi)
    lam[0] = 0.0
    lam[-1] = 1.0
    return _weighted_x(lam, pa, pb, alpha, beta, g)


# --------------------------------------------------------------------------- public API


def contract_curve(
    ideal_a,
    ideal_b,
    salience_a,
    salience_b,
    width,
    gamma: float = 1.0,
    points: int = 201,
) -> Curve:
    """Sample the contract curve (Pareto set) between two parties.

    Parameters
    ----------
    ideal_a, ideal_b : array_like, shape (m,)
        Each party's ideal point ``p_ik``; finite.
    salience_a, salience_b : array_like, shape (m,)
        Each party's saliences, finite and non-negative; normalised to sum 1 inside
        (all zero means equal weights; :func:`sim.payoffs.normalised_salience`).
    width : array_like, shape (m,)
        Width ``D_k > 0`` of each issue's scale.
    gamma : float, default 1.0
        Loss exponent, finite and >= 1.
    points : int, default 201
        Number of grid points, >= 2. With ``gamma == 1`` the grid holds every
        breakpoint, so it has ``max(points, breakpoints)`` rows (at most ``m + 1``
        breakpoints).

    Returns
    -------
    Curve
        The sampled curve, B's best first; see the module docstring for how the grid
        is chosen. When the two ends coincide (equal ideals, or each party indifferent
        on the issues where they differ) every row is that one point and both shares
        are 1 everywhere.

    Raises
    ------
    ValueError
        On bad shapes or values; the message names the argument.
    """
    pa = _finite("ideal_a", _vector("ideal_a", ideal_a))
    m = pa.shape[0]
    pb = _finite("ideal_b", _vector("ideal_b", ideal_b, m))
    sal = []
    for name, value in (("salience_a", salience_a), ("salience_b", salience_b)):
        s = _finite(name, _vector(name, value, m))
        if np.any(s < 0.0):
            raise ValueError(f"{name} must be non-negative")
        sal.append(s)
    d = _finite("width", _vector("width", width, m))
    if np.any(d <= 0.0):
        raise ValueError("width must be > 0 on every issue")
    g = check_gamma(gamma)
    if isinstance(points, bool):
        raise ValueError(f"points must be an integer >= 2, got {points!r}")
    try:
        n = operator.index(points)
    except TypeError:
        raise ValueError(f"points must be an integer >= 2, got {points!r}") from None
    if n < 2:
        raise ValueError(f"points must be an integer >= 2, got {points!r}")

    sbar = normalised_salience(np.stack(sal))
    if g == 1.0:
        x = _linear_curve(pa, pb, sbar, d, n)
    else:
        x = _convex_curve(pa, pb, sbar, d, g, n)
    u = _utilities(x, np.stack([pa, pb]), sbar, d, g)
    u_a = np.ascontiguousarray(u[:, 0])
    u_b = np.ascontiguousarray(u[:, 1])
    share_a, share_b = _shares(u_a, u_b)
    x = np.ascontiguousarray(x)
    return Curve(x=x, u_a=u_a, u_b=u_b, share_a=share_a, share_b=share_b)


def position_at(curve: Curve, share_a: float) -> np.ndarray:
    """The point of the curve where A's share is ``share_a``.

    Parameters
    ----------
    curve : Curve
        From :func:`contract_curve`.
    share_a : float
        A's share, in ``[0, 1]``.

    Returns
    -------
    ndarray, shape (m,)
        ``x`` interpolated linearly between the two grid points around ``share_a``;
        where ``share_a`` is flat, the first such point from B's end (the best for B
        among the points giving A at least ``share_a``, as the kernels'
        ``b_of_a`` chooses). Exact on the curve for ``gamma == 1``.

    Raises
    ------
    ValueError
        If ``share_a`` is not a finite number in ``[0, 1]``.
    """
    s = float(share_a)
    if not (0.0 <= s <= 1.0):
        raise ValueError(f"share_a must be a number in [0, 1], got {share_a!r}")
    sa = curve.share_a
    j = min(int(np.searchsorted(sa, s, side="left")), sa.shape[0] - 1)  # sa[-1] is 1
    if j == 0 or sa[j] == s:
        return curve.x[j].copy()
    f = (s - sa[j - 1]) / (sa[j] - sa[j - 1])
    return _lerp(curve.x[j - 1], curve.x[j], f)


def share_bounds(curve: Curve, lo, hi, party: str) -> float:
    """A party's least share on the curve that keeps within its red lines.

    Parameters
    ----------
    curve : Curve
        From :func:`contract_curve`.
    lo, hi : array_like, shape (m,)
        The party's acceptable range ``[lo_k, hi_k]`` on each issue (its red lines);
        ``-inf`` / ``inf`` for no limit; ``lo <= hi``.
    party : {"a", "b"}
        Whose red lines and whose share.

    Returns
    -------
    float
        For ``"a"``: the least A share ``s`` such that every point of the sampled
        curve (the piecewise-linear path through the grid) with A share ``>= s``
        lies within ``[lo, hi]`` on every issue, the crossing located exactly on the
        path between grid points; ``math.inf`` when even A's own end lies outside.
        For ``"b"`` the same with B's share from B's end. Each issue moves
        monotonically along the curve, so the acceptable stretch is one piece of it
        and this is where it begins. As a reservation value in
        :mod:`sim.kernels.bargaining` (with the curve's shares as the frontier) it
        keeps the party from proposing or accepting a point outside its red lines.

    Raises
    ------
    ValueError
        On a bad ``party``, shapes, nan bounds or ``lo > hi``.
    """
    if party not in ("a", "b"):
        raise ValueError(f"party must be 'a' or 'b', got {party!r}")
    m = curve.x.shape[1]
    lo_ = _vector("lo", lo, m)
    hi_ = _vector("hi", hi, m)
    for name, arr in (("lo", lo_), ("hi", hi_)):
        if np.any(np.isnan(arr)):
            raise ValueError(f"{name} must not be nan")
    if np.any(lo_ > hi_):
        raise ValueError("lo must be <= hi on every issue")
    x = curve.x
    share = curve.share_a if party == "a" else curve.share_b
    if party == "a":  # walk from A's end (the last row) towards B's
        x = x[::-1]
        share = share[::-1]
    inside = np.all((x >= lo_) & (x <= hi_), axis=1)
    if not inside[0]:
        return math.inf
    if inside.all():
        return float(share[-1])
    k = int(np.argmin(inside)) - 1  # the last grid point of the acceptable stretch
    p, q = x[k], x[k + 1]
    tau = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        below = q < lo_
        above = q > hi_
        if below.any():
            tau = min(tau, float(np.min((p[below] - lo_[below]) / (p[below] - q[below]))))
        if above.any():
            tau = min(tau, float(np.min((hi_[above] - p[above]) / (q[above] - p[above]))))
    tau = min(max(tau, 0.0), 1.0)
    return float(share[k] + tau * (share[k + 1] - share[k]))
