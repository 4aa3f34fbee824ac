"""The bargaining models end to end on the command line: `sim run --model nbs|alternating|crisis`
and `sim ensemble --model crisis`, on the default scenario and on bad input.

Expected values are computed here from the scenario file (read with ``tomllib``) and
from the models' definitions (the zone of agreement as the intersection of red lines,
``p = K_C / (K_C + K_D)``, the bargaining range ``[p - c_C, p + c_D]``, the Wilson
interval), not from the code that wrote the files.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from sim.cli import cli

ROOT = Path(__file__).resolve().parent.parent
NATO_FILE = ROOT / "scenarios" / "nato_russia_2022.toml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output,
        result.exception,
    )
    return result


def run_ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


def assert_png(path: Path) -> None:
    assert path.is_file(), path
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000, path


def nato() -> dict:
    with NATO_FILE.open("rb") as fh:
        return tomllib.load(fh)


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    phat = k / n
    den = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / den
    half = z / den * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# ---- 1. the contract commands on the default scenario ---------------------------------------


def test_nbs_on_the_default_scenario(tmp_path):
    out = tmp_path / "nbs"
    run_ok("run", "--model", "nbs", "--out", out)
    s = summary(out)
    raw = nato()
    issues = [i["id"] for i in raw["issues"]]
    assert s["model"] == "nbs"
    assert s["parties"] == raw["bargaining"]["parties"] == ["RUS", "NATO"]
    # the zone: the intersection of RUS's red lines and the NATO members' (consensus)
    members = raw["blocs"]["NATO"]["members"]
    assert raw["blocs"]["NATO"]["rule"] == "consensus"
    zone = s["zone_of_agreement"]
    assert set(zone) == set(issues)
    for it in raw["issues"]:
        lo, hi = it["scale"]
        for aid in ["RUS", *members]:
            red = raw["actors"][aid].get("red_line", {}).get(it["id"])
            if red is not None:
                lo, hi = max(lo, red[0]), min(hi, red[1])
        red = raw["blocs"]["NATO"].get("red_line", {}).get(it["id"])
        if red is not None:
            lo, hi = max(lo, red[0]), min(hi, red[1])
        z = zone[it["id"]]
        assert z["empty"] is (lo > hi), it["id"]
        if lo <= hi:
            assert (z["lo"], z["hi"]) == (lo, hi), it["id"]
    assert set(s["agreement"]) >= {"reached", "outcome", "utilities"}
    empty = [i for i in issues if zone[i]["empty"]]
    assert empty == ["enlargement"]  # RUS [0, 50] against the allies' [60, 100]
    assert s["agreement"]["reached"] is False
    assert s["message"].startswith("no zone of agreement")
    assert "enlargement" in s["message"]
    assert_png(out / "agreement.png")


def test_alternating_on_the_default_scenario(tmp_path):
    out = tmp_path / "alt"
    run_ok("run", "--model", "alternating", "--parties", "RUS,NATO", "--out", out)
    s = summary(out)
    raw = nato()["bargaining"]
    assert {"agreement", "round"} <= set(s)
    assert set(s["agreement"]) >= {"reached", "outcome", "utilities"}
    assert s["parties"] == ["RUS", "NATO"]
    assert s["first"] == raw["first"]
    assert s["deadline"] == raw["deadline"]
    assert s["strategies"]["RUS"]["kind"] == "hard_line"  # "hard_line" in the file
    assert s["strategies"]["NATO"] == {"kind": "time_based", "exponent": 0.2}  # "boulware"
    with (out / "offers.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert 1 <= len(rows) <= raw["deadline"]
    assert [int(r["round"]) for r in rows] == list(range(len(rows)))
    other = "NATO" if raw["first"] == "RUS" else "RUS"
    assert [r["proposer"] for r in rows] == [
        raw["first"] if t % 2 == 0 else other for t in range(len(rows))
    ]
    # RUS plays hard line: every offer it makes asks for all of its share
    assert all(float(r["value_a"]) == 1.0 for r in rows if r["proposer"] == "RUS")
    accepted = [r["accepted"] == "True" for r in rows]
    if s["agreement"]["reached"]:
        assert accepted == [False] * (len(rows) - 1) + [True]
        assert s["round"] == len(rows) - 1
    else:
        assert s["round"] is None
        assert not any(accepted)
    assert_png(out / "offers.png")


def test_crisis_on_the_default_scenario(tmp_path):
    out = tmp_path / "crisis"
    run_ok("run", "--model", "crisis", "--out", out)
    s = summary(out)
    raw = nato()
    cr, cap = raw["crisis"], {a: v["capability"] for a, v in raw["actors"].items()}
    k_c = cap[cr["challenger"]] + sum(v * cap[a] for a, v in cr["challenger_supporters"].items())
    k_d = cap[cr["defender"]] + sum(v * cap[a] for a, v in cr["supporters"].items())
    g = cr["exponent"]
    p = k_c**g / (k_c**g + k_d**g)
    assert {"p", "bargaining_range", "p_war", "war"} <= set(s)
    assert s["p"] == pytest.approx(p, rel=1e-12)
    c_c, c_d = cr["cost"][cr["challenger"]], cr["cost"][cr["defender"]]
    assert s["bargaining_range"] == pytest.approx([p - c_c, p + c_d], rel=1e-12)
    assert 0.0 <= s["p_war"] <= 1.0
    assert isinstance(s["war"], bool)
    assert_png(out / "bargaining_range.png")


def check_crisis_ensemble(out: Path, runs: int, seed: int) -> dict:
    s = summary(out)
    table = pq.read_table(out / "runs.parquet")
    assert table.num_rows == runs == s["runs"]
    assert s["root_seed"] == seed
    k = int(sum(table.column("war").to_pylist()))
    assert s["p_war"] == k / runs
    lo, hi = s["p_war_interval"]
    assert lo <= s["p_war"] <= hi
    assert (lo, hi) == pytest.approx(wilson(k, runs), abs=1e-12)
    assert 0.0 <= s["p_war_believed"] <= 1.0
    return s


def test_crisis_ensemble_on_the_default_scenario(tmp_path):
    out = tmp_path / "ens"
    run_ok("ensemble", "--model", "crisis", "--runs", 500, "--seed", 3, "--out", out, "--quiet")
    check_crisis_ensemble(out, 500, 3)
    assert_png(out / "distribution.png")


def test_the_contract_crisis_ensemble_of_5000_runs(tmp_path):
    out = tmp_path / "ens"
    run_ok("ensemble", "--model", "crisis", "--runs", 5000, "--seed", 3, "--out", out, "--quiet")
    s = check_crisis_ensemble(out, 5000, 3)
    # the first 500 runs are those of the 500-run ensemble with the same seed
    small = tmp_path / "small"
    run_ok("ensemble", "--model", "crisis", "--runs", 500, "--seed", 3, "--out", small, "--quiet")
    a = pq.read_table(out / "runs.parquet").slice(0, 500).column("war").to_pylist()
    b = pq.read_table(small / "runs.parquet").column("war").to_pylist()
    assert a == b
    assert s["challenger"] == "RUS" and s["defender"] == "UKR"


# ---- 2. bad input -----------------------------------------------------------------------------


def to_toml(raw: dict) -> str:
    """A scenario dict as TOML: sections, [[issues]], [actors.X] and [blocs.X] tables."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(v)

    def body(table: dict) -> list[str]:
        return [f"{k} = {value(v)}" for k, v in table.items()]

    lines: list[str] = []
    for section, content in raw.items():
        if section == "issues":
            for it in content:
                lines += ["[[issues]]", *body(it), ""]
        elif section in ("actors", "blocs"):
            for pid, table in content.items():
                lines += [f"[{section}.{pid}]", *body(table), ""]
        else:
            lines += [f"[{section}]", *body(content), ""]
    return "\n".join(lines)


