"""Crisis sweeps: `sim.sweep(..., model="crisis")` and `sim sweep --model crisis`.

Expectations are computed here: P(war) and the means from the per-run table of a
direct crisis ensemble on the same overridden scenario with the same root seed, the
Wilson interval from its formula, monotonicity from the model's definition (with a
known cost the challenger fights when ``p - c`` beats what it keeps, so every run's
war is non-increasing in ``c`` and, with the same seeds at every point, so is P(war)).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import sim
import sim.experiment
import sim.plot
import sim.save
from sim.cli import main
from sim.grid import SweepError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
USA = "crisis.supporters.USA"
COST = "crisis.cost.RUS"
WAR = [
    "p_war",
    "p_war_lo",
    "p_war_hi",
    "p_war_believed",
    "p_mean",
    "war_value_mean",
    "share_with_offer",
    "runs",
]

# two sides of equal capability over one contested issue, a supporter of the defender,
# red lines that leave no offer both accept, and no cost_range: the cost is known
SMALL = """
[scenario]
name = "Small crisis"

[[issues]]
id = "land"
scale = [0, 100]
status_quo = 100

[[issues]]
id = "trade"
scale = [0, 100]
status_quo = 50

[actors.C]
capability = 1.0
position = { land = 0, trade = 30 }
salience = { land = 1.0, trade = 0.4 }
red_line = { land = [0, 40] }

[actors.D]
capability = 1.0
position = { land = 100, trade = 70 }
salience = { land = 1.0, trade = 0.5 }
red_line = { land = [60, 100] }

[actors.S]
capability = 0.5
position = { land = 90, trade = 60 }
salience = { land = 0.6, trade = 0.3 }

[crisis]
challenger = "C"
defender = "D"
supporters = { S = 0.5 }
contested = ["land"]
cost = { C = 0.2, D = 0.3 }

