"""The expected-utility model's procedure of Scholz's program (``procedure=scholz_program``,
docs/ec_replication.md) against a slow plain-Python reference written from the equations of
that document, on the EC example of Scholz, Calbert and Smith (2011) and on random problems;
its medians against the published Table 2; batched forecasts against single runs; the
command line.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.kernels import eum as K
from sim.models import MODELS
from sim.models.eum import expected_utility_matrix, run_kernel
from sim.models.trajectory import forecast
from sim.scenario import ScenarioArrays, load_scenario
from sim.uncertainty import perturb, run_seeds, spreads
from tests import reference as ref

ROOT = Path(__file__).resolve().parent.parent
EC = ROOT / "scenarios" / "ec_example_scholz2011.csv"
EUM = MODELS["eum"]
SCHOLZ = EUM.params(procedure="scholz_program")
PUBLISHED_MEDIAN = [8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6]
"""Scholz, Calbert and Smith (2011), Table 2: the weighted median after rounds 1-8."""


# ---- the reference ---------------------------------------------------------------------------
def probabilities(x, w, width, r):
    """``P_ij = sum_k max(0, w_k (d_kj^r_k - d_ki^r_k)) / sum_k sum_a sum_b |w_k (d_kb^r_k -
    d_ka^r_k)|``, 0 when x_i = x_j."""
    n = len(x)
    d = [[(abs(x[k] - x[a]) / width) ** r[k] for a in range(n)] for k in range(n)]
    den = 0.0
    for k in range(n):
        for a in range(n):
            for b in range(n):
                den += abs(w[k] * (d[k][b] - d[k][a]))
    P = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if x[i] != x[j] and den > 0.0:
                P[i][j] = sum(max(0.0, w[k] * (d[k][j] - d[k][i])) for k in range(n)) / den
    return P


def challenge(x, s, width, mu, ri, P, a, b, Q, T, sq):
    """a's expected utility of challenging b, with the exponent ``ri``."""
    d = abs(x[a] - x[b]) / width
    spread = 0.25 * (abs(x[a] - mu) + abs(x[a] - x[b])) / width
    us = 2.0 - 4.0 * (0.5 - 0.5 * d) ** ri
    uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
    ub = 2.0 - 4.0 * (0.5 - spread) ** ri
    uw = 2.0 - 4.0 * (0.5 + spread) ** ri
    if sq is None:
        usq = 2.0 - 4.0 * 0.5**ri
    else:
        usq = 2.0 - 4.0 * (0.5 + 0.5 * abs(x[a] - sq) / width) ** ri
    p = P[a][b]
    return (
        s[b] * (p * us + (1.0 - p) * uf)
        + (1.0 - s[b]) * us
        - Q * usq
        - (1.0 - Q) * (T * ub + (1.0 - T) * uw)
    )


def scholz_round(x, c, s, width, fixed, Q, T, sq, lo, hi):
    """One round of Scholz's program on one issue: new positions, events, senders, P, r, EU."""
    n = len(x)
    w = ref.weights(c, s)
    mu = ref.weighted_median(x, w)
    if all(v is not None for v in fixed):
        r = list(fixed)
    else:
        P1 = probabilities(x, w, width, [1.0] * n)
        S = [
            sum(challenge(x, s, width, mu, 1.0, P1, j, k, Q, T, sq) for j in range(n) if j != k)
            for k in range(n)
        ]
        hi_s, lo_s = max(S), min(S)
        r = []
        for k in range(n):
            R = 0.0 if hi_s == lo_s else (2 * S[k] - hi_s - lo_s) / (hi_s - lo_s)
            r.append((1 - R / 3) / (1 + R / 3) if fixed[k] is None else fixed[k])
    P = probabilities(x, w, width, r)
    EU = [
        [0.0 if i == j else challenge(x, s, width, mu, r[i], P, i, j, Q, T, sq) for j in range(n)]
        for i in range(n)
    ]
    new, events, senders = [], [], []
    for i in range(n):
        confront, soft, offers = [], [], []
        for j in range(n):
            if j == i or x[j] == x[i]:
                continue
            a = EU[i][j]
            b = challenge(x, s, width, mu, r[i], P, j, i, Q, T, sq)  # j on i, with r_i
            if b > 0:
                offers.append((-b, abs(x[j] - x[i]), j))
            if b > a > 0:
                confront.append((abs(x[j] - x[i]), j))
            elif b > 0 > a and b > abs(a):
                key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
                soft.append((key, j, x[i] + (x[j] - x[i]) * abs(a / b)))
        if confront:
            j = min(confront)[1]
            pos, event, sender = x[j], ref.LOST, j
        elif soft:
            _, j, pos = min(soft)
            event, sender = ref.COMPROMISED, j
        else:
            pos, event = x[i], ref.RESISTED if offers else ref.NO_OFFER
            sender = min(offers)[2] if offers else -1
        new.append(min(max(pos, lo[i]), hi[i]))
        events.append(event)
        senders.append(sender)
    return new, events, senders, P, r, EU


