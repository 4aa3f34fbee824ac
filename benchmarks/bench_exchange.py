"""In-process time of the exchange model: sim's kernel and model vs decide-exchange-model.

    python benchmarks/bench_exchange.py            # from the repository root
    python benchmarks/bench_exchange.py --quick    # fewer repetitions, a shorter large run

decide's sample data (tests/data/decide_input/sample_data.txt: 10 actors, 6 issues), 10
rounds, equal gain, ties kept in their order (decide's ``ALLOW_RANDOM`` off, sim's
``random_ties`` false). It prints milliseconds per 10-round run of

* ``decide``: decide-exchange-model's ``EqualGainModel`` driven by its ``ModelLoop`` for 10
  rounds, in-process in decide's own interpreter (``--decide-python``, default
  /tmp/decide-venv/bin/python; decide is GPL and not a dependency of sim, so it runs in a
  subprocess of that interpreter and times itself; building the model from the file is not
  timed). Skipped, with a line saying why, when that interpreter is missing, cannot start,
  fails (cannot import decide, say) or prints no timing;
* ``kernel``: ``sim.kernels.exchange.simulate`` on the arrays the model builds
  (``sim.models.exchange._inputs``), after compilation;
* ``model``: ``MODELS["exchange"].run(scenario, params, 10)`` whole (the arrays, the kernel,
  the trajectory), once per value of the model's ``arithmetic`` parameter when it has one;
* ``reference``: tests/reference_exchange.py's ``exchange_run`` (plain Python, Decimal);

the ratio decide / row for each, and for each row the number of leading rounds whose
expected outcomes equal the reference's (which reproduces all 10 rounds of decide) to 1e-6
of the issue's scale. Then rounds per second of the float kernel on 50 actors and 20 issues
(positions, saliences and capabilities from ``numpy.random.default_rng(0)``, no red
lines), and the compile time of the kernel: its first call in this process (numba's cache
as it is) and in a fresh process with an empty ``NUMBA_CACHE_DIR``. Each figure is the best
of a few ``time.perf_counter`` batches after a warm-up run; beside it the best CPU time of
the process (``time.process_time``) and the ratio of CPU times, which other work on the
machine disturbs less than wall times (decide and sim are timed one after the other).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import numpy as np  # noqa: E402

from sim.kernels import exchange as kx  # noqa: E402
from sim.models import MODELS  # noqa: E402
from sim.models.base import options_of  # noqa: E402
from sim.models.exchange import _inputs  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from tests.reference_exchange import exchange_run, read_decide_file  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "decide_input" / "sample_data.txt"
ROUNDS = 10
DECIDE_PYTHON = "/tmp/decide-venv/bin/python"
MATCH = 1e-6
"""Expected outcomes within this fraction of the issue's scale count as equal."""

DECIDE = r"""
import json, os, sys, time
from decide.data.modelfactory import ModelFactory
from decide.data.reader import InputDataFile
from decide.model import equalgain
from decide.model.observers.observer import Observable
from decide.model.utils import ModelLoop

path, rounds, repeats, number = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
equalgain.EqualGainModel.ALLOW_RANDOM = False
data = InputDataFile.open(path)
out_dir = os.getcwd()  # the benchmark's temporary directory; no observer writes to it


def fresh():
    model = ModelFactory(data)(model_klass=equalgain.EqualGainModel, randomized_value=None)
    loop = ModelLoop(model, Observable(model_ref=model, output_directory=out_dir), 0)
    return model, loop


def run(model, loop, nbs=None):
    for _ in range(rounds):
        loop.loop()
        if nbs is not None:
            nbs.append({i.name: float(v) for i, v in model.nbs.items()})


nbs = []
run(*fresh(), nbs)  # warm-up, and the outcomes of each round
wall = cpu = float("inf")
for _ in range(repeats):
    runs = [fresh() for _ in range(number)]
    t, c = time.perf_counter(), time.process_time()
    for model, loop in runs:
        run(model, loop)
    wall = min(wall, (time.perf_counter() - t) / number)
    cpu = min(cpu, (time.process_time() - c) / number)
print(json.dumps({"seconds": wall, "cpu": cpu, "nbs": nbs}))
"""

