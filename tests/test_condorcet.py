"""The probabilistic Condorcet election (sim.kernels.pce, model condorcet) against a plain
Python reference written from KTAB's definitions, closed forms, and the backtest."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.kernels import pce as K
from sim.models import MODELS
from sim.models.condorcet import Params, elect
from sim.scenario import load_scenario

DEV = Path(__file__).resolve().parent.parent / "data" / "deu3_dev.tsv"
RULES = range(len(K.RULE_NAMES))
VICTORIES = range(len(K.VICTORY_NAMES))
PCES = range(len(K.PCE_NAMES))


# ---- the reference: one plain function per equation -------------------------------------
def ref_vote(rule, w, ui, uj):
    du = ui - uj
    binary = max(-1.0, min(1.0, du / 1e-8))
    return {
        "Binary": w * binary,
        "PropBin": w * (0.8 * du + 0.2 * binary),
        "Prop": w * du,
        "PropCbc": w * (0.5 * du + 0.5 * du**3),
        "Cubic": w * du**3,
        "ASymProsp": w * du if du < 0 else (2.0 * w * du / 3.0 if du > 0 else 0.0),
    }[K.RULE_NAMES[rule]]


def ref_victory(model, s1, s2):
    name = K.VICTORY_NAMES[model]
    if name == "Binary":
        if s1 >= 1.1 * s2:
            x1, x2 = 1.0, 1e-6
        elif s2 >= 1.1 * s1:
            x1, x2 = 1e-6, 1.0
        else:
            p = (s1 / (s1 + s2) * 2.1 - 1.0) / 0.1
            x1, x2 = p, 1.0 - p
    else:
        power = {"Linear": 1, "Square": 2, "Quartic": 4, "Octic": 8}[name]
        x1, x2 = s1**power, s2**power
    return x1 / (x1 + x2)


def ref_pairwise(rule, model, w, u):
    """Coalitions C[i][j] and victory probabilities P[i][j] as nested lists."""
    n, k = len(u), len(u[0])
    C = [[1e-8] * k for _ in range(k)]
    for i in range(k):
        for j in range(i):  # KTAB votes on i:j with j < i only (ASymProsp is asymmetric)
            votes = [ref_vote(rule, w[a], u[a][i], u[a][j]) for a in range(n)]
            C[i][j] = 1e-8 + sum(v for v in votes if v > 0)
            C[j][i] = 1e-8 - sum(v for v in votes if v < 0)
    P = [[0.5 if i == j else ref_victory(model, C[i][j], C[j][i]) for j in range(k)]
         for i in range(k)]  # fmt: skip
    return C, P


def ref_stationary(T):
    """The stationary distribution of a column-stochastic matrix T, by a linear solve."""
    k = T.shape[0]
    A = np.vstack([T - np.eye(k), np.ones(k)])
    b = np.zeros(k + 1)
    b[-1] = 1.0
    return np.linalg.lstsq(A, b, rcond=None)[0]


def ref_pce(pce, C, P):
    k = len(P)
    name = K.PCE_NAMES[pce]
    if name == "Conditional":
        q = [float(np.prod(P[i])) for i in range(k)]
        return np.array(q) / sum(q)
    T = np.zeros((k, k))  # T[i, f]: the chance that the favourite f gives way to i
    for f in range(k):
        if name == "MarkovUniform":
            challenge = [1.0 / k] * k
        else:
            inc = [C[i][f] * P[i][f] + (1e-10 if i == f else 0.0) for i in range(k)]
            challenge = [x / sum(inc) for x in inc]
        for i in range(k):
            T[i, f] += challenge[i] * P[i][f]
            T[f, f] += challenge[i] * P[f][i]
    return ref_stationary(T)


def ref_election(rule, model, pce, risk, x, w):
    """One issue as KTAB's SMP pDist: risk from a risk-neutral election of all positions,
    then the election of the distinct positions with risk-aware utilities."""
    n = len(x)
    r = [0.0] * n
    if K.RISK_NAMES[risk] != "Neutral":
        u = [[1.0 - abs(x[a] - x[j]) for j in range(n)] for a in range(n)]
        p = ref_pce(pce, *ref_pairwise(rule, model, w, u))
        lo, hi = min(p), max(p)
        if hi > lo:
            form = {
                "Min": lambda v: (v - lo) / (hi - lo),
                "Mid": lambda v: (3 * v - (hi + 2 * lo)) / (2 * (hi - lo)),
                "Max": lambda v: (2 * v - (hi + lo)) / (hi - lo),
            }[K.RISK_NAMES[risk]]
            r = [form(v) for v in p]
    firsts = []
    for a in range(n):
        if not any(abs(x[a] - x[f]) < 1e-3 for f in firsts):
            firsts.append(a)
    u = [[(1 - abs(x[a] - x[f])) * (1 + abs(x[a] - x[f]) * r[a]) for f in firsts]
         for a in range(n)]  # fmt: skip
    p = ref_pce(pce, *ref_pairwise(rule, model, w, u))
    return p, [x[f] for f in firsts]


def _kernel_pairwise(rule, model, w, u):
    k = u.shape[1]
    c, pv = np.empty((k, k)), np.empty((k, k))
    K.coalitions(rule, w, u, c)
    K.victory_matrix(model, c, pv)
    return c, pv


def _problem(rng, n=None):
    n = int(rng.integers(2, 7)) if n is None else n
    x = rng.choice(np.linspace(0, 1, 11), size=n)  # ties happen
    w = rng.uniform(0.1, 3.0, size=n)
    return x, w


# ---- kernels against the reference -----------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
def test_vote_is_the_reference_vote(rule):
    rng = np.random.default_rng(rule)
    for _ in range(50):
        w, ui, uj = rng.uniform(0.1, 5), rng.uniform(), rng.uniform()
        if rng.uniform() < 0.2:
            uj = ui + rng.choice([0.0, 3e-9, -3e-9])
        assert K.vote(rule, w, ui, uj) == pytest.approx(ref_vote(rule, w, ui, uj), rel=1e-12)


@pytest.mark.parametrize("model", VICTORIES)
def test_victory_is_the_reference_and_pairs_sum_to_one(model):
    rng = np.random.default_rng(10 + model)
    for _ in range(50):
        s1, s2 = rng.uniform(0.01, 2, size=2)
        if rng.uniform() < 0.3:
            s2 = s1 * rng.uniform(0.95, 1.05)  # the Binary model's interpolation band
        p1, p2 = K.victory(model, s1, s2)
        assert p1 == pytest.approx(ref_victory(model, s1, s2), rel=1e-12, abs=1e-15)
        assert p1 + p2 == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize(("rule", "model", "pce"), list(itertools.product(RULES, VICTORIES, PCES)))
def test_election_is_the_reference_election(rule, model, pce):
    """Every rule x victory model x PCE model on random problems, risk Mid (the default)."""
    rng = np.random.default_rng(100 * rule + 10 * model + pce)
    # KTAB's iterations stop at 1e-8 and 1e-6; the binary response (du / 1e-8) turns
    # rounding in a tie of utilities into 1e-9 of a vote
    tol = {0: 1e-9, 1: 1e-6, 2: 1e-5}[pce]
    for _ in range(4):
        x, w = _problem(rng)
        C, P = ref_pairwise(rule, model, w, [[1 - abs(a - b) for b in x] for a in x])
        c, pv = _kernel_pairwise(rule, model, w, 1 - np.abs(x[:, None] - x[None, :]))
        np.testing.assert_allclose(c, C, rtol=1e-12)
        np.testing.assert_allclose(pv, P, rtol=1e-12, atol=1e-15)
        prob = np.empty(len(x))
        mean, mode = K.issue_election(rule, model, pce, K.RISK_MID, x, w, prob)
        p, options = ref_election(rule, model, pce, K.RISK_MID, list(x), list(w))
        assert mean == pytest.approx(float(np.dot(p, options)), abs=tol * 10)
        held = [p[[abs(a - o) < 1e-3 for o in options].index(True)] for a in x]
        np.testing.assert_allclose(prob, held, atol=tol * 10)
        top = np.sort(p)[::-1]
        if len(top) == 1 or top[0] - top[1] > 100 * tol:  # a clear favourite
            assert mode == options[int(np.argmax(p))]


@pytest.mark.parametrize("risk", range(len(K.RISK_NAMES)))
def test_risk_ranges_are_the_reference(risk):
    rng = np.random.default_rng(7 + risk)
    for _ in range(5):
        x, w = _problem(rng, 5)
        prob = np.empty(5)
        mean, _ = K.issue_election(K.RULE_PROP, K.VICTORY_LINEAR, 0, risk, x, w, prob)
        p, options = ref_election(K.RULE_PROP, K.VICTORY_LINEAR, 0, risk, list(x), list(w))
        assert mean == pytest.approx(float(np.dot(p, options)), abs=1e-12)


# ---- closed forms ------------------------------------------------------------------------
def test_two_actors_linear_conditional_is_the_strength_share():
    """Two positions, Prop votes, Linear, Conditional: P[i] = w_i / (w_1 + w_2) (plus minC)."""
    x, w = np.array([0.2, 0.7]), np.array([3.0, 1.0])
    prob = np.empty(2)
    mean, mode = K.issue_election(K.RULE_PROP, K.VICTORY_LINEAR, 0, K.RISK_NEUTRAL, x, w, prob)
    d = 0.5
    c1, c2 = 1e-8 + 3.0 * d, 1e-8 + 1.0 * d
    assert prob[0] == pytest.approx(c1 / (c1 + c2), rel=1e-12)
    assert mean == pytest.approx(0.2 * prob[0] + 0.7 * prob[1], rel=1e-12)
    assert mode == 0.2


@pytest.mark.parametrize("pce", PCES)
def test_identical_positions_are_one_option_that_wins(pce):
    x, w = np.full(4, 0.35), np.array([1.0, 2.0, 3.0, 4.0])
    prob = np.empty(4)
    mean, mode = K.issue_election(K.RULE_PROP, K.VICTORY_LINEAR, pce, K.RISK_MID, x, w, prob)
    np.testing.assert_array_equal(prob, 1.0)
    assert mean == pytest.approx(0.35, abs=1e-12) and mode == 0.35


@pytest.mark.parametrize("pce", PCES)
def test_one_actor_with_all_the_capability_wins_under_binary(pce):
    x = np.array([0.1, 0.5, 0.9])
    w = np.array([1e-12, 1.0, 1e-12])  # the middle actor holds all the weight
    prob = np.empty(3)
    _, mode = K.issue_election(K.RULE_BINARY, K.VICTORY_BINARY, pce, K.RISK_MID, x, w, prob)
    assert prob[1] == pytest.approx(1.0, abs=1e-5)
    assert mode == 0.5


@pytest.mark.parametrize(("rule", "model", "pce"), list(itertools.product(RULES, VICTORIES, PCES)))
def test_probabilities_sum_to_one(rule, model, pce):
    rng = np.random.default_rng(3 + rule + 5 * model + 31 * pce)
    x, w = rng.uniform(size=6), rng.uniform(0.1, 2, size=6)
    u = 1 - np.abs(x[:, None] - x[None, :])
    p = np.empty(6)
    K.scalar_pce(rule, model, pce, w, u, p)
    assert p.sum() == pytest.approx(1.0, abs=1e-6) and (p >= 0).all()


@pytest.mark.parametrize("model", VICTORIES)
def test_markov_distributions_satisfy_their_balance_equations(model):
    rng = np.random.default_rng(50 + model)
    x, w = rng.uniform(size=7), rng.uniform(0.1, 2, size=7)
    c, pv = _kernel_pairwise(K.RULE_PROP, model, w, 1 - np.abs(x[:, None] - x[None, :]))
    k = 7
    p = np.empty(k)
    K.markov_uniform_pce(pv, p)
    # p_i = (1/k) sum_j pv[i, j] (p_i + p_j)
    np.testing.assert_allclose(p, (pv * (p[:, None] + p[None, :])).sum(axis=1) / k, atol=2e-6)
    K.markov_incentive_pce(c, pv, p)
    chlg = np.empty((k, k))
    K.challenge_matrix(c, pv, chlg)
    np.testing.assert_allclose(chlg.sum(axis=0), 1.0, atol=1e-14)
    flow = (pv * (p[:, None] * chlg.T + p[None, :] * chlg)).sum(axis=1)
    np.testing.assert_allclose(p, flow, atol=2e-8)


# ---- the model ---------------------------------------------------------------------------
def test_point_forecasts_batched_equal_one_at_a_time():
    model = MODELS["condorcet"]
    problems = [load_scenario(s).arrays() for s in ("nato_russia_2022", "ec_example_scholz2011")]
    problems = problems + [problems[0]]
    for params in (Params(), Params(vote_rule="PropBin", pce="MarkovIncentive")):
        together = model.point_forecasts(problems, params)
        for a, got in zip(problems, together, strict=True):
            alone = model.point_forecasts([a], params)[0]
            for kind in ("mean", "mode"):
                np.testing.assert_array_equal(got[kind], alone[kind])


def test_forecasts_are_on_the_issues_scales():
    a = load_scenario("nato_russia_2022").arrays()
    mean, mode, prob = elect(a.position[None], a.capability[None], a.salience[None],
                             a.scale_lo, a.scale_hi)  # fmt: skip
    assert ((a.scale_lo <= mean[0]) & (mean[0] <= a.scale_hi)).all()
    for k in range(len(mode[0])):
        assert mode[0, k] in a.position[k]  # the mode is one of the actors' positions


def test_influence_weight_uses_salience():
    a = load_scenario("nato_russia_2022").arrays()
    args = (a.position[None], a.capability[None], a.salience[None], a.scale_lo, a.scale_hi)
    plain = elect(*args, Params())[0]
    influence = elect(*args, Params(vote_weight="influence"))[0]
    assert not np.allclose(plain, influence)


def test_sim_run_takes_the_vote_rule_and_prints_the_election(capsys):
    assert main(["run", "nato_russia_2022", "--model", "condorcet", "--vote-rule", "PropBin"]) == 0
    out = capsys.readouterr().out
    assert "election: mean" in out and "vote_rule PropBin" in out


def test_bad_vote_rule_is_exit_2(capsys):
    code = main(["run", "nato_russia_2022", "--model", "condorcet", "--vote-rule", "Plurality"])
    assert code == 2
    assert "Plurality" in capsys.readouterr().err


def test_backtest_scores_condorcet(tmp_path, capsys):
    out = tmp_path / "bt"
    code = main(["backtest", str(DEV), "--models", "condorcet,compromise",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "condorcet.mean" in text and "condorcet.mode" in text
    summary = json.loads((out / "summary.json").read_text())
    assert "condorcet.mean" in json.dumps(summary)


def test_a_run_writes_the_election_and_its_forecasts_follow_from_it(tmp_path):
    """election.csv holds each position's probability of winning; summary.json's forecasts
    are the probability-weighted position and the most likely one."""
    import json

    import pandas as pd

    from sim.cli import main

    out = tmp_path / "run"
    assert main(["run", "--model", "condorcet", "--out", str(out)]) == 0
    election = pd.read_csv(out / "election.csv")
    summary = json.loads((out / "summary.json").read_text())["election"]
    for iid, rows in election.groupby("issue", sort=False):
        distinct = rows.drop_duplicates("position")  # actors at one position share it
        assert distinct.probability.sum() == pytest.approx(1.0, abs=1e-9)
        mean = float((distinct.position * distinct.probability).sum())
        mode = float(distinct.position.iloc[int(distinct.probability.to_numpy().argmax())])
        assert summary["forecast"][iid]["mean"] == pytest.approx(mean, rel=1e-9)
        assert summary["forecast"][iid]["mode"] == mode
        got = summary["probability"][iid]
        assert [got[a] for a in rows.actor] == pytest.approx(list(rows.probability), rel=1e-15)
