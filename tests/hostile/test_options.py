"""Hostile values of the commands' options and of the Python API's arguments: every case
is exit 2 (or a ValueError in Python) with a message naming the option, never a
traceback, and long work that a few characters can ask for reports its progress."""

from __future__ import annotations

import numpy as np
import pytest

import sim
import sim.cli.games as cli_games
import sim.models.evolution as evolution
from sim.cli import main
from sim.grid import SweepError
from sim.models import games

SALIENCE = "actors.RUS.salience.enlargement"


# ---- sweep --param ------------------------------------------------------------------
@pytest.mark.parametrize(
    "param",
    [f"{SALIENCE}=0.5:0.5:3", "model.rounds=1:1:3", f"{SALIENCE}=0.5:0.5000000000000001:3"],
)
def test_a_sweep_grid_that_repeats_a_value_is_refused_before_any_work(tmp_path, capsys, param):
    out = tmp_path / "o"
    code = main(["sweep", "--param", param, "--runs", "2", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert f"--param {param}" in err and "distinct" in err
    assert not out.exists()


def test_a_sweep_grid_that_repeats_a_value_is_refused_in_python():
    with pytest.raises(SweepError, match="distinct"):
        sim.sweep(params={SALIENCE: (0.4, 0.4, 2)}, runs=2)


# ---- evolve: long work reports its progress, with the same results --------------------
def _matrix():
    t = games.tournament(["tit_for_tat", "defector", "grudger"], turns=20, repetitions=1)
    return t.payoff_matrix()


def test_many_fixation_runs_go_in_batches_that_report_with_the_same_result(monkeypatch, capsys):
    m = _matrix()
    whole = evolution.fixation_probability(m, 1, 0, 40, 257, 7)
    assert capsys.readouterr().err == ""  # small: one call, no progress
    monkeypatch.setattr(evolution, "LONG_FIXATION", 1000)  # batches of 25 runs
    batched = evolution.fixation_probability(m, 1, 0, 40, 257, 7)
    assert batched == whole
    assert "fixation runs" in capsys.readouterr().err


def test_long_replicator_dynamics_report_with_the_same_result(monkeypatch, capsys):
    m = _matrix()
    whole = evolution.replicator(m, [0.2, 0.3, 0.5], 1000)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(evolution, "LONG_REPLICATOR", 10)
    monkeypatch.setattr(evolution, "PROGRESS_STEPS", 7)  # a remainder at the end
    batched = evolution.replicator(m, [0.2, 0.3, 0.5], 1000)
    assert np.array_equal(whole, batched)
    assert "1000/1000 steps" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "table"),
    [
        (["evolve", "--turns", "5", "--process", "replicator", "--steps", "30"], "history.csv"),
        (["play", "--turns", "5"], "moves.csv"),
    ],
)
def test_writing_a_long_table_is_announced(monkeypatch, tmp_path, capsys, args, table):
    monkeypatch.setattr(cli_games, "LONG_TABLE", 10)
    assert main([*args, "--out", str(tmp_path / "o")]) == 0
    assert f"writing {table} of " in capsys.readouterr().err


# ---- the Python API: bounds as on the command line, messages naming the argument ------
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sim.play_match("tit_for_tat", "defector", turns=10**12), "turns"),
        (lambda: sim.tournament(["tit_for_tat", "defector"], turns=10**30), "turns"),
        (lambda: sim.tournament(["tit_for_tat", "defector"], turns=10**12), "turns"),
        (lambda: sim.tournament(["tit_for_tat", "defector"], repetitions=10**12), "repetitions"),
        (lambda: sim.evolve(["tit_for_tat", "defector"], turns=5, steps=10**12), "steps"),
        (
            lambda: sim.evolve(
                ["cooperator", "defector"], turns=5, steps=10**9, process="replicator"
            ),
            "steps",
        ),
        (lambda: sim.evolve(["tit_for_tat", "defector"], turns=5, population=10**12), "population"),
        (lambda: sim.play(turns=10**12), "turns"),
        (lambda: sim.play(turns="5"), "turns"),
        (lambda: sim.play(turns=5, noise=float("nan")), "noise"),
        (lambda: sim.play(turns=5, noise=2), "noise"),
        (lambda: sim.play(turns=5, seed=-1), "seed"),
    ],
)
def test_game_arguments_past_their_bounds_are_a_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=f"^{name} must be"):
        call()


