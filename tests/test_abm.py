"""The mesa driver (sim.abm) and the batch kernel driver give the same run.

Both call the same kernels, so the trajectories must be identical to the bit: positions,
events, senders, red-line clips, round count and stop reason. Also: the DataCollector
records one row per round, agents are one StateActor per actor.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import sim
from sim.abm import NegotiationModel, StateActor
from sim.kernels.eum import EVENT_NAMES
from sim.scenario import shipped_scenarios, validate_raw
from tests import reference as ref

SHIPPED = sorted(shipped_scenarios())


def assert_same_trajectory(a, b):
    assert (a.rounds, a.stopped, a.cycle_length) == (b.rounds, b.stopped, b.cycle_length)
    for field in ("positions", "events", "senders", "clipped"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.shape == y.shape, field
        assert x.dtype == y.dtype, field
        np.testing.assert_array_equal(x, y, err_msg=field)


def run_both(scenario, rounds=None):
    abm = sim.run(scenario, rounds=rounds, driver="abm")
    kernel = sim.run(scenario, rounds=rounds, driver="kernel")
    return abm.trajectory, kernel.trajectory


# ---- shipped scenarios ---------------------------------------------------------------------
def test_there_are_shipped_scenarios():
    assert len(SHIPPED) >= 3


@pytest.mark.parametrize("name", SHIPPED)
def test_drivers_agree_on_shipped_scenario(name):
    a, b = run_both(name)
    assert_same_trajectory(a, b)
    assert a.rounds >= 1
    assert a.positions.shape[1:] == sim.load_scenario(name).arrays().position.shape


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("rounds", [0, 1, 3])
def test_drivers_agree_on_shipped_scenario_with_round_limits(name, rounds):
    a, b = run_both(name, rounds)
    assert_same_trajectory(a, b)
    assert a.rounds <= rounds
    if rounds == 0:
        assert (a.rounds, a.stopped, a.cycle_length) == (0, "limit", 0)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_matches_reference(name):
    """The mesa run against the plain-Python reference (tests/reference.py)."""
    scenario = sim.load_scenario(name)
    a = scenario.arrays()
    tr = sim.run(scenario, driver="abm").trajectory
    want = ref.eum_run_detailed(
        a.position,
        a.capability,
        a.salience,
        a.width,
        a.risk,
        a.Q,
        a.T,
        a.red_lo,
        a.red_hi,
        a.rounds,
    )
    assert (tr.rounds, tr.stopped, tr.cycle_length) == (
        want["rounds"],
        want["stopped"],
        want["cycle_length"],
    )
    np.testing.assert_allclose(tr.positions, np.array(want["history"]), rtol=1e-9, atol=1e-9)


# ---- generated scenarios --------------------------------------------------------------------
ID_LETTERS = "ZYXABC"


@st.composite
def raw_scenarios(draw):
    """A raw scenario dict in the TOML format: 2-8 actors, 1-3 issues, optional red lines,
    risk exponents, Q, T and blocs."""
    n = draw(st.integers(2, 8))
    m = draw(st.integers(1, 3))
    issues = []
    for k in range(m):
        grid = draw(st.booleans())
        lo = draw(st.sampled_from([0.0, -10.0, 1.5]))
        hi = lo + draw(st.sampled_from([4.0, 10.0, 100.0]))
        issues.append({"id": f"issue_{k}", "name": f"Issue {k}", "scale": [lo, hi], "_grid": grid})
    ids = [f"{draw(st.sampled_from(ID_LETTERS))}{i}" for i in range(n)]
    actors = {}
    for aid in ids:
        actor = {
            "name": f"Actor {aid}",
            "capability": draw(st.one_of(st.integers(1, 10).map(float), st.floats(0.01, 100.0))),
            "position": {},
            "salience": {},
        }
        for issue in issues:
            lo, hi = issue["scale"]
            if issue["_grid"]:
                x = lo + float(draw(st.integers(0, int(hi - lo))))
            else:
                x = draw(st.floats(lo, hi))
            actor["position"][issue["id"]] = x
            actor["salience"][issue["id"]] = draw(
                st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))
            )
            if draw(st.integers(0, 3)) == 0:
                actor.setdefault("red_line", {})[issue["id"]] = [
                    draw(st.floats(lo, x)),
                    draw(st.floats(x, hi)),
                ]
        actors[aid] = actor
    for issue in issues:
        del issue["_grid"]
    raw = {
        "scenario": {"name": "generated"},
        "issues": issues,
        "actors": actors,
        "model": {
            "rounds": draw(st.integers(0, 15)),
            "Q": draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))),
            "T": draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))),
        },
    }
    risk = draw(st.sampled_from(["default", "computed", "number", "table"]))
    if risk == "computed":
        raw["payoffs"] = {"risk": "computed"}
    elif risk == "number":
        raw["payoffs"] = {"risk": draw(st.floats(0.1, 10.0))}
    elif risk == "table":
        some = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        raw["payoffs"] = {
            "risk": {
                aid: draw(st.one_of(st.just("computed"), st.floats(0.1, 10.0))) for aid in some
            }
        }
    if draw(st.booleans()):
        members = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        raw["blocs"] = {"BLOC": {"members": members, "rule": "consensus"}}
    return raw


@settings(max_examples=50)
@given(raw_scenarios())
def test_drivers_agree_on_generated_scenarios(raw):
    scenario = validate_raw(raw, "test")
    a, b = run_both(scenario)
    assert_same_trajectory(a, b)
    assert a.rounds <= raw["model"]["rounds"]
    event(
        f"stopped: {a.stopped}, "
        + ("moved" if (a.positions[-1] != a.positions[0]).any() else "no moves")
    )


@settings(max_examples=30)
@given(raw_scenarios())
def test_datacollector_and_agents(raw):
    scenario = validate_raw(raw, "test")
    arrays = scenario.arrays()
    model = NegotiationModel(scenario)
    model.run_model()
    tr = model.trajectory()
    R = tr.rounds
    m, n = arrays.position.shape
    assert_same_trajectory(tr, sim.run(scenario, driver="kernel").trajectory)
    assert not model.running and model.stopped == tr.stopped

    # agents: one StateActor per actor, in the scenario's order, each a view onto its column
    agents = sorted(model.agents, key=lambda a: a.index)
    assert len(model.agents) == n
    assert all(type(a) is StateActor for a in agents)
    assert [a.index for a in agents] == list(range(n))
    assert [a.actor_id for a in agents] == list(scenario.actor_ids)
    assert set(model.actors_by_id) == set(scenario.actor_ids)
    for a in agents:
        i = a.index
        np.testing.assert_array_equal(a.position, tr.positions[-1, :, i])
        np.testing.assert_array_equal(
            a.salience, [raw["actors"][a.actor_id]["salience"][iid] for iid in arrays.issue_ids]
        )
        assert a.capability == raw["actors"][a.actor_id]["capability"]
        assert a.name == f"Actor {a.actor_id}"

    # model rows: one per round, round 0 included, with the baselines of that round's state
    mv = model.datacollector.get_model_vars_dataframe()
    assert len(mv) == R + 1
    assert mv["round"].tolist() == list(range(R + 1))
    for t in range(R + 1):
        for k, iid in enumerate(arrays.issue_ids):
            w = ref.weights(arrays.capability, arrays.salience[k])
            x = tr.positions[t, k]
            assert mv[f"median:{iid}"].iloc[t] == ref.weighted_median(x, w)
            assert mv[f"compromise:{iid}"].iloc[t] == pytest.approx(
                ref.compromise(x, w), rel=1e-12, abs=1e-12
            )

    # agent rows: one per actor per round, positions as in the trajectory
    av = model.datacollector.get_agent_vars_dataframe()
    assert len(av) == (R + 1) * n
    # mesa 3.3 labels steps with ints, mesa 3.5 with float times
    steps = av.index.get_level_values("Step")
    assert sorted({int(s) for s in steps}) == list(range(R + 1))
    assert all(s == int(s) for s in steps)
    by_uid = {a.unique_id: a for a in agents}
    for (step, uid), row in av.iterrows():
        step = int(step)
        agent = by_uid[uid]
        assert row["actor"] == agent.actor_id
        for k, iid in enumerate(arrays.issue_ids):
            assert row[f"position:{iid}"] == tr.positions[step, k, agent.index]


def test_model_steps_one_round_at_a_time():
    """Stepping by hand: each step adds a round computed from the previous state alone."""
    scenario = sim.load_scenario("ec_example_scholz2011")
    a = scenario.arrays()
    model = NegotiationModel(scenario, rounds=4)
    for t in range(1, 5):
        before = model.positions.copy()
        model.step()
        assert model.round == t  # this scenario runs to its limit (see tests/golden)
        for k in range(a.position.shape[0]):
            new_x, events, senders = ref.eum_round(
                before[k],
                a.capability,
                a.salience[k],
                a.width[k],
                a.risk,
                a.Q,
                a.T,
                a.red_lo[k],
                a.red_hi[k],
            )
            np.testing.assert_allclose(model.positions[k], new_x, rtol=1e-12, atol=1e-12)
            assert [EVENT_NAMES[e] for e in model.last_events[k]] == [
                EVENT_NAMES[e] for e in events
            ]
            assert model.last_senders[k].tolist() == senders
    model.step()  # past the limit: nothing changes
    assert model.round == 4 and not model.running and model.stopped == "limit"
    assert len(model.datacollector.get_model_vars_dataframe()) == 5
