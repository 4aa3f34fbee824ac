"""The smp model's mesa agents (`sim.abm.smp`) and its batch runs.

Under the default driver a run is stepped by the mesa agents, and it equals the kernel's
run bit for bit (positions, winning probabilities, risk attitudes, fractional changes,
bargains, how it stopped) on KTAB's reference input, the default scenario, a Stochastic
run with a seed, other options and random scenarios with red lines; the reference input
still matches KTAB's log under the default driver; ensembles and point forecasts through
the batch kernel equal one run at a time, on 1 and 2 threads.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest

import sim
from sim import experiment
from sim.abm import AGENT_MODELS, NegotiationModel, agents_for
from sim.abm.smp import SmpActor, SmpAgentsModel
from sim.cli import main
from sim.models import smp as model
from sim.scenario import load_scenario
from sim.uncertainty import Spreads, perturb, run_seeds
from tests.test_smp_reference import parse_ktab_log

DATA = Path(__file__).parent / "data" / "ktab"
CSV = DATA / "dummyData_3Dim.csv"
LOG = DATA / "20170530_ref-dummyData_3Dim.txt"


def _same(a, b):
    """Two smp trajectories are one run, bit for bit."""
    for name in ("positions", "probabilities", "risk_attitude", "change", "probability_forecast"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.stopped == b.stopped
    assert a.cycle_length == b.cycle_length
    assert a.settings == b.settings and a.seed == b.seed and a.dims == b.dims
    assert a.salience_factor == b.salience_factor
    assert set(a.bargains) == set(b.bargains)
    for key in b.bargains:
        assert a.bargains[key].dtype == b.bargains[key].dtype, key
        np.testing.assert_array_equal(a.bargains[key], b.bargains[key], err_msg=key)


def _both(scenario, **kw):
    abm = sim.run(scenario, model="smp", **kw)
    kernel = sim.run(scenario, model="smp", driver="kernel", **kw)
    _same(abm.trajectory, kernel.trajectory)
    return abm


@pytest.fixture
def stepped(monkeypatch):
    """Records the mesa models the default driver steps."""
    seen = []
    real = experiment._step_mesa

    def spy(scenario, limit, progress, name="eum", params=None):
        seen.append(name)
        return real(scenario, limit, progress, name, params)

    monkeypatch.setattr(experiment, "_step_mesa", spy)
    return seen


def test_the_default_driver_steps_the_smp_agents(stepped):
    assert agents_for("smp") is SmpAgentsModel and agents_for("eum") is NegotiationModel
    assert set(AGENT_MODELS) == {"eum", "smp", "exchange"}
    sim.run(str(CSV), model="smp")
    sim.run(str(CSV), model="smp", driver="kernel")
    assert stepped == ["smp"]
    with pytest.raises(KeyError, match="median"):
        agents_for("median")


def test_agents_equal_the_kernel_on_ktabs_reference_input():
    res = _both(str(CSV))
    assert res.trajectory.positions.shape[0] == 11


def test_agents_equal_the_kernel_on_the_default_scenario_and_with_options():
    res = _both(None)
    assert res.trajectory.rounds >= 2 and len(res.trajectory.bargains["state"]) > 0
    _both(None, rounds=3, params={"bargain_model": "PWCompInterp", "intervec": "S2PMax"})
    _both(None, rounds=3, params={"bargain_model": "InitRcvrInterp", "third_party": "NoCommit"})
    _both(None, rounds=3, params={"vote_rule": "Binary", "big_r_adjust": "Full"})


def test_agents_equal_the_kernel_with_stochastic_transitions_and_a_seed():
    a = _both(None, params={"transitions": "Stochastic", "seed": 11})
    b = sim.run(None, model="smp", params={"transitions": "Stochastic", "seed": 12})
    # the seed is read: another seed draws another run
    assert not np.array_equal(a.trajectory.positions[-1], b.trajectory.positions[-1]) or (
        a.trajectory.positions.shape != b.trajectory.positions.shape
    )


def test_agents_equal_the_kernel_at_zero_and_one_round():
    zero = _both(None, rounds=0)
    assert zero.trajectory.positions.shape[0] == 1 and zero.trajectory.stopped == "limit"
    one = _both(None, rounds=1)
    assert one.trajectory.positions.shape[0] == 2


def _random_scenario(path: Path, rng: np.random.Generator) -> Path:
    n, m = int(rng.integers(3, 7)), int(rng.integers(1, 4))
    lines = ['[scenario]\nname = "random"\n']
    for k in range(m):
        lines.append(f'[[issues]]\nid = "i{k}"\nscale = [0, 100]\n')
    for a in range(n):
        x = rng.uniform(0, 100, m).round(1)
        s = rng.uniform(0.05, 0.6, m).round(2)
        lines.append(f"[actors.a{a}]\ncapability = {rng.uniform(0.5, 5):.2f}")
        lines.append("position = { " + ", ".join(f"i{k} = {x[k]}" for k in range(m)) + " }")
        lines.append("salience = { " + ", ".join(f"i{k} = {s[k]}" for k in range(m)) + " }")
        if a % 2 == 0:
            lo = (x[0] - rng.uniform(0, 15)).clip(0, 100).round(1)
            hi = (x[0] + rng.uniform(0, 15)).clip(0, 100).round(1)
            lines.append(f"red_line = {{ i0 = [{lo}, {hi}] }}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_agents_equal_the_kernel_on_random_scenarios_with_red_lines(tmp_path):
    rng = np.random.default_rng(2024)
    for r in range(4):
        sc = load_scenario(_random_scenario(tmp_path / f"r{r}.toml", rng))
        assert (sc.arrays().red_hi - sc.arrays().red_lo < 100).any()
        _both(sc)
        _both(sc, params={"transitions": "Stochastic", "seed": r})


def test_the_order_of_the_agents_does_not_change_the_run():
    sc = load_scenario("nato_russia_2022")
    want = SmpAgentsModel(sc, rounds=4)
    want.run_model()
    got = SmpAgentsModel(sc, rounds=4)
    agents = list(got.agents)
    assert all(isinstance(a, SmpActor) for a in agents)
    while got.running:  # the model's step by hand, the agents in reverse order
        t = got.done_steps
        got.current = t
        got.phase = "challenge"
        for a in reversed(agents):
            a.step()
        got._gather(t)
        got.phase = "choose"
        for a in reversed(agents):
            a.step()
        # the rest of the step: apply and stop, as SmpAgentsModel.step does
        got.phase = "apply"
        got._finish(t)
    _same_raw(got.result(), want.result())


def _same_raw(a, b):
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.probabilities, b.probabilities)
    for key in b.bargains:
        np.testing.assert_array_equal(a.bargains[key], b.bargains[key])


def test_the_reference_input_under_the_default_driver_matches_ktabs_log(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(CSV), "--model", "smp", "--out", str(out)]) == 0
    ktab = parse_ktab_log(LOG)
    rounds = pd.read_csv(out / "rounds.csv").set_index(["round", "issue", "actor"])["position"]
    for (actor, dim), values in ktab["history_pos"].items():
        for t, value in enumerate(values):
            assert abs(rounds[(t, dim, actor)] - value) <= 0.05 + 1e-9, (actor, dim, t)
    kernel = sim.run(str(CSV), model="smp", driver="kernel").trajectories()
    np.testing.assert_array_equal(
        rounds.to_numpy(), kernel.set_index(["round", "issue", "actor"])["position"].to_numpy()
    )


def _one_at_a_time(problems, options, rounds, rngs):
    """The final forecasts of one kernel run per problem (``simulate``)."""
    rows = []
    for a, rng in zip(problems, rngs, strict=True):
        out, factor = model.simulate(a, options, rounds, rng)
        traj = model.trajectory_of(a, out, factor)
        rows.append((*model.final_forecasts(a, traj), traj.rounds, traj.stopped))
    return rows


@pytest.fixture
def threads():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


@pytest.mark.parametrize("transitions", ["Deterministic", "Stochastic"])
def test_ensemble_batch_equals_single_runs_on_one_and_two_threads(threads, transitions):
    sc = load_scenario("nato_russia_2022")
    arrays = sc.arrays()
    m, n = arrays.position.shape
    spreads = Spreads(np.full((m, n), 5.0), np.full((m, n), 0.05), np.full(n, 0.1))
    seeds = run_seeds(3, 0, 6)
    params = model.Params(transitions=transitions)
    options, _ = model.options_for(sc, params)
    X, S, C = perturb(arrays, spreads, seeds)
    problems = [
        dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
        for r in range(len(seeds))
    ]
    rngs = [model._rng(options, s, ensemble=True) for s in seeds]
    want = _one_at_a_time(problems, options, 8, rngs)
    for count in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
        numba.set_num_threads(count)
        cols = model.MODEL.batch(sc, arrays, spreads, seeds, 8, params)
        for r, (comp, med, prob, steps, stopped) in enumerate(want):
            assert cols["rounds"][r] == steps and cols["stopped"][r] == stopped
            assert cols["cycle_length"][r] == (1 if stopped == "converged" else 0)
            for k, iid in enumerate(arrays.issue_ids):
                assert cols[f"{iid}.compromise"][r] == comp[k], (count, r, iid)
                assert cols[f"{iid}.median"][r] == med[k], (count, r, iid)
                assert cols[f"{iid}.probability"][r] == prob[k], (count, r, iid)


def test_point_forecasts_through_the_batch_equal_single_runs(threads, tmp_path):
    rng = np.random.default_rng(5)
    scenarios = [load_scenario(_random_scenario(tmp_path / f"p{r}.toml", rng)) for r in range(5)]
    base = load_scenario("nato_russia_2022").arrays()
    problems = [s.arrays() for s in scenarios] + [base, base]
    for transitions in ("Deterministic", "Stochastic"):
        params = model.Params(transitions=transitions, seed=4)
        options, _ = model.options_for(None, params)
        want = _one_at_a_time(problems, options, 20, [model._rng(options, 4) for _ in problems])
        for count in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(count)
            got = model.MODEL.point_forecasts(problems, params, rounds=20)
            assert len(got) == len(problems)
            for g, (comp, _, prob, _, _) in zip(got, want, strict=True):
                np.testing.assert_array_equal(g["compromise"], comp)
                np.testing.assert_array_equal(g["probability"], prob)