BASE = {
    "scenario": {"name": "crisis test"},
    "issues": [
        {"id": "border", "scale": [0.0, 100.0], "status_quo": 100.0},
        {"id": "trade", "scale": [0.0, 100.0], "status_quo": 50.0},
    ],
    "actors": {
        "CH": {
            "capability": 2.0,
            "position": {"border": 0.0, "trade": 20.0},
            "salience": {"border": 1.0, "trade": 0.5},
        },
        "D1": {
            "capability": 1.0,
            "position": {"border": 100.0, "trade": 70.0},
            "salience": {"border": 1.0, "trade": 0.4},
        },
        "D2": {
            "capability": 0.5,
            "position": {"border": 90.0, "trade": 60.0},
            "salience": {"border": 0.8, "trade": 0.6},
        },
        "S1": {
            "capability": 4.0,
            "position": {"border": 80.0, "trade": 50.0},
            "salience": {"border": 0.3, "trade": 0.9},
        },
        "S2": {
            "capability": 1.0,
            "position": {"border": 10.0, "trade": 40.0},
            "salience": {"border": 0.5, "trade": 0.5},
        },
    },  # fmt: skip
    "blocs": {"DEF": {"members": ["D1", "D2"], "position": {"border": 100.0, "trade": 65.0}}},
    "payoffs": {"utility": "linear", "discount": {"CH": 0.9, "DEF": 0.95}},
    "bargaining": {
        "parties": ["CH", "DEF"],
        "first": "CH",
        "deadline": 8,
        "strategies": {"CH": "linear", "DEF": "boulware"},
    },
    "crisis": {
        "challenger": "CH",
        "defender": "DEF",
        "supporters": {"S1": 0.5},
        "challenger_supporters": {"S2": 0.5},
        "contested": ["border"],
        "cost": {"CH": 0.15, "DEF": 0.2},
        "cost_range": [0.1, 0.7],
    },
}


