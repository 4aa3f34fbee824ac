"""`sim ensemble` as a user runs it: real processes, real environment variables, a real
SIGINT. Same seed, same runs.parquet bytes whatever the thread count or executor; an
interrupted ensemble exits 130 and resumes to the bytes of an uninterrupted one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent


def sim_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "sim", "ensemble", *map(str, args)]


def env(**extra) -> dict:
    e = dict(os.environ)
    e.pop("NUMBA_NUM_THREADS", None)
    e["MPLBACKEND"] = "Agg"
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(*args, timeout=120, **env_extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        sim_cmd(*args),
        capture_output=True,
        text=True,
        env=env(**env_extra),
        cwd=ROOT,
        timeout=timeout,
    )


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


# ---- same bytes on any number of threads or processes ----------------------------------
@pytest.fixture(scope="module")
def one_thread(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "threads1"
    ok(run("--runs", 400, "--seed", 7, "--out", out, "--quiet", NUMBA_NUM_THREADS=1))
    return out


def test_writes_the_three_files(tmp_path):
    """Without noise every run of `sim ensemble` on the EC file is the plain-Python reference
    run of the file's numbers: runs.parquet holds it once per run, with each run's spawned
    seed; summary.json its forecast as mean, every percentile and unperturbed value, with a
    spread of 0; distribution.png is a drawn image; no chunk is left behind."""
    import json

    import matplotlib.pyplot as plt
    import numpy as np
    import pyarrow.parquet as pq

    from tests import reference as ref

    path = ROOT / "scenarios" / "ec_example_scholz2011.csv"
    out = tmp_path / "ens"
    runs, seed, rounds = 7, 4, 30
    rc = main(["ensemble", str(path), "--runs", str(runs), "--seed", str(seed),
               "--rounds", str(rounds), "--position-sd", "0", "--salience-sd", "0",
               "--capability-cv", "0", "--chunk-size", "3", "--quiet", "--out", str(out)])  # fmt: skip
    assert rc == 0
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "distribution.png",
        "runs.parquet",
        "summary.json",
    ]
    assert not (out / ".sim" / "chunks").exists()
    f = ref.classic_csv(path)
    c, S, issue = f["capability"], f["salience"], f["issue"]
    history, n, stopped, cycle = ref.eum_run(
        f["position"], c, S, f["width"], None, 1, 1, None, None, rounds
    )
    ((comp, med),) = ref.final_forecast(history, stopped, cycle, c, S)
    table = pq.read_table(out / "runs.parquet").to_pydict()
    seeds = [
        int(s.generate_state(1, np.uint64)[0]) for s in np.random.SeedSequence(seed).spawn(runs)
    ]
    assert table["run"] == list(range(runs)) and table["seed"] == seeds
    assert table["rounds"] == [n] * runs and table["stopped"] == [stopped] * runs
    assert table["cycle_length"] == [cycle] * runs
    close = dict(rel=1e-12, abs=1e-12)
    assert table[f"{issue}.compromise"] == pytest.approx([comp] * runs, **close)
    assert table[f"{issue}.median"] == pytest.approx([med] * runs, **close)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["runs"], summary["root_seed"], summary["round_limit"]) == (runs, seed, rounds)
    assert summary[f"share_{stopped}"] == 1.0 and summary["mean_rounds"] == n
    for kind, value in (("compromise", comp), ("median", med)):
        stats = summary["forecast"][issue][kind]
        assert stats.pop("std") == 0.0
        assert stats == pytest.approx(
            {k: value for k in ("mean", "p5", "p25", "p50", "p75", "p95", "unperturbed")},
            **close,
        )
    image = plt.imread(out / "distribution.png")
    assert image.ndim == 3 and min(image.shape[:2]) > 100
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 10  # something drawn


def test_numba_threads_1_and_2_give_the_same_bytes(tmp_path, one_thread):
    out = tmp_path / "threads2"
    proc = ok(run("--runs", 400, "--seed", 7, "--out", out, "--quiet", NUMBA_NUM_THREADS=2))
    assert "400 runs" in proc.stdout and "root seed 7" in proc.stdout
    assert (out / "runs.parquet").read_bytes() == (one_thread / "runs.parquet").read_bytes()
    assert (out / "summary.json").read_bytes() == (one_thread / "summary.json").read_bytes()


@pytest.mark.parametrize(
    "extra",
    [["--workers", "2"], ["--scheduler", "local", "--workers", "2"]],
    ids=["workers", "dask-local"],
)
def test_processes_and_dask_give_the_same_bytes(tmp_path, one_thread, extra):
    if "--scheduler" in extra:
        pytest.importorskip("dask.distributed")
    out = tmp_path / "other"
    ok(run("--runs", 400, "--seed", 7, "--out", out, "--quiet", *extra))
    assert (out / "runs.parquet").read_bytes() == (one_thread / "runs.parquet").read_bytes()


# ---- Ctrl-C and resume --------------------------------------------------------------
def test_sigint_exits_130_and_the_same_command_resumes_to_the_same_bytes(tmp_path):
    runs, chunk = 3000, 100
    n_chunks = runs // chunk
    args = ["--runs", runs, "--chunk-size", chunk, "--seed", 3, "--quiet"]
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        sim_cmd(*args, "--out", out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((out / ".sim" / "chunks").glob("chunk-*.parquet")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no chunk written within 60 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "again" in stderr and str(out) in stderr
    saved = sorted((out / ".sim" / "chunks").glob("chunk-*.parquet"))
    assert 1 <= len(saved) < n_chunks  # the interrupt landed mid-way
    assert f"of {n_chunks} chunks" in stderr
    assert not (out / "runs.parquet").exists()
    assert not list((out / ".sim" / "chunks").glob(".*tmp"))  # no half-written chunk

    ok(run(*args, "--out", out))  # the same command again
    fresh = tmp_path / "uninterrupted"
    ok(run(*args, "--out", fresh))
    assert (out / "runs.parquet").read_bytes() == (fresh / "runs.parquet").read_bytes()
    assert (out / "summary.json").read_bytes() == (fresh / "summary.json").read_bytes()
    assert not (out / ".sim" / "chunks").exists()


# ---- bad input: exit 2, a message, no traceback --------------------------------------
def bad(proc: subprocess.CompletedProcess, *words) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in proc.stderr, (w, proc.stderr)


def test_runs_zero_is_bad_usage(tmp_path):
    bad(run("--runs", 0, "--out", tmp_path / "x"), "--runs")
    assert not (tmp_path / "x").exists()


def test_a_folder_holding_another_ensemble_is_refused(tmp_path):
    out = tmp_path / "ens"
    ok(run("--runs", 30, "--seed", 1, "--rounds", 3, "--out", out, "--quiet"))

    def tree():
        # every file but the lock (which names the last process that held it)
        files = [p for p in sorted(out.rglob("*")) if p.is_file() and p.name != "lock"]
        return {str(p): p.read_bytes() for p in files}

    before = tree()
    bad(
        run("--runs", 30, "--seed", 2, "--rounds", 3, "--out", out, "--quiet"), "root_seed", "--out"
    )
    assert tree() == before


def test_bad_set_is_bad_input(tmp_path):
    bad(
        run(
            "--set",
            "uncertainty.actors.NOBODY.position_sd=1",
            "--runs",
            10,
            "--out",
            tmp_path / "x",
        ),
        "uncertainty.actors.NOBODY",
    )
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--runs", "-5"], ["--runs"]),
        (["--seed", "-1"], ["--seed"]),
        (["--position-sd", "-1"], ["--position-sd"]),
        (["--chunk-size", "0"], ["--chunk-size"]),
        (["--model", "nope"], ["--model"]),
        (["--set", "uncertainty.issues.posture.capability_cv=0.1"], ["capability_cv"]),
        (["--set", "uncertainty.position_sd=-2"], ["position_sd"]),
        (["--set", "nonsense"], ["PATH=VALUE"]),
        (["no/such/scenario.toml"], ["no such file"]),
    ],
)
def test_more_bad_input_in_process(argv, words, capsys):
    assert main(["ensemble", "--runs", "5", "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err


def test_interrupt_in_process_says_how_to_resume(tmp_path, monkeypatch, capsys):
    import importlib

    ensemble_module = importlib.import_module("sim.runner")
    calls = []
    real = ensemble_module._chunk_task

    def task(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(ensemble_module, "_chunk_task", task)
    out = tmp_path / "ens"
    argv = ["ensemble", "--runs", "30", "--chunk-size", "10", "--rounds", "2", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "1 of 3 chunks" in err and "again" in err
    monkeypatch.undo()
    assert main([*argv, "--quiet"]) == 0
    assert (out / "runs.parquet").exists()


@pytest.mark.parametrize("option, value", [("--position-sd", "nan"), ("--capability-cv", "inf")])
def test_non_finite_spread_is_bad_input(option, value, capsys):
    assert main(["ensemble", "--runs", "5", "--quiet", option, value]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and option in err and "finite" in err


def test_unreachable_scheduler_is_bad_input(tmp_path):
    pytest.importorskip("dask.distributed")
    proc = run(
        "--runs", 10, "--scheduler", "tcp://127.0.0.1:1", "--out", tmp_path / "x", "--quiet",
        timeout=60,
        SIM_SCHEDULER_TIMEOUT="2",
    )  # fmt: skip
    bad(proc, "tcp://127.0.0.1:1")
