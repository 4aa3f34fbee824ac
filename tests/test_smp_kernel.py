"""The numba SMP kernel (sim.kernels.smp) against KTAB's reference run and the plain-Python
reference (tests/reference_smp.py), option by option; stochastic draws; the batch kernel."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import sim
from sim.kernels import smp
from tests.reference_smp import smp_run
from tests.test_smp_reference import CSV, LOG, parse_ktab_log, read_ktab_csv

# the reference's keyword for each option of sim.kernels.smp.OPTIONS
REF_KEYS = {
    "victory": "vpm",
    "vote_rule": "voting_rule",
    "pce": "pce",
    "transitions": "state_transitions",
    "big_r_range": "big_r_range",
    "big_r_adjust": "big_r_adjust",
    "third_party": "third_party_commit",
    "intervec": "inter_vec_brgn",
    "bargain_model": "bargain_model",
}
STEPS = 8  # steps of the random runs (the reference is slow)


@pytest.fixture(scope="module")
def ktab_input():
    names, cap, pos, sal = read_ktab_csv(CSV)
    return names, np.array(cap), np.array(pos) / 100.0, np.array(sal) / 100.0


def scenario(seed, n=None, d=None):
    """A random scenario on KTAB's 0-100 scales: n in 3..8 actors, d in 1..4 dimensions,
    each actor's saliences summing to 30..100."""
    g = np.random.default_rng(seed)
    n = int(g.integers(3, 9)) if n is None else n
    d = int(g.integers(1, 5)) if d is None else d
    cap = np.round(g.uniform(10.0, 200.0, n), 1)
    pos = np.round(g.uniform(0.0, 100.0, (n, d)), 1)
    raw = g.uniform(0.05, 1.0, (n, d))
    sal = np.round(100.0 * raw / raw.sum(axis=1, keepdims=True) * g.uniform(0.3, 1.0, (n, 1)), 1)
    sal = np.maximum(sal, 0.1)
    while np.any(sal.sum(axis=1) > 100.0):  # rounding can push a sum past 100
        sal = np.where(sal.sum(axis=1, keepdims=True) > 100.0, sal - 0.1, sal)
    return cap, pos, sal


def run_both(cap, pos, sal, options=None, seed=0, lo=None, hi=None, steps=STEPS):
    """The kernel and the reference on the same input (reference scales 0-100)."""
    options = options or {}
    rng = np.random.default_rng(seed)
    mine = smp.simulate(
        cap,
        pos / 100.0,
        sal / 100.0,
        lo=None if lo is None else lo / 100.0,
        hi=None if hi is None else hi / 100.0,
        options=options,
        rng=rng,
        max_states=steps,
    )
    ref_opts = {REF_KEYS[k]: v for k, v in options.items()}
    ref = smp_run(cap, pos, sal, max_iter=steps, seed=seed, lo=lo, hi=hi, **ref_opts)
    return mine, ref


def assert_same(mine, ref, tol=1e-9):
    """Same states, positions, probabilities, risk attitudes, changes, bargains, choices."""
    assert mine.positions.shape[0] == len(ref["positions"])
    assert mine.stopped == {"quiet": "converged", "limit": "limit"}[ref["stopped"]]
    np.testing.assert_allclose(mine.positions, np.array(ref["positions"]), rtol=0, atol=tol)
    np.testing.assert_allclose(mine.probabilities, np.array(ref["win_prob"]), rtol=0, atol=tol)
    np.testing.assert_allclose(mine.risk, np.array(ref["risk"]), rtol=0, atol=tol)
    np.testing.assert_allclose(mine.change, np.array(ref["ratios"]), rtol=0, atol=tol)
    b = mine.bargains
    for t, (record, queues) in enumerate(zip(ref["bargains"], ref["bargain_probs"], strict=True)):
        rows = np.flatnonzero(b["state"] == t + 1)
        # the bargains offered, in order: the queues of the reference list them
        offered = []
        for k, queue in enumerate(queues):
            offered += [(i, j) for i, j, _ in queue[1:] if i == k]
        got = list(zip(b["initiator"][rows].tolist(), b["receiver"][rows].tolist(), strict=True))
        assert got == offered, t
        for row in rows:
            rec = next(r for r in record if (r["init"], r["rcvr"]) == got[row - rows[0]])
            assert abs(b["probability"][row] - rec["prob"]) <= tol
            assert abs(b["gain"][row] - rec["gain"]) <= tol
        for k, (i, j) in enumerate(ref["chosen"][t]):
            row = mine.chosen[t, k]
            if i == j:
                assert row == -1, (t, k)
            else:
                assert (b["initiator"][row], b["receiver"][row]) == (i, j), (t, k)
                assert b["chosen_by_initiator"][row] or b["chosen_by_receiver"][row]


