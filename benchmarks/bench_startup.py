"""Start-up time of the light commands: the whole process, from exec to exit.

    python benchmarks/bench_startup.py            # from the repository root, 10 runs each
    python benchmarks/bench_startup.py 30         # 30 runs each

It runs ``sim --help``, ``sim list`` and ``sim models`` (and, for reference, ``python -c
pass``: the interpreter alone) as new processes, each N times after one warm-up run (so
the files are in the page cache and Python's bytecode cache is written), and prints the
median, the fastest and the slowest wall time of each, the median CPU time (user plus
system, of the child process: less moved by other load on the machine than the wall time)
and the exit code of the last run. The ``sim`` script beside the running interpreter is used when there is one
(``--sim`` names another; without one, ``python -m sim``). The commands inherit the
environment, so ``PYTHONPATH`` chooses which checkout is timed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = [["--help"], ["list"], ["models"]]


def sim_command(given: str | None) -> list[str]:
    """The command that starts sim: ``given``, the script beside this Python, or ``-m sim``."""
    if given:
        return [given]
    beside = Path(sys.executable).with_name("sim")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("sim")
    return [found] if found else [sys.executable, "-m", "sim"]


def children_cpu() -> float:
    """CPU seconds (user and system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_process(argv: list[str], runs: int) -> tuple[list[float], list[float], int]:
    """Wall and CPU times in seconds of ``runs`` runs of ``argv`` after one warm-up, and the
    last exit code."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, cpu = [], []
    code = 0
    for _ in range(runs):
        c0, t0 = children_cpu(), time.perf_counter()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - t0)
        cpu.append(children_cpu() - c0)
        code = done.returncode
    return wall, cpu, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=10, help="runs per command (10)")
    parser.add_argument("--sim", default=None, help="the sim script to time")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("runs must be at least 1")
    sim = sim_command(args.sim)
    rows = [("python -c pass", [sys.executable, "-c", "pass"])]
    rows += [("sim " + " ".join(c), [*sim, *c]) for c in COMMANDS]
    print(f"{args.runs} runs each after a warm-up; {' '.join(sim)}")
    print(f"{'command':<16} {'median s':>9} {'min s':>7} {'max s':>7} {'cpu s':>7}  exit")
    for label, command in rows:
        wall, cpu, code = time_process(command, args.runs)
        print(
            f"{label:<16} {statistics.median(wall):>9.3f} {min(wall):>7.3f} "
            f"{max(wall):>7.3f} {statistics.median(cpu):>7.3f}  {code}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
