"""Payoffs over issue spaces (DESIGN.md section 5.3).

The utility of a point ``x`` over all ``m`` issues to party ``i`` is

    u_i(x) = 1 - sum_k sbar_ik (|x_k - p_ik| / D_k) ** gamma

with ``p_ik`` the party's ideal point on issue ``k``, ``D_k`` the width of the
issue's scale, and ``sbar_ik`` the party's saliences normalised to sum 1
(equal weights ``1 / m`` when all of a party's saliences are zero).  ``gamma``
is 1 for linear and 2 for quadratic loss; it must be >= 1 so that utility is
concave in ``x``.
"""

from __future__ import annotations

import numpy as np


def check_gamma(gamma: float) -> float:
    """Return ``gamma`` as a float, raising ``ValueError`` unless it is finite and >= 1."""
    g = float(gamma)
    if not np.isfinite(g) or g < 1.0:
        raise ValueError(f"gamma must be a finite number >= 1, got {gamma!r}")
    return g


def normalised_salience(salience: np.ndarray) -> np.ndarray:
    """Normalise each party's saliences to sum 1.

    Parameters
    ----------
    salience : ndarray, shape (parties, m)
        Non-negative saliences.

    Returns
    -------
    ndarray, shape (parties, m)
        Rows summing to 1; a row of zeros becomes ``1 / m`` everywhere.
    """
    s = np.asarray(salience, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"salience must have shape (parties, m), got {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("saliences must be finite and non-negative")
    total = s.sum(axis=1, keepdims=True)
    m = s.shape[1]
    equal = np.full_like(s, 1.0 / m) if m else s
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, s / np.where(total > 0, total, 1.0), equal)
    return out


def utility(
    x: np.ndarray,
    ideal: np.ndarray,
    salience: np.ndarray,
    width: np.ndarray,
    gamma: float = 1.0,
) -> np.ndarray:
    """Utility of the point ``x`` to every party.

    Parameters
    ----------
    x : ndarray, shape (m,)
        The point (one value per issue).
    ideal : ndarray, shape (parties, m)
        Each party's ideal point ``p_ik``.
    salience : ndarray, shape (parties, m)
        Each party's saliences; normalised per party inside (see
        :func:`normalised_salience`).
    width : ndarray, shape (m,)
        Width ``D_k > 0`` of each issue's scale.
    gamma : float, default 1.0
        Loss exponent, >= 1.

    Returns
    -------
    ndarray, shape (parties,)
        ``u_i(x) = 1 - sum_k sbar_ik (|x_k - p_ik| / D_k) ** gamma``.
    """
    g = check_gamma(gamma)
    p = np.asarray(ideal, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"ideal must have shape (parties, m), got {p.shape}")
    xs = np.asarray(x, dtype=np.float64)
    d = np.asarray(width, dtype=np.float64)
    m = p.shape[1]
    if xs.shape != (m,):
        raise ValueError(f"x must have shape ({m},), got {xs.shape}")
    if d.shape != (m,):
        raise ValueError(f"width must have shape ({m},), got {d.shape}")
    if not np.all(np.isfinite(d)) or np.any(d <= 0):
        raise ValueError("every issue width must be finite and > 0")
    sbar = normalised_salience(salience)
    if sbar.shape != p.shape:
        raise ValueError(f"salience shape {sbar.shape} differs from ideal shape {p.shape}")
    loss = (np.abs(xs[None, :] - p) / d[None, :]) ** g
    return 1.0 - (sbar * loss).sum(axis=1)
