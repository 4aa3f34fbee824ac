"""The command line end to end: `sim run`, `sim list`, `sim validate`, `python -m sim`.

Files are checked against expectations computed here from the scenario files
(read with ``tomllib`` / ``csv``) and from DESIGN.md 5.1's definitions of the
compromise and the weighted median, not against the code that wrote them.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import cli

ROOT = Path(__file__).resolve().parent.parent
NATO_FILE = ROOT / "scenarios" / "nato_russia_2022.toml"
EC_FILE = ROOT / "scenarios" / "ec_example_scholz2011.csv"
EC_100_FILE = Path("/work/shared/data/ec_example_scholz2011_salience100.csv")
NATO_ISSUES = ["enlargement", "posture", "missiles", "exercises", "buildup", "sovereignty"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ---- independent helpers ---------------------------------------------------------
def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def run_ok(*args: str):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def nato_raw() -> dict:
    with NATO_FILE.open("rb") as fh:
        return tomllib.load(fh)


def read_rounds(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [
            {
                "round": int(r["round"]),
                "issue": r["issue"],
                "actor": r["actor"],
                "position": float(r["position"]),
            }
            for r in reader
        ]
        return list(reader.fieldnames or []), rows


def states(rows: list[dict]) -> dict[int, dict[tuple[str, str], float]]:
    """round -> {(issue, actor): position}."""
    out: dict[int, dict[tuple[str, str], float]] = {}
    for r in rows:
        key = (r["issue"], r["actor"])
        assert key not in out.setdefault(r["round"], {}), f"duplicate row {r}"
        out[r["round"]][key] = r["position"]
    return out


def compromise(xs: list[float], ws: list[float]) -> float:
    num = den = 0.0
    for x, w in zip(xs, ws, strict=True):
        num += w * x
        den += w
    return num / den


def weighted_median(xs: list[float], ws: list[float]) -> float:
    """The position at which the cumulative weight of sorted positions first reaches half."""
    half = 0.5 * sum(ws)
    acc = 0.0
    for x, w in sorted(zip(xs, ws, strict=True), key=lambda p: p[0]):
        acc += w
        if acc >= half:
            return x
    raise AssertionError("unreachable")


def final_rounds(by_round: dict, stopped: str) -> list[int]:
    """The rounds a forecast averages over: the repeating cycle, else the last round."""
    last = max(by_round)
    if stopped != "cycle":
        return [last]
    earlier = [s for s in range(last) if by_round[s] == by_round[last]]
    assert earlier, "stopped on a cycle but the last state never occurred before"
    start = max(earlier)
    return list(range(start + 1, last + 1))


def expected_forecast(by_round, stopped, actors: dict[str, tuple[float, dict[str, float]]], issues):
    """{issue: (compromise, median)} from the positions in ``by_round``.

    ``actors``: id -> (capability, {issue: salience}).
    """
    rounds = final_rounds(by_round, stopped)
    out = {}
    for iid in issues:
        comps, meds = [], []
        for t in rounds:
            xs = [by_round[t][(iid, aid)] for aid in actors]
            ws = [cap * sal[iid] for cap, sal in actors.values()]
            comps.append(compromise(xs, ws))
            meds.append(weighted_median(xs, ws))
        out[iid] = (sum(comps) / len(comps), sum(meds) / len(meds))
    return out


def nato_weights() -> dict[str, tuple[float, dict[str, float]]]:
    return {aid: (a["capability"], a["salience"]) for aid, a in nato_raw()["actors"].items()}


# ---- `sim run` with no scenario: the NATO-Russia default ---------------------------
@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("default") / "out"
    result = run_ok("run", "--out", str(out))
    return out, result


def test_default_run_prints_a_forecast(default_run):
    _, result = default_run
    assert "NATO-Russia Council, January 2022" in result.stdout
    for iid in NATO_ISSUES:
        assert iid in result.stdout


def test_default_run_rounds_csv(default_run):
    out, _ = default_run
    summary = json.loads((out / "summary.json").read_text())
    columns, rows = read_rounds(out / "rounds.csv")
    assert columns == ["round", "issue", "actor", "position"]

    raw = nato_raw()
    actors = list(raw["actors"])
    assert len(actors) == 12
    R = summary["rounds"]
    assert isinstance(R, int) and 0 <= R <= raw["model"]["rounds"]
    assert len(rows) == (R + 1) * 12 * 6
    by_round = states(rows)
    assert sorted(by_round) == list(range(R + 1))
    for t, state in by_round.items():
        assert set(state) == {(i, a) for i in NATO_ISSUES for a in actors}, t
    # round 0: the file's positions
    for aid, actor in raw["actors"].items():
        for iid in NATO_ISSUES:
            assert by_round[0][(iid, aid)] == actor["position"][iid], (iid, aid)
    # every position stays on its scale and inside the actor's red line
    scales = {i["id"]: i["scale"] for i in raw["issues"]}
    for r in rows:
        lo, hi = raw["actors"][r["actor"]].get("red_line", {}).get(r["issue"], scales[r["issue"]])
        assert lo <= r["position"] <= hi, r


def test_default_run_summary(default_run):
    out, _ = default_run
    summary = json.loads((out / "summary.json").read_text())
    assert {"scenario", "model", "rounds", "stopped", "forecast"} <= set(summary)
    assert summary["scenario"] == "NATO-Russia Council, January 2022"
    assert summary["model"] == nato_raw()["model"]["kind"] == "eum"
    assert summary["stopped"] in {"limit", "converged", "cycle"}
    assert list(summary["forecast"]) == NATO_ISSUES
    for value in summary["forecast"].values():
        assert set(value) == {"compromise", "median"}

    _, rows = read_rounds(out / "rounds.csv")
    by_round = states(rows)
    last = max(by_round)
    if summary["stopped"] == "limit":
        assert last == nato_raw()["model"]["rounds"]
    elif summary["stopped"] == "converged":
        assert by_round[last] == by_round[last - 1]
    expected = expected_forecast(by_round, summary["stopped"], nato_weights(), NATO_ISSUES)
    for iid, (comp, med) in expected.items():
        got = summary["forecast"][iid]
        assert got["compromise"] == pytest.approx(comp, rel=1e-9, abs=1e-9), iid
        assert got["median"] == pytest.approx(med, rel=1e-9, abs=1e-9), iid


def test_default_run_figures(default_run):
    out, _ = default_run
    for name in ("positions.png", "quadrant.png"):
        data = (out / name).read_bytes()
        assert data[:8] == PNG_MAGIC, name
        assert len(data) > 1000, name
    assert not [
        p for p in out.iterdir() if p.name.endswith(".tmp")
    ]  # no leftovers of atomic writes


def test_run_without_out_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_ok("run", "ec_example_scholz2011", "--rounds", "2")
    assert list(tmp_path.iterdir()) == []
    assert "ec_example_scholz2011" in result.stdout


# ---- how a run stops: the forecast of a cycle and of a converged run -------------------
SMALL = """\
[scenario]
name = "Small"

