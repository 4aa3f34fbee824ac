"""Resume state is verified, not trusted: an interrupted ensemble or sweep resumes from the
chunk and point files in ``.sim/`` only where they match the manifest's records (rows, run
ids, SHA-256); anything missing, truncated, unreadable, swapped or foreign is recomputed
and said so, and the result has the bytes of an uninterrupted run. Ctrl-C never lands
inside a kernel or a write."""

import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
import sim.runner
from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]
EC = "ec_example_scholz2011"
ENSEMBLE = ["ensemble", EC, "--runs", "40", "--chunk-size", "10", "--seed", "5"]
ENSEMBLE += ["--position-sd", "5", "--rounds", "8", "--quiet", "--out"]
SWEEP = ["sweep", EC, "--param", "model.Q=0.5:1.0:3", "--runs", "8", "--seed", "2"]
SWEEP += ["--position-sd", "5", "--quiet", "--out"]


def run_cli(argv) -> tuple[int, str]:
    """``sim ARGV`` in this process: (exit code, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """runs.parquet and sweep.parquet of runs that were never interrupted."""
    base = tmp_path_factory.mktemp("reference")
    assert run_cli([*ENSEMBLE, base / "ens"])[0] == 0
    assert run_cli([*SWEEP, base / "sweep"])[0] == 0
    return {
        "runs": (base / "ens" / "runs.parquet").read_bytes(),
        "sweep": (base / "sweep" / "sweep.parquet").read_bytes(),
    }


@contextlib.contextmanager
def chunks_interrupt_at(call: int):
    """The chunk function raises KeyboardInterrupt at its ``call``-th call."""
    real = sim.runner._chunk_task
    calls = []

    def task(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with mock.patch.object(sim.runner, "_chunk_task", task):
        yield calls


@contextlib.contextmanager
def points_interrupt_at(call: int):
    """Each grid point's ensemble raises KeyboardInterrupt at its ``call``-th call."""
    real = sim.experiment.ensemble
    calls = []

    def ensemble(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with mock.patch.object(sim.experiment, "ensemble", ensemble):
        yield calls


def interrupted_ensemble(out: Path, saved: int) -> None:
    with chunks_interrupt_at(saved + 1):
        code, err = run_cli([*ENSEMBLE, out])
    assert code == 130 and f"{saved} of 4 chunks" in err, err


def chunk(out: Path, i: int) -> Path:
    return out / ".sim" / "chunks" / f"chunk-{i:06d}.parquet"


def point(out: Path, i: int) -> Path:
    return out / ".sim" / "points" / f"point-{i:06d}.json"


# ---- the manifest records every finished chunk ------------------------------------------
def test_the_manifest_records_rows_run_ids_and_hash_of_each_chunk(tmp_path):
    out = tmp_path / "ens"
    interrupted_ensemble(out, 3)
    manifest = json.loads((out / ".sim" / "manifest.json").read_text())
    assert not (out / "manifest.json").exists() and not (out / "chunks").exists()
    assert sorted(manifest["finished"]) == ["0", "1", "2"]
    for i in range(3):
        record = manifest["finished"][str(i)]
        data = chunk(out, i).read_bytes()
        runs = pq.read_table(chunk(out, i)).column("run").to_pylist()
        assert record["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["rows"] == len(runs) == 10
        assert (
            (record["first_run"], record["last_run"]) == (runs[0], runs[-1]) == (10 * i, 10 * i + 9)
        )


# ---- tampered chunks are recomputed --------------------------------------------------------
def test_a_chunk_copied_over_another_is_recomputed(tmp_path, reference):
    """chunk-000000.parquet copied over chunk-000002.parquet: no duplicated run ids."""
    out = tmp_path / "ens"
    interrupted_ensemble(out, 3)
    shutil.copyfile(chunk(out, 0), chunk(out, 2))
    code, err = run_cli([*ENSEMBLE, out])
    assert code == 0, err
    assert "recomputing chunk 2" in err and "does not match the manifest" in err
    assert (out / "runs.parquet").read_bytes() == reference["runs"]
    runs = pq.read_table(out / "runs.parquet").column("run").to_pylist()
    assert runs == list(range(40))


@pytest.mark.parametrize("damage", ["truncated", "empty", "random bytes", "a folder", "deleted"])
def test_a_damaged_chunk_is_recomputed_without_a_traceback(tmp_path, reference, damage):
    out = tmp_path / "ens"
    interrupted_ensemble(out, 2)
    target = chunk(out, 1)
    data = target.read_bytes()
    if damage == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "random bytes":
        target.write_bytes(random.Random(1).randbytes(len(data)))
    elif damage == "a folder":
        target.unlink()
        target.mkdir()
    else:
        target.unlink()
    code, err = run_cli([*ENSEMBLE, out])
    if damage == "a folder":  # sim does not remove what it did not write: exit 2, the file named
        assert code == 2 and str(target) in err, err
        return
    assert code == 0, err
    assert "recomputing chunk 1" in err
    assert (out / "runs.parquet").read_bytes() == reference["runs"]


def test_chunk_files_without_a_manifest_are_refused(tmp_path):
    """Deleting the manifest and resuming with another seed must not mix two ensembles."""
    out = tmp_path / "ens"
    interrupted_ensemble(out, 2)
    (out / ".sim" / "manifest.json").unlink()
    other = [a if a != "5" else "6" for a in ENSEMBLE]
    code, err = run_cli([*other, out])
    assert code == 2, err
    assert str(out / ".sim" / "chunks") in err and "manifest.json" in err
    assert not (out / "runs.parquet").exists()
    assert sorted(p.name for p in (out / ".sim" / "chunks").iterdir()) == [
        "chunk-000000.parquet",
        "chunk-000001.parquet",
    ]


# ---- tampered sweep points are recomputed ---------------------------------------------------
@pytest.mark.parametrize("damage", ["{}", "copied", "not json"])
def test_a_damaged_sweep_point_is_recomputed(tmp_path, reference, damage):
    out = tmp_path / "sweep"
    with points_interrupt_at(3):
        code, err = run_cli([*SWEEP, out])
    assert code == 130 and "2 of 3 grid points" in err, err
    finished = json.loads((out / ".sim" / "manifest.json").read_text())["finished"]
    for i, q in enumerate((0.5, 0.75)):
        record, data = finished[str(i)], point(out, i).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest()
        assert (record["index"], record["values"], record["runs"]) == (i, {"model.Q": q}, 8)
    target = point(out, 1)
    if damage == "{}":
        target.write_text("{}")
    elif damage == "copied":
        shutil.copyfile(point(out, 0), target)
    else:
        target.write_bytes(b"\x00\xff{")
    code, err = run_cli([*SWEEP, out])
    assert code == 0, err
    assert "recomputing grid point 1" in err and "KeyError" not in err
    assert (out / "sweep.parquet").read_bytes() == reference["sweep"]


# ---- Ctrl-C never lands inside a kernel or a write ------------------------------------------
def test_sigint_inside_a_kernel_waits_for_the_kernel(tmp_path, monkeypatch):
    """SIGINT during the chunk kernel (where numba compiles and loads its cache) is acted
    on after the kernel returns and its chunk is saved; the handler is restored."""
    import sim.models.trajectory as kernels  # the positions models call the chunk kernel here

    real = kernels.run_chunk
    finished = []

    def run_chunk(*args):
        if len(finished) == 1:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C in the middle of the second chunk
        real(*args)
        finished.append(1)

    monkeypatch.setattr(kernels, "run_chunk", run_chunk)
    before = signal.getsignal(signal.SIGINT)
    out = tmp_path / "ens"
    code, err = run_cli([*ENSEMBLE, out])
    assert code == 130, err
    assert finished == [1, 1]  # the interrupted kernel ran to its end, and no other started
    assert "2 of 4 chunks" in err and "again" in err
    assert chunk(out, 1).exists()
    assert signal.getsignal(signal.SIGINT) is before


def test_sigint_inside_a_state_write_waits_for_the_write(tmp_path, monkeypatch):
    from sim.outputs import OutputDir

    real = OutputDir.write_state
    writes = []

    def write_state(self, rel, data):
        writes.append(rel)
        if rel.startswith("chunks/"):
            signal.raise_signal(signal.SIGINT)
        return real(self, rel, data)

    monkeypatch.setattr(OutputDir, "write_state", write_state)
    out = tmp_path / "ens"
    code, err = run_cli([*ENSEMBLE, out])
    assert code == 130, err
    manifest = json.loads((out / ".sim" / "manifest.json").read_text())
    assert list(manifest["finished"]) == ["0"]  # the chunk and its record, both whole
    assert chunk(out, 0).exists()


def test_sigint_at_random_moments_always_exits_130_and_resumes(tmp_path):
    """Real processes, a real SIGINT from the first milliseconds (numba's cache load) on:
    exit 130, no traceback, and the same command resumes to an uninterrupted run's bytes."""
    args = ["ensemble", EC, "--runs", "4000", "--chunk-size", "50", "--seed", "3"]
    args += ["--position-sd", "5", "--quiet"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    rng = random.Random()
    trials = []
    for k, delay in enumerate(
        [rng.uniform(0, 0.05), rng.uniform(0.05, 0.2), rng.uniform(0.2, 0.4)]
    ):
        out = tmp_path / f"t{k}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", *args, "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        trials.append((out, proc, delay))
    try:
        seen: dict[int, float] = {}  # trial -> when its manifest appeared (sim works in it)
        signalled: set[int] = set()
        deadline = time.monotonic() + 60
        while len(signalled) < len(trials):
            assert time.monotonic() < deadline, "no manifest within 60 s"
            now = time.monotonic()
            for k, (out, proc, delay) in enumerate(trials):
                if k in signalled:
                    continue
                if k not in seen and (out / ".sim" / "manifest.json").exists():
                    seen[k] = now
                if k in seen and now >= seen[k] + delay:
                    assert proc.poll() is None, proc.communicate()  # still working
                    proc.send_signal(signal.SIGINT)
                    signalled.add(k)
            time.sleep(0.002)
        results = [(out, proc, *proc.communicate(timeout=60)) for out, proc, _ in trials]
    finally:
        for _, proc, _ in trials:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    fresh = tmp_path / "fresh"
    assert run_cli([*args, "--out", fresh])[0] == 0
    for out, proc, _, stderr in results:
        assert proc.returncode == 130, (proc.returncode, stderr)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        assert "run the same command again to resume" in stderr
        assert not (out / "runs.parquet").exists()
        assert run_cli([*args, "--out", out])[0] == 0
        assert (out / "runs.parquet").read_bytes() == (fresh / "runs.parquet").read_bytes()


# ---- the property: whatever is damaged, the resume gives the same bytes or exit 2 ----------
DAMAGE = ["delete", "truncate", "random", "swap", "none", "no manifest"]


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    saved=st.integers(1, 3),
    victim=st.integers(0, 2),
    damage=st.sampled_from(DAMAGE),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_interrupt_and_damage_resumes_to_the_same_bytes(reference, saved, victim, damage, seed):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ens"
        interrupted_ensemble(out, saved)
        victim %= saved
        target = chunk(out, victim)
        data = target.read_bytes()
        rng = random.Random(seed)
        if damage == "delete":
            target.unlink()
        elif damage == "truncate":
            target.write_bytes(data[: rng.randrange(len(data))])
        elif damage == "random":
            target.write_bytes(rng.randbytes(rng.randrange(1, 2 * len(data))))
        elif damage == "swap" and saved > 1:
            other = chunk(out, (victim + 1) % saved)
            swapped = other.read_bytes()
            other.write_bytes(data)
            target.write_bytes(swapped)
        elif damage == "no manifest":
            (out / ".sim" / "manifest.json").unlink()
        code, err = run_cli([*ENSEMBLE, out])
        if code == 2:
            assert damage == "no manifest" and "manifest.json" in err, err
            return
        assert code == 0, err
        assert (out / "runs.parquet").read_bytes() == reference["runs"]
        assert not (out / ".sim" / "chunks").exists()


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    saved=st.integers(1, 2),
    victim=st.integers(0, 1),
    damage=st.sampled_from(["delete", "truncate", "random", "swap", "{}"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_interrupted_sweep_and_damaged_point_resumes_to_the_same_bytes(
    reference, saved, victim, damage, seed
):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep"
        with points_interrupt_at(saved + 1):
            assert run_cli([*SWEEP, out])[0] == 130
        victim %= saved
        target = point(out, victim)
        data = target.read_bytes()
        rng = random.Random(seed)
        if damage == "delete":
            target.unlink()
        elif damage == "truncate":
            target.write_bytes(data[: rng.randrange(len(data))])
        elif damage == "random":
            target.write_bytes(rng.randbytes(rng.randrange(1, 2 * len(data))))
        elif damage == "swap" and saved > 1:
            other = point(out, 1 - victim)
            swapped = other.read_bytes()
            other.write_bytes(data)
            target.write_bytes(swapped)
        elif damage == "{}":
            target.write_text("{}")
        code, err = run_cli([*SWEEP, out])
        assert code == 0, err
        assert (out / "sweep.parquet").read_bytes() == reference["sweep"]


# ---- the journal: one record appended per chunk, read back after a kill -----------------------
def test_a_chunk_costs_one_journal_line_not_a_whole_manifest(tmp_path, monkeypatch):
    """The manifest is written whole a bounded number of times however many chunks finish:
    each chunk appends one line to the journal."""
    from sim.outputs import OutputDir

    real = OutputDir.write_state
    manifests = []

    def write_state(self, rel, data):
        if rel == sim.runner.MANIFEST:
            manifests.append(rel)
        return real(self, rel, data)

    monkeypatch.setattr(OutputDir, "write_state", write_state)
    many = [*ENSEMBLE[:4], "--runs", "60", "--chunk-size", "3", *ENSEMBLE[8:]]
    assert run_cli([*many, tmp_path / "ens"])[0] == 0
    assert len(manifests) <= 4  # opening, loading, clearing: not one per each of 20 chunks


def test_a_killed_ensemble_resumes_from_its_journal(tmp_path, reference):
    """A run killed before it could fold its journal into the manifest loses no chunk: the
    journal's whole records are used (after the usual checks), a cut-off last line is not."""
    out = tmp_path / "ens"
    interrupted_ensemble(out, 3)
    state = out / ".sim"
    manifest = json.loads((state / "manifest.json").read_text())
    records = manifest.pop("finished")
    # as a killed run leaves it: the manifest without the records, the records in the journal
    manifest["finished"] = {}
    (state / "manifest.json").write_text(json.dumps(manifest))
    lines = [json.dumps({"unit": int(i), **r}) for i, r in records.items()]
    journal = "\n".join(lines[:2]) + "\n" + lines[2][: len(lines[2]) // 2]  # the last cut off
    (state / sim.runner.JOURNAL).write_text(journal)
    with chunks_interrupt_at(99) as calls:
        code, err = run_cli([*ENSEMBLE, out])
    assert code == 0, err
    assert len(calls) == 2  # chunks 0 and 1 came from the journal; 2 (cut off) and 3 ran
    assert (out / "runs.parquet").read_bytes() == reference["runs"]
    assert not (state / sim.runner.JOURNAL).exists()
