"""A whole backtest process on 364 DEU issues, from exec to exit.

    python benchmarks/bench_backtest.py            # from the repository root, 5 runs
    python benchmarks/bench_backtest.py 10         # 10 runs

The development split has 225 of the dataset's 364 issues; the benchmark builds a file of
364 issues from it (every row, then rows again with new proposal and issue ids until
there are 364: the same sizes and kinds of issues as the real data) and times ``sim
backtest FILE --models eum,compromise,median --out DIR`` (every model that runs on one
issue) as a new process, after one warm-up run that fills numba's cache: the median, the
fastest and the slowest wall time. It also times, for reference, the interpreter
importing numpy and pandas and nothing else, and the same backtest without ``--out``
(no figures), the backtest of the default models (every registered model that forecasts
the data: the three above, ``condorcet``, ``smp`` and ``nbs``), and once with numba's
cache empty (``NUMBA_CACHE_DIR`` a new folder: what
the first backtest after installing costs, compiling included). Nothing is asserted: the
machine is shared.
"""

from __future__ import annotations

import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "data" / "deu3_dev.tsv"
ISSUES = 364


def build(path: Path) -> int:
    with DEV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header, caps, data = rows[0], rows[1], rows[2:]
    pr, isnr = header.index("prnr"), header.index("isnr")
    out = list(data)
    k = 0
    while len(out) < ISSUES:
        row = list(data[k % len(data)])
        row[pr] = f"{row[pr]}x{k // len(data)}"
        row[isnr] = f"{row[isnr]}x{k // len(data)}"
        out.append(row)
        k += 1
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerows([header, caps, *out])
    return len(out)


def timed(cmd: list[str], n: int) -> list[float]:
    subprocess.run(cmd, check=True, capture_output=True)  # warm-up: numba's cache
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    sim = [sys.executable, "-m", "sim"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "deu364.tsv"
        count = build(data)
        cases = {
            "python: import numpy, pandas": [sys.executable, "-c", "import numpy, pandas"],
            f"sim backtest ({count} issues, 3 models, --out)": [
                *sim, "backtest", str(data), "--models", "eum,compromise,median",
                "--out", str(Path(tmp) / "out"),
            ],
            f"sim backtest ({count} issues, 3 models, terminal only)": [
                *sim, "backtest", str(data), "--models", "eum,compromise,median",
            ],
            f"sim backtest ({count} issues, the default models, --out)": [
                *sim, "backtest", str(data), "--out", str(Path(tmp) / "out-default"),
            ],
        }  # fmt: skip
        width = max(len(k) for k in cases)
        print(f"{'what':<{width}}  {'median':>7} {'min':>7} {'max':>7}  (s, {n} runs)")
        for label, cmd in cases.items():
            t = timed(cmd, n)
            print(f"{label:<{width}}  {statistics.median(t):>7.2f} {min(t):>7.2f} {max(t):>7.2f}")
        cold = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "numba-cache"))
        t = time.perf_counter()
        subprocess.run(cases[list(cases)[2]], check=True, capture_output=True, env=cold)
        print(
            f"{'the same, numba cache empty (compiling)':<{width}}  {time.perf_counter() - t:>7.2f}"
        )


if __name__ == "__main__":
    main()
