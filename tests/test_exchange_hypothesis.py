"""The exchange model's two implementations held to the plain reference on generated scenarios.

`tests/reference_exchange.py` follows decide's steps in plain loops. Run in exact rational
arithmetic (``exact=True``) it is the model as exact arithmetic sees it: the float64 kernel
(`sim.kernels.exchange`), which treats numbers within 1e-7 as equal, must reach the same
exchanges, outcomes and positions. Run in 28-digit Decimal it is decide: sim's decimal path
(`sim.kernels.exchange_decimal`) must reach exactly the same, ties broken by the same coins.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.kernels import exchange as kx
from sim.kernels import exchange_decimal as xd
from tests.reference_exchange import exchange_run


@st.composite
def problems(draw, most_actors=6, most_issues=4):
    n = draw(st.integers(3, most_actors))
    m = draw(st.integers(2, most_issues))
    actors = [f"a{k}" for k in range(n)]
    issues = [f"i{k}" for k in range(m)]
    tenths = st.integers(0, 1000).map(lambda v: v / 10)
    hundredths = st.integers(5, 100).map(lambda v: v / 100)
    position = {(a, d): draw(tenths) for a in actors for d in issues}
    salience = {(a, d): draw(hundredths) for a in actors for d in issues}
    # one power per actor, as sim's scenarios have
    power_of = {a: draw(hundredths) for a in actors}
    power = {(a, d): power_of[a] for a in actors for d in issues}
    lower = {d: 0 for d in issues}
    upper = {d: 100 for d in issues}
    return actors, issues, position, salience, power, lower, upper


def _arrays(actors, issues, position, salience, power):
    pos = np.array([[position[(a, d)] for a in actors] for d in issues])
    sal = np.array([[salience[(a, d)] for a in actors] for d in issues])
    pw = np.array([[power[(a, d)] for a in actors] for d in issues])
    return pos, sal, pw


def _assert_same(got, ref, actors, issues, tol):
    for n, r in enumerate(ref["rounds"], start=1):
        realised = got["ex_int"][got["ex_int"][:, 0] == n]
        gains = got["ex_float"][got["ex_int"][:, 0] == n, 2]
        assert len(realised) == len(r["exchanges"]), f"round {n}"
        for row, gain, want in zip(realised, gains, r["exchanges"], strict=True):
            assert (actors[row[1]], actors[row[2]]) == (want["i"]["actor"], want["j"]["actor"])
            assert abs(gain - want["gain"]) <= tol
        for k, issue in enumerate(issues):
            assert abs(got["outcomes"][n, k] - r["nbs"][issue]) <= tol, (n, issue)
            for a, actor in enumerate(actors):
                want = r["position"][issue][actor]
                assert abs(got["positions"][n, k, a] - want) <= tol, (n, issue, actor)


@settings(max_examples=30, deadline=None)
@given(problems(most_actors=5, most_issues=3), st.integers(1, 3))  # exact fractions grow
def test_the_float_kernel_equals_the_model_in_exact_arithmetic(problem, rounds):
    actors, issues, position, salience, power, lower, upper = problem
    ref = exchange_run(*problem, rounds=rounds, exact=True)
    pos, sal, pw = _arrays(actors, issues, position, salience, power)
    lo, hi = np.zeros_like(pos), np.full_like(pos, 100.0)
    got = kx.simulate(pos, sal, pw, lo, hi, rounds)
    _assert_same(got, ref, actors, issues, 1e-9)


@settings(max_examples=40, deadline=None)
@given(problems(), st.integers(1, 4), st.one_of(st.none(), st.integers(0, 2**32)))
def test_the_decimal_path_equals_decide_s_arithmetic(problem, rounds, seed):
    actors, issues, position, salience, power, lower, upper = problem
    ref = exchange_run(*problem, rounds=rounds, seed=seed)
    pos, sal, pw = _arrays(actors, issues, position, salience, power)
    m, n = pos.shape
    dpos = [[xd.normalise(pos[d, a], 0, 100) for a in range(n)] for d in range(m)]
    present = [[True] * n for _ in range(m)]
    order = [list(range(n)) for _ in range(m)]
    got = xd.simulate(dpos, sal.tolist(), pw.tolist(), present, order, rounds, seed)
    # both compute the same 28-digit decimals: the floats of the results are equal
    _assert_same(got, ref, actors, issues, 0.0)
