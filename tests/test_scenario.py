"""Scenario loading: shipped files, the NATO-Russia case, the classic CSV, `--set`
overrides, the array view, immutability and HTML display.

Expectations come from the files themselves, read here with ``tomllib`` / ``csv``,
not from the loader under test.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import sim
from sim.scenario import Scenario, ScenarioError, load_scenario, shipped_scenarios

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
NATO_FILE = SCENARIOS / "nato_russia_2022.toml"
EC_FILE = SCENARIOS / "ec_example_scholz2011.csv"
EC_100_FILE = Path("/work/shared/data/ec_example_scholz2011_salience100.csv")
CHINA_FILE = SCENARIOS / "china1989_bdm.csv"

NATO_ISSUES = ("enlargement", "posture", "missiles", "exercises", "buildup", "sovereignty")
NATO_MEMBERS = ("USA", "GBR", "DEU", "FRA", "POL", "TUR", "EST", "LVA", "LTU")

needs_ec_100 = pytest.mark.skipif(
    not EC_100_FILE.is_file(), reason="0-100 salience copy not available"
)


@pytest.fixture(scope="module")
def nato() -> Scenario:
    return load_scenario("nato_russia_2022")


@pytest.fixture(scope="module")
def nato_raw() -> dict:
    with NATO_FILE.open("rb") as fh:
        return tomllib.load(fh)


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if any(v.strip() for v in row.values())]


def flatten(value, prefix: str = "") -> dict[str, object]:
    """Nested dicts/lists/tuples as {dotted.path: leaf}."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list | tuple):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def changed(a: Scenario, b: Scenario) -> dict[str, tuple[object, object]]:
    fa, fb = flatten(a.model_dump()), flatten(b.model_dump())
    keys = set(fa) | set(fb)
    return {k: (fa.get(k), fb.get(k)) for k in sorted(keys) if fa.get(k) != fb.get(k)}


# ---- shipped scenarios -------------------------------------------------------------
def test_shipped_scenarios_are_the_files_in_scenarios():
    shipped = shipped_scenarios()
    on_disk = {p.stem for p in SCENARIOS.iterdir() if p.suffix in (".toml", ".csv", ".json")}
    assert set(shipped) == on_disk
    assert {"nato_russia_2022", "ec_example_scholz2011", "china1989_bdm"} <= set(shipped)


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_loads(name):
    path = shipped_scenarios()[name]
    by_name = load_scenario(name)
    by_path = load_scenario(path)
    by_str = load_scenario(str(path))
    assert isinstance(by_name, Scenario)
    assert by_name == by_path == by_str
    assert len(by_name.actors) >= 2 and len(by_name.issues) >= 1
    arrays = by_name.arrays()
    assert np.all(np.isfinite(arrays.position)) and np.all(arrays.capability > 0)
    assert np.all((arrays.salience >= 0) & (arrays.salience <= 1))
    assert np.all(
        (arrays.position >= arrays.scale_lo[:, None])
        & (arrays.position <= arrays.scale_hi[:, None])
    )


def test_default_scenario_is_nato_russia(nato):
    assert load_scenario() == nato
    assert load_scenario(None) == nato


def test_unknown_name_is_a_scenario_error():
    with pytest.raises(ScenarioError) as info:
        load_scenario("no_such_scenario_anywhere")
    assert "no such file" in str(info.value)
    assert "nato_russia_2022" in str(info.value)  # lists what ships


# ---- the NATO-Russia scenario ------------------------------------------------------
def test_nato_counts_and_issue_order(nato):
    assert len(nato.actors) == 12
    assert nato.issue_ids == NATO_ISSUES
    assert nato.name == "NATO-Russia Council, January 2022"
    assert set(nato.actors) >= {"RUS", "USA", "UKR", "BLR"} | set(NATO_MEMBERS)


def test_nato_values_match_the_file(nato, nato_raw):
    assert list(nato.actors) == list(nato_raw["actors"])  # file order kept
    for aid, actor in nato_raw["actors"].items():
        got = nato.actors[aid]
        assert got.capability == actor["capability"]
        assert dict(got.position) == actor["position"]
        assert dict(got.salience) == actor["salience"]
        assert {k: tuple(v) for k, v in got.red_line.items()} == {
            k: tuple(v) for k, v in actor.get("red_line", {}).items()
        }
    for issue, raw in zip(nato.issues, nato_raw["issues"], strict=True):
        assert issue.id == raw["id"]
        assert tuple(issue.scale) == tuple(raw["scale"])
        assert issue.status_quo == raw["status_quo"]


