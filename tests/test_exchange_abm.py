"""The exchange model's mesa agents (`sim.abm.exchange`): one agent per actor decides on each
exchange offered to it, and the agents' run equals the kernel's run
(`sim.kernels.exchange.simulate`) bit for bit on decide's sample data, on seeded random
scenarios with red lines, with and without random tie-breaking, and when the coins must be
drawn again; an actor that refuses blocks the exchange."""

from pathlib import Path

import mesa
import numpy as np
import pytest

from sim import experiment
from sim.abm import AGENT_MODELS, agents_for
from sim.abm import exchange as ax
from sim.kernels import exchange as kx
from sim.models import exchange as mx
from sim.scenario import load_scenario

SAMPLE = Path(__file__).parent / "data" / "decide_input" / "sample_data.txt"


def _same(got, want):
    """Two runs are one, bit for bit: the same keys, dtypes, shapes and bytes."""
    assert set(got) == set(want)
    for key, v in want.items():
        if isinstance(v, np.ndarray):
            g = np.asarray(got[key])
            assert g.dtype == v.dtype and g.shape == v.shape, key
            assert g.tobytes() == v.tobytes(), key
        else:
            assert got[key] == v and type(got[key]) is type(v), key


@pytest.fixture(scope="module")
def sample():
    scenario = load_scenario(SAMPLE)
    return scenario, mx._inputs(scenario.arrays())


