"""Numba kernels: arrays and scalars in, arrays out; no Python objects.

Every kernel is compiled with the flags in :data:`JIT` (cached, no fastmath), so
the same inputs give the same bits on every run and every thread count.

numba's on-disk cache notices a change to a kernel's own file only: a kernel that
calls into another module (``sim.kernels.ensemble.run_chunk`` calls
``sim.kernels.eum``) keeps its old compiled code after that module changes. After
editing a kernel, delete ``sim/kernels/__pycache__``. A fresh clone (CI, a user's
install) has no cache and always compiles the current code.
"""

from numba import njit

JIT = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}
"""Compile flags for every kernel, in one place."""


def jit(func):
    """Compile ``func`` with the project's flags."""
    return njit(**JIT)(func)