def test_nato_bloc_is_consensus_and_not_an_actor(nato, nato_raw):
    assert set(nato.blocs) == {"NATO"}
    bloc = nato.blocs["NATO"]
    assert bloc.rule == "consensus"
    assert tuple(bloc.members) == NATO_MEMBERS
    assert "NATO" not in nato.actors
    assert "NATO" not in nato.arrays().actor_ids


def test_nato_bloc_capability_is_its_members_sum(nato, nato_raw):
    expected = math.fsum(nato_raw["actors"][m]["capability"] for m in NATO_MEMBERS)
    assert nato.bloc_capability("NATO") == pytest.approx(expected, rel=1e-12)
    # no double counting: the actors' total is the file's actors' total, the bloc adds nothing
    total = math.fsum(a["capability"] for a in nato_raw["actors"].values())
    assert math.fsum(nato.arrays().capability) == pytest.approx(total, rel=1e-12)
    assert nato.bloc_capability("NATO") < total  # RUS, UKR, BLR are not members


def test_nato_consensus_range_is_the_intersection_of_red_lines(nato, nato_raw):
    for issue in nato_raw["issues"]:
        lo, hi = issue["scale"]
        for m in NATO_MEMBERS:
            red = nato_raw["actors"][m].get("red_line", {}).get(issue["id"])
            if red is not None:
                lo, hi = max(lo, red[0]), min(hi, red[1])
        assert nato.bloc_range("NATO", issue["id"]) == ((lo, hi) if lo <= hi else None)
    # the allies' stated red lines narrow enlargement and posture; missiles has none
    lo, hi = nato.bloc_range("NATO", "enlargement")
    assert lo > 0 and hi == 100
    assert nato.bloc_range("NATO", "missiles") == (0, 100)


def test_consensus_range_is_narrowed_by_every_member_and_can_be_empty():
    # a member with a narrower red line narrows the range
    sc = load_scenario("nato_russia_2022", {"actors.USA.red_line.missiles": [40, 70]})
    assert sc.bloc_range("NATO", "missiles") == (40, 70)
    # Russia in NATO: its red line and the allies' on enlargement do not meet
    members = [*NATO_MEMBERS, "RUS"]
    sc = load_scenario(
        "nato_russia_2022",
        {
            "blocs.NATO.members": members,
            "bargaining.parties": ["UKR", "NATO"],
            "bargaining.first": "UKR",
        },
    )
    assert sc.actors["RUS"].red_line["enlargement"][1] < min(
        sc.actors[m].red_line["enlargement"][0] for m in NATO_MEMBERS
    )
    assert sc.bloc_range("NATO", "enlargement") is None
    assert sc.bloc_capability("NATO") == pytest.approx(
        load_scenario("nato_russia_2022").bloc_capability("NATO") + sc.actors["RUS"].capability
    )


# ---- the classic expected-utility CSV ---------------------------------------------
def test_ec_csv_matches_the_file():
    rows = read_csv_rows(EC_FILE)
    sc = load_scenario(EC_FILE)
    assert sc.issue_ids == ("ec_example_scholz2011",)  # issue id = file stem
    assert list(sc.actors) == [r["Actor"] for r in rows]
    positions = [float(r["Position"]) for r in rows]
    assert sc.issues[0].scale == (min(positions), max(positions)) == (4.0, 10.0)
    for r in rows:
        a = sc.actors[r["Actor"]]
        assert a.capability == float(r["Capability"])
        assert a.position["ec_example_scholz2011"] == float(r["Position"])
        assert a.salience["ec_example_scholz2011"] == float(r["Salience"])
        assert a.red_line == {}