[[issues]]
id = "a"
scale = [0, 100]

[[issues]]
id = "b"
scale = [0, 100]

[actors.RUS]
capability = 1.0
position = { a = 0, b = 10 }
salience = { a = 1.0, b = 0.5 }
red_line = { a = [0, 20] }

[actors.USA]
capability = 2.0
position = { a = 100, b = 80 }
salience = { a = 0.8, b = 0.6 }

[actors.DEU]
capability = 0.5
position = { a = 60, b = 60 }
salience = { a = 0.5, b = 0.5 }
"""


def test_converged_run(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    out = tmp_path / "out"
    run_ok("run", str(path), "--rounds", "100", "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    _, rows = read_rounds(out / "rounds.csv")
    by_round = states(rows)
    last = max(by_round)
    assert summary["stopped"] == "converged", summary["stopped"]
    assert last == summary["rounds"] < 100
    assert by_round[last] == by_round[last - 1]
    assert all(
        by_round[t] != by_round[t - 1] for t in range(1, last)
    )  # it stopped at the first still round
    raw = tomllib.loads(SMALL)
    weights = {aid: (a["capability"], a["salience"]) for aid, a in raw["actors"].items()}
    for iid, (comp, med) in expected_forecast(by_round, "converged", weights, ["a", "b"]).items():
        assert summary["forecast"][iid]["compromise"] == pytest.approx(comp, rel=1e-9), iid
        assert summary["forecast"][iid]["median"] == pytest.approx(med, rel=1e-9), iid


def test_cycle_forecast_is_the_mean_over_the_cycle(tmp_path):
    out = tmp_path / "out"
    source = ROOT / "scenarios" / "china1989_bdm.csv"
    run_ok("run", str(source), "--rounds", "100", "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    if summary["stopped"] != "cycle":
        pytest.skip(f"the China scenario no longer cycles within 100 rounds ({summary['stopped']})")
    _, rows = read_rounds(out / "rounds.csv")
    by_round = states(rows)
    last = max(by_round)
    assert last == summary["rounds"]
    cycle = final_rounds(by_round, "cycle")
    assert len(cycle) >= 2
    assert summary.get("cycle_length", len(cycle)) == len(cycle)
    assert all(by_round[t] != by_round[t - 1] for t in range(1, last + 1))  # not a converged run
    with source.open(newline="") as fh:
        file_rows = list(csv.DictReader(fh))
    (iid,) = {r["issue"] for r in rows}
    on_100 = any(float(r["Salience"]) > 1 for r in file_rows)
    weights = {
        # ids are the names with characters an id may not hold (here spaces) as "_"
        fr["Stakeholder"].replace(" ", "_"): (
            float(fr["Resources"]),
            {iid: float(fr["Salience"]) / (100 if on_100 else 1)},
        )
        for fr in file_rows
    }
    ((comp, med),) = expected_forecast(by_round, "cycle", weights, [iid]).values()
    assert summary["forecast"][iid]["compromise"] == pytest.approx(comp, rel=1e-9)
    assert summary["forecast"][iid]["median"] == pytest.approx(med, rel=1e-9)
    # and it is not simply the last round's
    (last_only,) = expected_forecast(by_round, "limit", weights, [iid]).values()
    assert last_only[0] != pytest.approx(comp, rel=1e-12) or last_only[1] != pytest.approx(
        med, rel=1e-12
    )


# ---- the classic CSV -------------------------------------------------------------
def test_ec_csv_run(tmp_path):
    out = tmp_path / "out"
    run_ok("run", str(EC_FILE), "--model", "eum", "--rounds", "6", "--out", str(out))
    columns, rows = read_rounds(out / "rounds.csv")
    assert columns == ["round", "issue", "actor", "position"]
    with EC_FILE.open(newline="") as fh:
        file_rows = list(csv.DictReader(fh))
    summary = json.loads((out / "summary.json").read_text())
    R = summary["rounds"]
    assert R <= 6
    assert summary["stopped"] in {"limit", "converged", "cycle"}
    assert len(rows) == (R + 1) * len(file_rows)
    by_round = states(rows)
    assert {r["issue"] for r in rows} == {"ec_example_scholz2011"}
    for fr in file_rows:
        assert by_round[0][("ec_example_scholz2011", fr["Actor"])] == float(fr["Position"])
    weights = {
        fr["Actor"]: (float(fr["Capability"]), {"ec_example_scholz2011": float(fr["Salience"])})
        for fr in file_rows
    }
    ((comp, med),) = expected_forecast(
        by_round, summary["stopped"], weights, ["ec_example_scholz2011"]
    ).values()
    assert summary["forecast"]["ec_example_scholz2011"]["compromise"] == pytest.approx(
        comp, rel=1e-9
    )
    assert summary["forecast"]["ec_example_scholz2011"]["median"] == pytest.approx(med, rel=1e-9)


@pytest.mark.skipif(not EC_100_FILE.is_file(), reason="0-100 salience copy not available")
def test_salience_0_100_copy_gives_the_same_rounds_csv(tmp_path):
    out1, out100, out_same = tmp_path / "o1", tmp_path / "o100", tmp_path / "osame"
    run_ok("run", str(EC_FILE), "--model", "eum", "--rounds", "6", "--out", str(out1))
    run_ok("run", str(EC_100_FILE), "--model", "eum", "--rounds", "6", "--out", str(out100))
    # the copy under the file's own name (the issue id is the stem): byte for byte the same
    same = tmp_path / "copy" / EC_FILE.name
    same.parent.mkdir()
    shutil.copyfile(EC_100_FILE, same)
    run_ok("run", str(same), "--model", "eum", "--rounds", "6", "--out", str(out_same))
    assert (out_same / "rounds.csv").read_bytes() == (out1 / "rounds.csv").read_bytes()
    # under its own name: the same rounds, actors and positions
    _, rows1 = read_rounds(out1 / "rounds.csv")
    _, rows100 = read_rounds(out100 / "rounds.csv")
    strip = [(r["round"], r["actor"], r["position"]) for r in rows1]
    assert strip == [(r["round"], r["actor"], r["position"]) for r in rows100]
    assert {r["issue"] for r in rows100} == {EC_100_FILE.stem}
    s1 = json.loads((out1 / "summary.json").read_text())
    s100 = json.loads((out100 / "summary.json").read_text())
    assert list(s1["forecast"].values()) == list(s100["forecast"].values())


# ---- static baselines -----------------------------------------------------------
@pytest.mark.parametrize("model", ["compromise", "median"])
def test_baseline_models(model, tmp_path):
    out = tmp_path / "out"
    result = run_ok("run", "--model", model, "--out", str(out))
    assert "static baseline" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == model
    assert summary["rounds"] == 0
    _, rows = read_rounds(out / "rounds.csv")
    assert len(rows) == 12 * 6 and {r["round"] for r in rows} == {0}
    raw = nato_raw()
    for r in rows:
        assert r["position"] == raw["actors"][r["actor"]]["position"][r["issue"]]
    expected = expected_forecast(states(rows), "converged", nato_weights(), NATO_ISSUES)
    for iid, (comp, med) in expected.items():
        assert summary["forecast"][iid]["compromise"] == pytest.approx(comp, rel=1e-12), iid
        assert summary["forecast"][iid]["median"] == pytest.approx(med, rel=1e-12), iid
    # the file's start values: a compromise away from the median on enlargement
    assert (
        summary["forecast"]["enlargement"]["compromise"]
        != summary["forecast"]["enlargement"]["median"]
    )
    assert (out / "positions.png").read_bytes()[:8] == PNG_MAGIC


def test_median_is_where_the_cumulative_weight_first_reaches_half(tmp_path):
    # weights 1, 1, 2 (capability x salience): sorted 0, 10, 20; half = 2 is reached at 10, exactly
    path = tmp_path / "tie.csv"
    path.write_text("Actor,Capability,Position,Salience\nA,2,10,0.5\nB,1,0,1\nC,4,20,0.5\n")
    out = tmp_path / "out"
    run_ok("run", str(path), "--model", "median", "--out", str(out))
    forecast = json.loads((out / "summary.json").read_text())["forecast"]["tie"]
    assert forecast["median"] == 10
    assert forecast["compromise"] == pytest.approx((2 * 0.5 * 10 + 0 + 4 * 0.5 * 20) / 4)


# ---- counterfactuals and focus ----------------------------------------------------
def test_set_changes_round_zero_for_that_actor_only(tmp_path):
    out = tmp_path / "out"
    run_ok("run", "--set", "actors.RUS.position.enlargement=5", "--rounds", "1", "--out", str(out))
    _, rows = read_rounds(out / "rounds.csv")
    start = states(rows)[0]
    raw = nato_raw()
    assert raw["actors"]["RUS"]["position"]["enlargement"] != 5  # so the change is visible
    assert start[("enlargement", "RUS")] == 5
    for (iid, aid), x in start.items():
        if (iid, aid) != ("enlargement", "RUS"):
            assert x == raw["actors"][aid]["position"][iid], (iid, aid)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rounds"] <= 1


def test_set_issue_by_id_and_model_rounds(tmp_path):
    out = tmp_path / "out"
    run_ok(
        "run", "--set", "issues.posture.status_quo=50", "--set", "model.rounds=2", "--out", str(out)
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rounds"] <= 2
    _, rows = read_rounds(out / "rounds.csv")
    assert max(r["round"] for r in rows) == summary["rounds"]


def test_focus_writes_that_actors_quadrant(tmp_path):
    out_default, out_usa = tmp_path / "default", tmp_path / "usa"
    run_ok("run", "--rounds", "2", "--out", str(out_default))
    run_ok("run", "--rounds", "2", "--focus", "USA", "--out", str(out_usa))
    usa = (out_usa / "quadrant.png").read_bytes()
    assert usa[:8] == PNG_MAGIC
    assert usa != (out_default / "quadrant.png").read_bytes()  # another actor's view
    # the rest does not depend on the focus
    assert (out_usa / "rounds.csv").read_bytes() == (out_default / "rounds.csv").read_bytes()


def test_focus_unknown_actor_is_bad_input(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "--focus", "XXX", "--out", str(out))
    assert result.exit_code == 2
    assert "--focus XXX" in result.stderr and "RUS" in result.stderr
    assert not out.exists()


# ---- list, validate, help --------------------------------------------------------
def test_list():
    result = run_ok("list")
    lines = result.stdout.splitlines()
    names = {line.split()[0] for line in lines if line.strip()}
    assert {"nato_russia_2022", "ec_example_scholz2011", "china1989_bdm"} <= names
    nato_line = next(line for line in lines if line.startswith("nato_russia_2022"))
    assert "12 actors" in nato_line and "6 issues" in nato_line
    assert "invalid" not in result.stdout


def test_validate_shipped_files():
    files = sorted(
        str(p) for p in (ROOT / "scenarios").iterdir() if p.suffix in (".toml", ".csv", ".json")
    )
    assert len(files) >= 3
    result = run_ok("validate", *files)
    for f in files:
        assert f"{f}: ok" in result.stdout
    assert "12 actors, 6 issues, 1 bloc" in result.stdout
    # by shipped name too
    run_ok("validate", "nato_russia_2022", "ec_example_scholz2011")


def test_validate_bad_file(tmp_path):
    text = NATO_FILE.read_text().replace("capability = 0.036473", "capability = -0.036473", 1)
    assert text != NATO_FILE.read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = invoke("validate", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: actors.RUS.capability" in result.stderr
    assert "Traceback" not in result.output


def test_validate_needs_a_file():
    result = invoke("validate")
    assert result.exit_code == 2


def test_help_lists_commands():
    result = run_ok("--help")
    for command in ("run", "validate", "list"):
        assert command in result.stdout


def _env():
    return {**os.environ, "MPLBACKEND": "Agg"}


def test_python_dash_m_sim_help():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "validate", "list"):
        assert command in proc.stdout
    assert "Traceback" not in proc.stderr


def test_console_script_validate():
    script = Path(sys.executable).with_name("sim")
    if not script.exists():
        pytest.skip("no sim console script next to the interpreter")
    proc = subprocess.run(
        [str(script), "validate", "nato_russia_2022"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert "nato_russia_2022: ok" in proc.stdout
