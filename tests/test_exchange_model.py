"""The exchange model: the float64 kernel against decide-exchange-model's sample run and the
plain Decimal reference (tests/reference_exchange.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

from sim.kernels import exchange as kx
from tests.reference_exchange import exchange_run, read_decide_file

DATA = Path(__file__).parent / "data" / "decide"
TOL = 1e-6
# decide's sample run parts from a float64 computation in round 5 (docs/exchange.md, "In sim")
MATCHED_ROUNDS = 4


def _arrays(actors, issues, position, salience, power, lower, upper):
    pos = np.array(
        [
            [float((position[(a, d)] - lower[d]) * 100 / (upper[d] - lower[d])) for a in actors]
            for d in issues
        ]
    )
    sal = np.array([[float(salience[(a, d)]) for a in actors] for d in issues])
    pw = np.array([[float(power[(a, d)]) for a in actors] for d in issues])
    return pos, sal, pw


@pytest.fixture(scope="module")
def sample():
    data = read_decide_file(DATA / "sample_data.txt")
    pos, sal, pw = _arrays(*data)
    return data[0], data[1], pos, sal, pw


def _open(pos):
    m, n = pos.shape
    return np.zeros((m, n)), np.full((m, n), 100.0)


@pytest.fixture(scope="module")
def kernel_run(sample):
    actors, issues, pos, sal, pw = sample
    return kx.simulate(pos, sal, pw, *_open(pos), 10)


@pytest.fixture(scope="module")
def decide():
    return json.loads((DATA / "decide_equal_p0_10rounds.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("n", range(1, MATCHED_ROUNDS + 1))
def test_kernel_equals_decide_each_round(sample, kernel_run, decide, n):
    """After round n the kernel's expected outcomes, voting positions, next positions and
    realised exchanges (actors, issues, moves, gains) are decide's."""
    actors, issues, *_ = sample
    want = decide["rounds"][n - 1]
    for k, issue in enumerate(issues):
        assert kernel_run["outcomes"][n, k] == pytest.approx(want["nbs"][issue], abs=TOL)
        for a, actor in enumerate(actors):
            v = want["voting"][issue][actor]
            assert kernel_run["voting"][n - 1, k, a] == pytest.approx(v, abs=TOL)
            p = want["position"][issue][actor]
            assert kernel_run["positions"][n, k, a] == pytest.approx(p, abs=TOL)
    rows = kernel_run["ex_int"][:, 0] == n
    ex_i = kernel_run["ex_int"][rows]
    ex_f = kernel_run["ex_float"][rows]
    assert len(ex_i) == len(want["exchanges"])
    for got_i, got_f, w in zip(ex_i, ex_f, want["exchanges"], strict=True):
        assert actors[got_i[1]] == w["i"]["actor"] and actors[got_i[2]] == w["j"]["actor"]
        assert issues[got_i[4]] == w["i"]["supply"] and issues[got_i[3]] == w["j"]["supply"]
        assert got_f[0] == pytest.approx(w["i"]["move"], abs=TOL)
        assert got_f[1] == pytest.approx(w["j"]["move"], abs=TOL)
        assert got_f[2] == pytest.approx(w["gain"], abs=TOL)


def test_kernel_externality_totals_equal_decide(sample, kernel_run, decide):
    """Each actor's externality total over a round's exchanges is decide's."""
    actors, *_ = sample
    for n in range(1, MATCHED_ROUNDS + 1):
        by_actor = decide["rounds"][n - 1]["externality_totals"]["actor"]
        for a, actor in enumerate(actors):
            want = sum(by_actor[actor].values())
            got = kernel_run["externalities"][n - 1, a].sum()
            assert got == pytest.approx(want, abs=TOL), (n, actor)


def test_kernel_random_ties_equal_decide(sample):
    """With random tie-breaking (seed 1) the first rounds are decide's after random.seed(1)."""
    actors, issues, pos, sal, pw = sample
    want = json.loads((DATA / "decide_equal_p0_10rounds_seed1.json").read_text("utf-8"))
    got = kx.simulate(pos, sal, pw, *_open(pos), 3, seed=1)
    plain = kx.simulate(pos, sal, pw, *_open(pos), 3)
    differs = False
    for n in range(1, 4):
        for k, issue in enumerate(issues):
            assert got["outcomes"][n, k] == pytest.approx(
                want["rounds"][n - 1]["nbs"][issue], abs=TOL
            )
        assert (got["ex_int"][:, 0] == n).sum() == len(want["rounds"][n - 1]["exchanges"])
        differs = differs or not np.allclose(got["positions"][n], plain["positions"][n])
    assert differs


