"""Numba kernels: arrays and scalars in, arrays out; no Python objects.

Every kernel is compiled with the flags in :data:`JIT` (cached, no fastmath), so
the same inputs give the same bits on every run and every thread count.
"""

from numba import njit

JIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}
"""Compile flags for every kernel, in one place."""


def jit(func):
    """Compile ``func`` with the project's flags."""
    return njit(**JIT)(func)
