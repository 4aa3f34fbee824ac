"""Result objects: tidy tables agree with the trajectory; files are written atomically."""

import json
import os

import numpy as np
import pytest

import sim
from sim.kernels.eum import EVENT_NAMES
from sim.results import write_atomic


@pytest.fixture(scope="module")
def ec_result():
    return sim.run("ec_example_scholz2011", rounds=5)


def test_trajectories_table_matches_the_array(ec_result):
    table = ec_result.trajectories()
    pos = ec_result.trajectory.positions
    assert len(table) == pos.size
    actors = list(ec_result.scenario.actor_ids)
    for row in table.sample(20, random_state=0).itertuples():
        assert row.position == pos[row.round, 0, actors.index(row.actor)]


def test_events_table_names_and_senders(ec_result):
    ev = ec_result.events()
    t = ec_result.trajectory
    assert len(ev) == t.events.size
    assert set(ev["event"]) <= set(EVENT_NAMES)
    actors = list(ec_result.scenario.actor_ids)
    for row in ev.itertuples():
        sender = t.senders[row.round - 1, 0, actors.index(row.actor)]
        assert row.offer_from == (actors[sender] if sender >= 0 else "")
        # a move only happens after an offer was taken
        before = t.positions[row.round - 1, 0, actors.index(row.actor)]
        after = t.positions[row.round, 0, actors.index(row.actor)]
        if row.event in ("no_offer", "resisted"):
            assert before == after


def test_summary_is_strict_json(ec_result):
    text = json.dumps(ec_result.summary(), allow_nan=False)
    back = json.loads(text)
    assert back["rounds"] == ec_result.rounds
    assert set(back["forecast"]) == set(ec_result.scenario.issue_ids)


def test_write_atomic_replaces_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "a.txt"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    write_atomic(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_write_puts_every_file(tmp_path, ec_result):
    written = ec_result.write(tmp_path / "out", focus="UK")
    names = sorted(p.name for p in written)
    assert names == ["events.csv", "positions.png", "quadrant.png", "rounds.csv", "summary.json"]
    for p in written:
        assert p.stat().st_size > 0
    assert (tmp_path / "out" / "positions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_and_repr(ec_result):
    assert "ec_example_scholz2011" in repr(ec_result)
    html = ec_result._repr_html_()
    assert "<table" in html and "compromise" in html


def test_baseline_models_do_not_move():
    res = sim.run("nato_russia_2022", model="median")
    assert res.rounds == 0
    fc = res.forecast()
    np.testing.assert_array_equal(fc["compromise"], fc["initial_compromise"])
    np.testing.assert_array_equal(fc["median"], fc["initial_median"])


def test_offers_sent_agree_with_the_reference_and_the_offers_taken(ec_result):
    from tests import reference as ref

    sent = ec_result.offers_sent()
    a = ec_result.scenario.arrays()
    pos = ec_result.trajectory.positions
    for r in range(ec_result.rounds):
        x = pos[r, 0]
        q = ref.round_quantities(
            x, a.capability, a.salience[0], float(a.width[0]), a.risk, a.Q, a.T
        )
        EU = q["EU"]
        want = [
            sum(1 for j in range(len(x)) if EU[i][j] > 0 and x[j] != x[i]) for i in range(len(x))
        ]
        assert sent[r, 0].tolist() == want
    # whoever's offer was taken made at least one offer that round
    ev = ec_result.events()
    taken = ev[ev["offer_from"] != ""]
    actors = list(ec_result.scenario.actor_ids)
    for row in taken.itertuples():
        assert sent[row.round - 1, 0, actors.index(row.offer_from)] >= 1


def test_risk_table_equals_the_agents_exponents_round_by_round():
    import numpy as np

    import sim
    from sim.abm import NegotiationModel

    sc = sim.load_scenario("ec_example_scholz2011")
    table = sim.run(sc, rounds=4).risk()
    model = NegotiationModel(sc, rounds=4)
    seen = []
    while model.running:
        model.step()
        seen.append(model.risk[0].copy())
    wide = table.pivot(index="round", columns="actor", values="risk")[list(sc.actor_ids)]
    assert wide.to_numpy().tobytes() == np.array(seen).tobytes()
    assert ((table.risk >= 0.5) & (table.risk <= 2.0)).all()
    fixed = sim.run("ec_example_scholz2011", rounds=3, overrides={"payoffs.risk": 1.5}).risk()
    assert (fixed.risk == 1.5).all()
    assert sim.run(sc, model="median").risk().empty
