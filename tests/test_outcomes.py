"""Recorded outcomes: the `[outcome]` section of the shipped historical cases and its checks.

Every shipped scenario with an outcome loads, and its outcome names known issues inside
their scales; a bad `[outcome]` is exit 2 naming the field, with nothing written;
`sim import` keeps the outcome; the historical cases are shipped with their outcomes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import main
from sim.scenario import load_scenario, shipped_scenarios

WITH_OUTCOME = sorted(n for n in shipped_scenarios() if load_scenario(n).outcome is not None)
"""Shipped scenarios with an `[outcome]`, as the loader sees them."""

CASES = {
    "nato_russia_2022": True,
    "cuban_missile_1962": False,
    "iran_deal_2015": False,
    "minsk2_2015": True,
    "china_1989": None,
}
"""The documented historical cases and whether war followed (None: not stated)."""

WAR_WAS_THE_OUTSIDE_OPTION = ("nato_russia_2022", "cuban_missile_1962", "minsk2_2015")

BASE = """\
[scenario]
name = "Fishing rights"

[[issues]]
id = "quota"
scale = [0, 100]
status_quo = 50

[[issues]]
id = "patrols"
scale = [0, 10]

[actors.EAS]
capability = 0.6
position = { quota = 80, patrols = 7 }
salience = { quota = 0.9, patrols = 0.5 }

