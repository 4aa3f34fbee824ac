"""The baseline forecasts: capability-and-salience weighted mean and median.

The weights are ``w_i = c_i s_i`` (:func:`weights`) or, for the weighting schemes the
literature compares, ``w_i = c_i^b s_i^a`` (:func:`powered_weights`).
"""

import numpy as np

from sim.kernels import jit


@jit
def weights(capability, salience, out):
    """w_i = c_i * s_i into ``out`` (n,); equal weights of 1 when every w_i is 0."""
    n = capability.shape[0]
    total = 0.0
    for i in range(n):
        out[i] = capability[i] * salience[i]
        total += out[i]
    if total <= 0.0:
        for i in range(n):
            out[i] = 1.0
    return out


@jit
def powered_weights(capability, salience, capability_power, salience_power, out):
    """w_i = c_i^b * s_i^a into ``out`` (n,), with b = ``capability_power`` and
    a = ``salience_power``; equal weights of 1 when every w_i is 0.

    ``0^0`` is 1 (``pow``'s convention): at a = 0 every actor counts, whatever its salience.
    At a = b = 1 the weights are :func:`weights`' (``v**1.0 == v`` exactly).
    """
    n = capability.shape[0]
    total = 0.0
    for i in range(n):
        out[i] = capability[i] ** capability_power * salience[i] ** salience_power
        total += out[i]
    if total <= 0.0:
        for i in range(n):
            out[i] = 1.0
    return out


@jit
def powered_forecasts(X, C, S, capability_power, salience_power, comp, med):
    """The compromise and the weighted median with weights ``c^b s^a``, for many states.

    Parameters
    ----------
    X, S : (R, m, n) float64
        Positions and saliences of R states (problems or perturbed runs).
    C : (R, n) float64
        Capabilities.
    capability_power, salience_power : float
        b and a (:func:`powered_weights`).
    comp, med : (R, m) float64
        Output: per state and issue, the weighted mean and the weighted median.
    """
    R, m, n = X.shape
    w = np.empty(n)
    order = np.empty(n, dtype=np.int64)
    for r in range(R):
        for k in range(m):
            powered_weights(C[r], S[r, k], capability_power, salience_power, w)
            x = X[r, k]
            comp[r, k] = compromise(x, w)
            stable_order(x, order)
            med[r, k] = weighted_median_ordered(x, w, order)
    return comp, med


@jit
def compromise(x, w):
    """Weighted mean ``sum(w x) / sum(w)`` of positions ``x`` (n,) with weights ``w`` (n,)."""
    num = 0.0
    den = 0.0
    for i in range(x.shape[0]):
        num += w[i] * x[i]
        den += w[i]
    return num / den


@jit
def weighted_median(x, w):
    """The position at which the cumulative weight of sorted positions first reaches half."""
    return weighted_median_ordered(x, w, np.argsort(x, kind="mergesort"))


@jit
def stable_order(x, order):
    """The indices that sort ``x`` stably, into ``order`` (n,) int64, without allocating.

    The same as ``np.argsort(x, kind="mergesort")``: ties keep index order, NaN
    goes last. An insertion sort: the kernels call it every round on a few dozen
    actors, where it beats an allocating sort.

    Parameters
    ----------
    x : (n,) float64
    order : (n,) int64
        Output.
    """
    n = x.shape[0]
    for k in range(n):
        v = x[k]
        p = k
        # shift the earlier entries that sort strictly after v (NaN after every number)
        while p > 0 and (v < x[order[p - 1]] or (v == v and x[order[p - 1]] != x[order[p - 1]])):
            order[p] = order[p - 1]
            p -= 1
        order[p] = k
    return order


@jit
def weighted_median_ordered(x, w, order):
    """:func:`weighted_median` given ``order``, the stable sorting order of ``x``.

    Parameters
    ----------
    x, w : (n,) float64
        Positions and weights.
    order : (n,) int64
        Indices that sort ``x`` stably (:func:`stable_order`).
    """
    n = x.shape[0]
    total = 0.0
    for i in range(n):
        total += w[i]
    half = 0.5 * total
    acc = 0.0
    for k in range(n):
        acc += w[order[k]]
        if acc >= half:
            return x[order[k]]
    return x[order[n - 1]]
