"""One writer per output folder: an ensemble or a sweep holds the folder's lock from its
first chunk to its last file; a second process pointed at the folder is refused at once
(exit 2, "in use"), and a lock left by a killed process is taken over."""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.outputs import OutputDir

ROOT = Path(__file__).resolve().parents[2]
EC = "ec_example_scholz2011"
ENSEMBLE = ["ensemble", EC, "--runs", "6000", "--chunk-size", "100", "--seed", "4"]
ENSEMBLE += ["--position-sd", "5", "--quiet", "--out"]
SWEEP = ["sweep", EC, "--param", "model.Q=0.5:1.0:2", "--runs", "5", "--quiet", "--out"]


def env() -> dict:
    return {**os.environ, "MPLBACKEND": "Agg"}


SLOW = """
import sys, time
import sim.runner as runner
real = runner._chunk_task
def slow(*args, **kwargs):
    time.sleep(0.2)  # a slow machine: the first ensemble is still at work when checked
    return real(*args, **kwargs)
runner._chunk_task = slow
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def start_slow(argv) -> subprocess.Popen:
    """``sim ARGV`` in a process whose chunks each take at least 0.2 s."""
    return subprocess.Popen(
        [sys.executable, "-c", SLOW, *map(str, argv)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT,
    )  # fmt: skip


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.01)


def locked_by_someone(out: Path) -> bool:
    """Whether another open file holds the folder's flock (flock locks are per open file,
    so this sees a lock held by this very process too)."""
    with open(out / ".sim" / "lock", "rb") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def test_a_second_ensemble_is_refused_at_once_and_a_killed_ones_lock_is_taken_over(tmp_path):
    out = tmp_path / "ens"
    first = start_slow([*ENSEMBLE, out])
    try:
        wait_for(out / ".sim" / "chunks" / "chunk-000000.parquet", first)
        t0 = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "sim", *map(str, [*ENSEMBLE, out])],
            capture_output=True, text=True, env=env(), cwd=ROOT, timeout=60,
        )  # fmt: skip
        took = time.monotonic() - t0
        assert second.returncode == 2, second.stderr
        assert "in use" in second.stderr and str(out) in second.stderr
        assert "Traceback" not in second.stderr
        assert first.poll() is None  # refused while the first still works: it did not wait
        assert took < 30
        first.send_signal(signal.SIGKILL)  # a lock file left by a killed process
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (out / ".sim" / "lock").exists()
    assert main([*ENSEMBLE, str(out)]) == 0  # taken over, and resumed
    runs = pq.read_table(out / "runs.parquet").column("run").to_pylist()
    assert runs == list(range(6000))


@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_a_folder_locked_by_another_process_is_refused_and_left_alone(tmp_path, capsys, command):
    out = tmp_path / "busy"
    with OutputDir(out):
        pass  # a folder sim made (its .sim/ and lock file)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time\n"
         "f = open(sys.argv[1], 'r+b'); fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True); time.sleep(120)",
         str(out / ".sim" / "lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        before = sorted(p.relative_to(out) for p in out.rglob("*"))
        argv = [*ENSEMBLE, str(out)] if command == "ensemble" else [*SWEEP, str(out)]
        t0 = time.monotonic()
        assert main(argv) == 2
        assert time.monotonic() - t0 < 10
        err = capsys.readouterr().err
        assert "in use" in err and str(out) in err and "Traceback" not in err
        assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # no manifest
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_held_while_the_ensemble_writes_its_files(tmp_path, monkeypatch):
    import sim.experiment

    real = sim.experiment.write
    seen = []

    def write(result, out):
        seen.append(locked_by_someone(Path(out)))
        return real(result, out)

    monkeypatch.setattr(sim.experiment, "write", write)
    out = tmp_path / "ens"
    sim.ensemble(EC, runs=20, seed=1, chunk_size=10, out=out, progress=False)
    assert seen == [True]
    assert (out / "runs.parquet").exists()
    assert not locked_by_someone(out)  # released at the end


def test_the_lock_is_held_while_the_sweep_writes_its_files(tmp_path, monkeypatch):
    import sim.grid

    real = sim.grid.write
    seen = []

    def write(result, out):
        seen.append(locked_by_someone(Path(out)))
        return real(result, out)

    monkeypatch.setattr(sim.grid, "write", write)
    out = tmp_path / "sweep"
    sim.sweep(EC, {"model.Q": (0.5, 1.0, 2)}, runs=5, seed=1, out=out, progress=False)
    assert seen == [True]
    assert not locked_by_someone(out)
