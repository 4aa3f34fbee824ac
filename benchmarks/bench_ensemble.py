"""Runs per second of a NATO-Russia ensemble, against the plain-Python reference; memory of a million.

    python benchmarks/bench_ensemble.py              # from the repository root, about a minute
    python benchmarks/bench_ensemble.py --million    # also a 1,000,000-run ensemble (minutes)

The scenario is the shipped one (``sim.load_scenario()``) perturbed as its ``[uncertainty]``
section says, run with the expected-utility model for at most 30 rounds. For 1 and 2
threads (``numba.set_num_threads``) it prints runs per second of

* ``ensemble``: ``sim.ensemble(None, runs=N, seed=..., progress=False)`` end to end
  (seeds, perturbation, the parallel kernel, the runs table), as a user calls it;
* ``kernel``: ``sim.kernels.ensemble.run_chunk`` alone on inputs perturbed beforehand;

and the speed-up of each over ``tests/reference.py``'s ``eum_run`` (the slow pure-Python
oracle) on the same perturbed runs, timed in the same process. The script first checks
that the reference and the ensemble give the same rounds, stop and forecast for those
runs. Figures are the best of a few repetitions after a warm-up that compiles the
kernels (or loads numba's cache).

With ``--million`` it then runs a one-million-run ensemble in a fresh subprocess and
reports its wall time and peak resident memory (``ru_maxrss`` of the child, from
``resource.getrusage(RUSAGE_CHILDREN)``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402

import sim  # noqa: E402
from sim.kernels.ensemble import run_chunk  # noqa: E402
from sim.kernels.eum import DESIGN  # noqa: E402
from sim.uncertainty import perturb, run_seeds, spreads  # noqa: E402
from tests import reference as ref  # noqa: E402

SEED = 20220112
ROUNDS = 30
THREADS = (1, 2)
MILLION = 1_000_000


def best_of(fn, repeats: int) -> tuple[float, float]:
    """The shortest of ``repeats`` timings of ``fn()``: (wall seconds, CPU seconds / wall seconds).

    The CPU share tells whether the threads really ran side by side: on a machine
    busy with other work it stays near 1 on 2 threads.
    """
    best, share = float("inf"), 0.0
    for _ in range(repeats):
        cpu = os.times()
        start = time.perf_counter()
        fn()
        wall = time.perf_counter() - start
        after = os.times()
        if wall < best:
            best = wall
            share = (after.user - cpu.user + after.system - cpu.system) / wall
    return best, share


def inputs(runs: int):
    """The scenario's arrays and the perturbed inputs of the ensemble's first ``runs`` runs."""
    scenario = sim.load_scenario()
    arrays = scenario.arrays()
    X, S, C = perturb(arrays, spreads(scenario), run_seeds(SEED, 0, runs))
    return arrays, X, S, C


def kernel_call(arrays, X, S, C):
    """``run_chunk`` on every given run, as ``sim.ensemble`` calls it; returns (call, outputs)."""
    R, m, _ = X.shape
    out = {
        "compromise": np.empty((R, m)),
        "median": np.empty((R, m)),
        "rounds": np.empty(R, dtype=np.int64),
        "stop": np.empty(R, dtype=np.int64),
        "cycle": np.empty(R, dtype=np.int64),
    }
    lo = np.ascontiguousarray(arrays.red_lo)
    hi = np.ascontiguousarray(arrays.red_hi)
    SQ = np.full((R, m), np.nan)  # each actor's own position as the reference point

    def call():
        run_chunk(
            X, C, S, arrays.width, SQ, DESIGN, arrays.risk, float(arrays.Q), float(arrays.T), lo, hi,
            ROUNDS, out["compromise"], out["median"], out["rounds"], out["stop"], out["cycle"],
        )  # fmt: skip

    return call, out


def reference_run(arrays, x, s, c) -> dict:
    """One run with ``tests.reference.eum_run`` and its forecast, averaged over a final cycle."""
    fixed = [None if np.isnan(v) else float(v) for v in arrays.risk]
    history, rounds, stopped, cycle = ref.eum_run(
        x, c, s, arrays.width, fixed, float(arrays.Q), float(arrays.T),
        arrays.red_lo, arrays.red_hi, ROUNDS,
    )  # fmt: skip
    first = rounds - cycle + 1 if stopped == "cycle" else rounds
    comp, med = [], []
    for k in range(len(history[0])):
        w = ref.weights(c, s[k])
        states = [history[q][k] for q in range(first, rounds + 1)]
        total_c, total_m = 0.0, 0.0
        for state in states:
            total_c += ref.compromise(state, w)
            total_m += ref.weighted_median(state, w)
        comp.append(total_c / len(states))
        med.append(total_m / len(states))
    return {"rounds": rounds, "stopped": stopped, "compromise": comp, "median": med}


def check_against_reference(table, refs: list[dict], issue_ids) -> None:
    """The ensemble's first runs agree with the reference (tolerance as tests/test_kernels_eum)."""
    rows = table.slice(0, len(refs)).to_pylist()
    for r, (row, expected) in enumerate(zip(rows, refs, strict=True)):
        assert row["rounds"] == expected["rounds"], (r, row["rounds"], expected["rounds"])
        assert row["stopped"] == expected["stopped"], (r, row["stopped"], expected["stopped"])
        got_c = [row[f"{iid}.compromise"] for iid in issue_ids]
        got_m = [row[f"{iid}.median"] for iid in issue_ids]
        np.testing.assert_allclose(got_c, expected["compromise"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got_m, expected["median"], rtol=1e-9, atol=1e-9)


def million(threads: int | None) -> None:
    """A 1,000,000-run ensemble in a subprocess: wall time and the child's peak RSS."""
    code = (
        "import numba, sim\n"
        + (f"numba.set_num_threads({threads})\n" if threads else "")
        + f"sim.ensemble(None, runs={MILLION}, seed={SEED}, progress=False)\n"
    )
    print(f"one-million-run ensemble in a subprocess ({threads or 'all'} threads) ...", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    wall = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print(
        f"  {MILLION:,} runs in {wall:.0f} s ({MILLION / wall:,.0f} runs/s, including start-up); "
        f"peak RSS {peak_kib / 1024:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000, help="runs per timed ensemble")
    parser.add_argument("--repeats", type=int, default=3, help="timings per figure (best kept)")
    parser.add_argument("--reference-runs", type=int, default=8, help="runs for the reference")
    parser.add_argument("--million", action="store_true", help="also a 1,000,000-run ensemble")
    parser.add_argument("--million-threads", type=int, default=None, help="its thread count")
    args = parser.parse_args()

    t0 = time.perf_counter()
    sim.ensemble(None, runs=200, seed=SEED, rounds=ROUNDS, progress=False)  # compile or load cache
    arrays, X, S, C = inputs(args.runs)
    call, _ = kernel_call(arrays, X[:10], S[:10], C[:10])
    call()
    print(f"warm-up (compile or cache load): {time.perf_counter() - t0:.1f} s")

    # the reference on the ensemble's first runs, and the check that they agree
    K = args.reference_runs
    start = time.perf_counter()
    refs = [reference_run(arrays, X[r], S[r], C[r]) for r in range(K)]
    ref_rate = K / (time.perf_counter() - start)
    check = sim.ensemble(None, runs=K, seed=SEED, rounds=ROUNDS, progress=False)
    check_against_reference(check.table, refs, sim.load_scenario().issue_ids)
    print(f"reference (tests/reference.py eum_run): {ref_rate:.1f} runs/s over {K} runs; agrees")

    sp = spreads(sim.load_scenario())
    wall, _ = best_of(lambda: perturb(arrays, sp, run_seeds(SEED, 0, 1000)), args.repeats)
    python_us = wall / 1000 * 1e6
    print(f"seeds + perturbation (Python, serial): {python_us:.1f} us/run")
    print()

    n = args.runs
    call, _ = kernel_call(arrays, X, S, C)
    header = (
        f"{'threads':>7} {'ensemble runs/s':>16} {'kernel runs/s':>14} "
        f"{'ensemble/ref':>13} {'kernel/ref':>11} {'cpu/wall':>9}"
    )
    print(f"NATO-Russia, {n:,} runs, at most {ROUNDS} rounds, expected-utility model")
    print(header)
    print("-" * len(header))
    for threads in THREADS:
        if threads > numba.config.NUMBA_NUM_THREADS:
            print(f"{threads:>7} (only {numba.config.NUMBA_NUM_THREADS} threads available)")
            continue
        numba.set_num_threads(threads)
        wall_e, share_e = best_of(
            lambda: sim.ensemble(None, runs=n, seed=SEED, rounds=ROUNDS, progress=False),
            args.repeats,
        )
        wall_k, share_k = best_of(call, args.repeats)
        e, k = n / wall_e, n / wall_k
        print(
            f"{threads:>7} {e:>16,.0f} {k:>14,.0f} {e / ref_rate:>13,.0f} {k / ref_rate:>11,.0f} "
            f"{share_e:>4.1f}/{share_k:<4.1f}",
            flush=True,
        )
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    print()
    if args.million:
        million(args.million_threads)
        print()
    print(
        f"total {time.perf_counter() - t0:.0f} s; numba {numba.__version__}, numpy {np.__version__}, "
        f"python {sys.version.split()[0]}"
    )


if __name__ == "__main__":
    main()