def _random_case(seed):
    """A random scenario on 0-100: positions and saliences on a coarse grid (equal gains
    occur), equal capabilities in half the cases, red lines on about a third of the cells."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 5))
    n = int(rng.integers(3, 9))
    pos = rng.choice([0.0, 20.0, 40.0, 50.0, 60.0, 80.0, 100.0], size=(m, n))
    if seed % 2:
        pos = rng.uniform(0.0, 100.0, (m, n))
    sal = rng.choice([0.25, 0.5, 0.75, 1.0], size=(m, n))
    cap = np.ones(n) if seed % 3 == 0 else rng.uniform(0.1, 1.0, n)
    pw = np.ascontiguousarray(np.broadcast_to(cap, (m, n)))
    red = rng.random((m, n)) < 0.35
    lo = np.where(red, np.maximum(pos - rng.uniform(0.0, 25.0, (m, n)), 0.0), 0.0)
    hi = np.where(red, np.minimum(pos + rng.uniform(0.0, 25.0, (m, n)), 100.0), 100.0)
    return pos, sal, pw, lo, hi


@pytest.mark.parametrize("seed", [None, 0, 12345])
def test_agents_equal_the_kernel_on_decides_sample(sample, seed):
    """decide's sample (10 actors, 6 issues), 10 rounds: the agents' run is the kernel's,
    with equal gains in order and with random tie-breaking."""
    _, inputs = sample
    want = kx.simulate(*inputs, 10, seed=seed)
    assert want["ex_int"].shape[0] > 0
    _same(ax.simulate_agents(*inputs, 10, seed=seed), want)


def test_agents_from_a_scenario_equal_the_kernel(sample):
    """Built from the scenario (its actors, its arrays mapped to 0-100, Params' seed under
    random tie-breaking), the agents' run and trajectory are the kernel's."""
    scenario, inputs = sample
    params = mx.Params(random_ties=True, seed=7, arithmetic="float")
    model = ax.ExchangeAgentsModel(scenario, rounds=6, params=params)
    model.run_model()
    want = kx.simulate(*inputs, 6, seed=7)
    _same(model.result(), want)
    t = model.trajectory()
    ref = mx.trajectory_of(scenario.arrays(), want)
    for name in ("positions", "voting", "outcomes", "ex_int", "ex_float", "externalities"):
        assert getattr(t, name).tobytes() == getattr(ref, name).tobytes(), name
    assert t.stopped == ref.stopped and t.ties == ref.ties


@pytest.mark.parametrize(("seed", "p"), [(None, 0.0), (7, 0.0), (7, 0.8)])
def test_agents_in_decimal_arithmetic_equal_the_decimal_run(sample, seed, p):
    """With decide's arithmetic (the default) the agents step the decimal run and decide
    with its own test: their run equals `sim.models.exchange.simulate` in decimal (with
    random ties, and with the randomised gain p), and each agent was asked about the
    exchanges it was party to."""
    scenario, _ = sample
    ties = seed is not None and p == 0.0
    params = mx.Params(random_ties=ties, seed=seed or 0, p=p)
    model = ax.ExchangeAgentsModel(scenario, rounds=4, params=params)
    asked = 0
    while model.running:
        model.step()
        asked += sum(len(agent.decisions) for agent in model.actor_list)
    want = mx.simulate(scenario.arrays(), 4, seed, arithmetic="decimal", p=p, random_ties=ties)
    _same(model.result(), want)
    assert asked >= 2 * len(want["ex_int"]) > 0


def test_a_nato_bloc_is_one_agent_that_asks_its_members():
    """With consensus blocs as parties the agents are the parties (NATO one agent); the
    agents' run equals the kernel's in both arithmetics."""
    from sim.scenario import load_scenario

    sc = load_scenario("nato_russia_2022")
    for arithmetic in ("float", "decimal"):
        params = mx.Params(arithmetic=arithmetic)
        model = ax.ExchangeAgentsModel(sc, rounds=3, params=params)
        ids = [agent.actor_id for agent in model.actor_list]
        assert "NATO" in ids and "USA" not in ids and "RUS" in ids
        model.run_model()
        want, _ = mx.run_exchange(sc, sc.arrays(), 3, None, arithmetic, "party")
        _same(model.result(), want)


@pytest.mark.parametrize("case", range(12))
def test_agents_equal_the_kernel_on_random_scenarios_with_red_lines(case):
    """Seeded random scenarios with red lines, 5 rounds, ties in order and by coin."""
    inputs = _random_case(case)
    for seed in (None, 1000 + case):
        _same(ax.simulate_agents(*inputs, 5, seed=seed), kx.simulate(*inputs, 5, seed=seed))


def test_the_random_cases_reach_red_lines_and_ties():
    """The random cases above exercise what they claim: some exchange is realised, some
    tie is settled by a coin and some red line removes an exchange the open run realises."""
    realised = ties = blocked = 0
    for case in range(12):
        pos, sal, pw, lo, hi = _random_case(case)
        run = kx.simulate(pos, sal, pw, lo, hi, 5, seed=1000 + case)
        realised += run["ex_int"].shape[0]
        ties += run["ties"]
        open_run = kx.simulate(pos, sal, pw, 0.0 * lo, 0.0 * hi + 100.0, 5)
        closed = kx.simulate(pos, sal, pw, lo, hi, 5)
        blocked += int(open_run["ex_int"].tobytes() != closed["ex_int"].tobytes())
    assert realised > 0 and ties > 0 and blocked > 0


def test_agents_draw_more_coins_as_the_kernel_does():
    """Two blocs of identical actors tie on every exchange: more coins are drawn than the
    first batch holds, and the agents' run is still the kernel's."""
    k, m = 10, 4
    n = 2 * k
    pos = np.zeros((m, n))
    sal = np.zeros((m, n))
    for d in range(m):
        a, b = (10.0, 90.0) if d % 2 == 0 else (90.0, 10.0)
        pos[d, :k], pos[d, k:] = a, b
        sa, sb = (0.9, 0.3) if d % 2 == 0 else (0.3, 0.9)
        sal[d, :k], sal[d, k:] = sa, sb
    pw = np.ones((m, n))
    lo, hi = np.zeros((m, n)), np.full((m, n), 100.0)
    want = kx.simulate(pos, sal, pw, lo, hi, 4, seed=3)
    assert want["ties"] > ax.FIRST_COINS
    _same(ax.simulate_agents(pos, sal, pw, lo, hi, 4, seed=3), want)


def test_no_rounds(sample):
    """A run of 0 rounds: the start only, as the kernel gives it."""
    _, inputs = sample
    _same(ax.simulate_agents(*inputs, 0), kx.simulate(*inputs, 0))


def test_one_agent_per_actor(sample):
    scenario, _ = sample
    model = ax.ExchangeAgentsModel(scenario, rounds=1)
    agents = list(model.agents)
    assert len(agents) == len(scenario.actors) == model.n_actors
    assert all(isinstance(a, ax.ExchangeActor) and isinstance(a, mesa.Agent) for a in agents)
    assert [a.index for a in model.actor_list] == list(range(model.n_actors))
    assert [a.actor_id for a in model.actor_list] == list(scenario.actors)
    np.testing.assert_array_equal(
        model.actor_list[3].position, mx._inputs(scenario.arrays())[0][:, 3]
    )


def _first_exchange(inputs):
    """Round 1's first realised exchange of the open run: actor i, actor j, issue p,
    issue q and i's move on q."""
    run = kx.simulate(*inputs, 1)
    r = run["ex_int"][0]
    return int(r[1]), int(r[2]), int(r[3]), int(r[4]), float(run["ex_float"][0, 0])


def _realised(out, rnd, i, j, p, q):
    rows = out["ex_int"]
    hit = (rows[:, 0] == rnd) & (rows[:, 1] == i) & (rows[:, 2] == j)
    return bool((hit & (rows[:, 3] == p) & (rows[:, 4] == q)).any())