def write_scenario(folder: Path, raw: dict, name: str = "case.toml") -> Path:
    path = folder / name
    path.write_text(to_toml(raw), encoding="utf-8")
    return path


def test_the_toml_helper_round_trips():
    assert tomllib.loads(to_toml(BASE)) == BASE


@pytest.mark.parametrize("model", ["nbs", "alternating", "crisis"])
def test_the_unbroken_scenario_runs(model, tmp_path):
    path = write_scenario(tmp_path, BASE)
    out = tmp_path / "out"
    run_ok("run", path, "--model", model, "--out", out)
    assert (out / "summary.json").is_file()
    run_ok("validate", path)


def check_rejected(result, out: Path, *fragments: str) -> str:
    message = result.output
    assert result.exit_code == 2, message
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not named in: {message}"
    assert not out.exists(), "bad input wrote to --out"
    return message


OPTION_CASES = [
    # (id, args, fragments the message must hold)
    ("unknown-party", ["--model", "nbs", "--parties", "RUS,XXX"], ["--parties", "'XXX'"]),
    ("one-party", ["--model", "nbs", "--parties", "RUS"], ["--parties", "two"]),
    ("repeated-party", ["--model", "nbs", "--parties", "RUS,RUS"], ["--parties", "two"]),
    (
        "three-for-alternating",
        ["--model", "alternating", "--parties", "RUS,USA,UKR"],
        ["--parties", "two"],
    ),
    (
        "unknown-strategy",
        ["--model", "alternating", "--strategy", "RUS=stubborn"],
        ["--strategy", "stubborn", "hard_line"],
    ),
    (
        "negative-exponent",
        ["--model", "alternating", "--strategy", "RUS=time_based:-1"],
        ["--strategy", "time_based", "EXPONENT > 0"],
    ),
    (
        "zero-exponent",
        ["--model", "alternating", "--strategy", "RUS=time_based:0"],
        ["--strategy", "EXPONENT > 0"],
    ),
    (
        "factor-too-large",
        ["--model", "alternating", "--strategy", "NATO=tit_for_tat:11"],
        ["--strategy", "FACTOR"],
    ),
    (
        "strategy-without-equals",
        ["--model", "alternating", "--strategy", "RUS"],
        ["--strategy", "PARTY=NAME"],
    ),
    (
        "strategy-for-a-non-party",
        ["--model", "alternating", "--strategy", "UKR=linear"],
        ["--strategy", "'UKR'", "not a party"],
    ),
    (
        "first-not-a-party",
        ["--model", "alternating", "--first", "UKR"],
        ["--first", "UKR", "RUS", "NATO"],
    ),
    (
        "first-not-among-given-parties",
        ["--model", "alternating", "--parties", "RUS,USA", "--first", "NATO"],
        ["--first", "NATO"],
    ),
    ("bad-weights", ["--model", "nbs", "--weights", "power"], ["--weights"]),
    ("bad-negotiation", ["--model", "crisis", "--negotiation", "poker"], ["--negotiation"]),
]