@needs_ec_100
def test_salience_on_0_100_gives_identical_arrays(tmp_path):
    rows1 = read_csv_rows(EC_FILE)
    rows100 = read_csv_rows(EC_100_FILE)
    assert max(float(r["Salience"]) for r in rows100) > 1  # really on 0-100
    assert [float(r["Salience"]) for r in rows100] == [100 * float(r["Salience"]) for r in rows1]

    a = load_scenario(EC_FILE).arrays()
    b = load_scenario(EC_100_FILE).arrays()
    assert b.issue_ids == ("ec_example_scholz2011_salience100",)
    for field in ("capability", "position", "salience", "red_lo", "red_hi", "scale_lo", "scale_hi"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert a.actor_ids == b.actor_ids

    # under the same name the two files load to the same scenario, arrays and all
    same_name = tmp_path / EC_FILE.name
    shutil.copyfile(EC_100_FILE, same_name)
    c = load_scenario(same_name)
    d = load_scenario(EC_FILE)
    assert c.actors == d.actors and c.issues == d.issues
    for f in dataclasses.fields(a):
        x, y = getattr(c.arrays(), f.name), getattr(d.arrays(), f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def test_salience_scale_is_detected_per_file(tmp_path):
    # one value above 1 puts the whole file on 0-100
    path = tmp_path / "mixed.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,1,0,1\nB,1,10,50\n")
    sc = load_scenario(path)
    assert sc.actors["A"].salience["mixed"] == pytest.approx(0.01)
    assert sc.actors["B"].salience["mixed"] == pytest.approx(0.5)
    # values up to 1 stay on 0-1
    path = tmp_path / "unit.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,1,0,1\nB,1,10,0.5\n")
    sc = load_scenario(path)
    assert sc.actors["A"].salience["unit"] == 1.0
    assert sc.actors["B"].salience["unit"] == 0.5


def test_china_csv_column_aliases():
    rows = read_csv_rows(CHINA_FILE)
    assert set(rows[0]) == {"Stakeholder", "Resources", "Position", "Salience"}
    sc = load_scenario("china1989_bdm")
    assert sc.issue_ids == ("china1989_bdm",)
    assert len(sc.actors) == len(rows) == 24
    assert [a.name for a in sc.actors.values()] == [r["Stakeholder"] for r in rows]
    on_100 = any(float(r["Salience"]) > 1 for r in rows)
    assert on_100
    positions = [float(r["Position"]) for r in rows]
    assert sc.issues[0].scale == (min(positions), max(positions))
    for aid, r in zip(sc.actors, rows, strict=True):
        a = sc.actors[aid]
        assert a.capability == float(r["Resources"])
        assert a.position["china1989_bdm"] == float(r["Position"])
        assert a.salience["china1989_bdm"] == pytest.approx(float(r["Salience"]) / 100, abs=1e-15)
    # a space may not be in an id: the name keeps it, the id has '_'
    assert "Hong_Kong" in sc.actors and "STU/INTEL" in sc.actors
    assert sc.actors["Hong_Kong"].name == "Hong Kong"


@pytest.mark.parametrize(
    "header",
    [
        "actor,capability,position,salience",
        "Stakeholder,Power,Position,Salience",
        " Actor , Resources ,POSITION,salience",
    ],
)
def test_csv_header_aliases_and_case(header, tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text(f"{header}\nA,2,0,0.5\nB,3,10,1\n")
    sc = load_scenario(path)
    assert sc.actors["A"].capability == 2.0 and sc.actors["B"].capability == 3.0
    assert sc.actors["B"].position["aliases"] == 10.0


def test_csv_issue_id_is_the_stem_made_into_an_id(tmp_path):
    path = tmp_path / "budget 2024.v2.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,1,0,0.5\nB,1,10,0.5\n")
    sc = load_scenario(path)
    (iid,) = sc.issue_ids
    assert "." not in iid and " " not in iid
    assert iid.replace("_", "") == "budget2024v2"


def test_csv_actor_names_with_dots_become_ids(tmp_path):
    path = tmp_path / "dots.csv"
    path.write_text("Actor,Capability,Position,Salience\nU.S.,1,0,0.5\nEU,1,10,0.5\n")
    sc = load_scenario(path)
    assert len(sc.actors) == 2
    (us,) = [a for a in sc.actors.values() if a.name == "U.S."]
    assert us.capability == 1.0


