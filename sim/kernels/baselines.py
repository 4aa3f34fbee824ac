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
    n = x.shape[0]
    order = np.argsort(x, kind="mergesort")
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