@pytest.mark.parametrize(
    "args, fragments", [c[1:] for c in OPTION_CASES], ids=[c[0] for c in OPTION_CASES]
)
def test_bad_options_are_rejected(args, fragments, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", *args, "--out", out)
    check_rejected(result, out, *fragments)


def test_crisis_on_a_scenario_without_crisis_is_rejected(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "ec_example_scholz2011", "--model", "crisis", "--out", out)
    check_rejected(result, out, "ec_example_scholz2011", "crisis", "[crisis]")


def test_crisis_ensemble_on_a_scenario_without_crisis_is_rejected(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["ensemble", "ec_example_scholz2011", "--model", "crisis", "--runs", "10",
              "--out", str(out), "--quiet"],
    )  # fmt: skip
    check_rejected(result, out, "ec_example_scholz2011", "crisis")


def changed(*edits) -> dict:
    """BASE with edits: (path, value) sets a key (value None deletes it); a path is a
    tuple of keys."""
    raw = copy.deepcopy(BASE)
    for path, v in edits:
        node = raw
        for key in path[:-1]:
            node = node[key]
        if v is None:
            del node[path[-1]]
        else:
            node[path[-1]] = v
    return raw


FILE_CASES = [
    # (id, edits, fragments the message must hold)
    ("unknown-challenger", [(("crisis", "challenger"), "XX")], ["crisis.challenger", "'XX'"]),
    (
        "challenger-is-defender",
        [(("crisis", "defender"), "CH"), (("crisis", "cost"), {"CH": 0.15})],
        ["crisis.defender", "other than the challenger"],
    ),
    ("unknown-defender", [(("crisis", "defender"), "YY")], ["crisis.defender", "'YY'"]),
    (
        "supporter-in-the-defenders-bloc",
        [(("crisis", "supporters"), {"S1": 0.5, "D1": 0.5})],
        ["crisis.supporters.D1", "twice"],
    ),
    (
        "challenger-supporter-in-the-defenders-bloc",
        [(("crisis", "challenger_supporters"), {"D2": 0.5})],
        ["crisis.challenger_supporters.D2"],
    ),
    (
        "supporter-of-both-sides",
        [(("crisis", "challenger_supporters"), {"S1": 0.2})],
        ["crisis.challenger_supporters.S1"],
    ),
    ("unknown-supporter", [(("crisis", "supporters"), {"ZZ": 0.5})], ["crisis.supporters.ZZ"]),
    ("supporter-share-above-one", [(("crisis", "supporters"), {"S1": 1.5})], ["crisis.supporters"]),
    (
        "unknown-contested-issue",
        [(("crisis", "contested"), ["border", "fish"])],
        ["crisis.contested[1]", "'fish'"],
    ),
    ("no-contested-issue", [(("crisis", "contested"), [])], ["crisis.contested"]),
    ("missing-defender-cost", [(("crisis", "cost"), {"CH": 0.15})], ["crisis.cost", "'DEF'"]),
    ("missing-challenger-cost", [(("crisis", "cost"), {"DEF": 0.2})], ["crisis.cost", "'CH'"]),
    (
        "cost-for-a-bystander",
        [(("crisis", "cost"), {"CH": 0.15, "DEF": 0.2, "S1": 0.1})],
        ["crisis.cost.S1"],
    ),
    ("negative-cost", [(("crisis", "cost"), {"CH": -0.1, "DEF": 0.2})], ["crisis.cost"]),
    ("cost-range-empty", [(("crisis", "cost_range"), [0.5, 0.5])], ["crisis.cost_range"]),
    ("cost-range-reversed", [(("crisis", "cost_range"), [0.7, 0.1])], ["crisis.cost_range"]),
    ("cost-range-negative", [(("crisis", "cost_range"), [-0.1, 0.5])], ["crisis.cost_range"]),
    ("exponent-zero", [(("crisis", "exponent"), 0.0)], ["crisis.exponent"]),
    ("unknown-negotiation", [(("crisis", "negotiation"), "poker")], ["crisis.negotiation"]),
    ("unknown-crisis-key", [(("crisis", "alliance"), "x")], ["crisis.alliance"]),
    (
        "war-outside-option-without-crisis",
        [(("crisis",), None), (("payoffs", "outside_option"), {"CH": "war"})],
        ["payoffs.outside_option.CH", "[crisis]"],
    ),
    (
        "war-outside-option-for-a-bystander",
        [(("payoffs", "outside_option"), {"S1": "war"})],
        ["payoffs.outside_option.S1"],
    ),
    (
        "outside-option-of-unknown-party",
        [(("payoffs", "outside_option"), {"QQ": 0.2})],
        ["payoffs.outside_option.QQ"],
    ),
    (
        "outside-option-above-one",
        [(("payoffs", "outside_option"), {"CH": 1.5})],
        ["payoffs.outside_option"],
    ),
    (
        "unknown-bargaining-party",
        [(("bargaining", "parties"), ["CH", "XX"])],
        ["bargaining.parties[1]", "'XX'"],
    ),
    (
        "bargaining-party-twice",
        [(("bargaining", "parties"), ["CH", "CH"]), (("bargaining", "strategies"), {})],
        ["bargaining.parties", "'CH'", "2 times"],
    ),
    ("one-bargaining-party", [(("bargaining", "parties"), ["CH"])], ["bargaining.parties"]),
    ("first-not-a-party", [(("bargaining", "first"), "S1")], ["bargaining.first"]),
    (
        "actor-in-two-parties",
        [(("bargaining", "parties"), ["D1", "DEF"]), (("bargaining", "first"), "D1")],
        ["bargaining.parties", "'D1'"],
    ),
    (
        "strategy-for-unknown-party",
        [(("bargaining", "strategies"), {"XX": "linear"})],
        ["bargaining.strategies.XX"],
    ),
    (
        "unknown-strategy-name",
        [(("bargaining", "strategies"), {"CH": "stubborn"})],
        ["bargaining.strategies.CH"],
    ),
    ("deadline-zero", [(("bargaining", "deadline"), 0)], ["bargaining.deadline"]),
    ("weights-unknown", [(("bargaining", "weights"), "power")], ["bargaining.weights"]),
    ("discount-zero", [(("payoffs", "discount"), 0.0)], ["payoffs.discount"]),
    ("discount-above-one", [(("payoffs", "discount"), 1.5)], ["payoffs.discount"]),
    (
        "party-discount-zero",
        [(("payoffs", "discount"), {"CH": 0.0, "DEF": 0.95})],
        ["payoffs.discount.CH"],
    ),
    (
        "discount-of-unknown-party",
        [(("payoffs", "discount"), {"QQ": 0.9})],
        ["payoffs.discount.QQ"],
    ),
    ("utility-cubic", [(("payoffs", "utility"), "cubic")], ["payoffs.utility", "linear"]),
]


@pytest.mark.parametrize(
    "strategy, fragments",
    [
        ("stubborn", ["bargaining.strategies.CH:", "hard_line", "boulware", "'stubborn'"]),
        ({"kind": "time_based", "exponent": -1.0}, ["bargaining.strategies.CH.exponent:"]),
        ({"kind": "bogus"}, ["bargaining.strategies.CH.kind:", "time_based"]),
    ],
    ids=["unknown-name", "negative-exponent", "unknown-kind"],
)
def test_bad_strategy_in_a_file_names_the_field_and_the_choices(strategy, fragments, tmp_path):
    path = write_scenario(tmp_path, changed((("bargaining", "strategies"), {"CH": strategy})))
    out = tmp_path / "out"
    result = invoke("run", path, "--model", "alternating", "--out", out)
    message = check_rejected(result, out, *fragments)
    assert ".Strategy" not in message


@pytest.mark.parametrize(
    "edits, fragments", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
@pytest.mark.parametrize("model", ["nbs", "crisis"])
def test_bad_scenario_files_are_rejected(edits, fragments, model, tmp_path):
    path = write_scenario(tmp_path, changed(*edits))
    out = tmp_path / "out"
    result = invoke("run", path, "--model", model, "--out", out)
    message = check_rejected(result, out, *fragments)
    assert str(path) in message
    # `sim validate` says the same
    result = invoke("validate", path)
    assert result.exit_code == 2
    for fragment in fragments:
        assert fragment in result.output
