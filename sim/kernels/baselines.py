"""The baseline forecasts: capability-and-salience weighted mean and median."""

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