COLD = r"""
import sys, time
import numpy as np
import numba
from sim.kernels import exchange as kx
pos = np.array([[10.0, 90.0], [80.0, 20.0]])
sal = np.array([[0.9, 0.2], [0.2, 0.9]])
pw = np.ones((2, 2))
t = time.perf_counter()
kx.simulate(pos, sal, pw, np.zeros((2, 2)), np.full((2, 2), 100.0), 1)
print(time.perf_counter() - t)
"""


def best(fn, repeats: int, number: int = 1) -> tuple[float, float]:
    """Best wall and best CPU time (this process) of ``number`` calls of ``fn`` over
    ``repeats`` batches, per call."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(number):
            fn()
        wall.append((time.perf_counter() - t) / number)
        cpu.append((time.process_time() - c) / number)
    return min(wall), min(cpu)


def matched(got, want, width) -> int:
    """Leading rounds (1..R) whose outcomes ``got[r]`` equal ``want[r]`` to MATCH * width."""
    k = 0
    for g, w in zip(got, want, strict=False):
        if np.max(np.abs(np.asarray(g) - np.asarray(w)) / width) > MATCH:
            break
        k += 1
    return k


def decide_peer(python: str, repeats: int, number: int):
    """((wall, CPU) seconds per run, outcomes per round on 0-100) from decide, or
    (None, why)."""
    if not Path(python).is_file():
        return None, f"no decide interpreter at {python} (--decide-python PATH)"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [python, "-c", DECIDE, str(SAMPLE), str(ROUNDS), str(repeats), str(number)],
                cwd=tmp, capture_output=True, text=True,
            )  # fmt: skip
    except OSError as err:
        return None, f"cannot start {python}: {err.strerror or err}"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"decide did not run under {python}: {last}"
    try:
        res = json.loads((out.stdout.strip().splitlines() or [""])[-1])
        return (float(res["seconds"]), float(res["cpu"])), res["nbs"]
    except (ValueError, KeyError, TypeError):
        return None, f"no timing in the output of {python}"


def cold_compile() -> float:
    """Seconds of the kernel's first call in a fresh process with an empty numba cache
    (numba imported beforehand)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", COLD], cwd=ROOT, env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
    return float(out.stdout.split()[-1])


def arithmetics(model) -> list[str | None]:
    """The values of the model's ``arithmetic`` parameter, float first; [None] without it."""
    fields = {f.name: f for f in dataclasses.fields(model.Params)}
    if "arithmetic" not in fields:
        return [None]
    choices = options_of(model.Params)["arithmetic"].choices or (fields["arithmetic"].default,)
    return sorted(choices, key=lambda v: v != "float")


