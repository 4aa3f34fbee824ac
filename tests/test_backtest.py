"""sim backtest: forecasts against recorded outcomes, on DEU data and on scenarios."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.backtesting import BacktestError, parse_models, score
from sim.cli import main
from sim.models import MODELS

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "data" / "deu3_dev.tsv"
FORECAST_COLUMNS = ["case", "issue", "model", "forecast", "outcome", "error"]
SCORE_COLUMNS = [
    "model", "n", "mae", "mae_low", "mae_high", "rmse", "median_abs_error", "hit_rate",
    "better_than_compromise",
]  # fmt: skip


def _raw_rows(path: Path):
    """The dev file read with the csv module alone: header, capability row, data rows."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return rows[0], rows[1], rows[2:]


def _reference_compromise(path: Path) -> dict[str, tuple[float, float]]:
    """Per issue: sum(c s x) / sum(c s) from the raw cells (an empty salience is 50), and
    the recorded outcome."""
    header, caps, rows = _raw_rows(path)
    col = {h: k for k, h in enumerate(header)}
    actors = [h[1:] for h in header if h.startswith("p") and "s" + h[1:] in col]
    out = {}
    for r in rows:
        num = den = 0.0
        for a in actors:
            x = r[col["p" + a]].strip()
            if not x:
                continue
            s = r[col["s" + a]].strip()
            w = float(caps[col["p" + a]]) * (float(s) if s else 50.0)
            num += w * float(x)
            den += w
        o = r[col["out"]].strip()
        out[r[col["isnr"]]] = (num / den, float(o) if o else math.nan)
    return out


@pytest.fixture(scope="module")
def dev_result():
    return sim.backtest(DEV, models="compromise,median,eum", resamples=400)


def test_the_compromise_baseline_is_the_weighted_mean_on_every_issue(dev_result):
    ref = _reference_compromise(DEV)
    f = dev_result.forecasts
    comp = f[f.model == "compromise"].set_index("issue")
    assert len(comp) == len(ref) == 225
    for iid, (mean, outcome) in ref.items():
        assert comp.loc[iid, "forecast"] == pytest.approx(mean, rel=1e-12, abs=1e-9)
        if math.isnan(outcome):
            assert math.isnan(comp.loc[iid, "outcome"])
        else:
            assert comp.loc[iid, "outcome"] == outcome


def test_scores_follow_from_the_forecasts(dev_result):
    f, s = dev_result.forecasts, dev_result.scores.set_index("model")
    base = f[f.model == "compromise"].set_index("issue")
    for model in ("compromise", "median", "eum.compromise", "eum.median"):
        rows = f[(f.model == model) & f.outcome.notna()].set_index("issue")
        e = (rows.forecast - rows.outcome).abs()
        assert s.loc[model, "n"] == len(rows) == 222
        assert s.loc[model, "mae"] == pytest.approx(e.mean(), rel=1e-12)
        assert s.loc[model, "rmse"] == pytest.approx(math.sqrt((e**2).mean()), rel=1e-12)
        assert s.loc[model, "median_abs_error"] == pytest.approx(e.median())
        assert s.loc[model, "hit_rate"] == pytest.approx((e <= 10).mean())
        be = (base.loc[rows.index, "forecast"] - rows.outcome).abs()
        assert s.loc[model, "better_than_compromise"] == pytest.approx((e < be).mean())
        assert s.loc[model, "mae_low"] < s.loc[model, "mae"] < s.loc[model, "mae_high"]
    # best first
    assert list(dev_result.scores.mae) == sorted(dev_result.scores.mae)


def test_the_expected_utility_forecasts_are_single_runs_batched(dev_result):
    """A DEU issue's eum forecast equals sim.run's on the same issue as a scenario."""
    from sim.backtesting import _issue_scenario
    from sim.scenario.deu import read_deu

    data = read_deu(DEV)
    f = dev_result.forecasts.set_index(["issue", "model"])
    for issue in data.issues[::37]:
        sc = _issue_scenario(issue)
        fc = sim.run(sc, model="eum", driver="kernel").forecast()
        assert f.loc[(issue.issue, "eum.compromise"), "forecast"] == fc["compromise"].iloc[0]
        assert f.loc[(issue.issue, "eum.median"), "forecast"] == fc["median"].iloc[0]


