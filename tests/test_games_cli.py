"""sim tournament, sim evolve and sim play end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main
from sim.cli.games import evolve_cmd, play_cmd, tournament_cmd
from sim.games import GAME_COMMANDS, options_of

EIGHT = (
    "cooperator,defector,tit_for_tat,grudger,tit_for_two_tats,"
    "suspicious_tit_for_tat,alternator,win_stay_lose_shift"
)
PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_contract_tournament(tmp_path, capsys):
    out = tmp_path / "t"
    code, text, err = run(
        capsys, "tournament", "--strategies", EIGHT, "--turns", 200, "--repetitions", 10,
        "--seed", 1, "--out", out,
    )  # fmt: skip
    assert code == 0, err
    scores = pd.read_csv(out / "scores.csv")
    assert list(scores.columns) == [
        "strategy", "mean_payoff_per_turn", "score_per_repetition", "wins_per_repetition",
    ]  # fmt: skip
    assert sorted(scores.strategy) == sorted(EIGHT.split(","))
    assert scores.score_per_repetition.is_monotonic_decreasing
    # per turn = score / (200 turns x 7 opponents): every match is played in full
    assert (scores.mean_payoff_per_turn * 1400 - scores.score_per_repetition).abs().max() < 1e-9
    matrix = pd.read_csv(out / "payoff_matrix.csv", index_col="strategy")
    assert list(matrix.index) == list(matrix.columns) == EIGHT.split(",")
    # by hand: tit for tat against a defector, 200 turns: 0 + 199 x 1 = 199, and 5 + 199 = 204
    assert matrix.loc["tit_for_tat", "defector"] * 200 == pytest.approx(199)
    assert matrix.loc["defector", "tit_for_tat"] * 200 == pytest.approx(204)
    assert matrix.loc["cooperator", "defector"] == 0.0
    assert matrix.loc["defector", "cooperator"] == 5.0
    # the score is the row sum of the matrix without the diagonal, times 200 turns
    off = matrix.to_numpy().copy()
    for i in range(len(off)):
        off[i, i] = 0.0
    by_row = pd.Series(off.sum(axis=1) * 200, index=matrix.index)
    for row in scores.itertuples():
        assert by_row[row.strategy] == pytest.approx(row.score_per_repetition)
    for name in ("ranking.png", "payoff_matrix.png"):
        assert (out / name).read_bytes()[:8] == PNG
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 1
    assert "tit_for_tat" in text


def test_tournament_from_the_scenario_game_section(tmp_path, capsys):
    code, text, err = run(capsys, "tournament", "nato_russia_2022", "--out", tmp_path / "s")
    assert code == 0, err
    scores = pd.read_csv(tmp_path / "s" / "scores.csv")
    import sim

    wanted = set(sim.load_scenario().game.strategies.values())
    assert {s.split(":")[0] for s in scores.strategy} == {w.split(":")[0] for w in wanted}


def test_same_seed_same_files(tmp_path, capsys):
    args = ["tournament", "--strategies", "random,tit_for_tat,generous_tit_for_tat:0.3",
            "--noise", 0.1, "--turns", 50, "--seed", 5]  # fmt: skip
    assert run(capsys, *args, "--out", tmp_path / "a")[0] == 0
    assert run(capsys, *args, "--out", tmp_path / "b")[0] == 0
    for name in ("scores.csv", "payoff_matrix.csv", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_evolve_writes_history_and_figure(tmp_path, capsys):
    out = tmp_path / "e"
    code, text, err = run(
        capsys, "evolve", "--strategies", "tit_for_tat,defector,cooperator", "--population", 30,
        "--steps", 500, "--seed", 2, "--fixation", 200, "--out", out,
    )  # fmt: skip
    assert code == 0, err
    hist = pd.read_csv(out / "history.csv")
    assert list(hist.columns) == ["step", "tit_for_tat", "defector", "cooperator"]
    assert (hist[["tit_for_tat", "defector", "cooperator"]].sum(axis=1) == 30).all()
    assert (out / "evolution.png").read_bytes()[:8] == PNG
    fix = pd.read_csv(out / "fixation.csv")
    assert len(fix) == 6
    assert ((fix.lo <= fix.probability) & (fix.probability <= fix.hi)).all()
    # a defector among cooperators has the higher payoff in every meeting: it fixes more
    # often than a neutral mutant; a cooperator among defectors never does better
    row = fix[(fix.mutant == "defector") & (fix.resident == "cooperator")].iloc[0]
    assert row.lo > 1 / 30
    row = fix[(fix.mutant == "cooperator") & (fix.resident == "defector")].iloc[0]
    assert row.probability < 1 / 30


def test_replicator_from_the_command_line(tmp_path, capsys):
    code, text, err = run(
        capsys, "evolve", "--process", "replicator", "--strategies", "defector,cooperator",
        "--steps", 50, "--out", tmp_path / "r",
    )  # fmt: skip
    assert code == 0, err
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    assert hist.defector.is_monotonic_increasing
    assert hist.iloc[-1].defector > 0.99


def test_play_the_scenario_dyads(tmp_path, capsys):
    out = tmp_path / "p"
    code, text, err = run(capsys, "play", "--seed", 1, "--out", out)
    assert code == 0, err
    moves = pd.read_csv(out / "moves.csv")
    assert set(moves.action) <= {"C", "D"}
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["dyads"]) == 5
    assert (out / "moves.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["tournament", "--strategies", "tit_for_tat,nice"], ["--strategies", "nice", "grudger"]),
        (["tournament", "--strategies", "tit_for_tat,tit_for_tat"], ["twice"]),
        (["tournament", "--strategies", "tit_for_tat"], ["at least two"]),
        (["tournament", "--strategies", "random:2,defector"], ["random", "[0, 1]"]),
        (["tournament", "--strategies", "defector:0.5,cooperator"], ["no parameter"]),
        (
            ["tournament", "--strategies", "defector,cooperator", "--game", "poker"],
            ["--game", "chicken"],
        ),
        (["tournament", "ec_example_scholz2011"], ["--strategies", "[game]"]),
        (
            ["tournament", "--strategies", "defector,cooperator", "--continuation", "1.5"],
            ["continuation"],
        ),
        (["evolve", "--strategies", "defector", "--population", "1"], ["population"]),
        (["play", "ec_example_scholz2011"], ["game.dyads"]),
        (["play", "--set", 'game.strategies.RUS="nice"'], ["game.strategies.RUS", "grudger"]),
    ],
)
def test_bad_input_is_exit_2_without_traceback(tmp_path, capsys, args, fragments):
    out = tmp_path / "out"
    code, text, err = run(capsys, *args, "--out", out)
    assert code == 2, (text, err)
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, (f, err)
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "command"),
    [("tournament", tournament_cmd), ("evolve", evolve_cmd), ("play", play_cmd)],
)
def test_each_command_takes_the_options_of_its_parameters(name, command):
    """A command's options are its family entry's parameters (default, range, help), with
    --out and --set after --seed, and its help starts with the entry's summary."""
    import dataclasses

    entry = GAME_COMMANDS[name]
    fields = {f.name: f for f in dataclasses.fields(entry.Params)}
    options = [p for p in command.params if p.name not in ("scenario", "out", "overrides")]
    assert [p.name for p in options] == list(fields)
    names = [p.name for p in command.params]
    assert names[names.index("seed") + 1 : names.index("seed") + 3] == ["out", "overrides"]
    for p in options:
        opt = options_of(entry.Params)[p.name]
        assert p.default == fields[p.name].default and p.help == opt.help, p.name
        if opt.lo is not None:
            assert (p.type.min, p.type.max) == (opt.lo, opt.hi), p.name
    assert command.help.splitlines()[0] == entry.summary
    assert entry.citation and entry.run.__name__ == name


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["evolve", "--strategies", "defector,cooperator", "--steps", "10000001"],
            "1<=x<=10000000",
        ),
        (["evolve", "--strategies", "defector,cooperator", "--fixation", "0"], "1<=x<=10000000"),
        (
            ["tournament", "--strategies", "defector,cooperator", "--repetitions", "0"],
            "1<=x<=100000",
        ),
        (["play", "--seed", "-1"], "0<=x<=9223372036854775807"),
        (["tournament", "--strategies", "defector,cooperator", "--noise", "nan"], "finite"),
    ],
)
def test_a_value_out_of_its_parameter_range_is_exit_2_naming_it(capsys, args, fragment):
    code, _, err = run(capsys, *args)
    assert code == 2 and fragment in err and "Traceback" not in err
