"""Runs per second of KTAB's spatial model of politics: numba kernels vs the reference.

    python benchmarks/bench_smp.py            # from the repository root

Two inputs, KTAB's defaults, run to KTAB's stopping rule (at most 100 steps):

* ``ktab``: KTAB's reference input tests/data/ktab/dummyData_3Dim.csv (7 actors, 3
  dimensions, 11 states);
* ``default``: the shipped scenario (``sim.load_scenario()``), its six issues as one
  space: positions mapped to [0, 1] by each issue's scale, saliences as they are,
  capabilities (12 actors, 6 dimensions).

For each it prints runs per second of

* ``simulate``: ``sim.kernels.smp.simulate`` from Python, one run per call (checks,
  buffers, the compiled run, the result tables);
* ``batch 1``, ``batch 2``: ``run_batch`` over 256 copies of the input on 1 and 2 threads
  (``numba.set_num_threads``);
* ``reference``: tests/reference_smp.py's ``smp_run`` (plain Python);

and the ratio simulate/reference. It also prints the time of one in-process run of the
KTAB input after compilation (best of many), and the cold compile of ``run`` and of
``run_batch`` in a fresh subprocess with an empty numba cache directory. The script first
checks that the kernel and the reference agree on both inputs. Each figure is the best of
a few ``time.perf_counter`` batches after a warm-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.kernels import smp  # noqa: E402
from tests.reference_smp import smp_run  # noqa: E402
from tests.test_smp_reference import CSV, read_ktab_csv  # noqa: E402

BATCH = 256


def inputs() -> dict:
    """name -> (capability, position, salience) on [0, 1]."""
    _, cap, pos, sal = read_ktab_csv(CSV)
    out = {"ktab": (np.array(cap), np.array(pos) / 100.0, np.array(sal) / 100.0)}
    a = sim.load_scenario().arrays()
    pos = (a.position.T - a.scale_lo) / (a.scale_hi - a.scale_lo)
    out["default"] = (
        np.asarray(a.capability, float),
        np.ascontiguousarray(pos),
        a.salience.T.copy(),
    )
    return out


def best(fn, repeats: int = 5, number: int = 1) -> float:
    """Best time of ``number`` calls of ``fn`` over ``repeats`` batches, per call."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return min(times)


def batch_runs_per_second(cap, pos, sal, threads: int) -> float:
    n, d = pos.shape
    C = np.repeat(cap[None], BATCH, axis=0)
    X = np.repeat(pos[None], BATCH, axis=0)
    S = np.repeat(sal[None], BATCH, axis=0)
    lo, hi = np.zeros((n, d)), np.ones((n, d))
    opts = smp.encode_options()
    draws = np.zeros((BATCH, 0, n))
    fp, fq = np.empty_like(X), np.empty((BATCH, n))
    ns, st = np.empty(BATCH, dtype=np.int64), np.empty(BATCH, dtype=np.int64)
    old = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        smp.run_batch(C, X, S, lo, hi, opts, draws, smp.MAX_STATES, fp, fq, ns, st)
        t = best(
            lambda: smp.run_batch(C, X, S, lo, hi, opts, draws, smp.MAX_STATES, fp, fq, ns, st), 3
        )
    finally:
        numba.set_num_threads(old)
    return BATCH / t


COLD = """
import time, numpy as np
from sim.kernels import smp
from tests.test_smp_reference import CSV, read_ktab_csv
_, cap, pos, sal = read_ktab_csv(CSV)
cap, pos, sal = np.array(cap), np.array(pos) / 100, np.array(sal) / 100
t = time.perf_counter(); smp.simulate(cap, pos, sal); a = time.perf_counter() - t
n, d = pos.shape
out = (np.empty((2, n, d)), np.empty((2, n)), np.empty(2, dtype=np.int64), np.empty(2, dtype=np.int64))
t = time.perf_counter()
smp.run_batch(np.stack([cap] * 2), np.stack([pos] * 2), np.stack([sal] * 2), np.zeros((n, d)),
              np.ones((n, d)), smp.encode_options(), np.zeros((2, 0, n)), 100, *out)
print(a, time.perf_counter() - t)
"""


def cold_compile() -> tuple[float, float]:
    """Seconds to compile ``run`` (with sim.kernels.pce's kernels) and then ``run_batch`` in a
    fresh process with an empty cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", COLD], cwd=ROOT, env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
    a, b = out.stdout.split()
    return float(a), float(b)


def main() -> None:
    data = inputs()
    for name, (cap, pos, sal) in data.items():
        run = smp.simulate(cap, pos, sal)
        ref = smp_run(cap, 100.0 * pos, 100.0 * sal)
        assert run.positions.shape[0] == len(ref["positions"]), name
        assert np.abs(run.positions - np.array(ref["positions"])).max() < 1e-9, name
        assert np.abs(run.probabilities - np.array(ref["win_prob"])).max() < 1e-9, name
    print(f"numba {numba.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"{'input':8} {'n':>3} {'d':>2} {'states':>6} {'simulate':>10} {'batch 1':>9} "
          f"{'batch 2':>9} {'reference':>9} {'ratio':>6}  (runs/s)")  # fmt: skip
    for name, (cap, pos, sal) in data.items():
        states = smp.simulate(cap, pos, sal).positions.shape[0]
        t_sim = best(lambda: smp.simulate(cap, pos, sal), 5, 50)  # noqa: B023
        b1 = batch_runs_per_second(cap, pos, sal, 1)
        b2 = batch_runs_per_second(cap, pos, sal, 2)
        t_ref = best(lambda: smp_run(cap, 100.0 * pos, 100.0 * sal), 3)  # noqa: B023
        print(f"{name:8} {pos.shape[0]:3d} {pos.shape[1]:2d} {states:6d} {1 / t_sim:10.0f} "
              f"{b1:9.0f} {b2:9.0f} {1 / t_ref:9.1f} {t_ref / t_sim:6.0f}")  # fmt: skip
    cap, pos, sal = data["ktab"]
    one = best(lambda: smp.simulate(cap, pos, sal), 20, 20)
    print(f"one in-process run of the KTAB input after compilation: {1e3 * one:.3f} ms")
    a, b = cold_compile()
    print(f"cold compile (empty cache): run {a:.1f} s, then run_batch {b:.1f} s")


if __name__ == "__main__":
    main()
