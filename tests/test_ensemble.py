"""Ensembles from Python: every run equals an independent single run, the summary equals
numpy's, and the bytes of runs.parquet do not depend on chunking, executors, interruptions
or the time of day."""

import dataclasses
import importlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim
from sim.models.eum import run_kernel
from sim.models.trajectory import forecast
from sim.runner import Interrupted, ManifestMismatch
from sim.scenario import load_scenario
from sim.uncertainty import perturb, spreads
from tests import reference

# the runner module (sim.ensemble is the function)
ensemble_module = importlib.import_module("sim.runner")

PCTS = (5, 25, 50, 75, 95)
EC = "ec_example_scholz2011"


# ---- helpers ---------------------------------------------------------------------------
def spawned_seeds(root: int, n: int) -> list[int]:
    return [int(c.generate_state(1, np.uint64)[0]) for c in np.random.SeedSequence(root).spawn(n)]


def perturbed(sc, seeds, **keywords):
    """(X, S, C) of the given runs, rebuilt from their seeds alone."""
    return perturb(sc.arrays(), spreads(sc, **keywords), np.array(seeds, dtype=np.uint64))


def single_run(sc, X, S, C, rounds):
    """One run of the expected-utility model on perturbed inputs, outside any ensemble."""
    arr = dataclasses.replace(sc.arrays(), position=X, salience=S, capability=C)
    traj = run_kernel(arr, rounds)
    comp, med = forecast(C, S, traj)
    return traj, comp, med


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def ens(scenario=None, **kw):
    kw.setdefault("progress", False)
    return sim.ensemble(scenario, **kw)


# one ensemble of the default scenario; the executors, chunk sizes and resumes must give
# exactly its bytes
BASE = dict(runs=300, seed=5, chunk_size=100)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("base") / "ens"
    ens(None, out=out, **BASE)
    return out


@pytest.fixture(scope="module")
def base_bytes(base_dir):
    return (base_dir / "runs.parquet").read_bytes()


