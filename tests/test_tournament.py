"""Round-robin tournaments (sim.models.games, sim.games, sim.results.games): scores by hand,
self-play, wins, the payoff matrix, seeds, noise, drawn match lengths, bad input, files and
figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import sim.games
import sim.save
from sim import plot
from sim.kernels import games as K
from sim.models import games as G
from sim.models.strategies import CODES, GameStrategy, parse_strategy, strategy_code
from sim.results.base import Figure
from sim.results.games import TournamentResult
from sim.scenario.game_strategies import GAME_STRATEGIES

COLUMNS = ["strategy", "mean_payoff_per_turn", "score_per_repetition", "wins_per_repetition"]
DETERMINISTIC = [
    "cooperator", "defector", "tit_for_tat", "suspicious_tit_for_tat", "tit_for_two_tats",
    "grudger", "alternator", "win_stay_lose_shift",
]  # fmt: skip


def test_scores_by_hand_self_play_left_out():
    # 10 turns of the prisoner's dilemma (R=3 S=0 T=5 P=1):
    #   cooperator - defector: 0 / 50; cooperator - tit_for_tat: 30 / 30;
    #   defector - tit_for_tat: 5 + 9 = 14 / 0 + 9 = 9
    r = G.tournament(["cooperator", "defector", "tit_for_tat"], turns=10, repetitions=3)
    s = r.scores()
    assert list(s.columns) == COLUMNS
    assert s["strategy"].tolist() == ["defector", "tit_for_tat", "cooperator"]
    assert s["score_per_repetition"].tolist() == [64.0, 39.0, 30.0]
    assert s["mean_payoff_per_turn"].tolist() == [64 / 20, 39 / 20, 30 / 20]
    assert s["wins_per_repetition"].tolist() == [2.0, 0.0, 0.0]
    # self-play was played: on the diagonal of the totals and of the payoff matrix
    assert r.totals[:, 0, 0].tolist() == [30.0] * 3 and r.totals[:, 1, 1].tolist() == [10.0] * 3
    m = r.payoff_matrix()
    assert np.diag(m.to_numpy()).tolist() == [3.0, 1.0, 3.0]
    assert m.loc["defector", "tit_for_tat"] == 1.4 and m.loc["tit_for_tat", "defector"] == 0.9


def test_wins_and_scores_by_hand_with_an_alternator():
    # 10 turns. cooperator - alternator: 15 / 40; defector - alternator: 30 / 5;
    # tit_for_tat - alternator: TFT plays C C D C D ..., the alternator C D C D ...:
    # (3,3) then (0,5) five times and (5,0) four times: 23 / 28
    names = ["cooperator", "defector", "tit_for_tat", "alternator"]
    s = G.tournament(names, turns=10, repetitions=1).scores().set_index("strategy")
    assert s["score_per_repetition"].to_dict() == {
        "defector": 50 + 14 + 30,
        "alternator": 40 + 5 + 28,
        "tit_for_tat": 30 + 9 + 23,
        "cooperator": 0 + 30 + 15,
    }
    # ties (cooperator - tit_for_tat) are nobody's win
    assert s["wins_per_repetition"].to_dict() == {
        "defector": 3.0, "alternator": 2.0, "tit_for_tat": 0.0, "cooperator": 0.0,
    }  # fmt: skip


def test_ranking_ties_broken_by_name():
    s = G.tournament(["tit_for_two_tats", "cooperator", "tit_for_tat"], turns=7).scores()
    assert s["strategy"].tolist() == ["cooperator", "tit_for_tat", "tit_for_two_tats"]
    assert s["score_per_repetition"].nunique() == 1


def test_totals_are_the_kernel_matches_with_the_documented_seeds():
    names = ["random", "generous_tit_for_tat:0.3", "grudger"]
    r = G.tournament(names, turns=50, repetitions=2, seed=7, noise=0.05)
    codes = [K.RANDOM, K.GENEROUS_TIT_FOR_TAT, K.GRUDGER]
    params = [0.5, 0.3, 0.0]
    pay = G.game("prisoners_dilemma")
    for rep in range(2):
        for i in range(3):
            for j in range(i, 3):
                seed = np.random.SeedSequence(7, spawn_key=(rep, i, j)).generate_state(1, np.uint64)
                a, b = K.match(
                    codes[i], params[i], codes[j], params[j], pay, 50, 0.05, seed[0],
                    np.empty((50, 2), dtype=np.int8), np.empty((50, 2)),
                )  # fmt: skip
                # row i against column j is what i got as player 0; j's entry what player 1 got
                if i < j:
                    assert (r.totals[rep, i, j], r.totals[rep, j, i]) == (a, b)
                else:
                    assert r.totals[rep, i, i] == (a + b) / 2


def test_payoff_matrix_does_not_depend_on_who_is_the_row_player():
    # a symmetric game and deterministic strategies: reversing the list swaps the roles
    # in every match, and the payoff of i against j stays
    fwd = G.tournament(DETERMINISTIC, turns=30, repetitions=1).payoff_matrix()
    rev = G.tournament(DETERMINISTIC[::-1], turns=30, repetitions=1).payoff_matrix()
    pd.testing.assert_frame_equal(fwd, rev.loc[DETERMINISTIC, DETERMINISTIC])
    assert list(fwd.index) == DETERMINISTIC and list(fwd.columns) == DETERMINISTIC


def test_mean_payoff_per_turn_is_score_over_turns():
    r = G.tournament(["random", "tit_for_tat", "defector"], turns=40, repetitions=4, noise=0.1)
    s = r.scores().set_index("strategy")
    assert s.loc["random", "mean_payoff_per_turn"] == pytest.approx(
        s.loc["random", "score_per_repetition"] / 80
    )


def test_reproducible_from_the_seed_and_noise_matters():
    names = ["tit_for_tat", "grudger", "random", "win_stay_lose_shift"]
    a = G.tournament(names, turns=60, repetitions=3, seed=11, noise=0.05)
    b = G.tournament(names, turns=60, repetitions=3, seed=11, noise=0.05)
    c = G.tournament(names, turns=60, repetitions=3, seed=12, noise=0.05)
    assert a.totals.tobytes() == b.totals.tobytes()
    assert not np.array_equal(a.totals, c.totals)
    quiet = G.tournament(DETERMINISTIC, turns=60, repetitions=2, seed=11)
    noisy = G.tournament(DETERMINISTIC, turns=60, repetitions=2, seed=11, noise=0.05)
    assert not np.array_equal(quiet.totals, noisy.totals)
    # without noise deterministic strategies play the same in every repetition
    assert np.array_equal(quiet.totals[0], quiet.totals[1])


def test_other_games():
    # chicken: T=4 against a cooperator; mutual defection pays 0
    r = G.tournament(["cooperator", "defector"], turns=5, game="chicken")
    assert r.payoff_matrix().to_numpy().tolist() == [[3.0, 1.0], [4.0, 0.0]]
    r = G.tournament(["cooperator", "defector"], turns=5, game={"R": 2, "S": -1, "T": 3, "P": 0})
    assert r.payoff_matrix().to_numpy().tolist() == [[2.0, -1.0], [3.0, 0.0]]
    assert r.game == "custom"


def test_continuation_draws_lengths_with_the_right_mean():
    w = 0.9
    r = G.tournament(["tit_for_tat", "defector"], continuation=w, repetitions=400, seed=3)
    iu = np.triu_indices(2)
    lengths = r.lengths[:, iu[0], iu[1]].ravel()  # each match once: 1200 matches
    assert r.turns is None and lengths.min() >= 1
    se = math.sqrt(w) / (1 - w) / math.sqrt(len(lengths))
    assert abs(lengths.mean() - 1 / (1 - w)) < 4 * se
    assert np.mean(lengths == 1) == pytest.approx(1 - w, abs=0.03)
    # the lengths differ from match to match and the payoffs follow them
    assert len(np.unique(lengths)) > 10
    m = r.payoff_matrix()
    assert m.loc["defector", "defector"] == 1.0 and m.loc["tit_for_tat", "tit_for_tat"] == 3.0


def test_geometric_lengths_distribution_and_cap():
    words = np.random.default_rng(0).integers(0, 2**64, 200_000, dtype=np.uint64)
    lengths = G.geometric_lengths(words, 0.75)
    for k in (1, 2, 5, 10):
        assert np.mean(lengths > k) == pytest.approx(0.75**k, abs=0.005)
    top = np.array([2**64 - 1], dtype=np.uint64)  # u just below 1: the longest draw
    assert G.geometric_lengths(top, 0.99999).tolist() == [G.MAX_TURNS]
    assert G.geometric_lengths(np.array([0], dtype=np.uint64), 0.99).tolist() == [1]


def test_labels_with_parameters():
    r = G.tournament(["generous_tit_for_tat:0.2", "generous_tit_for_tat", "random:0.5"], turns=5)
    assert r.names == ("generous_tit_for_tat:0.2", "generous_tit_for_tat", "random")
    assert parse_strategy("random:0.3") == GameStrategy("random", 0.3)
    assert strategy_code("win_stay_lose_shift") == K.WIN_STAY_LOSE_SHIFT


@pytest.mark.parametrize(
    ("strategies", "message"),
    [
        (["tit_for_tat", "tit_for_tatt"], "unknown strategy 'tit_for_tatt'.*grudger"),
        (["tit_for_tat", "grudger", "tit_for_tat"], "more than once: tit_for_tat"),
        (["random", "random:0.5"], "more than once: random"),
        (["grudger"], "at least 2 strategies"),
        (["random:1.5", "grudger"], "probability p must be in"),
        (["random:x", "grudger"], "must be a number"),
        (["cooperator:0.3", "grudger"], "cooperator takes no parameter"),
        ([3, "grudger"], "name or name:PARAM"),
    ],
)
def test_bad_strategies(strategies, message):
    with pytest.raises(ValueError, match=message):
        G.tournament(strategies, turns=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"turns": 0}, "turns must be an integer >= 1"),
        ({"repetitions": 1.5}, "repetitions"),
        ({"seed": -1}, "seed"),
        ({"noise": 1.5}, "noise"),
        ({"continuation": 1.0}, "continuation must be in"),
        ({"game": "snowdrift"}, "unknown game 'snowdrift'.*stag_hunt"),
        ({"game": {"R": 3, "S": 0, "T": 5}}, "missing P"),
        ({"game": {"R": 3, "S": 0, "T": 5, "P": 1, "Q": 2}}, "unknown Q"),
        ({"game": {"R": 3, "S": 0, "T": math.inf, "P": 1}}, "payoff T must be a finite"),
        ({"game": [[1, 2], [3, 4]]}, "shape"),
        ({"game": np.full((2, 2, 2), np.nan)}, "finite"),
        ({"game": "abc".split}, "game must be a name"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        G.tournament(["tit_for_tat", "defector"], **{"turns": 5, **kwargs})


def test_games_catalogue():
    assert set(G.GAMES) == {"prisoners_dilemma", "chicken", "stag_hunt", "deadlock"}
    order = {  # the defining orderings of the four games
        "prisoners_dilemma": "TRPS", "chicken": "TRSP", "stag_hunt": "RTPS", "deadlock": "TPRS",
    }  # fmt: skip
    for name, (r, s, t, p, description) in G.GAMES.items():
        pay = G.game(name)
        assert pay[0, 0].tolist() == [r, r] and pay[1, 1].tolist() == [p, p]
        assert pay[0, 1].tolist() == [s, t] and pay[1, 0].tolist() == [t, s]
        values = dict(zip("RSTP", (r, s, t, p), strict=True))
        assert "".join(sorted("RSTP", key=values.get, reverse=True)) == order[name]
        assert description
    assert G.GAMES["prisoners_dilemma"][:4] == (3, 0, 5, 1)
    assert G.game(G.game("stag_hunt").tolist()).tolist() == G.game("stag_hunt").tolist()
    for info in GAME_STRATEGIES.values():
        assert info.description
    # every kernel strategy is in the table once, and the table holds nothing else
    assert sorted(CODES.values()) == list(range(K.N_STRATEGIES))
    assert GAME_STRATEGIES["grudger"].memory == math.inf
    assert [n for n, i in GAME_STRATEGIES.items() if i.stochastic] == [
        "generous_tit_for_tat", "random",
    ]  # fmt: skip
    assert [n for n, i in GAME_STRATEGIES.items() if i.param_name] == [
        "generous_tit_for_tat", "random",
    ]  # fmt: skip


def test_play_match():
    m = G.play_match("grudger", "alternator", 6)
    assert m.actions.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1], [1, 0], [1, 1]]
    assert m.totals.tolist() == [15.0, 10.0] and m.payoffs.sum(axis=0).tolist() == [15.0, 10.0]
    a = G.play_match("random", "random:0.9", 40, noise=0.1, seed=5)
    b = G.play_match("random", "random:0.9", 40, noise=0.1, seed=5)
    assert np.array_equal(a.actions, b.actions) and a.names == ("random", "random:0.9")


def test_summary_write_and_display(tmp_path):
    r = sim.games.tournament(
        ["tit_for_tat", "defector", "random:0.3"], turns=20, repetitions=2, seed=4
    )
    assert isinstance(r, TournamentResult)
    s = r.summary()
    assert s["seed"] == 4 and s["turns"] == 20 and s["repetitions"] == 2
    assert [row["strategy"] for row in s["ranking"]] == r.scores()["strategy"].tolist()
    json.dumps(s, allow_nan=False)
    written = sim.save.write(r, tmp_path)
    assert [p.name for p in written] == [
        "scores.csv", "payoff_matrix.csv", "summary.json", "ranking.png", "payoff_matrix.png",
    ]  # fmt: skip
    assert (tmp_path / "scores.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    pm = pd.read_csv(tmp_path / "payoff_matrix.csv")
    assert list(pm.columns) == ["strategy", "tit_for_tat", "defector", "random:0.3"]
    assert pm["strategy"].tolist() == ["tit_for_tat", "defector", "random:0.3"]
    assert json.loads((tmp_path / "summary.json").read_text())["strategies"] == list(r.names)
    assert (tmp_path / "ranking.png").read_bytes()[:4] == b"\x89PNG"
    assert "TournamentResult(3 strategies" in repr(r)
    assert "<table>" in r._repr_html_() and "random:0.3" in r._repr_html_()


def test_tables_are_written_with_the_shortest_floats(tmp_path):
    """The CSV files keep the shortest text of each float (as pandas writes by default),
    not 17 significant digits: tit for tat against a defector over 200 turns is 0.995."""
    r = sim.games.tournament(["tit_for_tat", "defector"], turns=200, repetitions=1)
    sim.save.write(r, tmp_path)
    text = (tmp_path / "payoff_matrix.csv").read_text()
    assert text.splitlines()[1:] == ["tit_for_tat,3.0,0.995", "defector,1.02,1.0"]


def test_results_only_hold_data():
    """Results neither write files nor draw: sim.save and sim.plot do, by the names the
    results list."""
    r = sim.games.tournament(["tit_for_tat", "defector"], turns=5)
    for attr in ("write", "plot", "plot_payoff_matrix"):
        assert not hasattr(r, attr)
    figures = [p.name for _, p in r.outputs() if isinstance(p, Figure)]
    assert figures == ["ranking", "payoff_matrix"]
    assert all(name in plot.FIGURES for name in figures)


def test_figures_on_given_axes():
    import matplotlib.pyplot as plt

    r = G.tournament(["tit_for_tat", "defector", "alternator"], turns=10, repetitions=3)
    fig, (a, b) = plt.subplots(1, 2)
    assert plot.tournament_ranking(r, ax=a) is fig
    assert plot.payoff_heatmap(r, ax=b) is fig
    # the best mean score on top
    labels = [t.get_text() for t in a.get_yticklabels()]
    assert labels[-1] == r.scores()["strategy"].iloc[0]
    plot.close(fig)
    fig = plot.FIGURES["ranking"](r)
    assert fig.axes
    plot.close(fig)


def test_the_scenario_schema_names_the_same_games():
    """The scenario format lists the games' names itself (it may not import the models)."""
    from sim.scenario.schema import GAME_NAMES

    assert tuple(GAME_NAMES) == tuple(G.GAMES)