def test_kernel_reproduces_ktab_reference_run(ktab_input):
    """dummyData_3Dim under the defaults: KTAB's 11 states, its stopping, every position of
    the final history within 0.05 (0-100), every winning probability within 5e-5."""
    names, cap, pos, sal = ktab_input
    run = smp.simulate(cap, pos, sal)
    ktab = parse_ktab_log(LOG)
    assert run.positions.shape == (ktab["n_states"], 7, 3)
    assert run.stopped == "converged"
    np.testing.assert_allclose(run.change, ktab["ratios"], rtol=0, atol=5e-5)
    worst = 0.0
    for i, name in enumerate(names):
        for d, dim in enumerate(["Pstn1", "Pstn2", "Pstn3"]):
            ref = np.array(ktab["history_pos"][(name, dim)])
            worst = max(worst, np.abs(100.0 * run.positions[:, i, d] - ref).max())
        ref = np.array(ktab["history_prob"][name])
        np.testing.assert_allclose(run.probabilities[:, i], ref, rtol=0, atol=5e-5)
    assert worst <= 0.05 + 1e-9
    # the bargains table: every step's challenges, each bargain taken by a party to it
    for t, challenges in enumerate(ktab["challenges"]):
        rows = run.bargains["state"] == t + 1
        pairs = zip(run.bargains["initiator"][rows], run.bargains["receiver"][rows], strict=True)
        assert {(int(i), int(j)) for i, j in pairs} == set(challenges), t


def test_kernel_equals_reference_on_ktab_input(ktab_input):
    """The kernel and the plain-Python reference agree on KTAB's input in every detail."""
    names, cap, pos, sal = read_ktab_csv(CSV)
    mine, ref = run_both(np.array(cap), np.array(pos), np.array(sal), steps=smp.MAX_STATES)
    assert len(ref["positions"]) == 11
    assert_same(mine, ref)


@pytest.mark.parametrize("seed", range(6))
def test_kernel_equals_reference_default_options(seed):
    """Random scenarios (3-8 actors, 1-4 dimensions) under the defaults."""
    mine, ref = run_both(*scenario(seed))
    assert_same(mine, ref)


NON_DEFAULT = [(name, value) for name, values in smp.OPTIONS.items() for value in values[1:]]


@pytest.mark.parametrize(("name", "value"), NON_DEFAULT, ids=[f"{n}={v}" for n, v in NON_DEFAULT])
def test_kernel_equals_reference_each_option(name, value):
    """Every non-default value of every option, one changed at a time, on two scenarios."""
    for seed in (100, 101):
        mine, ref = run_both(*scenario(seed + 7 * len(name)), options={name: value}, seed=seed)
        assert_same(mine, ref)


