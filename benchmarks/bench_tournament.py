"""Iterated prisoner's dilemma: turns per second of a round-robin tournament.

    python benchmarks/bench_tournament.py        # from the repository root

The tournament: 8 deterministic strategies (cooperator, defector, tit_for_tat,
grudger, tit_for_two_tats, suspicious_tit_for_tat, alternator,
win_stay_lose_shift), 200 turns a match, 10 repetitions, no noise. Every pair plays
once per repetition, self-play included: 36 matches a repetition, 360 in all, 72,000
turns. A "turn" is one turn of one match (both players move), and every turn of every
match is counted, self-play included, although self-play is left out of the scores.

It prints turns per second of

- ``tournament()``: ``sim.models.games.tournament`` end to end, as a user calls it:
  validation, 360 ``SeedSequence`` match seeds, the parallel kernel and the result's
  arrays (its score table is not built);
- the batch kernel: ``sim.kernels.games.tournament`` alone on inputs prepared
  beforehand, on 1 and 2 threads (``numba.set_num_threads``), for the tournament
  above and for one 100 times larger (1,000 repetitions, 7.2 million turns), where
  the threads have enough matches to share; on the larger one ``cpu/wall`` (CPU
  time over wall time) near 2 on 2 threads says both really ran (the small one is
  too short, about a millisecond, for the CPU clock);
- the reference: ``ref_match`` from ``tests/reference.py``, the pure-Python
  implementation the tests hold the kernel to, playing the same 360 matches one by
  one in this process;

and each rate over the reference's. It first checks that the reference and the
kernel give the same totals. Each figure is the best of a few timings after a
warm-up (which compiles the kernels or loads numba's cache). A few seconds in all.
Figures vary with the machine and its load; compare ratios from one run.
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

from sim.kernels import games as K  # noqa: E402
from sim.models import games as G  # noqa: E402
from sim.models.strategies import strategy_code  # noqa: E402
from tests.reference import ref_match  # noqa: E402

STRATEGIES = [
    "cooperator", "defector", "tit_for_tat", "grudger", "tit_for_two_tats",
    "suspicious_tit_for_tat", "alternator", "win_stay_lose_shift",
]  # fmt: skip
TURNS = 200
REPETITIONS = 10
SEED = 1


def batch_inputs(repetitions: int):
    n = len(STRATEGIES)
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    words = G.match_seeds(SEED, repetitions, pairs)
    return (
        np.array([strategy_code(s) for s in STRATEGIES], dtype=np.int64),
        np.zeros(n),
        G.game("prisoners_dilemma"),
        np.full(len(words), TURNS, dtype=np.int64),
        0.0,
        np.ascontiguousarray(words[:, 0]),
        np.tile(np.array([p[0] for p in pairs], dtype=np.int64), repetitions),
        np.tile(np.array([p[1] for p in pairs], dtype=np.int64), repetitions),
        np.empty((len(words), 2)),
    )


def best_of(fn, reps: int) -> tuple[float, float]:
    """(best wall time, CPU time of that run)."""
    best = (np.inf, 0.0)
    for _ in range(reps):
        c, t = time.process_time(), time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - t, time.process_time() - c))
    return best


def reference(args) -> np.ndarray:
    codes, params, pay, turns, noise, seeds, pi, pj, _ = args
    names = {strategy_code(s): s for s in STRATEGIES}
    pay = pay.tolist()
    out = np.empty((len(seeds), 2))
    for m in range(len(seeds)):
        i, j = pi[m], pj[m]
        _, _, a, b = ref_match(
            names[codes[i]], 0.0, names[codes[j]], 0.0, pay, int(turns[m]), noise, int(seeds[m])
        )
        out[m] = a, b
    return out


def main() -> None:
    small = batch_inputs(REPETITIONS)
    large = batch_inputs(100 * REPETITIONS)
    K.tournament(*small)
    G.tournament(STRATEGIES, turns=TURNS, repetitions=REPETITIONS, seed=SEED)
    ref_totals = reference(small)
    assert np.array_equal(ref_totals, small[-1]), "the reference and the kernel disagree"
    turns_small = int(small[3].sum())
    turns_large = int(large[3].sum())
    print(
        f"{len(STRATEGIES)} strategies, {TURNS} turns, {REPETITIONS} repetitions: "
        f"{len(small[5])} matches (self-play included), {turns_small:,} turns; "
        "reference and kernel agree"
    )
    wall, _ = best_of(lambda: reference(small), 2)
    ref_rate = turns_small / wall
    rows = [("reference (pure Python, one match at a time)", 1, ref_rate, None)]
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            if threads > numba.config.NUMBA_NUM_THREADS:
                continue
            numba.set_num_threads(threads)
            wall, _ = best_of(
                lambda: G.tournament(STRATEGIES, turns=TURNS, repetitions=REPETITIONS, seed=SEED),
                20,
            )
            rows.append(("tournament() end to end", threads, turns_small / wall, None))
            wall, _ = best_of(lambda: K.tournament(*small), 50)
            rows.append(("batch kernel, 360 matches", threads, turns_small / wall, None))
            wall, cpu = best_of(lambda: K.tournament(*large), 5)
            rows.append(("batch kernel, 36,000 matches", threads, turns_large / wall, cpu / wall))
    finally:
        numba.set_num_threads(before)
    print(f"{'':<46} {'threads':>7} {'turns/s':>14} {'vs reference':>13} {'cpu/wall':>9}")
    for label, threads, rate, load in rows:
        ratio = f"{rate / ref_rate:,.0f}x"
        cpu = "" if load is None else f"{load:.2f}"
        print(f"{label:<46} {threads:>7} {rate:>14,.0f} {ratio:>13} {cpu:>9}")
    s = G.tournament(STRATEGIES, turns=TURNS, repetitions=REPETITIONS, seed=SEED).scores()
    print("ranking:", ", ".join(f"{r.strategy} {r.score_per_repetition:g}" for r in s.itertuples()))


if __name__ == "__main__":
    main()