[uncertainty]
position_sd = 5.0
salience_sd = 0.1
capability_cv = 0.4
"""


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    phat = k / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.fixture(scope="module")
def usa_sweep():
    """Three points of the share of US capability behind Ukraine on the shipped scenario."""
    return sim.sweep(None, {USA: (0.0, 0.3, 3)}, runs=200, seed=11, model="crisis", progress=False)


@pytest.fixture(scope="module")
def two_sweep():
    return sim.sweep(
        None,
        {USA: (0.0, 0.3, 3), "actors.RUS.capability": (0.02, 0.06, 4)},
        runs=100,
        seed=4,
        model="crisis",
        progress=False,
    )


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


# ---- the table -----------------------------------------------------------------------------
def test_table_has_one_row_per_point(usa_sweep):
    t = usa_sweep.table
    assert list(t.columns) == [USA, *WAR]
    assert "issue" not in t.columns
    assert t[USA].tolist() == np.linspace(0.0, 0.3, 3).tolist()
    assert t[USA].dtype == np.float64 and t["runs"].dtype == np.int64
    assert (t["runs"] == 200).all()
    assert ((t["p_war_lo"] <= t["p_war"]) & (t["p_war"] <= t["p_war_hi"])).all()
    assert usa_sweep.model == "crisis"


@pytest.mark.parametrize("point", [0, 1, 2])
def test_point_equals_a_direct_ensemble_with_the_same_seed(usa_sweep, point):
    value = float(np.linspace(0.0, 0.3, 3)[point])
    sc = sim.load_scenario(None, [f"{USA}={value!r}"])
    res = sim.ensemble(sc, runs=200, seed=11, model="crisis", progress=False)
    runs = res.runs
    war = runs["war"].to_numpy(dtype=bool)
    offers = runs["offer"].to_numpy(dtype=float)
    lo, hi = wilson(int(war.sum()), len(war))
    want = {
        "p_war": war.mean(),
        "p_war_lo": lo,
        "p_war_hi": hi,
        "p_war_believed": runs["p_war_believed"].mean(),
        "p_mean": runs["p"].mean(),
        "war_value_mean": runs["war_value"].mean(),
        "share_with_offer": np.mean(~np.isnan(offers)),
        "runs": 200,
    }
    row = usa_sweep.table.iloc[point]
    assert row[USA] == value
    assert row["p_war"] == res.summary()["p_war"]
    for col, v in want.items():
        assert row[col] == pytest.approx(v, rel=1e-12, abs=1e-12), col


def test_more_support_for_the_defender_lowers_p_war(usa_sweep):
    # common random numbers: the same runs at every point, only the support changes
    t = usa_sweep.table
    assert (np.diff(t["p_mean"]) < 0).all()
    assert t["p_war"].iloc[0] > t["p_war"].iloc[-1]


@pytest.mark.parametrize(
    "lifted",
    [
        [],  # no offer both red lines allow: war when p - c beats the status quo
        ["actors.C.red_line.land=[0, 100]"],  # offers within the defender's red line
    ],
)
def test_known_cost_p_war_is_non_increasing_in_the_challengers_cost(small, lifted):
    res = sim.sweep(
        small, {"crisis.cost.C": (0.0, 0.6, 7)}, runs=200, seed=5, model="crisis",
        overrides=lifted, progress=False,
    )  # fmt: skip
    t = res.table
    p_war = t["p_war"].to_numpy()
    assert (np.diff(p_war) <= 0).all(), p_war
    assert p_war[0] > p_war[-1]
    # with the cost known the defender foresees every war
    np.testing.assert_allclose(t["p_war_believed"], p_war, rtol=0, atol=1e-12)
    # the cost enters only the war value: p is the same, p - c falls by each step
    assert t["p_mean"].nunique() == 1
    np.testing.assert_allclose(
        t["war_value_mean"], t["p_mean"] - np.linspace(0.0, 0.6, 7), rtol=0, atol=1e-12
    )


def test_with_a_cost_range_the_cost_changes_only_the_nominal_record(tmp_path):
    # the runs draw the challenger's cost from [crisis] cost_range; its coded cost
    # moves the unperturbed bargaining range and nothing the runs decide
    costs = np.linspace(0.05, 0.6, 3)
    res = sim.sweep(
        None, {COST: (0.05, 0.6, 3)}, runs=100, seed=2, model="crisis", out=tmp_path,
        progress=False,
    )  # fmt: skip
    t = res.table
    for col in WAR:
        assert t[col].nunique() == 1, col
    nominal = [
        json.loads((tmp_path / ".sim" / "points" / f"point-{i:06d}.json").read_text())[
            "unperturbed"
        ]
        for i in range(3)
    ]
    lows = [n["bargaining_range"][0] for n in nominal]
    assert lows == pytest.approx([n["p"] - c for n, c in zip(nominal, costs, strict=True)])
    assert len(set(lows)) == 3
    assert len({n["p"] for n in nominal}) == 1
    assert len({n["p_war"] for n in nominal}) == 1  # Fearon's P(war) uses the range


# ---- files and resuming ---------------------------------------------------------------------
def test_resume_after_deleting_points_gives_the_same_bytes(tmp_path, monkeypatch):
    args = dict(runs=100, seed=8, model="crisis", progress=False)
    grid = {USA: (0.0, 0.2, 3), "crisis.cost.UKR": (0.2, 0.5, 2)}
    out = tmp_path / "a"
    sim.sweep(None, grid, out=out, **args)
    whole = (out / "sweep.parquet").read_bytes()
    point = json.loads((out / ".sim" / "points" / "point-000005.json").read_text())
    assert point["values"] == {USA: 0.2, "crisis.cost.UKR": 0.5}
    assert {"p_war", "p_war_interval", "p_war_believed", "p", "war_value"} <= set(point)

    for i in (1, 4):
        (out / ".sim" / "points" / f"point-{i:06d}.json").unlink()
    (out / "sweep.parquet").unlink()
    real = sim.experiment.ensemble
    calls = []
    monkeypatch.setattr(
        sim.experiment, "ensemble", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    sim.sweep(None, grid, out=out, **args)
    assert len(calls) == 2  # only the deleted points ran
    assert (out / "sweep.parquet").read_bytes() == whole

    # and the same as a sweep that never stopped, in another folder
    sim.sweep(None, grid, out=tmp_path / "b", **args)
    assert (tmp_path / "b" / "sweep.parquet").read_bytes() == whole
    table = pq.read_table(out / "sweep.parquet")
    assert table.schema.metadata[b"sim.model"] == b"crisis"
    assert table.column_names == [USA, "crisis.cost.UKR", *WAR]


def test_interrupted_crisis_sweep_resumes(tmp_path, monkeypatch, capsys):
    real = sim.experiment.ensemble
    calls = []

    def second_interrupts(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    argv = ["sweep", "--model", "crisis", "--param", f"{USA}=0:0.3:3", "--runs", "100"]
    argv += ["--seed", "6", "--quiet", "--out", str(tmp_path / "a")]
    monkeypatch.setattr(sim.experiment, "ensemble", second_interrupts)
    assert main(argv) == 130
    assert "1 of 3 grid points" in capsys.readouterr().err
    monkeypatch.setattr(sim.experiment, "ensemble", real)
    # the rest of the sweep through the API: the same folder, the same sweep
    sim.sweep(
        None, {USA: "0:0.3:3"}, runs=100, seed=6, model="crisis", out=tmp_path / "a",
        progress=False,
    )  # fmt: skip
    sim.sweep(
        None, {USA: "0:0.3:3"}, runs=100, seed=6, model="crisis", out=tmp_path / "b",
        progress=False,
    )  # fmt: skip
    a = (tmp_path / "a" / "sweep.parquet").read_bytes()
    assert a == (tmp_path / "b" / "sweep.parquet").read_bytes()


# ---- figures -------------------------------------------------------------------------------
def test_one_parameter_figure(usa_sweep, tmp_path):
    fig = sim.plot.figure(usa_sweep)
    assert len(fig.axes) == 1
    a = fig.axes[0]
    p_war, believed = a.lines[:2]
    assert p_war.get_ydata().tolist() == usa_sweep.table["p_war"].tolist()
    assert believed.get_linestyle() == "--"
    assert believed.get_ydata().tolist() == usa_sweep.table["p_war_believed"].tolist()
    assert len(a.collections) == 1  # the interval band
    assert a.get_xlabel() == USA
    sim.plot.close(fig)
    written = sim.save.write(usa_sweep, tmp_path)
    assert [p.name for p in written] == ["sweep.parquet", "sweep.png"]
    assert (tmp_path / "sweep.png").read_bytes()[:8] == PNG_MAGIC


def test_two_parameter_heatmap(two_sweep, tmp_path):
    t = two_sweep.table
    assert len(t) == 12
    fig = sim.plot.figure(two_sweep)
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    a = fig.axes[0]
    image = np.asarray(a.images[0].get_array())
    want = t.pivot(index=USA, columns="actors.RUS.capability", values="p_war").to_numpy()
    assert image.shape == (3, 4)
    np.testing.assert_array_equal(image, want)
    assert a.images[0].get_clim() == (0.0, 1.0)
    # every cell annotated with its P(war)
    texts = sorted(x.get_text() for x in a.texts)
    assert texts == sorted(f"{v:.2f}" for v in want.ravel())
    sim.plot.close(fig)
    sim.save.write(two_sweep, tmp_path)
    assert (tmp_path / "sweep.png").read_bytes()[:8] == PNG_MAGIC


def test_figures_refuse_the_wrong_sweep(usa_sweep, two_sweep):
    with pytest.raises(ValueError, match="2 parameter"):
        sim.plot.sweep_war_heatmap(usa_sweep)
    with pytest.raises(ValueError, match="1 parameter"):
        sim.plot.sweep_war_lines(two_sweep)
    with pytest.raises(ValueError, match="per issue"):
        usa_sweep.spec.sweep_figure(1, issue="enlargement")


# ---- display -------------------------------------------------------------------------------
def test_repr_html_and_text_lines(usa_sweep):
    assert repr(usa_sweep) == (
        "SweepResult('NATO-Russia Council, January 2022', model='crisis', "
        f"grid={{{USA}: 3}}, points=3, runs=200, root_seed=11)"
    )
    page = usa_sweep._repr_html_()
    assert "P(war)" in page and USA in page
    assert f"{usa_sweep.table['p_war'].iloc[0]:.3f}" in page
    lines = usa_sweep.lines()
    assert "root seed 11 at every point" in lines[0]
    row = usa_sweep.table.iloc[1]
    assert f"[{row['p_war_lo']:.3f}, {row['p_war_hi']:.3f}]" in lines[5]
    short = usa_sweep.lines(limit=1)
    assert len(short) == 6 and short[-1] == "... 2 more points in the table"


def test_repr_html_escapes_the_name():
    sc = sim.load_scenario(None, ['scenario.name="<b>crisis</b>"'])
    res = sim.sweep(sc, {USA: (0.0, 0.1, 2)}, runs=20, seed=1, model="crisis", progress=False)
    page = res._repr_html_()
    assert "<b>crisis</b>" not in page and "&lt;b&gt;crisis&lt;/b&gt;" in page
    assert repr(res).startswith("SweepResult('<b>crisis</b>', model='crisis'")


# ---- models sweeps do not run ------------------------------------------------------------------
@pytest.mark.parametrize("model", ["nbs", "alternating"])
def test_bargaining_models_exit_2_with_the_models_sweeps_run(model, tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(sim.experiment, "ensemble", lambda *a, **k: calls.append(1))
    out = tmp_path / "out"
    argv = ["sweep", "--model", model, "--param", f"{USA}=0:0.3:4", "--runs", "5"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"model {model!r}" in err
    from sim.models import MODELS

    sweepable = [name for name, spec in MODELS.items() if spec.sweepable]
    assert model not in sweepable and {"eum", "compromise", "median", "crisis"} <= set(sweepable)
    listed = f"sweeps support the models {', '.join(sweepable[:-1])} and {sweepable[-1]}"
    assert listed in err
    assert "sim run" in err
    assert "Traceback" not in err
    assert not out.exists() and calls == []
    with pytest.raises(SweepError, match="sweeps support"):
        sim.sweep(None, {USA: (0.0, 0.3, 2)}, runs=5, model=model, progress=False)


def test_crisis_model_without_a_crisis_section_exits_2(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["sweep", "ec_example_scholz2011", "--model", "crisis", "--param", "model.Q=0.5:1:2"]
    assert main([*argv, "--runs", "5", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "[crisis] section" in err and "Traceback" not in err
    assert not out.exists()


def test_a_range_is_not_a_swept_scalar(capsys):
    argv = ["sweep", "--model", "crisis", "--param", "crisis.cost_range=0.1:0.5:3", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--param crisis.cost_range" in err and "Traceback" not in err


def test_contract_command_crisis(tmp_path):
    from click.testing import CliRunner

    from sim.cli import cli

    out = tmp_path / "sw"
    args = ["sweep", "--model", "crisis", "--param", f"{COST}=0.05:0.6:6", "--runs", "200"]
    result = CliRunner().invoke(cli, [*args, "--seed", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "P(war) with its 95% interval" in result.output
    assert (out / "sweep.png").read_bytes()[:8] == PNG_MAGIC
    df = pq.read_table(out / "sweep.parquet").to_pandas()
    assert list(df.columns) == [COST, *WAR] and len(df) == 6