def test_red_lines_clip_positions_and_bargains():
    """Red lines: initial positions and bargains are clipped into each actor's [lo, hi];
    the kernel equals the reference doing the same, and the bounds really bind."""
    bound = 0
    for seed in range(4):
        cap, pos, sal = scenario(200 + seed, n=6, d=2)
        g = np.random.default_rng(seed)
        lo = np.clip(pos - g.uniform(0.0, 15.0, pos.shape), 0.0, 100.0).round(1)
        hi = np.clip(pos + g.uniform(0.0, 15.0, pos.shape), 0.0, 100.0).round(1)
        lo[0] = pos[0] + 5.0  # actor 0 starts outside its red lines: clipped at once
        hi[0] = np.maximum(lo[0], hi[0])
        lo, hi = np.clip(lo, 0, 100), np.clip(hi, 0, 100)
        mine, ref = run_both(cap, pos, sal, lo=lo, hi=hi)
        assert_same(mine, ref)
        np.testing.assert_array_equal(mine.positions[0, 0], lo[0] / 100.0)
        assert np.all(mine.positions >= lo / 100.0) and np.all(mine.positions <= hi / 100.0)
        b = mine.bargains
        ipos, rpos = b["initiator_position"], b["receiver_position"]
        assert np.all(ipos >= lo[b["initiator"]] / 100.0)
        assert np.all(rpos <= hi[b["receiver"]] / 100.0)
        edges = np.concatenate([lo[b["initiator"]], hi[b["initiator"]]], axis=1) / 100.0
        bound += int(np.isin(ipos, edges).sum())
        free, _ = run_both(cap, pos, sal)
        assert free.positions.shape != mine.positions.shape or not np.array_equal(
            free.positions, mine.positions
        )
    assert bound > 0  # some bargain coordinate sits on a red line


def test_stochastic_same_seed_same_run_and_reference_draws():
    """Stochastic transitions: the same rng seed gives the same run, other seeds differ, and
    the draws are used as the reference uses them (one uniform per actor and step, actor by
    actor, step by step)."""
    cap, pos, sal = scenario(300, n=7, d=3)
    opts = {"transitions": "Stochastic"}
    runs = []
    for seed in (1, 1, 2, 3):
        mine, ref = run_both(cap, pos, sal, options=opts, seed=seed, steps=10)
        assert_same(mine, ref)
        runs.append(mine)
    np.testing.assert_array_equal(runs[0].positions, runs[1].positions)
    np.testing.assert_array_equal(runs[0].chosen, runs[1].chosen)
    assert not all(
        r.positions.shape == runs[0].positions.shape
        and np.array_equal(r.positions, runs[0].positions)
        for r in runs[2:]
    )
    with pytest.raises(ValueError, match="rng"):
        smp.simulate(cap, pos / 100, sal / 100, options=opts)


def test_bad_options_and_inputs_are_value_errors():
    """Unknown option names and values, and inputs off their scales, are ValueErrors
    naming what is wrong."""
    cap, pos, sal = scenario(5, n=4, d=2)
    with pytest.raises(ValueError, match="unknown SMP option"):
        smp.simulate(cap, pos / 100, sal / 100, options={"Victory": "Linear"})
    with pytest.raises(ValueError, match="vote_rule"):
        smp.simulate(cap, pos / 100, sal / 100, options={"vote_rule": "prop"})
    with pytest.raises(ValueError, match="position"):
        smp.simulate(cap, pos, sal / 100)
    with pytest.raises(ValueError, match="saliences"):
        smp.simulate(cap, pos / 100, np.zeros_like(sal))
    with pytest.raises(ValueError, match="capability"):
        smp.simulate(-cap, pos / 100, sal / 100)
    with pytest.raises(ValueError, match="lo must not exceed hi"):
        smp.simulate(
            cap, pos / 100, sal / 100, lo=np.full(pos.shape, 0.6), hi=np.full(pos.shape, 0.4)
        )


def test_api_constants():
    """The options' values, defaults first, as KTAB spells them; KTAB's stopping constants."""
    assert smp.OPTIONS["victory"][0] == "Linear"
    assert smp.OPTIONS["vote_rule"][0] == "Prop"
    assert smp.OPTIONS["big_r_range"] == ("Mid", "Min", "Max")
    assert smp.TARGET == 0.02 and smp.MAX_STATES == 100
    assert (
        smp.encode_options().tolist()
        == smp.encode_options({k: v[0] for k, v in smp.OPTIONS.items()}).tolist()
    )


