"""The smp model (`sim run --model smp`): KTAB's spatial model of politics over all of a
scenario's issues as one space.

A run of KTAB's reference input writes its files and reproduces KTAB's reference log; a
KTAB XML's model parameters are the run's defaults and an explicit option overrides them;
issues on any scale are mapped to [0, 1] for the kernel and back; red lines clip; the
forecasts in summary.json are the weighted mean and the probability-weighted position of
the final state as the files give it; a bad --dims is exit 2 naming it; Stochastic
transitions with a seed give the same bytes twice.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.kernels import smp as kernel
from tests.test_smp_reference import parse_ktab_log, read_ktab_csv

DATA = Path(__file__).parent / "data" / "ktab"
CSV = DATA / "dummyData_3Dim.csv"
XML = DATA / "dummyData_3Dim.xml"
LOG = DATA / "20170530_ref-dummyData_3Dim.txt"
FILES = {
    "rounds.csv",
    "probabilities.csv",
    "bargains.csv",
    "summary.json",
    "positions.png",
    "paths.png",
    "probabilities.png",
}
DEFAULTS = {name: values[0] for name, values in kernel.OPTIONS.items()}


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("smp") / "out"
    assert main(["run", str(CSV), "--model", "smp", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def ktab():
    return parse_ktab_log(LOG)


def test_reference_run_writes_its_files(reference_out):
    assert {p.name for p in reference_out.iterdir() if p.name != ".sim"} == FILES


def test_reference_run_matches_ktab_positions_and_probabilities(reference_out, ktab):
    """11 states; every position within 0.05 of KTAB's printed history, every winning
    probability within 5e-5."""
    names = read_ktab_csv(CSV)[0]
    rounds = pd.read_csv(reference_out / "rounds.csv")
    assert sorted(rounds["round"].unique()) == list(range(ktab["n_states"]))
    assert ktab["n_states"] == 11
    pos = rounds.set_index(["round", "issue", "actor"])["position"]
    checked = 0
    for (actor, dim), values in ktab["history_pos"].items():
        for t, value in enumerate(values):
            assert abs(pos[(t, dim, actor)] - value) <= 0.05 + 1e-9, (actor, dim, t)
            checked += 1
    assert checked == 11 * 7 * 3
    probs = pd.read_csv(reference_out / "probabilities.csv")
    assert list(probs.columns) == ["round", "actor", "probability"]
    p = probs.set_index(["round", "actor"])["probability"]
    assert len(p) == 11 * 7
    for actor in names:
        for t, value in enumerate(ktab["history_prob"][actor]):
            assert abs(p[(t, actor)] - value) <= 5e-5 + 1e-12, (actor, t)


def _representatives(x, tol=1e-3):
    """The first actor of each class of positions closer than ``tol`` (rows of x)."""
    reps = []
    for i, row in enumerate(x):
        if all(math.dist(row, x[r]) >= tol for r in reps):
            reps.append(i)
    return reps


def test_summary_forecasts_are_the_final_states_weighted_mean_and_probability_weighted_position(
    reference_out,
):
    names, cap, _, sal = read_ktab_csv(CSV)
    summary = json.loads((reference_out / "summary.json").read_text())
    assert summary["states"] == 11 and summary["stopped"] == "converged"
    rounds = pd.read_csv(reference_out / "rounds.csv")
    last = rounds[rounds["round"] == rounds["round"].max()]
    final = last.pivot(index="actor", columns="issue", values="position").loc[names]
    probs = pd.read_csv(reference_out / "probabilities.csv")
    p = probs[probs["round"] == probs["round"].max()].set_index("actor")["probability"][names]
    dims = list(final.columns)
    reps = _representatives(final.to_numpy() / 100.0)
    for d, dim in enumerate(sorted(dims, key=lambda s: int(s[-1]))):
        w = np.array([c * s[d] / 100.0 for c, s in zip(cap, sal, strict=True)])
        x = final[dim].to_numpy()
        compromise = float((w * x).sum() / w.sum())
        pr = p.to_numpy()[reps]
        weighted = float((pr * x[reps]).sum() / pr.sum())
        assert summary["forecast"][dim]["compromise"] == pytest.approx(compromise, abs=1e-9)
        assert summary["forecast"][dim]["probability"] == pytest.approx(weighted, abs=1e-9)
    assert summary["parameters"] == DEFAULTS


def _with_parameters(text: str, **values) -> str:
    """KTAB's XML with a ``ModelParameters`` block (the schema's spellings)."""
    given = {
        "VictoryProbModel": "Linear",
        "PCEModel": "Conditional",
        "StateTransitions": "Deterministic",
        "VotingRule": "Proportional",
        "BigRAdjust": "OneThird",
        "BigRRange": "Mid",
        "ThirdPartyCommit": "SemiCommit",
        "InterVecBrgn": "S2P2",
        "BargnModel": "InitOnlyInterp",
        **values,
    }
    block = "<ModelParameters>" + "".join(f"<{k}>{v}</{k}>" for k, v in given.items())
    block += "</ModelParameters>"
    return text.replace("<Dimensions>", block + "<Dimensions>", 1)


def _kernel_on(scenario, **options):
    """The kernel called directly on the scenario's arrays mapped to [0, 1] by hand."""
    a = scenario.arrays()
    lo, hi = a.scale_lo[:, None], a.scale_hi[:, None]
    sal = a.salience.T.copy()
    factor = max(1.0, sal.sum(axis=1).max())
    return kernel.simulate(
        a.capability,
        ((a.position - lo) / (hi - lo)).T,
        sal / factor,
        ((a.red_lo - lo) / (hi - lo)).T,
        ((a.red_hi - lo) / (hi - lo)).T,
        options={**DEFAULTS, **options},
        max_states=kernel.MAX_STATES,
    )


