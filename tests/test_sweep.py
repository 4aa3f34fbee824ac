"""Sweeps: `sim.sweep` and `sim sweep`, a grid of ensembles over scenario fields.

Expectations are computed here: grid values with ``numpy.linspace``, statistics with
numpy from the per-run table of a direct ensemble on the same overridden scenario
with the same root seed, figures by counting axes and reading the PNG header.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import sim
import sim.experiment
import sim.plot
import sim.save
from sim.cli import cli, main
from sim.grid import SweepError

ROOT = Path(__file__).resolve().parent.parent
NATO_FILE = ROOT / "scenarios" / "nato_russia_2022.toml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SAL = "actors.RUS.salience.enlargement"
STATS = ["mean", "std", "p5", "p25", "p50", "p75", "p95"]


def nato_issues() -> list[str]:
    with NATO_FILE.open("rb") as fh:
        return [i["id"] for i in tomllib.load(fh)["issues"]]


def expected_stats(runs: pd.DataFrame, issue: str) -> dict:
    out = {}
    for kind in ("compromise", "median"):
        v = runs[f"{issue}.{kind}"].to_numpy(dtype=float)
        out[f"{kind}_mean"] = v.mean()
        out[f"{kind}_std"] = v.std(ddof=1)
        for p in (5, 25, 50, 75, 95):
            out[f"{kind}_p{p}"] = np.percentile(v, p)
    out["share_converged"] = float((runs["stopped"] == "converged").mean())
    out["runs"] = len(runs)
    return out


# ---- the table -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nato_sweep():
    """Three points of RUS's salience on enlargement, a fixed change before the grid."""
    res = sim.sweep(
        None,
        {SAL: (0.2, 1.0, 3)},
        runs=40,
        seed=7,
        overrides=["actors.USA.salience.posture=0.5"],
        progress=False,
    )
    return res


def test_table_is_tidy_one_row_per_point_per_issue(nato_sweep):
    t = nato_sweep.table
    issues = nato_issues()
    values = np.linspace(0.2, 1.0, 3)
    assert len(t) == 3 * len(issues)
    assert list(t.columns[:2]) == [SAL, "issue"]
    for kind in ("compromise", "median"):
        for st in STATS:
            assert f"{kind}_{st}" in t.columns
    assert {"share_converged", "runs"} <= set(t.columns)
    assert t[SAL].tolist() == np.repeat(values, len(issues)).tolist()
    assert t["issue"].tolist() == issues * 3
    assert (t["runs"] == 40).all()
    assert t[SAL].dtype == np.float64


@pytest.mark.parametrize("point", [0, 1])
def test_point_equals_a_direct_ensemble_with_the_same_seed(nato_sweep, point):
    value = np.linspace(0.2, 1.0, 3)[point]
    sc = sim.load_scenario(None, ["actors.USA.salience.posture=0.5", f"{SAL}={float(value)!r}"])
    runs = sim.experiment.ensemble(sc, runs=40, seed=7, progress=False).runs
    t = nato_sweep.table
    for issue in nato_issues():
        row = t[(t[SAL] == value) & (t["issue"] == issue)]
        assert len(row) == 1
        for col, want in expected_stats(runs, issue).items():
            assert row[col].iloc[0] == pytest.approx(want, rel=1e-12, abs=1e-12), (issue, col)


def test_common_random_numbers_leave_untouched_issues_alike(nato_sweep):
    # RUS's salience on enlargement does not enter the other issues: with the same
    # seeds at every point their statistics are the same bits, not new noise
    t = nato_sweep.table
    post = t[t["issue"] == "posture"]
    assert post["compromise_mean"].nunique() == 1
    assert post["median_p95"].nunique() == 1
    enl = t[t["issue"] == "enlargement"]
    assert enl["compromise_mean"].nunique() == 3


def test_integer_fields_get_whole_values():
    res = sim.sweep(
        "ec_example_scholz2011",
        {"model.rounds": (2, 6, 3), "model.Q": "0.5:1:2"},
        runs=10,
        seed=1,
        position_sd=5,
        progress=False,
    )
    t = res.table
    assert t["model.rounds"].dtype == np.int64
    assert t["model.rounds"].tolist() == [2, 2, 4, 4, 6, 6]
    assert t["model.Q"].tolist() == [0.5, 1.0] * 3
    with pytest.raises(SweepError, match="model.rounds"):
        sim.sweep("ec_example_scholz2011", {"model.rounds": (1, 10, 3)}, runs=5, progress=False)


