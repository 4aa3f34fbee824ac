"""The scenario's dyads: mesa players stepping turn by turn equal the batch kernel."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.abm.games import Player, RepeatedGameModel, dyads, play, play_dyads
from sim.models.games import game


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("noise", [0.0, 0.05, 0.3])
def test_agents_match_the_kernel(seed, noise):
    sc = sim.load_scenario(
        "nato_russia_2022",
        [
            'game.strategies.UKR="random:0.4"',
            'game.strategies.LVA="win_stay_lose_shift"',
            'game.strategies.LTU="suspicious_tit_for_tat"',
        ],
    )
    model = RepeatedGameModel(sc, turns=60, noise=noise, seed=seed)
    model.run_model()
    batch = play_dyads(sc, turns=60, noise=noise, seed=seed)
    got = model.actions()
    assert len(got) == len(batch) == len(sc.game.dyads)
    for a, b in zip(got, batch, strict=True):
        assert a.tobytes() == b.tobytes()


def test_summary_of_the_agents_equals_the_batch_summary():
    sc = sim.load_scenario()
    model = RepeatedGameModel(sc, seed=3)
    model.run_model()
    assert model.summary()["dyads"] == play(sc, seed=3).dyads()


def test_each_dyad_plays_its_own_game_and_strategies_by_hand():
    """Without noise: RUS (tit for tat) and EST (grudger) cooperate throughout in a
    prisoner's dilemma (3 a turn each); RUS against a defector in chicken: RUS
    cooperates once, then defects; the defector gets T = 4 then P = 0 a turn."""
    sc = sim.load_scenario(
        "nato_russia_2022",
        ["game.noise=0.0", 'game.strategies.NATO="defector"'],
    )
    res = play(sc, turns=10, seed=0)
    by = {tuple(d["actors"]): d for d in res.dyads()}
    est = by[("RUS", "EST")]
    assert est["total"] == {"RUS": 30.0, "EST": 30.0}
    assert est["first_defection"] == {"RUS": None, "EST": None}
    nato = by[("RUS", "NATO")]
    chicken = game("chicken")
    s_, t_, p_ = chicken[0, 1, 0], chicken[1, 0, 0], chicken[1, 1, 0]
    assert nato["game"] == "chicken"
    assert nato["total"]["RUS"] == s_ + 9 * p_
    assert nato["total"]["NATO"] == t_ + 9 * p_
    assert nato["first_defection"] == {"RUS": 1, "NATO": 0}
    moves = res.moves()
    rus = moves[(moves.dyad == 0) & (moves.actor == "RUS")]["action"].tolist()
    assert rus == ["C"] + ["D"] * 9


def test_players_are_mesa_agents_one_per_party():
    sc = sim.load_scenario()
    model = RepeatedGameModel(sc, turns=5)
    parties = {p for d in sc.game.dyads for p in d.actors}
    assert len(model.agents) == len(parties)
    assert all(isinstance(a, Player) for a in model.agents)
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert steps == 5
    coop = model.datacollector.get_model_vars_dataframe()["cooperation"].to_numpy()
    assert np.all((coop >= 0) & (coop <= 1))


def test_a_dyad_may_name_a_bimatrix():
    sc = sim.load_scenario(
        "nato_russia_2022",
        ['game.dyads=[{actors=["RUS","NATO"], payoffs=[[[2,1],[0,3]],[[3,0],[1,2]]]}]'],
    )
    (spec,) = dyads(sc)
    assert spec.game == "custom"
    assert spec.pay[0, 1].tolist() == [0.0, 3.0]