def _same_run(result, direct):
    """The run's trajectory is the kernel's, mapped back to the issues' scales."""
    a = result.scenario.arrays()
    lo, width = a.scale_lo[None, :, None], (a.scale_hi - a.scale_lo)[None, :, None]
    want = lo + np.transpose(direct.positions, (0, 2, 1)) * width
    got = result.trajectory.positions
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(result.trajectory.probabilities, direct.probabilities)


def test_ktab_xml_parameters_are_the_runs_and_an_option_overrides_them(tmp_path):
    xml = tmp_path / "params.xml"
    text = XML.read_text(encoding="utf-8-sig")
    xml.write_text(
        _with_parameters(text, VotingRule="PropCbc", PCEModel="MarkovIncentive", BigRAdjust="No"),
        encoding="utf-8",
    )
    res = sim.run(str(xml), model="smp")
    s = res.summary()
    assert s["parameters"]["vote_rule"] == "PropCbc"
    assert s["parameters"]["pce"] == "MarkovIncentive"
    assert s["parameters"]["big_r_adjust"] == "None"  # the schema's No is the program's None
    assert s["parameters_from"].startswith("scenario file")
    file_options = {"vote_rule": "PropCbc", "pce": "MarkovIncentive", "big_r_adjust": "None"}
    _same_run(res, _kernel_on(res.scenario, **file_options))
    # an explicit option overrides the file's; the other file values stay
    over = sim.run(str(xml), model="smp", params={"vote_rule": "Binary"})
    assert over.summary()["parameters"]["vote_rule"] == "Binary"
    assert over.summary()["parameters"]["pce"] == "MarkovIncentive"
    _same_run(over, _kernel_on(over.scenario, **{**file_options, "vote_rule": "Binary"}))
    assert not np.array_equal(over.trajectory.probabilities[0], res.trajectory.probabilities[0])


