"""sim backtest runs a DEU proposal's issues together for models that trade across issues."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.backtesting import (
    ABSENT_SALIENCE,
    default_variants,
    forecast,
    load_dataset,
    make_variant,
    proposal_scenario,
)
from sim.cli import main
from sim.kernels import exchange as exchange_kernel
from sim.models import MODELS
from sim.scenario import validate_raw

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "data" / "deu3_dev.tsv"

# Two proposals, their rows interleaved: P1 has two issues (DE has no position on the
# second), P2 one. Capabilities: COM 1, EP 1, FR 2, DE 2.
ROWS = [
    ["prnr", "isnr", "prname", "pcom", "scom", "pep", "sep", "pfr", "sfr", "pde", "sde", "rp",
     "out"],
    ["", "", "", "1", "", "1", "", "2", "", "2", "", "", ""],
    ["P1", "P1i1", "a", "0", "80", "100", "20", "20", "70", "80", "40", "50", "40"],
    ["P2", "P2i1", "b", "10", "50", "90", "50", "", "", "40", "50", "0", "30"],
    ["P1", "P1i2", "a", "100", "20", "0", "80", "90", "30", "", "", "", "60"],
]  # fmt: skip


@pytest.fixture
def deu_file(tmp_path: Path) -> Path:
    path = tmp_path / "two.tsv"
    path.write_text("\n".join("\t".join(r) for r in ROWS) + "\n", encoding="utf-8")
    return path


def _hand_p1():
    """Proposal P1 written out by hand: DE, with no position on P1i2, sits at P1i2's
    capability-and-salience weighted mean of the others, (1*.2*100 + 1*.8*0 + 2*.3*90) /
    (1*.2 + 1*.8 + 2*.3) = 46.25, with the absent salience and a red line at that point."""
    mean = (1 * 0.2 * 100 + 1 * 0.8 * 0 + 2 * 0.3 * 90) / (1 * 0.2 + 1 * 0.8 + 2 * 0.3)
    raw = {
        "scenario": {"name": "P1 by hand"},
        "issues": [
            {"id": "P1i1", "scale": [0.0, 100.0], "status_quo": 50.0},
            {"id": "P1i2", "scale": [0.0, 100.0]},
        ],
        "actors": {
            "COM": {"capability": 1.0, "position": {"P1i1": 0.0, "P1i2": 100.0},
                    "salience": {"P1i1": 0.8, "P1i2": 0.2}},
            "EP": {"capability": 1.0, "position": {"P1i1": 100.0, "P1i2": 0.0},
                   "salience": {"P1i1": 0.2, "P1i2": 0.8}},
            "FR": {"capability": 2.0, "position": {"P1i1": 20.0, "P1i2": 90.0},
                   "salience": {"P1i1": 0.7, "P1i2": 0.3}},
            "DE": {"capability": 2.0, "position": {"P1i1": 80.0, "P1i2": mean},
                   "salience": {"P1i1": 0.4, "P1i2": ABSENT_SALIENCE},
                   "red_line": {"P1i2": [mean, mean]}},
        },
    }  # fmt: skip
    return validate_raw(raw, "P1 by hand")


def _by_issue(cases, column) -> dict[str, float]:
    ids = [iid for c in cases for iid in c.issue_ids]
    return dict(zip(ids, column.tolist(), strict=True))


def test_exchange_forecasts_a_proposals_issues_from_one_run(deu_file):
    """The exchange forecast of a two-issue proposal (rows not adjacent in the file) is the
    model's forecast on a hand-built two-issue scenario of the same data, and trades moved it."""
    cases = load_dataset(deu_file).cases
    fc, _ = forecast([make_variant("exchange", {})], cases)
    got = _by_issue(cases, fc["exchange"])
    model = MODELS["exchange"]
    want = model.scenario_forecasts(_hand_p1(), model.Params())["outcome"]
    assert got["P1i1"] == pytest.approx(want["P1i1"], abs=1e-12)
    assert got["P1i2"] == pytest.approx(want["P1i2"], abs=1e-12)
    start = model.scenario_forecasts(_hand_p1(), model.Params(), rounds=0)["outcome"]
    assert abs(got["P1i1"] - start["P1i1"]) > 1.0  # exchanges were made
    assert math.isnan(got["P2i1"])  # a one-issue proposal


