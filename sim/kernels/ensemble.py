"""The ensemble kernel: a chunk of independent runs in parallel with ``prange``.

Each run writes only its own rows of the outputs; nothing is reduced across runs
inside the parallel loop, so results do not depend on the thread count.

numba's cache stores this kernel with the code of ``sim.kernels.eum`` and
``sim.kernels.baselines`` compiled into it, but invalidates it only when this file
changes ("Notes on Caching" in numba's documentation): after editing those modules,
delete ``sim/kernels/__pycache__/*.nb[ic]`` or the kernel keeps running the old code.
"""

import numpy as np

from sim.kernels import jit_parallel, prange
from sim.kernels.eum import run_outcome


@jit_parallel
def run_chunk(
    X, C, S, width, SQ, procedure, fixed_risk, Q, T, lo, hi, max_rounds, comp, med, rounds, stop,
    cycle,
):  # fmt: skip
    """Run the expected-utility model for every run of a chunk.

    Parameters
    ----------
    X, S : (R, m, n) float64
        Each run's initial positions and saliences.
    C : (R, n) float64
        Each run's capabilities.
    width : (m,) float64
    SQ : (R, m) float64
        Each run's reference point of Usq per issue: NaN for each actor's own position
        (the default model), else the issue's status quo (``sim.kernels.eum.run_issues``).
        Per run, so that problems with different status quos share a chunk.
    procedure : int
        The procedure of every run (``sim.kernels.eum.DESIGN`` or ``SCHOLZ_PROGRAM``).
    fixed_risk : (n,) float64, Q, T : float
    lo, hi : (m, n) float64
        Red-line bounds.
    max_rounds : int
    comp, med : (R, m) float64
        Output: each run's final compromise and median per issue.
    rounds, stop, cycle : (R,) int64
        Output: rounds run, how each run stopped, cycle length.
    """
    R, m, n = X.shape
    for r in prange(R):
        history = np.empty((max_rounds + 1, m, n))
        t, s, c = run_outcome(
            X[r], C[r], S[r], width, SQ[r], procedure, fixed_risk, Q, T, lo, hi, max_rounds,
            history, comp[r], med[r],
        )  # fmt: skip
        rounds[r] = t
        stop[r] = s
        cycle[r] = c
