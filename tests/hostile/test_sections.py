"""Hostile values in each section of a scenario file, run through the models that read
the section: every run ends (no hang), exits 0 or 2, writes strict JSON and never a
traceback.
"""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, limits, validate_raw

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hostile"


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _raise(*_):
        raise _TooSlow(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _sim(capsys, *args, seconds: int = 20) -> tuple[int, str]:
    with _deadline(seconds):
        code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _strict_json(path: Path) -> dict:
    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


@pytest.mark.parametrize("model", ["nbs", "crisis"])
def test_a_scale_far_from_zero_ends(model, tmp_path, capsys):
    """A scale 1 wide at 1e15 (floats 0.125 apart) does not hang the Nash search."""
    path = CORPUS / "ok_scale_far_from_zero.toml"
    args = ["--parties", "X,Y"] if model != "crisis" else []
    if model == "crisis":
        args = ["--set", 'crisis={challenger="X", defender="Y", contested=["a"], '
                'cost={X=0.1, Y=0.1}}']  # fmt: skip
    code, text = _sim(capsys, "run", path, "--model", model, "--out", tmp_path / "o", *args)
    assert code == 0, text
    summary = _strict_json(tmp_path / "o" / "summary.json")
    if model == "nbs":
        # as on the same scale moved to [0, 1]: the search moves on issue a too
        assert summary["agreement"]["reached"], text
        assert summary["agreement"]["outcome"]["a"] > 1e15 - 1


def test_a_status_quo_worse_than_losing_the_war_is_drawn(tmp_path, capsys):
    """A negotiated share below 0 (the status quo worse than losing) runs and is reported."""
    path = CORPUS / "ok_crisis_status_quo_worse_than_losing.toml"
    code, text = _sim(capsys, "run", path, "--model", "crisis", "--out", tmp_path / "o")
    assert "Traceback" not in text
    assert code == 0, text
    summary = _strict_json(tmp_path / "o" / "summary.json")
    assert (tmp_path / "o" / "bargaining_range.png").is_file()
    # the summary keeps the true share; only the figure draws it at the end of the pie
    assert summary["crisis"]["negotiation"]["share"] < 0


def _many_actors(n: int) -> dict:
    issue = "i" * 60
    return {
        "scenario": {"name": "Many actors"},
        "issues": [{"id": issue, "scale": [0, 100]}],
        "actors": {
            f"{'A' * 60}{i}": {"capability": 1.0, "position": {issue: 50}, "salience": {issue: 0.5}}
            for i in range(n)
        },
    }


def test_a_refusal_of_thousands_of_problems_stays_short(tmp_path, capsys):
    """2,000 unknown parties among 1,000 actors: 100 lines and a count, not megabytes."""
    raw = _many_actors(1000)
    raw["bargaining"] = {"parties": [f"Q{i}" for i in range(2000)]}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    code, text = _sim(capsys, "validate", path)
    assert code == 2
    lines = text.strip().splitlines()
    assert len(lines) <= 101, len(lines)
    assert len(text) < 100_000, len(text)
    assert all(line.startswith(str(path)) for line in lines)
    assert "bargaining.parties[0]: unknown actor or bloc 'Q0'" in lines[0]
    assert "1,900 more problems (2,000 in all)" in lines[-1]


def test_an_unknown_id_names_a_few_of_the_ids_expected(tmp_path):
    """One unknown supporter among 1,000 actors is one short line, not all 1,000 ids."""
    raw = _many_actors(1000)
    first, second = list(raw["actors"])[:2]
    raw["crisis"] = {
        "challenger": first,
        "defender": second,
        "contested": ["i" * 60],
        "cost": {first: 0.1, second: 0.1},
        "supporters": {"nobody": 0.5},
    }
    with pytest.raises(ScenarioError) as info:
        validate_raw(raw, source="many.json")
    (line,) = str(info.value).splitlines()
    assert line.startswith("many.json: crisis.supporters.nobody: unknown actor 'nobody'")
    assert "(1,000 in all)" in line and len(line) < 1_000, len(line)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bargaining": {"parties": ["X", "X"]}}, "bargaining.parties"),
        (
            {
                "crisis": {
                    "challenger": "X",
                    "defender": "X",
                    "contested": ["a"],
                    "cost": {"X": 0.1},
                }
            },
            "crisis",
        ),
    ],
    ids=["party-listed-twice", "challenger-is-defender"],
)
def test_a_party_named_twice_is_one_problem(change, field):
    """A party listed twice, or a challenger that is its own defender, is said once, not
    again as a capability counted twice or an actor on both sides."""
    raw = {
        "scenario": {"name": "Twice"},
        "issues": [{"id": "a", "scale": [0, 100]}],
        "actors": {
            "X": {"capability": 1.0, "position": {"a": 10}, "salience": {"a": 0.5}},
            "Y": {"capability": 2.0, "position": {"a": 90}, "salience": {"a": 0.5}},
        },
        **change,
    }
    with pytest.raises(ScenarioError) as info:
        validate_raw(raw, source="twice.toml")
    paths = [path for path, _ in info.value.problems]
    assert len(paths) == 1, info.value.problems
    assert paths[0].startswith(field)


def _games(dyads: int, turns: int) -> dict:
    actors = {
        f"P{i}": {"capability": 1.0, "position": {"a": 50}, "salience": {"a": 0.5}}
        for i in range(dyads + 1)
    }
    return {
        "scenario": {"name": "Many dyads"},
        "issues": [{"id": "a", "scale": [0, 100]}],
        "actors": actors,
        "game": {
            "turns": turns,
            "dyads": [{"actors": ["P0", f"P{i}"]} for i in range(1, dyads + 1)],
            "strategies": {pid: "random:0.5" for pid in actors},
        },
    }


def test_the_moves_of_play_are_bounded(tmp_path, capsys):
    """11 dyads of 1,000,000 turns (22 million rows of moves.csv) are refused at load,
    naming game.turns and the limit; 10 such dyads are at the limit and load."""
    over = tmp_path / "over.json"
    over.write_text(json.dumps(_games(11, 1_000_000)), encoding="utf-8")
    code, text = _sim(capsys, "validate", over)
    assert code == 2
    assert f"{over}: game.turns: 11 dyads x 1,000,000 turns" in text
    assert f"at most {limits.MAX_PLAY_MOVES:,}" in text
    sc = validate_raw(_games(10, 1_000_000), source="at_limit.json")
    assert limits.check_play(sc) == []
    ((field, message),) = limits.check_play(sc, turns=1_000_001)
    assert field == "--turns" and "10,000,010 moves" in message
