"""Alternating-offer negotiations per second, on 1 and 2 threads.

    python benchmarks/bench_bargaining.py        # from the repository root

One issue split as a pie, a deadline of 100 rounds, a Boulware (time-based
concession, e = 0.5) proposing first against a conceder (e = 2), discount 0.99,
reservations 0.2: ``sim.kernels.bargaining.batch_alternating_offers`` on 200,000
independent negotiations, best of a few repetitions after a warm-up compile, with
the per-round offer history recorded as the kernel always does. The same batch is
also run through ``alternating_offers`` one negotiation at a time from Python, as a
reference for the parallel kernel's gain (measured on fewer negotiations).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.kernels import bargaining as B  # noqa: E402

N = 200_000
DEADLINE = 100


def inputs(n: int):
    return (
        np.full(n, B.TIME_BASED, dtype=np.int64),
        np.full(n, 0.5),
        np.full(n, B.TIME_BASED, dtype=np.int64),
        np.full(n, 2.0),
        np.full(n, 0.99),
        np.full(n, 0.99),
        np.full(n, 0.2),
        np.full(n, 0.2),
    )


def batch(n: int):
    args = inputs(n)
    offers = np.empty((n, DEADLINE))
    accepted = np.empty((n, DEADLINE), dtype=np.bool_)
    rounds = np.empty(n, dtype=np.int64)
    share = np.empty(n)
    B.batch_alternating_offers(*args, DEADLINE, offers, accepted, rounds, share)
    return rounds, share


def best_of(fn, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def one_by_one(n: int):
    offers = np.empty(DEADLINE)
    accepted = np.empty(DEADLINE, dtype=np.bool_)
    for _ in range(n):
        B.alternating_offers(
            B.TIME_BASED, 0.5, B.TIME_BASED, 2.0, 0.99, 0.99, 0.2, 0.2, DEADLINE, offers, accepted
        )


def main() -> None:
    batch(1000)
    one_by_one(10)
    rounds, share = batch(N)
    print(
        f"each negotiation: agreement in round {rounds[0]}, first proposer's share {share[0]:.3f}"
    )
    n_single = 20_000
    single = n_single / best_of(lambda: one_by_one(n_single))
    print(f"one at a time from Python: {single:,.0f} negotiations/s")
    print(f"{'threads':>7}  {'negotiations/s':>15}  {'vs one at a time':>16}")
    for threads in (1, 2):
        if threads > numba.config.NUMBA_NUM_THREADS:
            continue
        numba.set_num_threads(threads)
        rate = N / best_of(lambda: batch(N))
        print(f"{threads:>7}  {rate:>15,.0f}  {rate / single:>15.1f}x")


if __name__ == "__main__":
    main()