def _random_problem(seed, n=7, m=3):
    rng = np.random.default_rng(seed)
    actors = [f"a{k}" for k in range(n)]
    issues = [f"i{k}" for k in range(m)]
    position = {(a, d): float(round(rng.uniform(0, 100), 1)) for a in actors for d in issues}
    salience = {(a, d): float(round(rng.uniform(0.1, 1), 2)) for a in actors for d in issues}
    power = {(a, d): float(round(rng.uniform(0.1, 1), 2)) for a in actors for d in issues}
    bounds = {d: 0 for d in issues}, {d: 100 for d in issues}
    return actors, issues, position, salience, power, *bounds


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_equals_reference_on_random_scenarios(seed):
    """On random scenarios the kernel realises the reference's exchanges and reaches its
    positions (to 1e-9) in the first rounds."""
    data = _random_problem(seed)
    actors, issues = data[0], data[1]
    ref = exchange_run(*data, rounds=3)
    pos, sal, pw = _arrays(*data)
    got = kx.simulate(pos, sal, pw, *_open(pos), 3)
    for n in range(1, 4):
        r = ref["rounds"][n - 1]
        ex_i = got["ex_int"][got["ex_int"][:, 0] == n]
        ex_f = got["ex_float"][got["ex_int"][:, 0] == n]
        assert len(ex_i) == len(r["exchanges"]) > 0
        for gi, gf, w in zip(ex_i, ex_f, r["exchanges"], strict=True):
            assert (actors[gi[1]], actors[gi[2]]) == (w["i"]["actor"], w["j"]["actor"])
            assert gf[2] == pytest.approx(w["gain"], abs=1e-9)
        for k, issue in enumerate(issues):
            assert got["outcomes"][n, k] == pytest.approx(r["nbs"][issue], abs=1e-9)
            for a, actor in enumerate(actors):
                want = r["position"][issue][actor]
                assert got["positions"][n, k, a] == pytest.approx(want, abs=1e-9)


def test_red_line_removes_trades_that_cross_it(sample, kernel_run):
    """An actor whose red line on an issue is below a voting position it reached in round 1
    realises no trade that crosses the red line; without the red line it did."""
    actors, issues, pos, sal, pw = sample
    first = kernel_run["ex_int"][0]
    actor, issue = first[1], first[4]  # side i of the first exchange, on its supply issue
    reached = kernel_run["voting"][0, issue, actor]
    start = pos[issue, actor]
    assert reached > start + 10
    lo, hi = _open(pos)
    hi[issue, actor] = (start + reached) / 2
    red = kx.simulate(pos, sal, pw, lo, hi, 1)
    assert red["voting"][0, issue, actor] <= hi[issue, actor] + 1e-9
    moved = (red["ex_int"][:, 1] == actor) & (red["ex_int"][:, 4] == issue)
    assert np.all(pos[issue, actor] + red["ex_float"][moved, 0] <= hi[issue, actor] + 1e-9)
    assert not np.array_equal(red["ex_int"][:1, 1:], kernel_run["ex_int"][:1, 1:])


# ---- the registered model -------------------------------------------------------------
SAMPLE_INPUT = Path(__file__).parent / "data" / "decide_input" / "sample_data.txt"


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    from sim.cli import main

    out = tmp_path_factory.mktemp("exchange") / "out"
    argv = ["run", str(SAMPLE_INPUT), "--model", "exchange", "--rounds", "10", "--out", str(out)]
    assert main(argv) == 0
    return out


def test_sim_run_writes_decides_outcomes_and_positions(cli_run, decide):
    """sim run --model exchange on decide's sample file writes outcomes.csv and rounds.csv
    with decide's expected outcomes and positions (on each issue's scale)."""
    import pandas as pd

    from sim.scenario import load_scenario

    a = load_scenario(SAMPLE_INPUT).arrays()
    width = dict(zip(a.issue_ids, a.scale_hi - a.scale_lo, strict=True))
    lo = dict(zip(a.issue_ids, a.scale_lo, strict=True))
    outcomes = pd.read_csv(cli_run / "outcomes.csv")
    assert list(outcomes.columns) == ["round", "issue", "outcome"]
    assert sorted(set(outcomes["round"])) == list(range(11))
    rounds = pd.read_csv(cli_run / "rounds.csv")
    for n in range(MATCHED_ROUNDS + 1):
        state = decide["initial"] if n == 0 else decide["rounds"][n - 1]
        want_nbs = state["nbs"]
        got = outcomes[outcomes["round"] == n].set_index("issue")["outcome"]
        for issue, value in want_nbs.items():
            scaled = lo[issue] + value * width[issue] / 100
            assert got[issue] == pytest.approx(scaled, abs=TOL * width[issue]), (n, issue)
        now = rounds[rounds["round"] == n].set_index(["issue", "actor"])["position"]
        for issue, row in state["position"].items():
            for actor, value in row.items():
                scaled = lo[issue] + value * width[issue] / 100
                assert now[(issue, actor)] == pytest.approx(scaled, abs=TOL * width[issue])