# ---- figures ----------------------------------------------------------------------------
def test_one_parameter_figure(nato_sweep, tmp_path):
    fig = sim.plot.figure(nato_sweep)
    panels = [a for a in fig.axes if a.get_visible()]
    assert len(panels) == len(nato_issues())
    # the mean line and two bands per panel
    assert len(panels[0].lines) >= 1 and len(panels[0].collections) >= 2
    written = sim.save.write(nato_sweep, tmp_path)
    assert [p.name for p in written] == ["sweep.parquet", "sweep.png"]
    assert (tmp_path / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    sim.plot.close(fig)


def test_two_parameter_heatmap(tmp_path):
    res = sim.sweep(
        "nato_russia_2022",
        {SAL: (0.4, 1.0, 3), "model.Q": (0.5, 1.0, 2)},
        runs=8,
        seed=2,
        progress=False,
    )
    assert len(res.table) == 6 * len(nato_issues())
    fig = sim.plot.figure(res)
    # a heatmap and its colour bar per issue
    assert len(fig.axes) == 2 * len(nato_issues())
    image = fig.axes[0].images[0].get_array()
    assert image.shape == (3, 2)
    enl = res.table[res.table["issue"] == "enlargement"]
    want = enl.pivot(index=SAL, columns="model.Q", values="compromise_mean").to_numpy()
    np.testing.assert_array_equal(np.asarray(image), want)
    sim.plot.close(fig)
    sim.save.write(res, tmp_path)
    assert (tmp_path / "sweep.png").read_bytes()[:8] == PNG_MAGIC


# ---- the command line ------------------------------------------------------------------------
def test_contract_command(tmp_path):
    out = tmp_path / "sw"
    args = [
        "sweep",
        "--param",
        f"{SAL}=0.2:1.0:5",
        "--runs",
        "200",
        "--seed",
        "1",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (out / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    table = pq.read_table(out / "sweep.parquet")
    meta = table.schema.metadata
    assert meta[b"sim.root_seed"] == b"1"
    df = table.to_pandas()
    issues = nato_issues()
    assert len(df) == 5 * len(issues)
    assert sorted(df[SAL].unique().tolist()) == np.linspace(0.2, 1.0, 5).tolist()
    assert (df["runs"] == 200).all()
    assert (
        (df["compromise_p5"] <= df["compromise_p50"])
        & (df["compromise_p50"] <= df["compromise_p95"])
    ).all()
    assert "root seed 1 at every point" in result.output


@pytest.mark.parametrize(
    "param, needle",
    [
        (f"{SAL}=0.2:1.0", SAL),  # two parts
        (SAL, SAL),  # no grid
        (f"{SAL}=0.2:1.0:x", SAL),  # NUM not a number
        (f"{SAL}=0.2:1.0:0", SAL),  # NUM < 1
        ("actors.XXX.salience.enlargement=0.2:1.0:3", "actors.XXX.salience.enlargement"),
        (f"{SAL}=0.5:1.5:3", f"--param {SAL}=1.5"),  # salience above 1
        ("actors.RUS.position.enlargement=0:200:3", "actors.RUS.position.enlargement=200"),
        ("model.rounds=1:10:3", "model.rounds"),  # 5.5 rounds
    ],
)
def test_bad_param_exits_2_and_writes_nothing(param, needle, tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(sim.experiment, "ensemble", lambda *a, **k: calls.append(1))
    out = tmp_path / "out"
    assert main(["sweep", "--param", param, "--runs", "5", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err
    assert not out.exists()
    assert calls == []


def test_bad_point_in_a_two_parameter_grid_is_found_before_any_work(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(sim.experiment, "ensemble", lambda *a, **k: calls.append(1))
    out = tmp_path / "out"
    argv = ["sweep", "--param", "model.Q=0:1:2", "--param", f"{SAL}=0.1:1.2:2", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--param {SAL}=1.2" in err and "less than or equal to 1" in err
    assert not out.exists() and calls == []


def test_resume_after_interrupt_gives_the_same_bytes(tmp_path, monkeypatch, capsys):
    real = sim.experiment.ensemble
    calls = []

    def third_interrupts(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    base = ["sweep", "ec_example_scholz2011", "--param", "model.Q=0.2:1.0:5", "--runs", "30"]
    base += ["--position-sd", "5", "--seed", "3", "--quiet", "--out"]
    monkeypatch.setattr(sim.experiment, "ensemble", third_interrupts)
    assert main([*base, str(tmp_path / "a")]) == 130
    err = capsys.readouterr().err
    assert "2 of 5 grid points" in err and "run the same command again" in err
    assert sorted(p.name for p in (tmp_path / "a" / ".sim" / "points").iterdir()) == [
        "point-000000.json",
        "point-000001.json",
    ]
    assert not (tmp_path / "a" / "points").exists()
    assert not (tmp_path / "a" / "sweep.parquet").exists()

    calls.clear()
    monkeypatch.setattr(
        sim.experiment, "ensemble", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    assert main([*base, str(tmp_path / "a")]) == 0
    assert len(calls) == 3  # only the unfinished points ran
    assert main([*base, str(tmp_path / "b")]) == 0
    a = (tmp_path / "a" / "sweep.parquet").read_bytes()
    assert a == (tmp_path / "b" / "sweep.parquet").read_bytes()
    point = json.loads((tmp_path / "a" / ".sim" / "points" / "point-000004.json").read_text())
    assert point["values"] == {"model.Q": 1.0}

    # another sweep into the same folder is refused
    other = [x if x != "3" else "4" for x in base]
    assert main([*other, str(tmp_path / "a")]) == 2
    assert "another sweep" in capsys.readouterr().err


# ---- the Python API ------------------------------------------------------------------------
def test_api_result_display_and_exports():
    sc = sim.load_scenario("ec_example_scholz2011", ['scenario.name="<b>ec</b>"'])
    res = sim.sweep(sc, {"model.Q": (0.5, 1.0, 2)}, runs=10, seed=1, position_sd=5, progress=False)
    assert isinstance(res, sim.SweepResult)
    assert len(res.table) == 2
    assert repr(res).startswith("SweepResult('<b>ec</b>'")
    page = res._repr_html_()
    assert "<b>ec</b>" not in page and "&lt;b&gt;ec&lt;/b&gt;" in page
    assert "sweep" in sim.__all__ and sim.SweepResult.__name__ == "SweepResult"
    # importing the submodules must not shadow the functions of the same names
    assert callable(sim.sweep) and callable(sim.ensemble)
