"""Nash bargaining solution over a box of red lines (DESIGN.md section 5.3).

The feasible set is the box ``B = prod_k [max_i lo_ik, min_i hi_ik]``: the
intersection of every party's acceptable range on every issue.  The solution
maximises the (weighted) Nash product in log form

    N(x) = sum_i a_i log(u_i(x) - d_i)

over the points of ``B`` where every ``u_i(x) > d_i``, with ``u_i`` from
:func:`sim.payoffs.utility`.  For ``gamma >= 1`` every ``u_i`` is concave, so
``N`` is concave.  Its non-smooth points (``x_k = p_ik`` when ``gamma = 1``)
and the box are both separable by issue, so the directional derivative of
``N`` is linear on each orthant of the kinked coordinates and a coordinate
direction is an ascent direction whenever any direction is: coordinate-wise
golden-section search cannot stall short of the maximum.

Method (deterministic):

1. Empty box on an issue -> no zone of agreement, blocking parties named.
2. Phase 1: find a point where every ``u_i > d_i`` by maximising a smooth
   soft-min of ``u_i - d_i`` (``-log(sum exp(-t (u_i - d_i))) / t``, concave,
   a lower bound on the min) with coordinate search, for growing ``t``.
   If none is found, no zone of agreement; the parties whose disagreement
   values bind are named.
3. Phase 2: coordinate-wise golden-section ascent of ``N`` from that point.
"""

from __future__ import annotations

import math

import numpy as np

from sim.payoffs import check_gamma, normalised_salience

_INVPHI = (math.sqrt(5.0) - 1.0) / 2.0  # 1 / golden ratio


def _as2d(name: str, a, shape: tuple[int, int]) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _losses(x: np.ndarray, ideal: np.ndarray, sbar: np.ndarray, width: np.ndarray, g: float):
    """Per-party, per-issue weighted loss ``sbar_ik (|x_k - p_ik| / D_k)^g``, shape (parties, m)."""
    return sbar * (np.abs(x[None, :] - ideal) / width[None, :]) ** g