def test_an_actor_that_refuses_blocks_the_exchange(sample):
    """A red line that the first exchange's move would cross: that actor refuses it, its
    partner accepts, the exchange is not realised; the run is still the kernel's."""
    _, (pos, sal, pw, lo, hi) = sample
    i, j, p, q, move_i = _first_exchange((pos, sal, pw, lo, hi))
    assert _realised(ax.simulate_agents(pos, sal, pw, lo, hi, 1), 1, i, j, p, q)
    lo2, hi2 = lo.copy(), hi.copy()
    if move_i > 0:
        hi2[q, i] = pos[q, i] + move_i / 2
    else:
        lo2[q, i] = pos[q, i] + move_i / 2
    model = ax.ExchangeAgentsModel(inputs=(pos, sal, pw, lo2, hi2), rounds=1)
    model.step()
    out = model.result()
    assert not _realised(out, 1, i, j, p, q)
    _same(out, kx.simulate(pos, sal, pw, lo2, hi2, 1))

    def offers(agent):
        return [(e, ok) for e, ok in agent.decisions if tuple(model.act[e]) == (i, j)
                and tuple(model.sup[e]) == (q, p)]  # fmt: skip

    mine = offers(model.actor_list[i])
    theirs = offers(model.actor_list[j])
    assert mine and not any(ok for _, ok in mine)
    assert theirs and all(ok for _, ok in theirs)


def test_the_agents_decisions_decide(sample, monkeypatch):
    """An actor whose decision is to refuse everything is in no realised exchange, though
    it trades when it decides by the rule; its partners' offers were still made."""
    _, inputs = sample
    free = ax.simulate_agents(*inputs, 3)
    k = int(free["ex_int"][0, 1])
    real = ax.ExchangeActor.decide

    def refuse_k(self, e):
        return False if self.index == k else real(self, e)

    monkeypatch.setattr(ax.ExchangeActor, "decide", refuse_k)
    model = ax.ExchangeAgentsModel(inputs=inputs, rounds=3)
    model.run_model()
    rows = model.result()["ex_int"]
    assert rows.shape[0] > 0
    assert not ((rows[:, 1] == k) | (rows[:, 2] == k)).any()


def test_registered_as_the_exchange_models_agents(sample):
    """`agents_for("exchange")` is the agents' model; the mesa driver's stepping
    (`sim.experiment._step_mesa`) gives the kernel's trajectory."""
    scenario, inputs = sample
    assert agents_for("exchange") is ax.ExchangeAgentsModel
    assert AGENT_MODELS["exchange"] is ax.ExchangeAgentsModel
    t = experiment._step_mesa(scenario, 4, False, "exchange", mx.Params(arithmetic="float"))
    ref = mx.trajectory_of(scenario.arrays(), kx.simulate(*inputs, 4))
    for name in ("positions", "voting", "outcomes", "ex_int", "ex_float", "externalities"):
        assert getattr(t, name).tobytes() == getattr(ref, name).tobytes(), name


def test_a_run_from_arrays_needs_rounds():
    with pytest.raises(TypeError, match="inputs and rounds"):
        ax.ExchangeAgentsModel(inputs=None, rounds=None)


@pytest.mark.parametrize("case", [None, 3, 4, 9, 17])
def test_valid_is_both_actors_accepting(sample, case):
    """Through a whole round, the kernel's validity of every open exchange, as calculated
    and as recalculated after each realised one, is its two actors' decisions (`accepts`)
    taken together; some are refused by one side only."""
    inputs = sample[1] if case is None else _random_case(case)
    pos, sal, pw, lo, hi = inputs
    if case is None:
        hi = hi.copy()
        hi[:, ::2] = np.minimum(hi[:, ::2], pos[:, ::2] + 1.0)
    den, ei, act, sup, dem, sf, ef, upd, hupd, lst, buf, length = kx.round_start(
        pos, sal, pw, lo, hi
    )
    ext = np.zeros((pos.shape[1], pos.shape[0] * (pos.shape[0] - 1) // 2))
    row = np.zeros(pos.shape[1])
    kind = np.zeros(pos.shape[1], dtype=np.int64)
    sides = kx.sides(pos, sal, pw)
    one_side = realised = 0
    while length > 0:
        for e in lst[:length]:
            a = kx.accepts(e, act[e, 0], act, sup, sf, ef, lo, hi)
            b = kx.accepts(e, act[e, 1], act, sup, sf, ef, lo, hi)
            assert (ef[e, kx.VALID] > 0.0) == (a and b)
            one_side += a != b
        best, length, _, _, _ = kx.take_best(lst, length, ef, np.zeros(0), 0, False, True)
        if ef[best, kx.VALID] > 0.0:
            length = kx.realise(best, lst, length, buf, ei, act, sup, dem, sf, ef, upd, hupd,
                                pos, sal, pw, den, lo, hi, ext, row, kind, sides)  # fmt: skip
            realised += 1
    assert one_side > 0 and realised > 0