def reference_run(a: ScenarioArrays, rounds: int):
    """Positions (rounds + 1, m, n), events and senders (rounds, m, n), without stopping."""
    m, n = a.position.shape
    fixed = [None if math.isnan(v) else float(v) for v in a.risk]
    c = [float(v) for v in a.capability]
    hist = [[[float(v) for v in a.position[k]] for k in range(m)]]
    events, senders = [], []
    for _ in range(rounds):
        state, ev, se = [], [], []
        for k in range(m):
            sq = None if math.isnan(a.status_quo[k]) else float(a.status_quo[k])
            out = scholz_round(
                hist[-1][k], c, [float(v) for v in a.salience[k]], float(a.width[k]), fixed,
                float(a.Q), float(a.T), sq, a.red_lo[k].tolist(), a.red_hi[k].tolist(),
            )  # fmt: skip
            state.append(out[0])
            ev.append(out[1])
            se.append(out[2])
        hist.append(state)
        events.append(ev)
        senders.append(se)
    return np.array(hist), np.array(events), np.array(senders)


def random_problem(rng, m=2, n=7, width=100.0) -> ScenarioArrays:
    """Positions on a coarse grid or anywhere, status quos, red lines, Q and T below 1, and
    sometimes fixed risk exponents."""
    if rng.random() < 0.5:
        X = rng.integers(0, 6, (m, n)) * (width / 5)
    else:
        X = rng.random((m, n)) * width
    lo, hi = np.zeros((m, n)), np.full((m, n), width)
    red = rng.random((m, n)) < 0.2
    lo[red] = X[red] * rng.random(int(red.sum()))
    risk = np.full(n, np.nan)
    if rng.random() < 0.3:
        risk[rng.random(n) < 0.5] = 1.5
    return ScenarioArrays(
        actor_ids=tuple(f"a{i}" for i in range(n)),
        issue_ids=tuple(f"i{k}" for k in range(m)),
        capability=rng.uniform(0.1, 10.0, n),
        position=np.ascontiguousarray(X, dtype=np.float64),
        salience=rng.random((m, n)),
        red_lo=lo,
        red_hi=hi,
        scale_lo=np.zeros(m),
        scale_hi=np.full(m, width),
        status_quo=np.array([np.nan, float(rng.random() * width)])[:m],
        risk=risk,
        Q=float(rng.choice([1.0, 0.5, 0.8])),
        T=float(rng.choice([1.0, 0.3])),
        rounds=10,
    )


@pytest.fixture(scope="module")
def ec() -> ScenarioArrays:
    return load_scenario(str(EC)).arrays()


def truncated(v: float) -> float:
    return math.floor(v * 10 + 1e-9) / 10


# ---- the kernel against the reference --------------------------------------------------------
def test_ec_example_positions_match_the_reference_and_the_published_log(ec):
    """Positions after each of 10 rounds equal the reference to 1e-12; the events and
    senders are the reference's; Belgium's first two rounds are those of the public run log
    of the ported program (dmasad/bdm-scholz-expected-utility-model, Example.log)."""
    t = run_kernel(ec, 10, procedure="scholz_program")
    assert t.rounds == 10 and t.stopped == "limit"
    want, events, senders = reference_run(ec, 10)
    np.testing.assert_allclose(t.positions, want, rtol=0, atol=1e-12)
    assert np.array_equal(t.events, events) and np.array_equal(t.senders, senders)
    assert K.CAPITULATED not in t.events
    belgium = ec.actor_ids.index("Belgium")
    assert t.positions[1, 0, belgium] == pytest.approx(8.415932315426764, abs=1e-12)
    assert t.positions[2, 0, belgium] == pytest.approx(9.610859134120188, abs=1e-12)
    # and it is not the default procedure's run
    assert not np.allclose(run_kernel(ec, 10).positions, t.positions)