def test_the_proposal_scenario_places_an_absent_actor_at_the_weighted_mean(deu_file):
    """An actor without a position on an issue of the proposal: at the others' weighted mean,
    next to no salience, held there by a red line; its other issue as the file says."""
    cases = load_dataset(deu_file).cases
    sc = proposal_scenario([cases[0].deu, cases[2].deu])
    hand = _hand_p1()
    assert sc.actor_ids == hand.actor_ids and sc.issue_ids == hand.issue_ids
    for aid in hand.actor_ids:
        a, h = sc.actors[aid], hand.actors[aid]
        assert a.capability == h.capability
        for iid in hand.issue_ids:
            assert a.position[iid] == pytest.approx(h.position[iid], abs=1e-12)
            assert a.salience[iid] == pytest.approx(h.salience[iid], abs=1e-15)
        assert set(a.red_line) == set(h.red_line)
        for iid, (lo, hi) in h.red_line.items():
            assert a.red_line[iid] == pytest.approx((lo, hi), abs=1e-12)
    assert hand.issues[0].status_quo == sc.issues[0].status_quo


def test_an_absent_actor_makes_no_exchange_on_the_issue_it_has_no_position_on(deu_file):
    """DE states no position on P1i2: it may not give way on its own issue for movement on
    one it has no stake in (as a salience of 0 would let it), while the others trade."""
    cases = load_dataset(deu_file).cases
    sc = proposal_scenario([cases[0].deu, cases[2].deu])
    de = sc.actor_ids.index("DE")
    t = MODELS["exchange"].run(sc, MODELS["exchange"].Params())
    a = sc.arrays()  # the float64 kernel as well (DEU scales are already 0-100)
    m, n = a.position.shape
    power = np.ascontiguousarray(np.broadcast_to(a.capability, (m, n)))
    out = exchange_kernel.simulate(
        a.position.copy(), a.salience.copy(), power, a.red_lo.copy(), a.red_hi.copy(), 10
    )
    for ex in (t.ex_int, out["ex_int"]):
        assert len(ex) > 0
        assert not np.any((ex[:, 1] == de) | (ex[:, 2] == de))


def _dev_proposals() -> Counter:
    """Issues per proposal of the dev split, from the raw file (csv module alone)."""
    with DEV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    col = rows[0].index("prnr")
    return Counter(r[col] for r in rows[2:] if r and r[col].strip())


@pytest.fixture(scope="module")
def dev_joint():
    cases = load_dataset(DEV).cases
    variants = [make_variant("compromise", {}), make_variant("exchange", {"rounds": 0})]
    fc, left_out = forecast(variants, cases)
    return cases, fc, left_out


def test_zero_rounds_of_exchange_are_the_compromise_on_every_joint_issue(dev_joint):
    """Before any trade the exchange model's expected outcome is the capability-and-salience
    weighted mean: the proposal's absent actors do not move it off the compromise."""
    cases, fc, _ = dev_joint
    per = _dev_proposals()
    multi = np.array([per[c.case] >= 2 for c in cases])
    ex, comp = fc["exchange[rounds=0]"], fc["compromise"]
    assert multi.sum() == sum(n for n in per.values() if n >= 2) > 100
    assert not np.isnan(ex[multi]).any()
    assert np.max(np.abs(ex[multi] - comp[multi])) < 1e-6


def test_one_issue_proposals_are_left_out_with_the_reason(dev_joint):
    """Exchange gives no forecast on exactly the proposals with one issue, once each, saying
    it needs two or more issues."""
    cases, fc, left_out = dev_joint
    per = _dev_proposals()
    single = {p for p, n in per.items() if n == 1}
    mine = [r for r in left_out if r["model"] == "exchange[rounds=0]"]
    assert sorted(r["case"] for r in mine) == sorted(single) and len(single) > 0
    assert all("two or more issues" in r["why"] for r in mine)
    ex = fc["exchange[rounds=0]"]
    assert [math.isnan(v) for v in ex] == [c.case in single for c in cases]