def test_actor_decisions_called_one_by_one_give_the_run():
    """An actor's decisions called for itself from Python (as a mesa agent would) give the
    run's first step: its challenge, the bargains and its choice."""
    cap, pos, sal = scenario(400, n=6, d=2)
    cap, pos, sal = cap.astype(float), pos / 100.0, sal / 100.0
    run = smp.simulate(cap, pos, sal, max_states=1)
    n, d = pos.shape
    opts = smp.encode_options()
    vdiff, autil, risk = np.empty((n, n)), np.empty((n, n, n)), np.empty(n)
    smp.state_utilities(opts, cap, sal, pos, vdiff, autil, risk)
    np.testing.assert_array_equal(risk, run.risk[0])
    stot = sal.sum(axis=1)
    lo, hi = np.zeros((n, d)), np.ones((n, d))
    b_init = np.empty(2 * n, dtype=np.int64)
    b_rcvr = np.empty(2 * n, dtype=np.int64)
    b_ipos, b_rpos = np.empty((2 * n, d)), np.empty((2 * n, d))
    rows = 0
    for i in range(n):
        j, p, _ = smp.best_challenge(opts, cap, stot, autil, i)
        if j >= 0:
            rows += smp.propose(
                opts, cap, sal, stot, pos, lo, hi, autil, i, j, p, b_ipos, b_rpos, rows
            )
            b_init[rows - 1], b_rcvr[rows - 1] = i, j
    assert rows == run.bargains["state"].size
    np.testing.assert_array_equal(b_ipos[:rows], run.bargains["initiator_position"])
    queue, probs = np.empty(2 * n + 1, dtype=np.int64), np.empty(2 * n + 1)
    for k in range(n):
        _, best = smp.choose(
            opts,
            cap,
            sal,
            pos,
            risk,
            autil,
            k,
            b_init,
            b_rcvr,
            b_ipos,
            b_rpos,
            rows,
            0.0,
            queue,
            probs,
        )
        assert queue[best] == run.chosen[0, k]


@pytest.mark.parametrize("threads", [1, 2])
def test_batch_equals_single_runs_bit_for_bit(threads):
    """run_batch over R perturbed runs equals simulate run by run, bit for bit, on 1 and 2
    threads, deterministic and stochastic."""
    cap, pos, sal = scenario(500, n=5, d=3)
    R = 6
    g = np.random.default_rng(9)
    C = cap[None, :] * g.uniform(0.8, 1.2, (R, cap.size))
    X = np.clip(pos[None] / 100.0 + g.normal(0.0, 0.05, (R, *pos.shape)), 0.0, 1.0)
    S = np.repeat(sal[None] / 100.0, R, axis=0)
    lo = np.full(pos.shape, 0.1)
    hi = np.full(pos.shape, 0.9)
    old = numba.get_num_threads()
    numba.set_num_threads(min(threads, old))
    try:
        for options in ({}, {"transitions": "Stochastic", "pce": "MarkovIncentive"}):
            opts = smp.encode_options(options)
            stochastic = options.get("transitions") == "Stochastic"
            m = 30
            draws = (
                np.stack([np.random.default_rng(r).random((m, cap.size)) for r in range(R)])
                if stochastic
                else np.zeros((R, 0, cap.size))
            )
            fp, fq = np.empty_like(X), np.empty((R, cap.size))
            ns, st = np.empty(R, dtype=np.int64), np.empty(R, dtype=np.int64)
            smp.run_batch(C, X, S, lo, hi, opts, draws, m, fp, fq, ns, st)
            for r in range(R):
                one = smp.simulate(
                    C[r], X[r], S[r], lo, hi, options, np.random.default_rng(r), max_states=m
                )
                assert ns[r] == one.positions.shape[0]
                assert smp.STOP_NAMES[st[r]] == one.stopped
                np.testing.assert_array_equal(fp[r], one.positions[-1])
                np.testing.assert_array_equal(fq[r], one.probabilities[-1])
            if stochastic:
                assert len({tuple(fp[r].ravel()) for r in range(R)}) > 1
    finally:
        numba.set_num_threads(old)


def test_default_scenario_as_one_space_equals_reference():
    """The shipped scenario's six issues as one space (positions on [0, 1] by each issue's
    scale, saliences as they are: each actor's sum above 1) runs and equals the reference."""
    a = sim.load_scenario().arrays()
    pos = 100.0 * (a.position.T - a.scale_lo) / (a.scale_hi - a.scale_lo)
    mine, ref = run_both(a.capability, pos, 100.0 * a.salience.T, steps=4)
    assert np.all(a.salience.sum(axis=0) > 1.0)
    assert_same(mine, ref)
