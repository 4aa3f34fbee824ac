"""Forecasting variants as model parameters (docs/variants.md).

* compromise and median with weights ``c^b s^a`` against slow numpy and pure-Python
  references, and the plain mean and median at a = b = 0;
* the expected-utility model with the issue's status quo as the reference point of Usq
  against a pure-Python reference of DESIGN 5.2 with the modified Usq (one round: P, risk,
  EU, moves); without a status quo it is the default, bit for bit;
* the defaults give the committed golden numbers bit for bit;
* batched point forecasts equal single runs bit for bit;
* a forecast after a round limit k is the state after round k; a run that stopped
  earlier forecasts as before.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.kernels import eum as K
from sim.models import MODELS
from sim.models.eum import expected_utility_matrix, run_kernel
from sim.models.trajectory import forecast
from sim.scenario import ScenarioArrays, load_scenario
from sim.uncertainty import perturb, run_seeds, spreads
from tests import reference as ref

GOLDEN = Path(__file__).parent / "golden"
EUM, COMPROMISE, MEDIAN = MODELS["eum"], MODELS["compromise"], MODELS["median"]
POWERS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (0.5, 2.0), (2.0, 0.5), (3.0, 3.0), (10.0, 7.5)]
"""(capability_power, salience_power) pairs tried."""


def problem(rng, m=2, n=6, status_quo=None, grid=False, rounds=20, width=100.0):
    """A bare ScenarioArrays on [0, width] (no red lines, computed risk, Q = T = 1)."""
    if grid:
        X = rng.integers(0, 5, (m, n)) * (width / 4)
    else:
        X = rng.random((m, n)) * width
    S = rng.random((m, n))
    S[rng.random((m, n)) < 0.15] = 0.0  # some zero saliences (0^0 = 1 at a = 0)
    sq = np.full(m, np.nan) if status_quo is None else np.asarray(status_quo, dtype=np.float64)
    return ScenarioArrays(
        actor_ids=tuple(f"a{i}" for i in range(n)),
        issue_ids=tuple(f"i{k}" for k in range(m)),
        capability=rng.uniform(0.1, 10.0, n),
        position=np.ascontiguousarray(X, dtype=np.float64),
        salience=S,
        red_lo=np.zeros((m, n)),
        red_hi=np.full((m, n), width),
        scale_lo=np.zeros(m),
        scale_hi=np.full(m, width),
        status_quo=sq,
        risk=np.full(n, np.nan),
        Q=1.0,
        T=1.0,
        rounds=rounds,
    )


def powered_params(model, powers):
    b, a = powers
    return model.params(capability_power=b, salience_power=a)


# ---- compromise and median with powers ------------------------------------------------------
def numpy_compromise(a: ScenarioArrays, b: float, s_pow: float) -> np.ndarray:
    """sum(w x) / sum(w) with w = c^b s^a (all ones when every weight is 0)."""
    w = a.capability[None, :] ** b * a.salience**s_pow
    w = np.where(w.sum(axis=1, keepdims=True) <= 0, 1.0, w)
    return (w * a.position).sum(axis=1) / w.sum(axis=1)


def python_median(a: ScenarioArrays, b: float, s_pow: float) -> list[float]:
    """The first sorted position (ties by index) whose cumulative weight reaches half."""
    out = []
    for k in range(a.position.shape[0]):
        x = [float(v) for v in a.position[k]]
        w = [
            math.pow(float(c), b) * math.pow(float(s), s_pow)
            for c, s in zip(a.capability, a.salience[k], strict=True)
        ]
        if sum(w) <= 0.0:
            w = [1.0] * len(x)
        half = 0.5 * sum(w)
        acc = 0.0
        for i in sorted(range(len(x)), key=lambda i: (x[i], i)):
            acc += w[i]
            if acc >= half:
                out.append(x[i])
                break
    return out


@pytest.mark.parametrize("powers", POWERS)
def test_compromise_with_powers_matches_numpy_reference(powers):
    rng = np.random.default_rng(1)
    problems = [problem(rng, m=3, n=int(rng.integers(2, 12))) for _ in range(20)]
    got = COMPROMISE.point_forecasts(problems, powered_params(COMPROMISE, powers))
    for a, fc in zip(problems, got, strict=True):
        assert list(fc) == ["compromise"]
        np.testing.assert_allclose(fc["compromise"], numpy_compromise(a, *powers), rtol=1e-12)


def test_compromise_without_capability_and_salience_is_the_plain_mean():
    rng = np.random.default_rng(2)
    problems = [problem(rng, m=2, n=int(rng.integers(2, 9))) for _ in range(10)]
    got = COMPROMISE.point_forecasts(problems, powered_params(COMPROMISE, (0.0, 0.0)))
    for a, fc in zip(problems, got, strict=True):
        np.testing.assert_allclose(fc["compromise"], a.position.mean(axis=1), rtol=1e-12)
        # and it is not the c s weighted mean on these data
        default = COMPROMISE.point_forecasts([a], COMPROMISE.params())[0]["compromise"]
        assert not np.allclose(default, fc["compromise"])


@pytest.mark.parametrize("powers", POWERS)
def test_median_with_powers_matches_sorted_cumulative_weight(powers):
    rng = np.random.default_rng(3)
    problems = [problem(rng, m=3, n=int(rng.integers(2, 12)), grid=k % 2 == 0) for k in range(20)]
    got = MEDIAN.point_forecasts(problems, powered_params(MEDIAN, powers))
    for a, fc in zip(problems, got, strict=True):
        assert list(fc) == ["median"]
        assert fc["median"].tolist() == python_median(a, *powers)


def test_median_at_zero_powers_is_the_lower_median_of_the_positions():
    rng = np.random.default_rng(4)
    for n in (3, 4, 7, 8):
        a = problem(rng, m=2, n=n)
        got = MEDIAN.point_forecasts([a], powered_params(MEDIAN, (0.0, 0.0)))[0]["median"]
        want = np.sort(a.position, axis=1)[:, (n - 1) // 2]
        assert got.tolist() == want.tolist()


def test_large_powers_approach_the_actor_with_the_most_weight():
    rng = np.random.default_rng(5)
    a = problem(rng, m=3, n=8)
    got = COMPROMISE.point_forecasts([a], powered_params(COMPROMISE, (10.0, 10.0)))[0]
    heaviest = np.argmax(a.capability[None, :] * a.salience, axis=1)
    top = a.position[np.arange(3), heaviest]
    default = COMPROMISE.point_forecasts([a], COMPROMISE.params())[0]["compromise"]
    assert np.all(np.abs(got["compromise"] - top) < np.abs(default - top))


def test_default_powers_give_the_c_s_baselines_bit_for_bit():
    """Default and explicit (1, 1) powers: the plain-Python reference's c s weighted mean and
    median (the same sums in the same order), bit for bit."""
    rng = np.random.default_rng(6)
    problems = [problem(rng, m=2, n=int(rng.integers(2, 12)), grid=k % 3 == 0) for k in range(20)]
    for model in (COMPROMISE, MEDIAN):
        for params in (model.params(), powered_params(model, (1.0, 1.0)), None):
            got = model.point_forecasts(problems, params)
            for a, fc in zip(problems, got, strict=True):
                for k in range(a.position.shape[0]):
                    w = ref.weights(a.capability, a.salience[k])
                    want = {
                        "compromise": ref.compromise(a.position[k], w),
                        "median": ref.weighted_median(a.position[k], w),
                    }
                    for kind, values in fc.items():
                        assert float(values[k]) == want[kind], (model.name, kind, k)


def test_powers_are_checked_against_their_range():
    with pytest.raises(ValueError, match=r"salience_power: expected a number in \[0, 10\]"):
        COMPROMISE.params(salience_power=11.0)
    with pytest.raises(ValueError, match="capability_power"):
        MEDIAN.params(capability_power=-1.0)


def test_powered_ensemble_batch_equals_the_powered_baseline_of_each_perturbed_run():
    """Static.batch given powers: each perturbed run's forecast is the powered baseline of its
    perturbed inputs, the same bits in a batch of three and one at a time."""
    sc = load_scenario("nato_russia_2022")
    arrays = sc.arrays()
    sp = spreads(sc, 5.0, 0.1, 0.2)
    seeds = run_seeds(7, 0, 3)
    params = powered_params(COMPROMISE, (0.5, 2.0))
    together = COMPROMISE.batch(sc, arrays, sp, seeds, 0, params=params)
    X, S, C = perturb(arrays, sp, seeds)
    for r in range(3):
        alone = COMPROMISE.batch(sc, arrays, sp, seeds[r : r + 1], 0, params=params)
        p = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
        want = COMPROMISE.point_forecasts([p], params)[0]["compromise"]
        for k, iid in enumerate(sc.issue_ids):
            assert together[f"{iid}.compromise"][r] == alone[f"{iid}.compromise"][0]
            assert together[f"{iid}.compromise"][r] == want[k]
    default = COMPROMISE.batch(sc, arrays, sp, seeds, 0)
    assert not np.array_equal(default["enlargement.compromise"], together["enlargement.compromise"])
    assert list(default) == list(together)


# ---- the expected-utility model with the status quo as reference point --------------------------
def reference_round(x, c, s, width, sq, fixed, Q, T):
    """DESIGN 5.2 steps 1-8 on one issue in plain Python, with
    ``Usq = 2 - 4 (0.5 + 0.5 |x_i - sq| / D)^r_i`` (``sq`` NaN: the design's ``2 - 4 (0.5)^r_i``)."""
    x, c, s = [float(v) for v in x], [float(v) for v in c], [float(v) for v in s]
    n = len(x)
    w = ref.weights(c, s)
    mu = ref.weighted_median(x, w)
    P = ref.win_probabilities(x, w)

    def eu(i, j, ri):
        if i == j:
            return 0.0
        u = ref.basic_utilities(x[i], x[j], mu, width, ri)
        usq = u["Usq"] if math.isnan(sq) else 2.0 - 4.0 * (0.5 + 0.5 * abs(x[i] - sq) / width) ** ri
        p = P[i][j]
        return (
            s[j] * (p * u["Us"] + (1.0 - p) * u["Uf"])
            + (1.0 - s[j]) * u["Us"]
            - Q * usq
            - (1.0 - Q) * (T * u["Ub"] + (1.0 - T) * u["Uw"])
        )

    first = [[eu(i, j, 1.0) for j in range(n)] for i in range(n)]
    r = ref.risk_exponents(first, fixed)
    EU = [[eu(i, j, r[i]) for j in range(n)] for i in range(n)]
    moves = [ref.decide(EU, x, i) for i in range(n)]
    return {"P": P, "r": r, "EU": EU, "moves": moves}


def kernel_round(x, c, s, width, sq, fixed, Q, T):
    n = len(x)
    w, r, P, EU = np.empty(n), np.empty(n), np.empty((n, n)), np.empty((n, n))
    K.prepare_round(x, c, s, float(width), float(sq), fixed, float(Q), float(T), w, P, EU, r)
    # the moves from the run kernel (one round), which skips same-position entries
    X0 = x.reshape(1, n)
    hist = np.empty((2, 1, n))
    ev, se = np.empty((1, 1, n), np.int64), np.empty((1, 1, n), np.int64)
    cl = np.empty((1, 1, n), np.bool_)
    K.run_issues(X0, c, s.reshape(1, n), np.array([width]), np.array([sq]), K.DESIGN, fixed,
                 float(Q), float(T), np.full((1, n), -np.inf), np.full((1, n), np.inf), 1, hist,
                 ev, se, cl)  # fmt: skip
    return {"P": P, "r": r, "EU": EU, "new": hist[1, 0], "events": ev[0, 0], "senders": se[0, 0]}


ROUND_CASES = [
    # (seed, n, Q, T, fixed risk?)
    (10, 5, 1.0, 1.0, False),
    (11, 7, 0.5, 0.3, False),
    (12, 4, 0.0, 1.0, False),
    (13, 8, 0.8, 0.0, True),
    (14, 6, 0.25, 0.75, False),
    (15, 3, 1.0, 1.0, False),
]


@pytest.mark.parametrize(("seed", "n", "Q", "T", "fixed"), ROUND_CASES)
def test_status_quo_reference_one_round_matches_python_reference(seed, n, Q, T, fixed):
    rng = np.random.default_rng(seed)
    width = float(rng.choice([1.0, 10.0, 100.0]))
    x = rng.random(n) * width
    c = rng.uniform(0.1, 10.0, n)
    s = rng.random(n)
    sq = float(rng.random() * width)
    risk = np.full(n, np.nan)
    if fixed:
        risk[::2] = rng.uniform(0.5, 2.0, len(risk[::2]))
    got = kernel_round(x, c, s, width, sq, risk, Q, T)
    want = reference_round(x, c, s, width, sq, risk, Q, T)
    np.testing.assert_array_equal(got["P"], np.array(want["P"]))
    np.testing.assert_allclose(got["r"], want["r"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["EU"], np.array(want["EU"]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["new"], [m[0] for m in want["moves"]], rtol=1e-12, atol=1e-12)
    assert got["events"].tolist() == [m[1] for m in want["moves"]]
    assert got["senders"].tolist() == [m[2] for m in want["moves"]]
    # the status quo changes the round (it enters as Q Usq): not the default model's round
    default = reference_round(x, c, s, width, math.nan, risk, Q, T)
    assert np.allclose(np.array(default["EU"]), got["EU"]) == (Q == 0.0)
    if not fixed:
        assert np.allclose(default["r"], got["r"]) == (Q == 0.0)


def test_the_round_cases_include_moves():
    """Under the status-quo reference some actor moves in the cases above, so their move
    comparison is not only of actors who stay."""
    moved = 0
    for seed, n, Q, T, fixed in ROUND_CASES:
        rng = np.random.default_rng(seed)
        width = float(rng.choice([1.0, 10.0, 100.0]))
        x, c, s = rng.random(n) * width, rng.uniform(0.1, 10.0, n), rng.random(n)
        sq = float(rng.random() * width)
        risk = np.full(n, np.nan)
        if fixed:
            risk[::2] = rng.uniform(0.5, 2.0, len(risk[::2]))
        got = kernel_round(x, c, s, width, sq, risk, Q, T)
        moved += int(np.sum(got["new"] != x))
    assert moved > 0


def test_status_quo_reference_without_a_status_quo_is_the_default_bit_for_bit():
    rng = np.random.default_rng(20)
    problems = [problem(rng, m=2, n=int(rng.integers(2, 9)), grid=k % 2 == 0) for k in range(12)]
    sq_params, default_params = EUM.params(reference="status_quo"), EUM.params()
    got = EUM.point_forecasts(problems, sq_params, 25)
    want = EUM.point_forecasts(problems, default_params, 25)
    for a, g, w in zip(problems, got, want, strict=True):
        for kind in ("compromise", "median"):
            assert np.array_equal(g[kind], w[kind])
        t_sq, t_default = run_kernel(a, 25, "status_quo"), run_kernel(a, 25)
        assert np.array_equal(t_sq.positions, t_default.positions)
        assert np.array_equal(t_sq.events, t_default.events)


def test_an_issue_without_a_status_quo_keeps_the_default_reference():
    """One issue with a status quo and one without: the second moves as in the default run
    (issues are independent) for every round both runs hold, the first does not."""
    rng = np.random.default_rng(21)
    for _ in range(5):
        a = problem(rng, m=2, n=7, status_quo=[30.0, np.nan])
        mixed, default = run_kernel(a, 15, "status_quo"), run_kernel(a, 15)
        R = min(mixed.rounds, default.rounds)
        assert np.array_equal(mixed.positions[: R + 1, 1], default.positions[: R + 1, 1])
        EU_sq = run_eu(a, 0, "status_quo")
        assert not np.allclose(EU_sq, run_eu(a, 0, "position"))


def run_eu(a, issue, reference):
    return expected_utility_matrix(a, issue, reference=reference)[0]


def test_status_quo_reference_point_forecasts_batched_equal_single_runs():
    """Problems with different status quos batched in one kernel call: each one's forecast is
    the bits of its own single run (`forecast` of `run_kernel`)."""
    rng = np.random.default_rng(22)
    problems = [
        problem(rng, m=2, n=6, status_quo=[float(rng.random() * 100), np.nan]) for _ in range(6)
    ]
    params = EUM.params(reference="status_quo")
    batched = EUM.point_forecasts(problems, params, 20)
    for a, fc in zip(problems, batched, strict=True):
        alone = EUM.point_forecasts([a], params, 20)[0]
        comp, med = forecast(a.capability, a.salience, run_kernel(a, 20, "status_quo"))
        for kind, want in (("compromise", comp), ("median", med)):
            assert np.array_equal(fc[kind], alone[kind])
            assert np.array_equal(fc[kind], want)
    # the status quo matters on these problems
    default = EUM.point_forecasts(problems, EUM.params(), 20)
    assert any(
        not np.array_equal(d["compromise"][0], b["compromise"][0])
        for d, b in zip(default, batched, strict=True)
    )


def test_default_point_forecasts_batched_equal_single_runs():
    rng = np.random.default_rng(23)
    problems = [problem(rng, m=2, n=5, grid=k % 2 == 0) for k in range(8)]
    batched = EUM.point_forecasts(problems, EUM.params(), 12)
    for a, fc in zip(problems, batched, strict=True):
        comp, med = forecast(a.capability, a.salience, run_kernel(a, 12))
        assert np.array_equal(fc["compromise"], comp)
        assert np.array_equal(fc["median"], med)


def test_a_run_with_the_status_quo_reference_runs_it_and_records_its_quantities():
    """sim.run with reference=status_quo (the mesa driver by default) gives the kernel's
    status-quo trajectory, and the recorded EU are those of that reference."""
    result = sim.run("nato_russia_2022", model="eum", rounds=5, params={"reference": "status_quo"})
    arrays = result.scenario.arrays()
    want = run_kernel(arrays, 5, "status_quo")
    assert np.array_equal(result.trajectory.positions, want.positions)
    assert not np.array_equal(want.positions, run_kernel(arrays, 5).positions)
    EU = expected_utility_matrix(arrays, 0, want.positions[1, 0], "status_quo")[0]
    assert np.array_equal(result.trajectory.expected_utility[1, 0], EU)


def test_status_quo_ensemble_batch_equals_single_runs():
    sc = load_scenario("nato_russia_2022")
    arrays = sc.arrays()
    sp = spreads(sc, 5.0, 0.1, 0.2)
    seeds = run_seeds(8, 0, 2)
    params = EUM.params(reference="status_quo")
    together = EUM.batch(sc, arrays, sp, seeds, 6, params=params)
    X, S, C = perturb(arrays, sp, seeds)
    for r in range(2):
        p = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
        comp, _ = forecast(C[r], S[r], run_kernel(p, 6, "status_quo"))
        for k, iid in enumerate(sc.issue_ids):
            assert together[f"{iid}.compromise"][r] == comp[k]
    nominal = EUM.nominal(sc, 6, params=params)
    comp, med = forecast(arrays.capability, arrays.salience, run_kernel(arrays, 6, "status_quo"))
    assert [nominal[i]["compromise"] for i in sc.issue_ids] == comp.tolist()


def test_reference_is_one_of_its_choices():
    with pytest.raises(ValueError, match="reference: expected one of: position, status_quo"):
        EUM.params(reference="median")


# ---- the defaults against the golden runs -----------------------------------------------------
GOLDEN_CASES = {"nato_russia_2022_eum": ("nato_russia_2022", None),
                "ec_example_scholz2011_eum": ("ec_example_scholz2011", 6)}  # fmt: skip


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_default_eum_matches_the_golden_runs_and_the_mesa_driver(case):
    """At the default reference: the kernel's positions and point forecasts are the golden
    run's (to its tolerance, 1e-9), and the point forecasts are the bits of the run the mesa
    agents step (prepare_round and actor_decision from Python: another path)."""
    name, rounds = GOLDEN_CASES[case]
    arrays = load_scenario(name).arrays()
    expected = pd.read_csv(GOLDEN / f"{case}.csv")
    summary = json.loads((GOLDEN / f"{case}.json").read_text())
    m, n = arrays.position.shape
    positions = expected["position"].to_numpy().reshape(-1, m, n)
    mesa = sim.run(name, model="eum", rounds=rounds, driver="abm")
    comp, med = forecast(arrays.capability, arrays.salience, mesa.trajectory)
    for params in (EUM.params(), EUM.params(reference="position"), None):
        t = run_kernel(arrays, rounds, "position" if params is None else params.reference)
        np.testing.assert_allclose(t.positions, positions, rtol=0, atol=1e-9)
        assert np.array_equal(t.positions, mesa.trajectory.positions)
        fc = EUM.point_forecasts([arrays], params, rounds)[0]
        assert np.array_equal(fc["compromise"], comp) and np.array_equal(fc["median"], med)
        for k, iid in enumerate(arrays.issue_ids):
            assert fc["compromise"][k] == pytest.approx(
                summary["forecast"][iid]["compromise"], abs=1e-9
            )
            assert fc["median"][k] == pytest.approx(summary["forecast"][iid]["median"], abs=1e-9)


# ---- a forecast after a fixed number of rounds ------------------------------------------------
def baselines_of(a: ScenarioArrays, state: np.ndarray) -> tuple[list[float], list[float]]:
    comp, med = [], []
    for k in range(state.shape[0]):
        w = ref.weights(a.capability, a.salience[k])
        comp.append(ref.compromise(state[k], w))
        med.append(ref.weighted_median(state[k], w))
    return comp, med


@pytest.mark.parametrize("reference", ["position", "status_quo"])
def test_a_run_stopped_at_round_k_forecasts_the_state_after_round_k(reference):
    """rounds = k on a run that goes on longer: the baselines of round k's state (read off a
    longer run), for every k up to 8, round 0 being the initial positions."""
    rng = np.random.default_rng(30)
    a = next(
        p
        for p in (problem(rng, m=2, n=8, status_quo=[40.0, 70.0]) for _ in range(200))
        if run_kernel(p, 9, reference).stopped == "limit"
    )
    long = run_kernel(a, 9, reference)
    params = EUM.params(reference=reference)
    for k in range(9):
        fc = EUM.point_forecasts([a], params, k)[0]
        comp, med = baselines_of(a, long.positions[k])
        assert fc["compromise"].tolist() == comp, k
        assert fc["median"].tolist() == med, k
    assert not np.array_equal(long.positions[3], long.positions[8])


def test_a_run_that_converged_before_the_limit_forecasts_as_before():
    rng = np.random.default_rng(31)
    found = [
        (p, t)
        for p in (problem(rng, m=1, n=6, grid=True) for _ in range(300))
        for t in (run_kernel(p, 50),)
        if t.stopped == "converged" and t.rounds >= 2
    ]
    assert found, "no converging run among the problems tried"
    for a, t in found[:5]:
        comp, med = baselines_of(a, t.positions[-1])
        for k in (t.rounds, t.rounds + 1, t.rounds + 7, 50):
            fc = EUM.point_forecasts([a], EUM.params(), k)[0]
            assert fc["compromise"].tolist() == comp and fc["median"].tolist() == med, k
        # one round short of the stop: the state before it
        early = EUM.point_forecasts([a], EUM.params(), t.rounds - 2)[0]
        assert early["compromise"].tolist() == baselines_of(a, t.positions[t.rounds - 2])[0]


def test_a_run_that_cycled_before_the_limit_forecasts_the_cycle_mean():
    rng = np.random.default_rng(32)
    found = [
        (p, t)
        for p in (problem(rng, m=1, n=5, grid=True) for _ in range(600))
        for t in (run_kernel(p, 40),)
        if t.stopped == "cycle"
    ]
    if not found:
        pytest.fail("no cycling run among the problems tried")
    a, t = found[0]
    states = t.final_states()
    comps = [baselines_of(a, s)[0][0] for s in states]
    meds = [baselines_of(a, s)[1][0] for s in states]
    for k in (t.rounds, t.rounds + 5, 40):
        fc = EUM.point_forecasts([a], EUM.params(), k)[0]
        assert fc["compromise"][0] == pytest.approx(sum(comps) / len(comps), abs=1e-12)
        assert fc["median"][0] == pytest.approx(sum(meds) / len(meds), abs=1e-12)


def test_rounds_none_uses_each_problems_own_limit():
    rng = np.random.default_rng(33)
    a = problem(rng, m=2, n=7, rounds=3)
    b = problem(rng, m=2, n=7, rounds=11)
    got = EUM.point_forecasts([a, b], EUM.params(), None)
    for p, fc in ((a, got[0]), (b, got[1])):
        assert np.array_equal(fc["compromise"], EUM.point_forecasts([p], None, p.rounds)[0][
            "compromise"])  # fmt: skip


# ---- the defaults against the forecasts recorded before the variants existed --------------------
DEFAULTS = GOLDEN / "variants_default_forecasts.json"
"""Point forecasts at the default parameters, recorded by the kernels as they were before the
variants (regenerate with SIM_UPDATE_GOLDEN=1 only for a deliberate change of the numbers)."""
RECORDED = ("nato_russia_2022", "ec_example_scholz2011", "china1989_bdm")


def recorded_problems() -> list[tuple[str, ScenarioArrays]]:
    """The shipped scenarios of RECORDED and random problems of several kinds (integer grid,
    floats; Q, T and fixed risk varied), by name."""
    out = [(name, load_scenario(name).arrays()) for name in RECORDED]
    rng = np.random.default_rng(40)
    for k in range(24):
        a = problem(rng, m=int(rng.integers(1, 4)), n=int(rng.integers(2, 10)), grid=k % 2 == 0)
        risk = np.where(rng.random(a.risk.shape) < 0.3, rng.choice([0.5, 1.0, 2.0]), np.nan)
        Q, T = (1.0, 1.0) if k % 3 == 0 else (float(rng.random()), float(rng.random()))
        out.append((f"random{k}", dataclasses.replace(a, Q=Q, T=T, risk=risk)))
    return out


def default_forecasts(params_of) -> dict:
    """``{name/model/rounds: {kind: list}}`` of every recorded problem; ``params_of(model)``
    gives the parameters passed (None: the models' defaults)."""
    out = {}
    named = recorded_problems()
    for model in ("eum", "compromise", "median"):
        spec = MODELS[model]
        for rounds in (None, 4):
            got = spec.point_forecasts([a for _, a in named], params_of(spec), rounds)
            for (name, _), fc in zip(named, got, strict=True):
                out[f"{name}/{model}/{rounds}"] = {k: v.tolist() for k, v in fc.items()}
    return out


def test_default_parameters_give_the_recorded_forecasts_bit_for_bit():
    if os.environ.get("SIM_UPDATE_GOLDEN") == "1":
        DEFAULTS.write_text(json.dumps(default_forecasts(lambda spec: None), indent=1) + "\n")
        pytest.skip("recorded default forecasts updated")
    recorded = json.loads(DEFAULTS.read_text())
    explicit = {
        "eum": EUM.params(reference="position"),
        "compromise": powered_params(COMPROMISE, (1.0, 1.0)),
        "median": powered_params(MEDIAN, (1.0, 1.0)),
    }
    for params_of in (lambda spec: None, lambda spec: spec.params(), lambda s: explicit[s.name]):
        assert default_forecasts(params_of) == recorded


def test_a_baseline_run_reports_the_forecast_with_its_powers(tmp_path):
    """`sim run --model compromise --salience-power 0` forecasts the capability-weighted
    mean of the initial positions, in its table, its summary and on the terminal."""
    import json

    import sim
    from sim.cli import main

    sc = sim.load_scenario()
    arrays = sc.arrays()
    want = (arrays.position * arrays.capability).sum(axis=1) / arrays.capability.sum()
    res = sim.run(sc, model="compromise", params={"salience_power": 0.0})
    fc = res.forecast()
    assert np.allclose(fc["compromise"].to_numpy(), want, rtol=1e-12)
    assert np.allclose(fc["initial_compromise"].to_numpy(), want, rtol=1e-12)
    out = tmp_path / "run"
    assert main(["run", "--model", "compromise", "--salience-power", "0", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    got = [summary["forecast"][iid]["compromise"] for iid in sc.issue_ids]
    assert np.allclose(got, want, rtol=1e-12)
    assert summary["weights"] == {"capability_power": 1.0, "salience_power": 0.0}