# ---- each run is an independent single run ---------------------------------------
def test_files_and_table_layout(base_dir):
    names = {p.name for p in base_dir.iterdir()}
    assert {"runs.parquet", "summary.json", "distribution.png"} <= names
    # the chunks are gone once runs.parquet holds them
    assert not (base_dir / ".sim" / "chunks").exists() and not (base_dir / "chunks").exists()
    assert not [n for n in names if n.endswith(".tmp")]
    assert "trajectories.parquet" not in names  # only with trajectories=K
    assert (base_dir / "distribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pq.read_table(base_dir / "runs.parquet")
    sc = load_scenario()
    cols = ["run", "seed", "rounds", "stopped", "cycle_length"]
    for iid in sc.issue_ids:
        cols += [f"{iid}.compromise", f"{iid}.median"]
    assert table.column_names == cols
    assert table.num_rows == 300
    assert table.schema.field("run").type == pa.int64()
    assert table.schema.field("seed").type == pa.uint64()
    assert table.schema.field("rounds").type == pa.int64()
    assert table.schema.field("stopped").type == pa.string()
    assert table.column("run").to_pylist() == list(range(300))
    assert table.column("seed").to_pylist() == spawned_seeds(5, 300)
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert meta["sim.root_seed"] == "5" and meta["sim.runs"] == "300"


def check_rows_against_single_runs(sc, res, root, rows, rounds, **keywords):
    df = res.runs
    seeds = spawned_seeds(root, len(df))
    X, S, C = perturbed(sc, [seeds[r] for r in rows], **keywords)
    stops = set()
    for j, r in enumerate(rows):
        row = df.iloc[r]
        assert int(row["run"]) == r and int(row["seed"]) == seeds[r]
        traj, comp, med = single_run(sc, X[j], S[j], C[j], rounds)
        assert int(row["rounds"]) == traj.rounds
        assert row["stopped"] == traj.stopped
        assert int(row["cycle_length"]) == traj.cycle_length
        for k, iid in enumerate(sc.issue_ids):
            assert row[f"{iid}.compromise"] == comp[k], (r, iid)
            assert row[f"{iid}.median"] == med[k], (r, iid)
        stops.add(traj.stopped)
    return stops


def test_every_row_is_an_independent_single_run_small_scenario():
    sc = load_scenario(EC)
    kw = dict(position_sd=1.0, salience_sd=0.1, capability_cv=0.3)
    res = ens(sc, runs=300, seed=1, chunk_size=64, **kw)
    stops = check_rows_against_single_runs(sc, res, 1, range(300), 30, **kw)
    assert stops == {"limit", "converged", "cycle"}  # every way to stop is covered


def test_every_row_is_an_independent_single_run_default_scenario(base_dir):
    sc = load_scenario()
    res_rows = pq.read_table(base_dir / "runs.parquet").to_pandas()

    class Res:  # the table as written
        runs = res_rows

    rows = list(range(0, 300, 7)) + [299]
    check_rows_against_single_runs(sc, Res, 5, rows, sc.model.rounds)


def test_rows_match_the_slow_reference_model():
    """A few runs against tests/reference.py, written from the design, not the kernels."""
    sc = load_scenario(EC)
    kw = dict(position_sd=1.0, salience_sd=0.1, capability_cv=0.3)
    rounds = 12
    res = ens(sc, runs=40, seed=2, rounds=rounds, **kw)
    df = res.runs
    a = sc.arrays()
    picked = {}
    for r, stop in enumerate(df["stopped"]):
        picked.setdefault(stop, []).append(r)
    rows = [r for stop in sorted(picked) for r in picked[stop][:2]]
    assert len(picked) >= 2
    X, S, C = perturbed(sc, [int(df["seed"][r]) for r in rows], **kw)
    for j, r in enumerate(rows):
        history, n_rounds, stopped, cycle = reference.eum_run(
            X[j], C[j], S[j], a.width, a.risk, a.Q, a.T, a.red_lo, a.red_hi, rounds
        )
        assert (int(df["rounds"][r]), df["stopped"][r], int(df["cycle_length"][r])) == (
            n_rounds,
            stopped,
            cycle,
        )
        finals = history[-cycle:] if stopped == "cycle" else history[-1:]
        for k, iid in enumerate(sc.issue_ids):
            w = reference.weights(C[j], S[j][k])
            comp = np.mean([reference.compromise(state[k], w) for state in finals])
            med = np.mean([reference.weighted_median(state[k], w) for state in finals])
            assert df[f"{iid}.compromise"][r] == pytest.approx(comp, rel=1e-12, abs=1e-12)
            assert df[f"{iid}.median"][r] == pytest.approx(med, rel=1e-12, abs=1e-12)


def test_zero_uncertainty_every_row_is_the_unperturbed_run():
    sc = load_scenario()
    res = ens(sc, runs=50, seed=3, position_sd=0, salience_sd=0, capability_cv=0, chunk_size=20)
    a = sc.arrays()
    traj, comp, med = single_run(sc, a.position, a.salience, a.capability, sc.model.rounds)
    df = res.runs
    assert (df["rounds"] == traj.rounds).all()
    assert (df["stopped"] == traj.stopped).all()
    assert (df["cycle_length"] == traj.cycle_length).all()
    for k, iid in enumerate(sc.issue_ids):
        assert (df[f"{iid}.compromise"] == comp[k]).all()
        assert (df[f"{iid}.median"] == med[k]).all()
        assert res.baseline[iid] == {"compromise": comp[k], "median": med[k]}
    assert df["seed"].tolist() == spawned_seeds(3, 50)  # seeds still differ per run


def test_an_overridden_uncertainty_is_used_per_run():
    """`--set uncertainty...` reaches the runs: only RUS's positions are noisy."""
    sc = load_scenario(
        None,
        [
            "uncertainty.position_sd=0",
            "uncertainty.salience_sd=0",
            "uncertainty.capability_cv=0",
            "uncertainty.actors.RUS.position_sd=20",
        ],
    )
    res = ens(sc, runs=30, seed=4, rounds=5)
    check_rows_against_single_runs(sc, res, 4, range(30), 5)
    assert res.runs["sovereignty.compromise"].nunique() > 1


@pytest.mark.parametrize("model", ["median", "compromise"])
def test_static_model_ensembles(model):
    sc = load_scenario()
    res = ens(sc, runs=120, seed=9, model=model, chunk_size=50)
    df = res.runs
    assert (df["rounds"] == 0).all()
    assert (df["stopped"] == "converged").all()
    assert (df["cycle_length"] == 1).all()
    seeds = spawned_seeds(9, 120)
    assert df["seed"].tolist() == seeds
    X, S, C = perturbed(sc, seeds)
    for r in range(120):
        for k, iid in enumerate(sc.issue_ids):
            w = reference.weights(C[r], S[r][k])
            assert df[f"{iid}.compromise"][r] == reference.compromise(X[r][k], w)
            assert df[f"{iid}.median"][r] == reference.weighted_median(X[r][k], w)
    s = res.summary()
    assert s["model"] == model and s["share_converged"] == 1.0 and s["mean_rounds"] == 0.0


def test_huge_capability_cv_still_gives_a_finite_summary():
    res = ens(None, runs=20, seed=1, rounds=3, capability_cv=1e200)
    json.dumps(res.summary(), allow_nan=False)  # what summary.json needs
    assert np.isfinite(res.runs.filter(like=".compromise").to_numpy()).all()


def test_zero_round_limit_gives_the_initial_forecast():
    sc = load_scenario()
    res = ens(sc, runs=20, seed=1, rounds=0)
    df = res.runs
    assert (df["rounds"] == 0).all() and (df["stopped"] == "limit").all()
    X, S, C = perturbed(sc, spawned_seeds(1, 20))
    for r in range(20):
        _, comp, med = single_run(sc, X[r], S[r], C[r], 0)
        assert df["posture.compromise"][r] == comp[1] and df["posture.median"][r] == med[1]


# ---- the summary ------------------------------------------------------------------
def test_summary_equals_numpy_on_runs_parquet(base_dir):
    summary = json.loads((base_dir / "summary.json").read_text())
    table = pq.read_table(base_dir / "runs.parquet")
    sc = load_scenario()
    stopped = np.array(table.column("stopped").to_pylist())
    assert summary["runs"] == 300 == table.num_rows
    assert summary["root_seed"] == 5
    assert summary["model"] == "eum"
    assert summary["scenario"] == sc.name
    assert summary["share_converged"] == np.mean(stopped == "converged")
    assert summary["share_cycle"] == np.mean(stopped == "cycle")
    assert summary["share_limit"] == np.mean(stopped == "limit")
    rounds = table.column("rounds").to_numpy()
    assert summary["mean_rounds"] == pytest.approx(np.mean(rounds), rel=1e-15)
    a = sc.arrays()
    _, comp0, med0 = single_run(sc, a.position, a.salience, a.capability, sc.model.rounds)
    assert set(summary["forecast"]) == set(sc.issue_ids)
    for k, iid in enumerate(sc.issue_ids):
        for kind, unperturbed in (("compromise", comp0[k]), ("median", med0[k])):
            v = table.column(f"{iid}.{kind}").to_numpy()
            got = summary["forecast"][iid][kind]
            assert got["mean"] == pytest.approx(np.mean(v), rel=1e-14, abs=1e-12)
            assert got["std"] == pytest.approx(np.std(v, ddof=1), rel=1e-12, abs=1e-12)
            for p, q in zip(PCTS, np.percentile(v, PCTS), strict=True):
                assert got[f"p{p}"] == pytest.approx(q, rel=1e-14, abs=1e-12)
            assert got["unperturbed"] == unperturbed
    unc = summary["uncertainty"]
    np.testing.assert_array_equal(unc["position_sd"], spreads(sc).position_sd)
    np.testing.assert_array_equal(unc["capability_cv"], spreads(sc).capability_cv)


def reference_forecast(a, X, S, C, rounds):
    """(rounds, stopped, cycle_length, forecast) of one run of the plain-Python reference
    model (tests/reference.py) on the inputs X, S, C; forecast: (compromise, median) per issue."""
    history, n_rounds, stopped, cycle = reference.eum_run(
        X, C, S, a.width, a.risk, a.Q, a.T, a.red_lo, a.red_hi, rounds
    )
    return n_rounds, stopped, cycle, reference.final_forecast(history, stopped, cycle, C, S)


def test_result_api(base_dir):
    """The result holds the runs of runs.parquet; its distribution figure has one panel per
    issue whose bars count the runs of the file in each bin, and whose marks stand at the
    unperturbed forecast of the plain-Python reference model."""
    from sim import plot

    sc = load_scenario()
    res = ens(sc, **BASE)
    assert res.n_runs == 300 and res.root_seed == 5
    table = pq.read_table(base_dir / "runs.parquet").to_pandas()
    assert res.runs.equals(table)
    a = sc.arrays()
    *_, unperturbed = reference_forecast(a, a.position, a.salience, a.capability, a.rounds)
    fig = plot.distribution(res)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(sc.issue_ids)
    for k, (ax, iid) in enumerate(zip(panels, sc.issue_ids, strict=True)):
        bars = {c.patches[0].get_label(): c for c in ax.containers}  # hist labels a first bar
        marks = {line.get_label(): line for line in ax.get_lines()}
        for j, kind in enumerate(("compromise", "median")):
            values = table[f"{iid}.{kind}"].to_numpy()
            edges = [(p.get_x(), p.get_x() + p.get_width()) for p in bars[kind]]
            heights = [p.get_height() for p in bars[kind]]
            last = len(edges) - 1  # the last bin holds its right edge too
            want = [
                int(np.sum((values >= lo) & ((values < hi) | ((b == last) & (values == hi)))))
                for b, (lo, hi) in enumerate(edges)
            ]
            assert heights == pytest.approx(want, abs=1e-9), (iid, kind)
            assert sum(want) == 300, (iid, kind)  # every run is in a bar
            x = marks[f"unperturbed {kind}"].get_xdata()
            assert list(x) == pytest.approx([unperturbed[k][j]] * 2, rel=1e-12, abs=1e-12)
    plot.close(fig)
    assert "EnsembleResult" in repr(res) and "300" in repr(res)


# ---- same bytes whatever runs it --------------------------------------------------
def runs_parquet_bytes(res) -> bytes:
    """What ``res.write`` puts in runs.parquet (the tests below compare it with the file's bytes)."""
    return ensemble_module.parquet_bytes(res.table, res.metadata)


def test_files_hold_the_reference_runs_and_their_statistics(tmp_path):
    """`sim ensemble` writes in runs.parquet each run as the plain-Python reference model runs
    it on that run's perturbed inputs, and in summary.json the statistics of those runs, the
    spreads given on the command line and the reference's unperturbed forecast."""
    from sim.cli import main

    runs, seed, rounds = 12, 11, 10
    kw = dict(position_sd=1.0, salience_sd=0.1, capability_cv=0.3)
    out = tmp_path / "ens"
    rc = main(["ensemble", EC, "--runs", str(runs), "--seed", str(seed), "--rounds", str(rounds),
               "--position-sd", "1", "--salience-sd", "0.1", "--capability-cv", "0.3",
               "--chunk-size", "5", "--quiet", "--out", str(out)])  # fmt: skip
    assert rc == 0
    table = pq.read_table(out / "runs.parquet").to_pandas()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    sc = load_scenario(EC)
    a = sc.arrays()
    seeds = spawned_seeds(seed, runs)
    assert table["run"].tolist() == list(range(runs)) and table["seed"].tolist() == seeds
    X, S, C = perturbed(sc, seeds, **kw)
    want = {f"{iid}.{kind}": [] for iid in sc.issue_ids for kind in ("compromise", "median")}
    stops, n_rounds = [], []
    for r in range(runs):
        got = table.iloc[r]
        n, stopped, cycle, forecast = reference_forecast(a, X[r], S[r], C[r], rounds)
        assert (int(got["rounds"]), got["stopped"], int(got["cycle_length"])) == (n, stopped, cycle)
        stops.append(stopped)
        n_rounds.append(n)
        for k, iid in enumerate(sc.issue_ids):
            for j, kind in enumerate(("compromise", "median")):
                assert got[f"{iid}.{kind}"] == pytest.approx(forecast[k][j], rel=1e-12, abs=1e-12)
                want[f"{iid}.{kind}"].append(forecast[k][j])
    assert summary["runs"] == runs and summary["root_seed"] == seed
    assert summary["round_limit"] == rounds and summary["model"] == "eum"
    for stop in ("converged", "cycle", "limit"):
        assert summary[f"share_{stop}"] == pytest.approx(stops.count(stop) / runs)
    assert summary["mean_rounds"] == pytest.approx(np.mean(n_rounds))
    n = len(sc.actor_ids)
    assert summary["uncertainty"] == {
        "position_sd": [[1.0] * n],
        "salience_sd": [[0.1] * n],
        "capability_cv": [0.3] * n,
    }
    *_, unperturbed = reference_forecast(a, a.position, a.salience, a.capability, rounds)
    for k, iid in enumerate(sc.issue_ids):
        for j, kind in enumerate(("compromise", "median")):
            v = np.array(want[f"{iid}.{kind}"])
            got = summary["forecast"][iid][kind]
            close = dict(rel=1e-12, abs=1e-12)
            assert got["mean"] == pytest.approx(np.mean(v), **close)
            assert got["std"] == pytest.approx(np.std(v, ddof=1), rel=1e-9, abs=1e-12)
            for p, q in zip(PCTS, np.percentile(v, PCTS), strict=True):
                assert got[f"p{p}"] == pytest.approx(q, **close), (iid, kind, p)
            assert got["unperturbed"] == pytest.approx(unperturbed[k][j], **close)


@pytest.mark.parametrize("chunk_size", [1, 37, 300, None])
def test_chunk_size_does_not_change_runs_parquet(base_bytes, chunk_size):
    res = ens(None, runs=300, seed=5, chunk_size=chunk_size)
    assert runs_parquet_bytes(res) == base_bytes


def test_same_bytes_on_a_thread_pool(base_bytes):
    with ThreadPoolExecutor(max_workers=3) as pool:
        res = ens(None, executor=pool, **BASE)
    assert runs_parquet_bytes(res) == base_bytes


def test_same_bytes_with_two_worker_processes(base_bytes):
    res = ens(None, workers=2, **BASE)
    assert runs_parquet_bytes(res) == base_bytes


def test_same_bytes_on_a_local_dask_cluster(base_bytes):
    pytest.importorskip("dask.distributed")
    res = ens(None, scheduler="local", workers=2, **BASE)
    assert runs_parquet_bytes(res) == base_bytes


def test_no_timestamps_two_runs_at_different_times(tmp_path, base_dir):
    time.sleep(1.1)
    ens(None, out=tmp_path / "later", **BASE)
    first, later = files(base_dir), files(tmp_path / "later")
    for name in ("runs.parquet", "summary.json", "distribution.png"):
        assert later[name] == first[name], name
    manifest = Path(".sim") / "manifest.json"
    assert (tmp_path / "later" / manifest).read_bytes() == (base_dir / manifest).read_bytes()


# ---- interrupt and resume -------------------------------------------------------
def counting_task(monkeypatch, fail_at=None):
    """Wrap ensemble_module._chunk_task: count the calls, raise KeyboardInterrupt at call fail_at."""
    real = ensemble_module._chunk_task
    calls = []

    def task(*args, **kwargs):
        calls.append(len(args[4]))  # the seeds of the chunk
        if fail_at is not None and len(calls) == fail_at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ensemble_module, "_chunk_task", task)
    return calls