# ---- --set overrides ---------------------------------------------------------------
@pytest.mark.parametrize(
    "assignment, path, value",
    [
        ("actors.RUS.position.enlargement=5", "actors.RUS.position.enlargement", 5),
        ("actors.USA.salience.missiles=0.25", "actors.USA.salience.missiles", 0.25),
        ("actors.DEU.capability=0.5", "actors.DEU.capability", 0.5),
        ("issues.posture.status_quo=50", "issues[1].status_quo", 50),
        ("model.rounds=7", "model.rounds", 7),
        ('scenario.name="What if"', "scenario.name", "What if"),
        ("actors.RUS.red_line.enlargement=[0, 5]", "actors.RUS.red_line.enlargement[1]", 5),
    ],
)
def test_override_changes_exactly_that_field(assignment, path, value, nato):
    sc = load_scenario("nato_russia_2022", [assignment])
    diff = changed(nato, sc)
    assert list(diff) == [path], diff
    assert diff[path][1] == value


def test_override_adds_a_red_line_and_nothing_else(nato):
    assert "sovereignty" not in nato.actors["UKR"].red_line
    sc = load_scenario("nato_russia_2022", ["actors.UKR.red_line.sovereignty=[80, 100]"])
    assert sc.actors["UKR"].red_line["sovereignty"] == (80, 100)
    diff = changed(nato, sc)
    assert set(diff) == {"actors.UKR.red_line.sovereignty[0]", "actors.UKR.red_line.sovereignty[1]"}
    k = NATO_ISSUES.index("sovereignty")
    i = sc.actor_ids.index("UKR")
    assert (sc.arrays().red_lo[k, i], sc.arrays().red_hi[k, i]) == (80, 100)


def test_overrides_as_a_dict_and_in_order(nato):
    a = load_scenario("nato_russia_2022", {"actors.RUS.position.enlargement": 5})
    b = load_scenario("nato_russia_2022", ["actors.RUS.position.enlargement=5"])
    assert a == b
    last = load_scenario(
        "nato_russia_2022",
        ["actors.RUS.position.enlargement=5", "actors.RUS.position.enlargement=8"],
    )
    assert last.actors["RUS"].position["enlargement"] == 8
    # the shipped scenario itself is untouched
    assert load_scenario("nato_russia_2022") == nato
    assert nato.actors["RUS"].position["enlargement"] == 0


def test_override_on_a_csv(tmp_path):
    sc = load_scenario(EC_FILE, ["actors.UK.position.ec_example_scholz2011=7"])
    base = load_scenario(EC_FILE)
    assert list(changed(base, sc)) == ["actors.UK.position.ec_example_scholz2011"]


@pytest.mark.parametrize(
    "assignment, field",
    [
        ("actors.XXX.position.enlargement=5", "--set actors.XXX.position.enlargement"),
        ("actors.RUS.position.enlargement=500", "actors.RUS.position.enlargement"),
        (
            "actors.RUS.position.enlargement=99",
            "actors.RUS.position.enlargement",
        ),  # outside its red line
        ("issues.posture.status_quo=-1", "issues[1].status_quo"),
        ("issues.nope.status_quo=1", "--set issues.nope.status_quo"),
        ("nonsense", "--set nonsense"),
    ],
)
def test_bad_override_is_a_scenario_error_naming_the_field(assignment, field):
    with pytest.raises(ScenarioError) as info:
        load_scenario("nato_russia_2022", [assignment])
    assert str(NATO_FILE) in str(info.value)
    assert any(field in path for path, _ in info.value.problems), info.value.problems


# ---- arrays ------------------------------------------------------------------------
def test_arrays_shapes_dtypes_and_values(nato, nato_raw):
    a = nato.arrays()
    m, n = 6, 12
    assert a.issue_ids == NATO_ISSUES
    assert a.actor_ids == tuple(nato_raw["actors"])
    assert a.capability.shape == (n,)
    for name in ("position", "salience", "red_lo", "red_hi"):
        arr = getattr(a, name)
        assert arr.shape == (m, n), name
        assert arr.dtype == np.float64, name
    for name in ("capability", "scale_lo", "scale_hi", "status_quo", "risk"):
        assert getattr(a, name).dtype == np.float64, name
    assert a.scale_lo.shape == a.scale_hi.shape == a.status_quo.shape == (m,)
    assert a.risk.shape == (n,)
    np.testing.assert_array_equal(a.width, np.full(m, 100.0))
    for k, iid in enumerate(NATO_ISSUES):
        for i, aid in enumerate(a.actor_ids):
            raw = nato_raw["actors"][aid]
            assert a.position[k, i] == raw["position"][iid]
            assert a.salience[k, i] == raw["salience"][iid]
        assert a.status_quo[k] == nato_raw["issues"][k]["status_quo"]
    np.testing.assert_array_equal(
        a.capability, [r["capability"] for r in nato_raw["actors"].values()]
    )
    assert np.all(np.isnan(a.risk))  # risk = "computed"
    assert (a.Q, a.T, a.rounds) == (1.0, 1.0, 30)


