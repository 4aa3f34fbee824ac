"""Alternating-offer negotiations per second, on 1 and 2 threads.

    python benchmarks/bench_bargaining.py        # from the repository root

One issue split as a pie, a deadline of 100 rounds, a Boulware (time-based
concession, e = 0.5) proposing first against a conceder (e = 2), discount 0.99,
reservations 0.2: ``sim.kernels.bargaining.batch_alternating_offers`` on 200,000
independent negotiations, best of a few repetitions after a warm-up compile, with
the per-round offer history recorded as the kernel always does. The same batch is
also run through ``alternating_offers`` one negotiation at a time from Python, as a
reference for the parallel kernel's gain (measured on fewer negotiations).

Then Nash bargaining solutions per second for the default scenario
(``sim.models.nash_solution.nash_bargaining`` over its 12 actors and 6 issues, red lines as
the feasible box, disagreement at the status quo): a plain-Python solver, timed
on one thread.

Last, whole ensembles through ``sim.ensemble`` on the default scenario, one thread:
the crisis model (5,000 runs), alternating offers between Russia and NATO (2,000 runs)
and Nash bargaining (100 runs), the last two with Russia's enlargement red line
lifted so that there are agreements to find. These build each run's parties,
contract curve and war lottery in Python, which bounds their rate, not the kernel.
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
PIE_A = np.array([0.0, 1.0])  # the pie as a two-point frontier: A's share ...
PIE_B = np.array([1.0, 0.0])  # ... and B's


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
        np.tile(PIE_A, (n, 1)),
        np.tile(PIE_B, (n, 1)),
    )


def batch(n: int):
    args = inputs(n)
    offers = np.empty((n, DEADLINE))
    offers_b = np.empty((n, DEADLINE))
    accepted = np.empty((n, DEADLINE), dtype=np.bool_)
    rounds = np.empty(n, dtype=np.int64)
    share = np.empty(n)
    B.batch_alternating_offers(*args, DEADLINE, offers, offers_b, accepted, rounds, share)
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
    offers_b = np.empty(DEADLINE)
    accepted = np.empty(DEADLINE, dtype=np.bool_)
    for _ in range(n):
        B.alternating_offers(
            B.TIME_BASED,
            0.5,
            B.TIME_BASED,
            2.0,
            0.99,
            0.99,
            0.2,
            0.2,
            PIE_A,
            PIE_B,
            DEADLINE,
            offers,
            offers_b,
            accepted,
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
    rate, results = nbs_rate()
    for label, res in results.items():
        print(f"Nash bargaining, default scenario, {label}: reached={res['reached']}")
    print(f"Nash bargaining solutions/s (5 issues, 12 actors, one thread): {rate:,.1f}")
    numba.set_num_threads(1)
    print("scenario ensembles (sim.ensemble, default scenario, one thread, end to end):")
    for model, runs, overrides in ENSEMBLES:
        rate, summary = ensemble_rate(model, runs, overrides)
        key = "p_war" if model == "crisis" else "p_agreement"
        print(f"  {model:<12} {runs:>6,} runs  {rate:>8,.0f} runs/s   {key} = {summary[key]:.3f}")


# Russia's red line lifted for the two-party models, so that agreements exist to find
LIFTED = ["actors.RUS.red_line.enlargement=[0,100]"]
ENSEMBLES = (("crisis", 5000, []), ("alternating", 2000, LIFTED), ("nbs", 100, LIFTED))


def ensemble_rate(model: str, runs: int, overrides: list[str]) -> tuple[float, dict]:
    import sim

    sc = sim.load_scenario("nato_russia_2022", overrides)
    sim.ensemble(sc, runs=min(runs, 20), seed=1, model=model, progress=False)
    t = time.perf_counter()
    res = sim.ensemble(sc, runs=runs, seed=1, model=model, progress=False)
    return runs / (time.perf_counter() - t), res.summary()


def nbs_rate(reps: int = 5) -> tuple[float, dict]:
    import sim
    from sim.models.nash_solution import nash_bargaining
    from sim.payoffs import utility

    a = sim.load_scenario().arrays()
    ideal, sal = a.position.T.copy(), a.salience.T.copy()
    width = a.width
    # the disagreement point: each actor's utility of the status quo
    d = utility(a.status_quo, ideal, sal, width)
    # red lines of the two sides do not meet on enlargement: solve without that issue too
    keep = [k for k, iid in enumerate(a.issue_ids) if iid != "enlargement"]
    args = (ideal[:, keep], sal[:, keep], width[keep], a.red_lo.T[:, keep], a.red_hi.T[:, keep])
    d_keep = utility(a.status_quo[keep], *args[:3])
    full = nash_bargaining(ideal, sal, width, a.red_lo.T, a.red_hi.T, d)
    t = time.perf_counter()
    for _ in range(reps):
        res = nash_bargaining(*args, d_keep)
    return reps / (time.perf_counter() - t), {"all issues": full, "without enlargement": res}


if __name__ == "__main__":
    main()