def test_bootstrap_intervals_are_seeded_paired_and_per_model():
    rng = np.random.default_rng(5)
    outcome = rng.uniform(0, 100, 80)
    width = np.full(80, 100.0)
    fc = {"compromise": outcome + rng.normal(0, 10, 80), "other": outcome + rng.normal(0, 20, 80)}
    fc["same"] = fc["other"].copy()
    a, pa = score(fc, outcome, width, seed=1, resamples=500)
    b, _ = score(fc, outcome, width, seed=1, resamples=500)
    c, _ = score(fc, outcome, width, seed=2, resamples=500)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a.mae_low, c.mae_low)
    t = a.set_index("model")
    # identical forecasts under two names: identical intervals
    assert t.loc["same", "mae_low"] == t.loc["other", "mae_low"]
    # a model's interval does not depend on which other models are scored
    alone, _ = score({"other": fc["other"]}, outcome, width, seed=1, resamples=500)
    assert alone.mae_low.iloc[0] == t.loc["other", "mae_low"]
    # the interval is the 2.5-97.5% range of resampled means (a slow reference)
    e = np.abs(fc["other"] - outcome)
    boot = np.random.default_rng(np.random.SeedSequence(1, spawn_key=(0x626F6F74,)))
    means = [e[boot.integers(0, 80, size=(100, 80))].mean(axis=1) for _ in range(5)]
    lo, hi = np.percentile(np.concatenate(means), [2.5, 97.5])
    assert (t.loc["other", "mae_low"], t.loc["other", "mae_high"]) == pytest.approx((lo, hi))
    # the paired difference is the mean of the per-issue differences
    d = np.abs(fc["other"] - outcome) - np.abs(fc["compromise"] - outcome)
    assert pa["other"]["mae_difference"] == pytest.approx(d.mean())
    assert pa["other"]["low"] < d.mean() < pa["other"]["high"]


def test_a_model_without_some_forecasts_is_scored_on_the_rest():
    outcome = np.array([10.0, 20.0, 30.0, np.nan])
    f = {
        "compromise": np.array([12.0, 20.0, 36.0, 5.0]),
        "gap": np.array([10.0, np.nan, 33.0, 1.0]),
    }
    t, paired = score(f, outcome, np.full(4, 100.0), seed=0, resamples=200)
    t = t.set_index("model")
    assert t.loc["gap", "n"] == 2 and t.loc["gap", "mae"] == pytest.approx(1.5)
    assert t.loc["gap", "better_than_compromise"] == pytest.approx(1.0)
    assert paired["gap"]["n"] == 2 and paired["gap"]["mae_difference"] == pytest.approx(-2.5)


def test_backtest_writes_the_five_files(tmp_path):
    out = tmp_path / "bt"
    assert main(["backtest", str(DEV), "--models", "compromise,median", "--out", str(out)]) == 0
    for name in ("forecasts.csv", "scores.csv", "summary.json", "errors.png", "calibration.png"):
        assert (out / name).stat().st_size > 0, name
    f = pd.read_csv(out / "forecasts.csv")
    assert list(f.columns) == FORECAST_COLUMNS
    s = pd.read_csv(out / "scores.csv")
    assert list(s.columns) == SCORE_COLUMNS
    summary = json.loads((out / "summary.json").read_text())
    import hashlib

    assert summary["sha256"] == hashlib.sha256(DEV.read_bytes()).hexdigest()
    assert summary["issues_scored"] == 222
    assert summary["capability"] == "file"
    assert {"compromise", "median"} <= set(summary["paired_difference_from_compromise"])


def test_a_file_without_outcomes_still_gives_forecasts(tmp_path):
    header, caps, rows = _raw_rows(DEV)
    k = header.index("out")
    blank = tmp_path / "no_out.tsv"
    with blank.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        w.writerow(caps)
        for r in rows:
            w.writerow([*r[:k], "", *r[k + 1 :]])
    out = tmp_path / "bt"
    assert main(["backtest", str(blank), "--models", "compromise", "--out", str(out)]) == 0
    f = pd.read_csv(out / "forecasts.csv", keep_default_na=False)
    assert len(f) == len(rows)
    assert (f.outcome == "").all() and (f.error == "").all()
    assert (f.forecast != "").all()