SCALED = """
[scenario]
name = "Two issues off 0-100"

[[issues]]
id = "tariff"
scale = [-10, 30]

[[issues]]
id = "budget"
scale = [1000, 2000]

[actors.A]
capability = 3.0
position = { tariff = -10, budget = 1100 }
salience = { tariff = 0.6, budget = 0.3 }
{red}

[actors.B]
capability = 2.0
position = { tariff = 25, budget = 1900 }
salience = { tariff = 0.4, budget = 0.5 }

[actors.C]
capability = 1.5
position = { tariff = 10, budget = 1500 }
salience = { tariff = 0.2, budget = 0.7 }

[actors.D]
capability = 1.0
position = { tariff = 30, budget = 1200 }
salience = { tariff = {sal}, budget = 0.9 }
"""


def _scaled(tmp_path, red: str = "", sal: str = "0.1"):
    path = tmp_path / f"scaled{len(red)}{sal}.toml"
    path.write_text(SCALED.replace("{red}", red).replace("{sal}", sal), encoding="utf-8")
    return path


def test_issues_off_0_100_are_mapped_to_the_unit_interval_and_back(tmp_path):
    res = sim.run(str(_scaled(tmp_path)), model="smp")
    assert res.trajectory.rounds >= 1
    assert res.trajectory.salience_factor == 1.0
    _same_run(res, _kernel_on(res.scenario))
    # saliences summing above 1 (D: 0.9 + 0.9) are divided by the largest total
    res = sim.run(str(_scaled(tmp_path, sal="0.9")), model="smp")
    assert res.trajectory.salience_factor == pytest.approx(1.8)
    _same_run(res, _kernel_on(res.scenario))


def test_red_lines_clip_positions(tmp_path):
    free = sim.run(str(_scaled(tmp_path)), model="smp").trajectory.positions
    # A starts at tariff -10 and moves up without a red line
    assert free[:, 0, 0].max() > -7.0
    red = "red_line = { tariff = [-10, -7] }"
    res = sim.run(str(_scaled(tmp_path, red=red)), model="smp")
    pos = res.trajectory.positions
    assert pos[:, 0, 0].max() <= -7.0 + 1e-9
    assert pos[:, 0, 0].max() == pytest.approx(-7.0)  # it presses against the line
    _same_run(res, _kernel_on(res.scenario))


def test_bad_dims_is_exit_2_naming_the_issue(tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["run", str(CSV), "--model", "smp", "--dims", "Pstn1,Nowhere", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Nowhere" in err and "dims" in err and "Traceback" not in err
    assert not out.exists()


def test_dims_choose_the_plane_of_the_paths_figure(tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(["run", str(CSV), "--model", "smp", "--dims", "Pstn3,Pstn1", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    res = sim.run(str(CSV), model="smp", params={"dims": "Pstn3,Pstn1"})
    fig = sim.plot.FIGURES["smp_paths"](res)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("Pstn3") and ax.get_ylabel().startswith("Pstn1")
    sim.plot.close(fig)
    assert (out / "paths.png").read_bytes() != b""


def test_one_issue_has_no_paths_figure():
    res = sim.run("ec_example_scholz2011", model="smp", rounds=2)
    names = [name for name, _ in res.outputs()]
    assert "paths.png" not in names and "probabilities.png" in names
    with pytest.raises(ValueError, match="dims"):
        sim.run("ec_example_scholz2011", model="smp", params={"dims": "a,b"})


def test_stochastic_with_a_seed_gives_the_same_bytes_twice(tmp_path, capsys):
    def run(seed, name):
        out = tmp_path / name
        argv = ["run", str(CSV), "--model", "smp", "--transitions", "Stochastic"]
        assert main([*argv, "--seed", str(seed), "--rounds", "6", "--out", str(out)]) == 0
        capsys.readouterr()
        return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    first, again, other = run(7, "a"), run(7, "b"), run(8, "c")
    assert set(first) == FILES
    assert first == again
    assert first["rounds.csv"] != other["rounds.csv"]
    assert json.loads(first["summary.json"])["parameters"]["seed"] == 7