def test_default_models_include_exchange_on_deu_data_with_several_issues(deu_file, tmp_path):
    """The default model set on DEU data includes exchange when a proposal has two issues,
    and not when every proposal has one."""
    assert "exchange" in [v.label for v in default_variants(load_dataset(DEV).cases)]
    assert "exchange" in [v.label for v in default_variants(load_dataset(deu_file).cases)]
    single = tmp_path / "single.tsv"
    single.write_text("\n".join("\t".join(r) for r in ROWS[:4]) + "\n", encoding="utf-8")
    labels = [v.label for v in default_variants(load_dataset(single).cases)]
    assert "exchange" not in labels and "compromise" in labels


def test_a_one_issue_model_still_runs_each_issue_alone(deu_file, monkeypatch):
    """Models that do not trade across issues get one run per DEU issue, as before."""
    cases = load_dataset(deu_file).cases
    seen_nbs, seen_comp = [], []
    nbs, comp = MODELS["nbs"], MODELS["compromise"]
    real_nbs, real_comp = nbs.scenario_forecasts, comp.point_forecasts

    def spy_nbs(scenario, params, rounds=None):
        seen_nbs.append(len(scenario.issue_ids))
        return real_nbs(scenario, params, rounds)

    def spy_comp(problems, params, rounds=None):
        seen_comp.extend(len(p.issue_ids) for p in problems)
        return real_comp(problems, params, rounds)

    monkeypatch.setattr(nbs, "scenario_forecasts", spy_nbs)
    monkeypatch.setattr(comp, "point_forecasts", spy_comp)
    forecast([make_variant("nbs", {}), make_variant("compromise", {})], cases)
    assert seen_nbs == [1, 1, 1] and seen_comp == [1, 1, 1]


def test_smp_runs_a_proposals_issues_as_one_space(deu_file):
    """The spatial model forecasts a proposal's issues from one run over all of them, not
    one run per issue."""
    cases = load_dataset(deu_file).cases
    fc, left_out = forecast([make_variant("smp", {})], cases)
    got = _by_issue(cases, fc["smp.compromise"])
    model = MODELS["smp"]
    joint = model.point_forecasts([_hand_p1().arrays()], model.Params())[0]["compromise"]
    alone = model.point_forecasts([c.arrays for c in cases], model.Params())
    assert left_out == []
    assert [got["P1i1"], got["P1i2"]] == pytest.approx(joint.tolist(), abs=1e-6)
    assert got["P2i1"] == alone[1]["compromise"][0]  # one issue: as before
    assert abs(got["P1i1"] - alone[0]["compromise"][0]) > 1e-3


def test_backtest_command_writes_the_same_tables_with_joint_runs(deu_file, tmp_path):
    """`sim backtest --models compromise,exchange`: forecasts.csv and scores.csv keep their
    columns, the one-issue proposal is listed as not forecast, and a rerun is byte-identical."""
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        code = main(["backtest", str(deu_file), "--models", "compromise,exchange",
                     "--out", str(out)])  # fmt: skip
        assert code == 0
    f = pd.read_csv(outs[0] / "forecasts.csv")
    assert list(f.columns) == ["case", "issue", "model", "forecast", "outcome", "error"]
    ex = f[f.model == "exchange"].set_index("issue")
    assert ex.forecast.notna().to_dict() == {"P1i1": True, "P2i1": False, "P1i2": True}
    scores = pd.read_csv(outs[0] / "scores.csv")
    assert list(scores.columns) == [
        "model", "n", "mae", "mae_low", "mae_high", "rmse", "median_abs_error", "hit_rate",
        "better_than_compromise",
    ]  # fmt: skip
    assert dict(zip(scores.model, scores.n, strict=True)) == {"compromise": 3, "exchange": 2}
    summary = json.loads((outs[0] / "summary.json").read_text())
    assert [(r["model"], r["case"]) for r in summary["not_forecast"]] == [("exchange", "P2")]
    for name in ("forecasts.csv", "scores.csv", "summary.json"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