def large_inputs(m: int = 20, n: int = 50):
    rng = np.random.default_rng(0)
    pos = rng.uniform(0.0, 100.0, (m, n))
    sal = rng.uniform(0.0, 1.0, (m, n))
    pw = np.ascontiguousarray(np.broadcast_to(rng.uniform(0.1, 1.0, n), (m, n)))
    return pos, sal, pw, np.zeros((m, n)), np.full((m, n), 100.0)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 1 large round")
    ap.add_argument("--decide-python", default=DECIDE_PYTHON, metavar="PATH")
    ap.add_argument(
        "--large-rounds", type=positive, default=None, metavar="R",
        help="rounds of the 50 x 20 run (default 3, 1 with --quick)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    repeats = 3 if args.quick else 7
    large_rounds = args.large_rounds or (1 if args.quick else 3)

    scenario = load_scenario(SAMPLE)
    arrays = scenario.arrays()
    width = arrays.scale_hi - arrays.scale_lo
    lo = arrays.scale_lo
    model = MODELS["exchange"]
    inputs = _inputs(arrays)

    t = time.perf_counter()
    kx.simulate(*inputs, 1)
    first_call = time.perf_counter() - t

    ref = exchange_run(*read_decide_file(SAMPLE), rounds=ROUNDS)
    names = [i.name for i in scenario.issues]
    ref_nbs = [[r["nbs"][name] for name in names] for r in ref["rounds"]]
    ref_scaled = [lo + np.asarray(v) * width / 100.0 for v in ref_nbs]

    rows = []  # (name, (wall, CPU) seconds per run, rounds equal to the reference)
    d_time, d_nbs = decide_peer(args.decide_python, repeats, 1 if args.quick else 3)
    if d_time is None:
        decide_line = f"decide: skipped ({d_nbs})"
    else:
        got = [[r[name] for name in names] for r in d_nbs]
        rows.append(("decide (in-process)", d_time, matched(got, ref_nbs, 100.0)))
        decide_line = None

    out = kx.simulate(*inputs, ROUNDS)
    t_kernel = best(lambda: kx.simulate(*inputs, ROUNDS), repeats, 20)
    rows.append(("sim kernel (float)", t_kernel, matched(out["outcomes"][1:], ref_nbs, 100.0)))

    for value in arithmetics(model):
        params = model.params() if value is None else model.params(arithmetic=value)
        name = "sim model.run" + (" (float)" if value is None else f" ({value})")
        try:
            traj = model.run(scenario, params, ROUNDS)
        except Exception as err:  # another arithmetic may not run yet: report, do not time
            print(f"{name}: not timed, the run failed: {type(err).__name__}: {err}")
            continue
        number = 20 if value in (None, "float") else 1
        t_run = best(lambda p=params: model.run(scenario, p, ROUNDS), repeats, number)
        rows.append((name, t_run, matched(traj.outcomes[1:], ref_scaled, width)))

    t_ref = best(lambda: exchange_run(*read_decide_file(SAMPLE), rounds=ROUNDS), repeats)
    rows.append(("tests/reference_exchange.py", t_ref, None))

    print(f"{datetime.date.today()}, Python {platform.python_version()}, numba "
          f"{numba.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")  # fmt: skip
    print(f"decide's sample data ({len(names)} issues, {arrays.position.shape[1]} actors), "
          f"{ROUNDS} rounds, equal gain, no random ties; best of {repeats}")  # fmt: skip
    if decide_line:
        print(decide_line)
    print(f"{'run':30} {'ms/run':>9} {'CPU ms':>9} {'decide/run':>11} {'(CPU)':>7} "
          f"{'rounds = ref':>13}")  # fmt: skip
    for name, (wall, cpu), k in rows:
        if d_time is None:
            ratio = f"{'-':>11} {'-':>7}"
        else:
            ratio = f"{d_time[0] / wall:11.1f} {d_time[1] / cpu:7.1f}"
        same = f"{k:>10d}/{ROUNDS}" if k is not None else f"{'-':>13}"
        print(f"{name:30} {1e3 * wall:9.3f} {1e3 * cpu:9.3f} {ratio} {same}")

    big = large_inputs()
    m, n = big[0].shape
    t_big = c_big = float("inf")
    for _ in range(1 if args.quick else 2):  # compiled already: the sample's runs
        t, c = time.perf_counter(), time.process_time()
        done = kx.simulate(*big, large_rounds)
        t_big = min(t_big, time.perf_counter() - t)
        c_big = min(c_big, time.process_time() - c)
    per_round = np.bincount(done["ex_int"][:, 0], minlength=large_rounds + 1)[1:]
    print(f"{n} actors x {m} issues, float kernel, {large_rounds} "
          f"round{'s' if large_rounds != 1 else ''}: "
          f"{large_rounds / t_big:.3f} rounds/s, {large_rounds / c_big:.3f} by CPU time "
          f"({t_big / large_rounds:.2f} s a round; exchanges realised per round "
          f"{', '.join(map(str, per_round))})")  # fmt: skip
    print(f"kernel's first call in this process (numba's cache as it is): {first_call:.2f} s; "
          f"in a fresh process with an empty cache: {cold_compile():.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