def test_the_moran_default_steps_stay_within_the_bound():
    result = sim.evolve(
        ["tit_for_tat", "defector"], turns=5, population=evolution.MAX_POPULATION, steps=None
    )
    assert result.steps == evolution.MAX_STEPS


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({SALIENCE: (0.1, 0.2, 10**400)}, "expected numbers"),
        ({SALIENCE: (10**400, 0.2, 2)}, "expected numbers"),
        ({SALIENCE: (0.1, 0.2, True)}, "true or false"),
        ({SALIENCE: None}, "expected \\(START, STOP, NUM\\)"),
        ({SALIENCE: 3}, "expected \\(START, STOP, NUM\\)"),
        ({3: (0, 1, 2)}, "expected a field path"),
    ],
)
def test_odd_sweep_params_in_python_are_a_sweep_error(params, expected):
    with pytest.raises(SweepError, match=expected):
        sim.sweep(params=params, runs=2)


@pytest.mark.parametrize("parties", ["RUS,NATO", 3])
def test_parties_that_are_not_a_list_of_ids_are_refused(parties):
    with pytest.raises(ValueError, match="^parties: expected a list"):
        sim.run(model="nbs", parties=parties)


@pytest.mark.parametrize(
    ("strategies", "expected"),
    [({"RUS": "nope"}, "strategies\\['RUS'\\]"), ({"NOPE": "linear"}, "not a bargaining party")],
)
def test_unknown_bargaining_strategies_are_a_value_error(strategies, expected):
    with pytest.raises(ValueError, match=expected):
        sim.run(model="alternating", parties=["RUS", "NATO"], strategies=strategies)


def test_a_party_given_two_strategies_is_refused_naming_it(capsys):
    args = ["run", "--model", "alternating", "--strategy", "RUS=linear"]
    assert main([*args, "--strategy", "RUS=hard_line"]) == 2
    err = capsys.readouterr().err
    assert "--strategy RUS=hard_line" in err and "more than once" in err


@pytest.mark.parametrize("value", ["1", True, [1.0]])
@pytest.mark.parametrize("name", ["position_sd", "salience_sd", "capability_cv"])
def test_a_noise_argument_that_is_not_a_number_names_itself(name, value):
    with pytest.raises(TypeError, match=f"^{name}: expected a finite number"):
        sim.ensemble("ec_example_scholz2011", runs=2, **{name: value})
    with pytest.raises(TypeError, match=f"^{name}: expected a finite number"):
        sim.sweep("ec_example_scholz2011", {"model.rounds": (1, 2, 2)}, runs=2, **{name: value})


@pytest.mark.parametrize("strategies", [None, 3])
def test_strategies_that_are_not_a_list_are_a_value_error(strategies):
    with pytest.raises(ValueError, match="^strategies must be a list"):
        sim.tournament(strategies, turns=5)


def test_turns_and_continuation_together_are_refused(tmp_path, capsys):
    out = tmp_path / "o"
    args = ["tournament", "--continuation", "0.5", "--turns", "10", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--continuation 0.5" in err and "--turns" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "game",
    [np.full((2, 2, 2), 1e308), {"R": 3, "S": 0, "T": 5, "P": 1e300}],
)
def test_game_payoffs_past_the_scenario_limit_are_refused_in_python(game):
    with pytest.raises(ValueError, match="1e\\+12"):
        sim.tournament(["tit_for_tat", "defector"], turns=5, game=game)


def test_play_turns_past_the_move_limit_are_refused_naming_the_option(
    monkeypatch, tmp_path, capsys
):
    from sim.scenario import limits

    dyads = len(sim.load_scenario().game.dyads)
    monkeypatch.setattr(limits, "MAX_PLAY_MOVES", dyads * 200)  # the scenario's own turns fit
    out = tmp_path / "o"
    assert main(["play", "--turns", "201", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--turns 201" in err and "moves" in err
    assert not out.exists()


def test_play_in_python_keeps_the_move_limit(monkeypatch):
    from sim.scenario import limits

    dyads = len(sim.load_scenario().game.dyads)
    monkeypatch.setattr(limits, "MAX_PLAY_MOVES", dyads * 200)
    with pytest.raises(ValueError, match="^turns 201: .* moves"):
        sim.play(turns=201)