def test_same_seed_same_bytes(tmp_path):
    args = ["backtest", str(DEV), "--models", "compromise,median"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("forecasts.csv", "scores.csv", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_capability_equal_gives_the_salience_weighted_mean():
    res = sim.backtest(DEV, models="compromise", capability="equal", resamples=100)
    header, _, rows = _raw_rows(DEV)
    col = {h: k for k, h in enumerate(header)}
    r = rows[0]
    actors = [h[1:] for h in header if h.startswith("p") and "s" + h[1:] in col]
    xs = [(float(r[col["p" + a]]), float(r[col["s" + a]] or 50)) for a in actors if r[col["p" + a]]]
    want = sum(x * s for x, s in xs) / sum(s for _, s in xs)
    f = res.forecasts
    got = f[(f.model == "compromise") & (f.issue == r[col["isnr"]])].forecast.iloc[0]
    assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "models, fragment",
    [
        ("nosuch", "unknown model 'nosuch'"),
        ("compromise[nosuch=1]", "no parameter 'nosuch'"),
        ("eum[rounds=x]", "expected a whole number"),
        ("eum[Q=2]", "expected a number in [0, 1]"),
        ("compromise,compromise", "named twice"),
        ("eum[rounds=3", "expected MODEL[param=value"),
        ("", "empty model name"),
    ],
)
def test_bad_models_are_exit_2(models, fragment, tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["backtest", str(DEV), "--models", models, "--out", str(out)]) == 2
    assert fragment in capsys.readouterr().err
    assert not out.exists()


def test_variants_are_named_by_their_values():
    vs = parse_models("eum[rounds=3],compromise")
    assert [v.label for v in vs] == ["eum[rounds=3]", "compromise"]
    assert vs[0].names == ("eum[rounds=3].compromise", "eum[rounds=3].median")
    with pytest.raises(BacktestError):
        parse_models("eum[rounds=-1]")


def test_a_round_limit_variant_forecasts_the_state_after_those_rounds():
    res = sim.backtest(DEV, models="eum[rounds=1]", resamples=100)
    from sim.backtesting import _issue_scenario
    from sim.scenario.deu import read_deu

    issue = read_deu(DEV).issues[3]
    traj = sim.run(_issue_scenario(issue), model="eum", rounds=1, driver="kernel")
    f = res.forecasts.set_index(["issue", "model"])
    assert f.loc[(issue.issue, "eum[rounds=1].compromise"), "forecast"] == pytest.approx(
        traj.forecast()["compromise"].iloc[0], rel=1e-15
    )


def test_folds_keep_a_proposal_together_and_choose_on_training_data():
    from sim.backtesting import Case, _folds_of

    cases = tuple(
        Case(
            case=f"p{k // 3}",
            source="",
            issue_ids=("a", "b"),
            width=np.ones(2),
            outcome=np.zeros(2),
            arrays=None,
        )  # fmt: skip
        for k in range(30)
    )
    folds = _folds_of(cases, 4, seed=0)
    by_case: dict = {}
    ids = [c.case for c in cases for _ in c.issue_ids]
    for case_id, f in zip(ids, folds, strict=True):
        by_case.setdefault(case_id, set()).add(int(f))
    assert all(len(v) == 1 for v in by_case.values())
    assert set(folds) == {0, 1, 2, 3}


def test_unreadable_dataset_is_exit_2_naming_it(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    header, caps, rows = _raw_rows(DEV)
    k = header.index("pfr")
    row = list(rows[0])
    row[k] = "abc"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerows([header, caps, row])
    out = tmp_path / "bt"
    assert main(["backtest", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.tsv" in err and "pfr" in err
    assert not out.exists()
    assert main(["backtest", str(tmp_path / "missing.tsv")]) == 2


def test_cross_validation_fits_each_model_once_and_scores_held_out_cases():
    res = sim.backtest(
        DEV, models="compromise,compromise[salience_power=2]", folds=3, resamples=100
    )
    cv = res.summary()["cross_validation"]
    assert list(cv) == ["compromise"]  # the variant's powers are the grid's: one fit
    folds = res.folds
    assert sorted(folds.fold.unique()) == [0, 1, 2]
    assert folds.n_test.sum() == cv["compromise"]["n"] == 222
    # each fold's choice is the grid point with the smallest training error (slow reference)
    from sim.backtesting import _folds_of, load_dataset

    data = load_dataset(DEV)
    fold_of = _folds_of(data.cases, 3, seed=0)
    outcome = np.concatenate([c.outcome for c in data.cases])
    for row in folds.itertuples():
        train = (fold_of != row.fold) & ~np.isnan(outcome)
        best = math.inf
        for a in (0.0, 0.5, 1.0, 1.5, 2.0):
            for b in (0.0, 0.5, 1.0):
                g = sim.backtest(
                    DEV, models=f"compromise[salience_power={a},capability_power={b}]",
                    resamples=10,
                ).forecasts  # fmt: skip
                g = g[g.model.str.startswith("compromise[")].forecast.to_numpy()
                best = min(best, float(np.mean(np.abs(g - outcome)[train])))
        assert row.train_mae == pytest.approx(best, rel=1e-12)
        break  # one fold is enough for the reference


def test_scenarios_folder_scores_every_case_with_an_outcome_and_the_war_probability(tmp_path):
    res = sim.backtest(ROOT / "scenarios", models="compromise,crisis", war_runs=200, resamples=100)
    s = res.summary()
    cases = set(res.forecasts.case)
    assert "nato_russia_2022" in cases and len(cases) >= 5
    assert {Path(d["source"]).name for d in s["files_skipped"]} >= {"ec_example_scholz2011.csv"}
    war = res.war.set_index("case")
    assert "nato_russia_2022" in war.index
    p = sim.ensemble(ROOT / "scenarios" / "nato_russia_2022.toml", runs=200, seed=0,
                     model="crisis", progress=False).summary()["p_war"]  # fmt: skip
    assert war.loc["nato_russia_2022", "p_war"] == p
    assert war.loc["nato_russia_2022", "brier"] == pytest.approx((p - 1.0) ** 2)
    assert s["war"]["brier"]["crisis"]["brier"] == pytest.approx(war.brier.mean())


@pytest.mark.parametrize("name", [n for n, m in MODELS.items() if m.arrays_forecasts])
def test_every_arrays_model_forecasts_in_a_batch_what_its_run_forecasts(name):
    """The backtest's batched path and a single run agree bit for bit, on every shipped
    scenario the model takes, one problem at a time and all together."""
    from sim.scenario import load_scenario, shipped_scenarios

    model = MODELS[name]
    scenarios = [load_scenario(p) for p in shipped_scenarios().values()]
    batch = model.point_forecasts([s.arrays() for s in scenarios], model.Params())
    for sc, got in zip(scenarios, batch, strict=True):
        fc = sim.run(sc, model=name, driver="kernel").forecast()
        for kind in model.forecast_kinds:
            assert got[kind].tolist() == fc[kind].tolist(), (sc.name, kind)


def test_default_models_are_those_that_forecast_the_data():
    from sim.backtesting import default_variants, load_dataset

    deu = [v.label for v in default_variants(load_dataset(DEV).cases)]
    assert deu == ["eum", "compromise", "median", "nbs", "condorcet", "smp", "exchange"]
    cases = load_dataset(ROOT / "scenarios").cases
    labels = [v.label for v in default_variants(cases)]
    kinds = {"eum", "compromise", "median", "nbs", "alternating", "crisis", "condorcet", "smp"}
    assert kinds | {"exchange"} == set(labels)


def test_a_model_with_forecasts_on_some_issues_is_compared_on_those():
    res = sim.backtest(DEV, models="nbs", resamples=200)
    f = res.forecasts
    nbs = f[(f.model == "nbs") & f.error.notna()].set_index("issue")
    comp = f[f.model == "compromise"].set_index("issue").loc[nbs.index]
    d = res.summary()["paired_difference_from_compromise"]["nbs"]
    assert 0 < d["n"] == len(nbs) < 222
    assert d["mae_difference"] == pytest.approx((nbs.error - comp.error).mean())
    assert any(line.startswith(f"nbs forecasts {d['n']} of 222 issues") for line in res.lines())