def test_interrupt_then_resume_gives_the_same_bytes(tmp_path, monkeypatch, base_dir, base_bytes):
    out = tmp_path / "resumed"
    kw = dict(runs=300, seed=5, chunk_size=50)
    calls = counting_task(monkeypatch, fail_at=3)
    with pytest.raises(Interrupted) as info:
        ens(None, out=out, **kw)
    assert isinstance(info.value, KeyboardInterrupt)
    assert (info.value.done, info.value.total) == (2, 6)
    assert Path(info.value.out) == out
    assert len(calls) == 3
    chunks = sorted(p.name for p in (out / ".sim" / "chunks").iterdir())
    assert chunks == ["chunk-000000.parquet", "chunk-000001.parquet"]
    assert (out / ".sim" / "manifest.json").exists() and not (out / "manifest.json").exists()
    assert not (out / "runs.parquet").exists() and not (out / "summary.json").exists()
    # the saved chunks hold the first 100 runs of the uninterrupted ensemble
    full = pq.read_table(base_dir / "runs.parquet")
    for i in range(2):
        part = pq.read_table(out / ".sim" / "chunks" / f"chunk-{i:06d}.parquet")
        assert part.equals(full.slice(50 * i, 50).replace_schema_metadata(None))

    calls = counting_task(monkeypatch)  # no interrupt this time
    ens(None, out=out, **kw)
    assert calls == [50, 50, 50, 50]  # only the unfinished chunks ran
    assert (out / "runs.parquet").read_bytes() == base_bytes
    assert (out / "summary.json").read_bytes() == (base_dir / "summary.json").read_bytes()
    assert not (out / ".sim" / "chunks").exists()