def test_round_start_quantities_match_the_reference(ec):
    """P (voters' exponents, all-pairs denominator), r and EU at the start of round 1."""
    EU, r, P, _ = expected_utility_matrix(ec, 0, procedure="scholz_program")
    x = ec.position[0].tolist()
    n = len(x)
    fixed = [None] * n
    _, _, _, P_ref, r_ref, EU_ref = scholz_round(
        x, ec.capability.tolist(), ec.salience[0].tolist(), float(ec.width[0]), fixed, 1.0,
        1.0, None, [0.0] * n, [100.0] * n,
    )  # fmt: skip
    np.testing.assert_allclose(P, P_ref, rtol=0, atol=1e-15)
    np.testing.assert_allclose(r, r_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(EU, EU_ref, rtol=0, atol=1e-12)
    assert not np.allclose(P, expected_utility_matrix(ec, 0)[2])


def test_random_problems_match_the_reference():
    """Grid and float positions (shared positions), red lines, status quos, Q and T below 1,
    fixed risk exponents, the status quo as the reference point of Usq on the second issue:
    the kernel's rounds are the reference's, to 1e-9."""
    rng = np.random.default_rng(12)
    for _ in range(6):
        a = random_problem(rng)
        t = run_kernel(a, 6, "status_quo", "scholz_program")
        want, events, senders = reference_run(a, t.rounds)
        np.testing.assert_allclose(t.positions, want, rtol=0, atol=1e-9)
        assert np.array_equal(t.events, events) and np.array_equal(t.senders, senders)


# ---- the published table -----------------------------------------------------------------------
def test_medians_match_the_published_table_truncated_except_round_two(ec):
    """The weighted median after rounds 1-8 truncated to one decimal is the published
    8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6 in rounds 1 and 3-8. Round 2 is a documented known
    difference: the procedure gives 9.61 where the paper prints 9.9 (docs/ec_replication.md)."""
    medians = [float(EUM.point_forecasts([ec], SCHOLZ, k)[0]["median"][0]) for k in range(1, 9)]
    for k, (got, pub) in enumerate(zip(medians, PUBLISHED_MEDIAN, strict=True), start=1):
        if k == 2:
            assert truncated(got) != pub and got == pytest.approx(9.611, abs=1e-3)
        else:
            assert truncated(got) == pub, (k, got)
    # the default procedure does not give the table
    design = [float(EUM.point_forecasts([ec], None, k)[0]["median"][0]) for k in (1, 3, 6)]
    assert [truncated(v) for v in design] != [8.4, 9.9, 7.4]


# ---- batches and single runs -----------------------------------------------------------------
def test_batched_point_forecasts_equal_single_runs():
    """Problems batched in one kernel call forecast the bits of each one's single run."""
    rng = np.random.default_rng(3)
    base = random_problem(rng, m=2, n=6)
    problems = [
        dataclasses.replace(
            base,
            position=np.ascontiguousarray(rng.random((2, 6)) * 100.0),
            salience=rng.random((2, 6)),
            status_quo=np.array([np.nan, float(rng.random() * 100.0)]),
        )
        for _ in range(5)
    ]
    together = EUM.point_forecasts(problems, SCHOLZ, 7)
    for p, fc in zip(problems, together, strict=True):
        comp, med = forecast(p.capability, p.salience, run_kernel(p, 7, procedure="scholz_program"))
        assert np.array_equal(fc["compromise"], comp) and np.array_equal(fc["median"], med)
        alone = EUM.point_forecasts([p], SCHOLZ, 7)[0]
        assert np.array_equal(alone["compromise"], comp)
    default = EUM.point_forecasts(problems, EUM.params(), 7)
    assert not all(
        np.array_equal(d["compromise"], s["compromise"])
        for d, s in zip(default, together, strict=True)
    )


def test_ensemble_batch_and_nominal_use_the_procedure():
    sc = load_scenario(str(EC))
    arrays = sc.arrays()
    sp = spreads(sc, 0.5, 0.1, 0.1)
    seeds = run_seeds(4, 0, 3)
    together = EUM.batch(sc, arrays, sp, seeds, 8, params=SCHOLZ)
    X, S, C = perturb(arrays, sp, seeds)
    iid = sc.issue_ids[0]
    for r in range(3):
        p = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
        comp, med = forecast(C[r], S[r], run_kernel(p, 8, procedure="scholz_program"))
        assert together[f"{iid}.compromise"][r] == comp[0]
        assert together[f"{iid}.median"][r] == med[0]
    nominal = EUM.nominal(sc, 8, params=SCHOLZ)[iid]
    comp, med = forecast(
        arrays.capability, arrays.salience, run_kernel(arrays, 8, procedure="scholz_program")
    )
    assert (nominal["compromise"], nominal["median"]) == (comp[0], med[0])
    assert nominal != EUM.nominal(sc, 8)[iid]


def test_procedure_is_one_of_its_choices():
    with pytest.raises(ValueError, match="procedure: expected one of: design, scholz_program"):
        EUM.params(procedure="paper")


# ---- the command line ------------------------------------------------------------------------
def test_sim_run_with_the_procedure_runs_it(tmp_path, ec):
    """``sim run --procedure scholz_program`` (the mesa driver by default) prints the
    forecast of the procedure's run and writes its positions."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", str(EC), "--procedure", "scholz_program", "--rounds", "8",
                     "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    want = run_kernel(ec, 8, procedure="scholz_program")
    comp, med = forecast(ec.capability, ec.salience, want)
    text = out.getvalue()
    assert f"{comp[0]:.2f}" in text and f"{med[0]:.2f}" in text
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["forecast"][ec.issue_ids[0]]["median"] == med[0]
    with open(tmp_path / "rounds.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    got = np.zeros_like(want.positions)
    for row in rows:
        got[int(row["round"]), 0, ec.actor_ids.index(row["actor"])] = float(row["position"])
    assert np.array_equal(got, want.positions)


def test_sim_run_with_an_unknown_procedure_exits_2(tmp_path, capsys):
    code = main(["run", str(EC), "--procedure", "paper", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "procedure" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