def test_arrays_red_line_defaults_to_the_scale(nato, nato_raw):
    a = nato.arrays()
    for k, issue in enumerate(nato_raw["issues"]):
        for i, aid in enumerate(a.actor_ids):
            lo, hi = nato_raw["actors"][aid].get("red_line", {}).get(issue["id"], issue["scale"])
            assert (a.red_lo[k, i], a.red_hi[k, i]) == (lo, hi), (issue["id"], aid)
    rus, ukr = a.actor_ids.index("RUS"), a.actor_ids.index("UKR")
    assert (a.red_lo[0, rus], a.red_hi[0, rus]) == tuple(
        nato_raw["actors"]["RUS"]["red_line"]["enlargement"]
    )
    assert a.red_hi[0, rus] < 100  # Russia has a stated red line on enlargement
    np.testing.assert_array_equal(a.red_lo[:, ukr], a.scale_lo)
    np.testing.assert_array_equal(a.red_hi[:, ukr], a.scale_hi)


def test_arrays_status_quo_nan_and_fixed_risk(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(
        """
[scenario]
name = "small"
[[issues]]
id = "a"
scale = [-1, 1]
[[issues]]
id = "b"
scale = [0, 10]
status_quo = 3
[actors.X]
capability = 1
position = { a = -1, b = 0 }
salience = { a = 1, b = 0.5 }
[actors.Y]
capability = 3
position = { a = 1, b = 10 }
salience = { a = 0.2, b = 0 }
[payoffs]
risk = { Y = 1.5 }
"""
    )
    a = load_scenario(path).arrays()
    assert np.isnan(a.status_quo[0]) and a.status_quo[1] == 3
    assert np.isnan(a.risk[0]) and a.risk[1] == 1.5
    np.testing.assert_array_equal(a.scale_lo, [-1, 0])
    np.testing.assert_array_equal(a.red_lo, [[-1, -1], [0, 0]])
    np.testing.assert_array_equal(a.red_hi, [[1, 1], [10, 10]])
    assert a.rounds == 30  # the [model] default


# ---- immutability and display ------------------------------------------------------
def test_scenario_is_frozen(nato):
    with pytest.raises(ValidationError):
        nato.model = nato.model  # type: ignore[misc]
    with pytest.raises(ValidationError):
        nato.actors["RUS"].capability = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        nato.issues[0].status_quo = 0  # type: ignore[misc]
    with pytest.raises(ValidationError):
        nato.scenario.name = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        nato.issues[0] = nato.issues[1]  # type: ignore[index]  # a tuple
    with pytest.raises(dataclasses.FrozenInstanceError):
        nato.arrays().rounds = 3  # type: ignore[misc]
    assert nato.actors["RUS"].capability == 0.036473


def test_repr(nato):
    assert (
        repr(nato) == "Scenario('NATO-Russia Council, January 2022', 12 actors, 6 issues, 1 bloc)"
    )


def test_repr_html_escapes_names():
    evil = "<script>alert('x')</script>"
    sc = load_scenario(
        "nato_russia_2022",
        {"actors.RUS.name": evil, "scenario.name": "A & B <b>", "blocs.NATO.name": evil},
    )
    page = sc._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "A &amp; B &lt;b&gt;" in page
    assert page.count("<b>") == 1  # the page's own bold title, not the name's
    assert "<table" in page and "USA" in page


def test_package_exports():
    assert sim.load_scenario is load_scenario
    assert sim.Scenario is Scenario
    assert issubclass(sim.ScenarioError, ValueError)