def test_interrupt_on_a_thread_pool_keeps_finished_chunks(tmp_path, monkeypatch, base_bytes):
    out = tmp_path / "threads"
    kw = dict(runs=300, seed=5, chunk_size=50)
    counting_task(monkeypatch, fail_at=4)
    with pytest.raises(Interrupted) as info:
        with ThreadPoolExecutor(max_workers=1) as pool:
            ens(None, out=out, executor=pool, **kw)
    saved = sorted(p.name for p in (out / ".sim" / "chunks").glob("chunk-*.parquet"))
    # one worker runs the chunks in order; the 4th fails, so at most the first 3 are saved
    assert info.value.done == len(saved) <= 3
    assert saved == [f"chunk-{i:06d}.parquet" for i in range(len(saved))]
    monkeypatch.undo()
    ens(None, out=out, **kw)
    assert (out / "runs.parquet").read_bytes() == base_bytes


def test_interrupt_without_a_folder(monkeypatch):
    counting_task(monkeypatch, fail_at=2)
    with pytest.raises(Interrupted) as info:
        ens(None, runs=30, seed=1, chunk_size=10)
    assert info.value.out is None and info.value.done == 1 and info.value.total == 3


@pytest.mark.parametrize(
    "change",
    [
        dict(seed=6),
        dict(runs=301),
        dict(chunk_size=60),
        dict(position_sd=1.0),
        dict(capability_cv=0.0),
        dict(model="median"),
        dict(rounds=10),
        dict(overrides=["actors.RUS.position.posture=20"]),
    ],
    ids=lambda d: next(iter(d)),
)
def test_another_ensemble_in_the_same_folder_is_refused(tmp_path, monkeypatch, change):
    out = tmp_path / "ens"
    kw = dict(runs=300, seed=5, chunk_size=50)
    counting_task(monkeypatch, fail_at=3)
    with pytest.raises(Interrupted):
        ens(None, out=out, **kw)
    monkeypatch.undo()
    before = files(out / ".sim" / "chunks"), files(out / ".sim"), files(out)
    calls = counting_task(monkeypatch)
    with pytest.raises(ManifestMismatch):
        ens(None, out=out, **{**kw, **change})
    assert calls == []
    after = files(out / ".sim" / "chunks"), files(out / ".sim"), files(out)
    assert after == before  # nothing touched