def nash_objective(
    x: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    width: np.ndarray,
    disagreement: np.ndarray,
    weights: np.ndarray | None = None,
    gamma: float = 1.0,
) -> float:
    """The log Nash product ``sum_i a_i log(u_i(x) - d_i)`` at ``x``.

    Parameters
    ----------
    x : ndarray, shape (m,)
    ideal, salience : ndarray, shape (parties, m)
    width : ndarray, shape (m,)
    disagreement : ndarray, shape (parties,)
    weights : ndarray, shape (parties,), optional
        Bargaining weights ``a_i`` (equal when omitted); normalised to sum 1.
    gamma : float, default 1.0

    Returns
    -------
    float
        The objective, or ``-inf`` when some ``u_i(x) <= d_i``.  Box
        constraints are not checked here.
    """
    g = check_gamma(gamma)
    p = np.asarray(ideal, dtype=np.float64)
    n = p.shape[0]
    a = _weights(weights, n)
    sbar = normalised_salience(salience)
    u = 1.0 - _losses(np.asarray(x, dtype=np.float64), p, sbar, np.asarray(width, float), g).sum(1)
    gap = u - np.asarray(disagreement, dtype=np.float64)
    if np.any(gap <= 0):
        return -math.inf
    return float(np.dot(a, np.log(gap)))


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.full(n, 1.0 / n)
    a = np.asarray(weights, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"weights must have shape ({n},), got {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or a.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    return a / a.sum()


def _golden_max(f, a: float, b: float, t0: float, tol: float) -> float:
    """Maximise a concave (possibly ``-inf`` outside an interval) ``f`` on [a, b].

    ``t0`` is a point where ``f`` is finite; it resolves ties between two
    ``-inf`` probes (the finite domain is an interval containing ``t0``).
    Returns the best of the final bracket's midpoint and ``t0``. The tolerance is
    at least a few float spacings at the bracket's ends: far from zero (a scale at
    1e15 is spaced 0.125 apart) a tighter bracket cannot be represented.
    """
    tol = max(tol, 2.0 * math.ulp(max(abs(a), abs(b))))
    if b - a <= tol:
        return t0
    c = b - _INVPHI * (b - a)
    d = a + _INVPHI * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tol:
        if fc == -math.inf and fd == -math.inf:
            if t0 < c:
                b = c
            elif t0 > d:
                a = d
            else:
                a, b = c, d
            c = b - _INVPHI * (b - a)
            d = a + _INVPHI * (b - a)
            fc, fd = f(c), f(d)
        elif fc < fd:
            a, c, fc = c, d, fd
            d = a + _INVPHI * (b - a)
            fd = f(d)
        else:
            b, d, fd = d, c, fc
            c = b - _INVPHI * (b - a)
            fc = f(c)
    best = 0.5 * (a + b)
    return best if f(best) >= f(t0) else t0


def _coordinate_ascent(
    obj_of_u, x0, box_lo, box_hi, ideal, sbar, width, g, tol, max_iter, stop=None
) -> tuple[np.ndarray, int, bool]:
    """Coordinate-wise golden-section ascent of ``obj_of_u(u)`` over the box.

    Returns the point, the number of sweeps and whether it converged (a sweep
    moved no coordinate by more than ``tol`` times the issue width).
    ``stop(x)`` may end the search early (returns True).
    """
    x = x0.copy()
    prev = x.copy()
    m = x.size
    loss = _losses(x, ideal, sbar, width, g)
    for sweep in range(1, max_iter + 1):
        moved = 0.0
        for k in range(m):
            base = 1.0 - (loss.sum(axis=1) - loss[:, k])
            pk, sk, dk = ideal[:, k], sbar[:, k], width[k]

            def f(t, base=base, pk=pk, sk=sk, dk=dk):
                return obj_of_u(base - sk * (abs(t - pk) / dk) ** g)

            t_new = _golden_max(f, box_lo[k], box_hi[k], x[k], tol * dk * 0.1)
            if t_new != x[k] and f(t_new) > f(x[k]):
                moved = max(moved, abs(t_new - x[k]) / dk)
                x[k] = t_new
                loss[:, k] = sk * (np.abs(t_new - pk) / dk) ** g
        if stop is not None and stop(x):
            return x, sweep, True
        if moved <= tol:
            return x, sweep, True
        x, loss = _extrapolate(obj_of_u, prev, x, loss, box_lo, box_hi, ideal, sbar, width, g, tol)
        prev = x.copy()
    return x, max_iter, False


def _extrapolate(obj_of_u, prev, x, loss, box_lo, box_hi, ideal, sbar, width, g, tol):
    """A line search along the last sweep's step ``x - prev``, inside the box.

    Coordinate ascent zigzags when the ridge of the objective runs across the
    axes; following the sweep's net direction as far as it keeps improving cuts
    the zigzag short. Never moves to a worse point.
    """
    d = x - prev
    if not np.any(d):
        return x, loss
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(d > 0, (box_hi - x) / d, np.where(d < 0, (box_lo - x) / d, np.inf))
    t_max = float(min(up.min(), 1e6))
    if t_max <= 0:
        return x, loss

    def f(t):
        y = x + t * d
        return obj_of_u(1.0 - _losses(y, ideal, sbar, width, g).sum(axis=1))

    t = _golden_max(f, 0.0, t_max, 0.0, tol * 0.1 * max(t_max, 1.0))
    if t > 0 and f(t) > f(0.0):
        x = np.clip(x + t * d, box_lo, box_hi)
        loss = _losses(x, ideal, sbar, width, g)
    return x, loss


def nash_bargaining(
    ideal: np.ndarray,
    salience: np.ndarray,
    width: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    disagreement: np.ndarray,
    weights: np.ndarray | None = None,
    gamma: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> dict:
    """The (weighted) Nash bargaining solution inside every party's red lines.

    Parameters
    ----------
    ideal : ndarray, shape (parties, m)
        Ideal points ``p_ik``.
    salience : ndarray, shape (parties, m)
        Saliences, normalised per party (see :func:`sim.payoffs.utility`).
    width : ndarray, shape (m,)
        Issue scale widths ``D_k > 0``.
    lo, hi : ndarray, shape (parties, m)
        Each party's acceptable range ``[lo_ik, hi_ik]`` on each issue.
    disagreement : ndarray, shape (parties,)
        Disagreement utilities ``d_i``.
    weights : ndarray, shape (parties,), optional
        Bargaining weights ``a_i >= 0`` (e.g. capability shares); equal
        when omitted.  Only their ratios matter.
    gamma : float, default 1.0
        Loss exponent, >= 1.
    tol : float, default 1e-10
        Convergence tolerance on each coordinate, relative to its width.
    max_iter : int, default 10000
        Maximum number of coordinate sweeps per phase.

    Returns
    -------
    dict
        ``reached`` (bool); ``outcome`` (ndarray (m,), or None when not
        reached); ``utilities`` (ndarray (parties,), or None);
        ``objective`` (float); ``converged`` (bool); ``iterations`` (int).
        When not reached: ``reason`` (``"red_lines"`` or
        ``"disagreement"``), ``blocking`` (list of ``(party, issue)``; issue
        is ``None`` when a party's disagreement value, not a single issue,
        blocks) and ``message`` (a sentence naming them).
    """
    g = check_gamma(gamma)
    p = np.asarray(ideal, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 1:
        raise ValueError(f"ideal must have shape (parties, m) with both >= 1, got {p.shape}")
    n, m = p.shape
    p = _as2d("ideal", p, (n, m))
    sbar = normalised_salience(_as2d("salience", salience, (n, m)))
    lo_a = _as2d("lo", lo, (n, m))
    hi_a = _as2d("hi", hi, (n, m))
    if np.any(lo_a > hi_a):
        bad = [(int(i), int(k)) for i, k in zip(*np.nonzero(lo_a > hi_a), strict=True)]
        raise ValueError(f"lo > hi for (party, issue) {bad}")
    w = np.asarray(width, dtype=np.float64)
    if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"width must have shape ({m},) with finite entries > 0")
    d = np.asarray(disagreement, dtype=np.float64)
    if d.shape != (n,) or np.any(np.isnan(d)):
        raise ValueError(f"disagreement must have shape ({n},) without NaN")
    a = _weights(weights, n)
    if tol <= 0 or max_iter < 1:
        raise ValueError("tol must be > 0 and max_iter >= 1")

    # 1. The box of red lines.
    box_lo = lo_a.max(axis=0)
    box_hi = hi_a.min(axis=0)
    empty = np.nonzero(box_lo > box_hi)[0]
    if empty.size:
        blocking: list[tuple[int, int | None]] = []
        parts = []
        for k in empty:
            # parties in some pair whose ranges do not overlap on issue k
            clash = (lo_a[:, k][:, None] > hi_a[:, k][None, :]) | (
                hi_a[:, k][:, None] < lo_a[:, k][None, :]
            )
            who = np.nonzero(clash.any(axis=1))[0]
            blocking.extend((int(i), int(k)) for i in who)
            parts.append(f"issue {int(k)} (parties {[int(i) for i in who]})")
        return _fail(
            "red_lines",
            blocking,
            "no zone of agreement: red lines do not overlap on " + ", ".join(parts),
        )

    # 2. Phase 1: a point with every u_i > d_i.
    x0 = np.clip(np.average(p, axis=0, weights=a), box_lo, box_hi)

    def gaps(x):
        return 1.0 - _losses(x, p, sbar, w, g).sum(axis=1) - d

    sweeps = 0
    if not np.all(gaps(x0) > 0):
        x = x0
        found = False
        for t in (10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7):

            def softmin(u, t=t):
                z = -t * (u - d)
                zmax = z.max()
                return -(zmax + math.log(np.exp(z - zmax).sum())) / t

            x, s, _ = _coordinate_ascent(
                softmin, x, box_lo, box_hi, p, sbar, w, g, tol, max_iter,
                stop=lambda y: bool(np.all(gaps(y) > 0)),
            )  # fmt: skip
            sweeps += s
            if np.all(gaps(x) > 0):
                found = True
                break
        if not found:
            # Parties who cannot beat d_i even at their own best point of the box
            own = np.clip(p, box_lo, box_hi)
            best_u = 1.0 - (sbar * (np.abs(own - p) / w) ** g).sum(axis=1)
            alone = np.nonzero(best_u <= d)[0]
            if alone.size:
                who = alone
                why = "cannot get more than their disagreement value anywhere inside the red lines"
            else:
                gap = gaps(x)
                who = np.nonzero(gap <= gap.min() + 1e-6)[0]
                why = "have disagreement values that no common point inside the red lines beats"
            return _fail(
                "disagreement",
                [(int(i), None) for i in who],
                f"no zone of agreement: parties {[int(i) for i in who]} {why}",
                iterations=sweeps,
            )
        x0 = x

    # 3. Phase 2: maximise the log Nash product.
    def nash(u):
        gap = u - d
        if np.any(gap <= 0):
            return -math.inf
        return float(np.dot(a, np.log(gap)))

    x, s, converged = _coordinate_ascent(nash, x0, box_lo, box_hi, p, sbar, w, g, tol, max_iter)
    sweeps += s
    u = 1.0 - _losses(x, p, sbar, w, g).sum(axis=1)
    return {
        "reached": True,
        "outcome": x,
        "utilities": u,
        "objective": nash(u),
        "converged": converged,
        "iterations": sweeps,
    }


def _fail(reason: str, blocking, message: str, iterations: int = 0) -> dict:
    return {
        "reached": False,
        "outcome": None,
        "utilities": None,
        "objective": -math.inf,
        "converged": True,
        "iterations": iterations,
        "reason": reason,
        "blocking": blocking,
        "message": message,
    }