def test_sim_run_writes_exchanges_externalities_summary_and_figures(cli_run, decide):
    """The run's exchanges.csv lists decide's exchanges of round 1 in order, externalities.csv
    has a row per round, actor and issue pair, and summary.json reports the outcomes."""
    import pandas as pd

    ex = pd.read_csv(cli_run / "exchanges.csv")
    first = ex[ex["round"] == 1]
    want = decide["rounds"][0]["exchanges"]
    assert list(first["actor_i"]) == [w["i"]["actor"] for w in want]
    assert list(first["issue_j"]) == [w["j"]["supply"] for w in want]
    assert np.allclose(first["gain_i"], [w["gain"] for w in want], atol=TOL)
    ext = pd.read_csv(cli_run / "externalities.csv")
    assert len(ext) == 10 * 10 * 15
    summary = json.loads((cli_run / "summary.json").read_text(encoding="utf-8"))
    extra = json.dumps(summary)
    assert '"random_ties": false' in extra and '"stopped"' in extra
    for name in ("positions.png", "exchanges.png", "externalities.png"):
        assert (cli_run / name).read_bytes()[:4] == b"\x89PNG"


def test_exchange_model_refuses_one_issue_scenarios():
    """A scenario with one issue is refused with a ValueError naming the scenario."""
    from sim.models import get
    from sim.scenario import load_scenario, shipped_scenarios

    model = get("exchange")
    for name in shipped_scenarios():
        sc = load_scenario(name)
        if len(sc.issues) == 1:
            with pytest.raises(ValueError, match="two or more issues") as err:
                model.check(sc, model.Params(), None)
            assert sc.name in str(err.value)
            break
    else:
        pytest.skip("no shipped one-issue scenario")


def test_exchange_random_ties_follow_the_seed():
    """random_ties with one seed gives one run; the default keeps equal gains in order."""
    from sim.models import get
    from sim.scenario import load_scenario

    model = get("exchange")
    sc = load_scenario(SAMPLE_INPUT)
    a = model.run(sc, model.params(random_ties=True, seed=1), 3)
    b = model.run(sc, model.params(random_ties=True, seed=1), 3)
    c = model.run(sc, model.params(), 3)
    assert np.array_equal(a.positions, b.positions)
    assert a.ties > 0 and c.ties == 0
    assert not np.allclose(a.positions, c.positions)


def test_backtest_leaves_one_issue_deu_problems_out_with_the_reason():
    """On DEU's one-issue problems a backtest of the exchange model gives no forecast and
    says why, instead of failing."""
    from sim.backtesting import forecast, load_dataset, make_variant

    dev = Path(__file__).resolve().parents[1] / "data" / "deu3_dev.tsv"
    every = load_dataset(dev).cases
    cases = tuple(c for c in every if sum(d.case == c.case for d in every) == 1)[:3]
    out, left_out = forecast([make_variant("exchange", {})], cases)
    assert np.all(np.isnan(out["exchange"]))
    assert len(left_out) == len(cases)
    assert all("two or more issues" in row["why"] for row in left_out)


def test_scenario_of_kind_exchange_sets_the_rounds():
    """Without --rounds a scenario whose [model] kind is exchange runs its own rounds, any
    other kind 10."""
    from sim.models import get
    from sim.scenario import load_scenario

    model = get("exchange")
    sc = load_scenario(SAMPLE_INPUT)
    assert model.rounds_for(sc, None) == 10
    own = sc.model_copy(update={"model": sc.model.model_copy(update={"kind": "exchange"})})
    assert own.model.rounds != 10
    assert model.rounds_for(own, None) == own.model.rounds


def test_random_ties_from_the_command_line(capsys):
    """--random-ties takes true or false; another word is exit 2 naming the parameter."""
    from sim.cli import main

    base = ["run", str(SAMPLE_INPUT), "--model", "exchange", "--rounds", "1"]
    assert main([*base, "--random-ties", "true", "--seed", "1"]) == 0
    capsys.readouterr()
    assert main([*base, "--random-ties", "maybe"]) == 2
    err = capsys.readouterr().err
    assert "random_ties" in err and "maybe" in err and "Traceback" not in err