def test_a_finished_folder_refuses_another_ensemble(tmp_path, monkeypatch):
    out = tmp_path / "done"
    ens(None, out=out, runs=40, seed=1)
    before = files(out)
    with pytest.raises(ManifestMismatch):
        ens(None, out=out, runs=40, seed=2)
    assert files(out) == before
    # the same command again is fine and gives the same bytes
    ens(None, out=out, runs=40, seed=1)
    assert files(out) == before


def test_an_unreadable_manifest_is_refused(tmp_path):
    out = tmp_path / "bad"
    ens(None, out=out, runs=10, seed=1)
    (out / ".sim" / "manifest.json").write_text("{ not json")
    with pytest.raises(ManifestMismatch):
        ens(None, out=out, runs=10, seed=1)


def test_bad_arguments_are_value_errors():
    for kw in (dict(runs=0), dict(runs=5, seed=-1), dict(runs=5, position_sd=-1.0),
               dict(runs=5, salience_sd=float("nan")), dict(runs=5, model="nope"),
               dict(runs=5, chunk_size=-3)):  # fmt: skip
        with pytest.raises(ValueError):
            ens(None, **kw)


# ---- trajectories -------------------------------------------------------------------
@pytest.mark.parametrize("scenario, keep", [(None, 3), (EC, 5)])
def test_trajectories_of_the_first_runs_are_the_single_runs(tmp_path, scenario, keep):
    sc = load_scenario(scenario)
    kw = dict(position_sd=1.0, capability_cv=0.3) if scenario == EC else {}
    out = tmp_path / "traj" if scenario == EC else None
    res = ens(sc, runs=20, seed=8, rounds=15, trajectories=keep, out=out, **kw)
    t = res.trajectories
    assert list(t.columns) == ["run", "round", "issue", "actor", "position"]
    assert sorted(t["run"].unique()) == list(range(keep))
    X, S, C = perturbed(sc, spawned_seeds(8, keep), **kw)
    m, n = len(sc.issue_ids), len(sc.actors)
    for r in range(keep):
        traj, _, _ = single_run(sc, X[r], S[r], C[r], 15)
        sub = t[t["run"] == r]
        assert len(sub) == (traj.rounds + 1) * m * n
        assert sub["round"].tolist() == np.repeat(np.arange(traj.rounds + 1), m * n).tolist()
        assert sub["issue"].tolist() == list(np.tile(np.repeat(sc.issue_ids, n), traj.rounds + 1))
        assert sub["actor"].tolist() == list(sc.actor_ids) * m * (traj.rounds + 1)
        np.testing.assert_array_equal(sub["position"].to_numpy(), traj.positions.reshape(-1))
        assert traj.rounds == res.runs["rounds"][r]
    if out is not None:
        on_disk = pq.read_table(out / "trajectories.parquet").to_pandas()
        assert on_disk.equals(t.reset_index(drop=True))
    assert ens(sc, runs=20, seed=8, rounds=15, **kw).trajectories is None


