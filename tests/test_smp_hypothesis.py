"""The SMP kernel against the plain-Python reference on hypothesis-generated scenarios:
any actors, dimensions, capabilities, positions, saliences, red lines and options."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.kernels import smp
from tests.test_smp_kernel import assert_same, run_both


@st.composite
def scenarios(draw):
    n = draw(st.integers(3, 6))
    d = draw(st.integers(1, 3))
    grid = st.integers(0, 1000).map(lambda v: v / 10.0)  # 0-100 in steps of 0.1
    cap = np.array(draw(st.lists(st.integers(1, 500), min_size=n, max_size=n)), dtype=float)
    pos = np.array(draw(st.lists(st.lists(grid, min_size=d, max_size=d), min_size=n, max_size=n)))
    raw = np.array(
        draw(
            st.lists(st.lists(st.integers(1, 100), min_size=d, max_size=d), min_size=n, max_size=n)
        ),
        dtype=float,
    )
    total = np.array(draw(st.lists(st.integers(10, 100), min_size=n, max_size=n)), dtype=float)
    sal = np.floor(raw / raw.sum(axis=1, keepdims=True) * total[:, None] * 10.0) / 10.0
    sal = np.maximum(sal, 0.1)
    lo = hi = None
    if draw(st.booleans()):
        # a red line for one actor on one dimension, around its own position
        i, k = draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))
        lo, hi = np.zeros((n, d)), np.full((n, d), 100.0)
        width = draw(st.integers(5, 60))
        lo[i, k] = max(0.0, pos[i, k] - width)
        hi[i, k] = min(100.0, pos[i, k] + width / 2)
    options = {}
    for name, values in smp.OPTIONS.items():
        if name != "transitions" and draw(st.booleans()):
            options[name] = draw(st.sampled_from(values))
    stochastic = draw(st.booleans())
    if stochastic:
        options["transitions"] = "Stochastic"
    return cap, pos, sal, lo, hi, options, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=25)
@given(scenarios())
def test_the_kernel_is_the_reference_on_any_scenario(case):
    cap, pos, sal, lo, hi, options, seed = case
    try:
        mine, ref = run_both(cap, pos, sal, options=options, seed=seed, lo=lo, hi=hi, steps=4)
    except ZeroDivisionError:
        # every option equally likely: KTAB (and the reference) divide by zero inferring the
        # risk attitudes; the kernel sets them to 0 instead (docs/smp.md)
        assume(False)
    except RuntimeError:
        # a Markov election that KTAB (and the reference) give up on after 1,000 iterations;
        # the kernel iterates further (docs/condorcet.md)
        assume(False)
    assert_same(mine, ref, tol=1e-8)
