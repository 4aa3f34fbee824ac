"""Microseconds per expected-utility round: numba kernels vs the plain-Python reference.

    python benchmarks/bench_eum.py            # from the repository root

For 10, 24, 100 and 300 actors (a random one-issue scenario, fixed seed) it times one
round of the expected-utility model (DESIGN 5.2: weights, median, P, risk exponents, EU
twice, every actor's decision):

* ``kernel``: ``sim.kernels.eum.run_issues`` with a one-round limit, called repeatedly
  from the same start (one compiled call per round, as ``driver="kernel"`` does);
* ``per-actor``: ``prepare_round`` plus one ``actor_decision`` call per actor from
  Python, as the mesa agents do (``driver="abm"``, without mesa's own overhead);
* ``reference``: ``tests/reference.py``'s ``eum_round`` (pure Python, O(n^3) for P).

Everything is measured in the same run after a warm-up (numba compiles, or loads its
cache, before timing). Each figure is the best of several batches of
``time.perf_counter`` timings, to damp noise from other processes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.kernels import eum as K  # noqa: E402
from tests import reference as ref  # noqa: E402

SIZES = (10, 24, 100, 300)
SEED = 20220112
WIDTH = 100.0


def scenario(n: int, seed: int = SEED) -> dict:
    """A random one-issue scenario: positions on [0, 100], capabilities, saliences, no red lines."""
    rng = np.random.default_rng(seed + n)
    return {
        "X0": rng.uniform(0.0, WIDTH, (1, n)),
        "c": rng.uniform(0.1, 10.0, n),
        "S": rng.uniform(0.05, 1.0, (1, n)),
        "width": np.array([WIDTH]),
        "fixed": np.full(n, np.nan),
        "Q": 1.0,
        "T": 1.0,
        "lo": np.zeros((1, n)),
        "hi": np.full((1, n), WIDTH),
    }


def kernel_round(sc: dict):
    """One round with run_issues (buffers allocated once, outside the timing)."""
    m, n = sc["X0"].shape
    history = np.empty((2, m, n))
    events = np.empty((1, m, n), dtype=np.int64)
    senders = np.empty((1, m, n), dtype=np.int64)
    clipped = np.empty((1, m, n), dtype=np.bool_)
    args = (
        sc["X0"],
        sc["c"],
        sc["S"],
        sc["width"],
        np.full(m, np.nan),
        K.DESIGN,
        sc["fixed"],
        sc["Q"],
        sc["T"],
        sc["lo"],
        sc["hi"],
        1,
        history,
        events,
        senders,
        clipped,
    )

    def run():
        K.run_issues(*args)
        return history[1, 0]

    return run


def per_actor_round(sc: dict):
    """prepare_round, then actor_decision for each actor from Python (the mesa agents' path)."""
    n = sc["X0"].shape[1]
    x, c, s = sc["X0"][0].copy(), sc["c"], sc["S"][0].copy()
    lo, hi = sc["lo"][0], sc["hi"][0]
    w, r, P, EU, new = np.empty(n), np.empty(n), np.empty((n, n)), np.empty((n, n)), np.empty(n)
    fixed, width, Q, T = sc["fixed"], float(sc["width"][0]), float(sc["Q"]), float(sc["T"])

    def run():
        K.prepare_round(x, c, s, width, np.nan, fixed, Q, T, w, P, EU, r)
        for i in range(n):
            new[i] = K.actor_decision(EU, x, i, lo[i], hi[i])[0]
        return new

    return run


def reference_round(sc: dict):
    x, c, s = sc["X0"][0].tolist(), sc["c"].tolist(), sc["S"][0].tolist()
    fixed, lo, hi = sc["fixed"].tolist(), sc["lo"][0].tolist(), sc["hi"][0].tolist()

    def run():
        return ref.eum_round(x, c, s, WIDTH, fixed, sc["Q"], sc["T"], lo, hi)[0]

    return run


def time_per_call(
    fn, budget: float, batches: int = 5, max_calls: int = 100_000
) -> tuple[float, int]:
    """Seconds per call: the best batch mean of ``batches`` batches filling ``budget`` seconds."""
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    calls = int(min(max_calls, max(1, budget / batches / once)))
    best = float("inf")
    for _ in range(batches if calls > 1 or once < budget / 2 else 1):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best, calls


def main() -> None:
    t0 = time.perf_counter()
    # warm-up: compile (or load from numba's cache) on a small case
    small = scenario(5)
    kernel_round(small)()
    per_actor_round(small)()
    print(f"warm-up (compile or cache load): {time.perf_counter() - t0:.1f} s")
    print()
    header = (
        f"{'actors':>6} {'kernel us/round':>16} {'per-actor us/round':>19} "
        f"{'reference us/round':>19} {'ref/kernel':>11} {'ref/per-actor':>14}"
    )
    print(header)
    print("-" * len(header))
    for n in SIZES:
        sc = scenario(n)
        k_fn, a_fn, r_fn = kernel_round(sc), per_actor_round(sc), reference_round(sc)
        # the three agree on the round they compute
        np.testing.assert_allclose(k_fn(), a_fn(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(k_fn(), r_fn(), rtol=1e-9, atol=1e-9)
        kernel, _ = time_per_call(k_fn, budget=1.0)
        per_actor, _ = time_per_call(a_fn, budget=1.0)
        reference, _ = time_per_call(
            r_fn, budget=3.0 if n < 300 else 10.0, batches=3 if n < 300 else 2
        )
        print(
            f"{n:>6} {kernel * 1e6:>16.1f} {per_actor * 1e6:>19.1f} {reference * 1e6:>19.0f} "
            f"{reference / kernel:>11.0f} {reference / per_actor:>14.0f}",
            flush=True,
        )
    print()
    print(
        f"total {time.perf_counter() - t0:.0f} s; "
        f"numpy {np.__version__}, python {sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
