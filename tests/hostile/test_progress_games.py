"""A long tournament runs in batches of matches that report progress, with the same
results as one call."""

from __future__ import annotations

import numpy as np

import sim.models.games as games

STRATEGIES = ["tit_for_tat", "defector", "random:0.3", "grudger", "win_stay_lose_shift"]


def test_a_batched_tournament_gives_the_same_results_and_reports(monkeypatch, capsys):
    whole = games.tournament(STRATEGIES, turns=50, repetitions=7, seed=4, noise=0.05)
    assert capsys.readouterr().err == ""  # small: one call, no progress
    monkeypatch.setattr(games, "LONG_TOURNAMENT", 1)
    monkeypatch.setattr(games, "BATCH_TURNS", 333)  # batches that cut repetitions apart
    batched = games.tournament(STRATEGIES, turns=50, repetitions=7, seed=4, noise=0.05)
    assert np.array_equal(whole.totals, batched.totals)
    assert np.array_equal(whole.lengths, batched.lengths)
    assert "matches" in capsys.readouterr().err


def test_batches_hold_geometric_lengths_too(monkeypatch):
    whole = games.tournament(STRATEGIES[:3], repetitions=5, seed=1, continuation=0.9)
    monkeypatch.setattr(games, "LONG_TOURNAMENT", 1)
    monkeypatch.setattr(games, "BATCH_TURNS", 17)
    batched = games.tournament(STRATEGIES[:3], repetitions=5, seed=1, continuation=0.9)
    assert np.array_equal(whole.totals, batched.totals)