# ---- display ------------------------------------------------------------------------
def test_repr_html_escapes_the_scenario_name():
    sc = load_scenario(None, ['scenario.name="<b>bold</b> & <script>x</script>"'])
    res = ens(sc, runs=20, seed=1, rounds=2)
    html = res._repr_html_()
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "<table" in html and "enlargement" in html


def test_repr_html_escapes_issue_ids(tmp_path):
    path = tmp_path / "odd.toml"
    path.write_text(
        """
[scenario]
name = "odd"
[[issues]]
id = "<i>x</i>"
scale = [0, 10]
[actors.A]
capability = 1.0
position = { "<i>x</i>" = 2 }
salience = { "<i>x</i>" = 0.5 }
[actors.B]
capability = 2.0
position = { "<i>x</i>" = 8 }
salience = { "<i>x</i>" = 0.7 }
"""
    )
    res = ens(load_scenario(path), runs=10, seed=1, rounds=3, position_sd=1.0)
    html = res._repr_html_()
    assert "<i>x</i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html


def test_a_thread_pool_gives_the_same_runs_under_the_workqueue_layer():
    """numba's workqueue layer aborts when two threads launch parallel kernels at once;
    the runner lets one chunk's kernel run at a time per process."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        from concurrent.futures import ThreadPoolExecutor
        import sim
        ref = sim.ensemble(runs=300, seed=4, chunk_size=50, rounds=5, progress=False)
        with ThreadPoolExecutor(3) as pool:
            got = sim.ensemble(runs=300, seed=4, chunk_size=50, rounds=5, executor=pool,
                               progress=False)
        print(got.runs.equals(ref.runs))
        """
    )
    import os

    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue", MPLBACKEND="Agg")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