[actors.WES]
capability = 0.4
position = { quota = 30, patrols = 1 }
salience = { quota = 0.8, patrols = 0.6 }
"""

GOOD_OUTCOME = """
[outcome]
date = 2023-11-20
sources = ["the treaty of 20 November 2023"]
coding = "coded"
war = false
position = { quota = 60, patrols = 10 }
reason = { quota = "coding: the treaty's share", patrols = "coding: daily patrols" }
"""


# ---- the shipped cases ------------------------------------------------------------------------
def test_at_least_five_shipped_scenarios_have_an_outcome():
    assert len(WITH_OUTCOME) >= 5, WITH_OUTCOME
    assert set(CASES) <= set(WITH_OUTCOME), sorted(set(CASES) - set(WITH_OUTCOME))


@pytest.mark.parametrize("name", WITH_OUTCOME)
def test_shipped_outcome_validates_and_lies_in_its_scales(name, capsys):
    assert main(["validate", name]) == 0, capsys.readouterr().err
    sc = load_scenario(name)
    out = sc.outcome
    assert out.position, f"{name}: an [outcome] without any issue's outcome"
    for iid, x in out.position.items():
        assert iid in sc.issue_ids, (name, iid)
        lo, hi = sc.issue(iid).scale
        assert lo <= x <= hi, (name, iid, x, (lo, hi))
    # a reason beside every outcome, and none without one; codings say so
    assert set(out.reason) == set(out.position), name
    if out.coding == "coded":
        assert all(r.startswith("coding: ") for r in out.reason.values()), name
    assert out.sources and out.date is not None, name


@pytest.mark.parametrize(("name", "war"), sorted(CASES.items()))
def test_historical_case_records_whether_war_followed(name, war):
    assert load_scenario(name).outcome.war is war


@pytest.mark.parametrize("name", WAR_WAS_THE_OUTSIDE_OPTION)
def test_crisis_cases_give_a_probability_of_war_to_score(name):
    """Where war was the outside option, the crisis model gives P(war) and an ensemble varies."""
    sc = load_scenario(name)
    assert sc.crisis is not None and sc.outcome.war is not None
    p = sim.run(sc, model="crisis").summary()["p_war"]
    assert isinstance(p, float) and math.isfinite(p) and 0.0 <= p <= 1.0
    u = sc.uncertainty
    assert u.position_sd > 0 and u.salience_sd > 0 and u.capability_cv > 0


def test_china_1989_keeps_the_tables_data():
    """The TOML case holds the numbers of the classic CSV table, actor by actor."""
    toml, table = load_scenario("china_1989"), load_scenario("china1989_bdm")
    assert len(toml.actors) == len(table.actors) == 24
    (issue,) = toml.issue_ids
    (csv_issue,) = table.issue_ids
    assert toml.issue(issue).scale == table.issue(csv_issue).scale
    for aid, actor in table.actors.items():
        mine = toml.actors[aid]
        assert mine.capability == actor.capability, aid
        assert mine.position[issue] == actor.position[csv_issue], aid
        assert mine.salience[issue] == actor.salience[csv_issue], aid
    a, b = toml.arrays(), table.arrays()
    assert np.array_equal(a.position, b.position) and np.array_equal(a.salience, b.salience)
    # the hard line is the low end, and the outcome is coded there
    lo, _ = toml.issue(issue).scale
    assert toml.outcome.position[issue] == lo


# ---- bad [outcome] sections --------------------------------------------------------------------
BAD = [
    # (what is wrong, the [outcome] body, the field named)
    ("unknown issue", "position = { tuna = 5 }", "outcome.position.tuna"),
    ("outside the scale", "position = { quota = 160 }", "outcome.position.quota"),
    ("below the scale", "position = { patrols = -1 }", "outcome.position.patrols"),
    (
        "a reason without an outcome",
        'position = { quota = 60 }\nreason = { patrols = "coding: x" }',
        "outcome.reason.patrols",
    ),
    ("a reason for an unknown issue", 'reason = { tuna = "coding: x" }', "outcome.reason.tuna"),
    ("bad coding value", 'coding = "guessed"', "outcome.coding"),
    ("war as text", 'war = "yes"', "outcome.war"),
    ("war as a number", "war = 1", "outcome.war"),
    ("an outcome as text", 'position = { quota = "60" }', "outcome.position.quota"),
    ("an unknown key", "result = 60", "outcome.result"),
]


@pytest.mark.parametrize(("what", "body", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_outcome_is_exit_2_naming_the_field(tmp_path, capsys, what, body, field):
    path = tmp_path / "case.toml"
    path.write_text(BASE + "\n[outcome]\n" + body + "\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2, what
    err = capsys.readouterr().err
    assert f"{path}: {field}" in err, err
    assert "Traceback" not in err
    out = tmp_path / "results"
    assert main(["run", str(path), "--out", str(out)]) == 2, what
    err = capsys.readouterr().err
    assert f"{path}: {field}" in err, err
    assert not out.exists(), "a bad file wrote results"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.toml"]


def test_good_outcome_of_the_bad_table_validates(tmp_path, capsys):
    """The table above is bad only where it says: the base with a sound [outcome] is valid."""
    path = tmp_path / "case.toml"
    path.write_text(BASE + GOOD_OUTCOME, encoding="utf-8")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    out = load_scenario(path).outcome
    assert (out.war, dict(out.position)) == (False, {"quota": 60.0, "patrols": 10.0})


# ---- sim import keeps the outcome --------------------------------------------------------------
@pytest.mark.parametrize("name", WITH_OUTCOME)
def test_import_round_trip_keeps_the_outcome(tmp_path, capsys, name):
    target = tmp_path / f"{name}.toml"
    assert main(["import", str(shipped_scenarios()[name]), "--out", str(target)]) == 0
    capsys.readouterr()
    assert "[outcome]" in target.read_text(encoding="utf-8")
    original, back = load_scenario(name), load_scenario(target)
    assert back.outcome == original.outcome
    assert back == original


# ---- the README's example and messages ---------------------------------------------------------
README = Path(__file__).resolve().parent.parent / "scenarios" / "README.md"
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _readme_blocks(lang: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [body for tag, body in FENCE.findall(text) if tag == lang]


def _edit(text: str, *changes: tuple[str, str]) -> str:
    for old, new in changes:
        assert text.count(old) == 1, f"the README's [outcome] example changed ({old!r})"
        text = text.replace(old, new)
    return text


def test_readme_outcome_messages_are_what_sim_prints(tmp_path, monkeypatch, capsys):
    (example,) = [b for b in _readme_blocks("toml") if "[outcome]" in b]
    (printed,) = [b for b in _readme_blocks("text") if "outcome.position" in b]
    expected = printed.strip().splitlines()
    cross_refs = (
        ("position = { quota = 60 }", "position = { quota = 160, tuna = 5 }"),
        (
            'reason = { quota = "coding: the treaty',
            'reason = { patrols = "x", quota = "coding: the treaty',
        ),
    )
    monkeypatch.chdir(tmp_path)
    Path("case.toml").write_text(example, encoding="utf-8")
    assert main(["validate", "case.toml"]) == 0
    # with the bad coding too, the structure stage reports alone; then the cross-references
    for text, want in (
        (_edit(example, *cross_refs, ('coding = "coded"', 'coding = "guessed"')), expected[:1]),
        (_edit(example, *cross_refs), expected[1:]),
    ):
        capsys.readouterr()
        Path("case.toml").write_text(text, encoding="utf-8")
        assert main(["validate", "case.toml"]) == 2
        assert capsys.readouterr().err.strip().splitlines() == want
