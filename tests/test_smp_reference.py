"""The plain-Python SMP reference reproduces KTAB's reference run on dummyData_3Dim.

KTAB's log (tests/data/ktab/20170530_ref-dummyData_3Dim.txt, default options) prints,
for every step, the challenges and bargains, each actor's bargain probabilities, the
new positions (0-100, four decimals) and the inferred risk attitudes, and at the end
the history of positions (0-100, one decimal) and of winning probabilities (four
decimals). The parser below reads those blocks; the tests hold the reference to them.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

from tests.reference_smp import (
    bs_util,
    interpolate_bargain,
    smp_run,
    vote,
)

DATA = Path(__file__).parent / "data" / "ktab"
LOG = DATA / "20170530_ref-dummyData_3Dim.txt"
CSV = DATA / "dummyData_3Dim.csv"

NUM = r"[-+]?\d+(?:\.\d+)?"


def read_ktab_csv(path):
    """KTAB's CSV: a scenario row, a header row, then actor rows (name, desc, power,
    position and salience per dimension, both on 0-100)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r]
    n_act = int(rows[0][2])
    n_dim = int(rows[0][3])
    cap, pos, sal, names = [], [], [], []
    for r in rows[2 : 2 + n_act]:
        names.append(r[0].strip())
        cap.append(float(r[2]))
        pos.append([float(r[3 + 2 * d]) for d in range(n_dim)])
        sal.append([float(r[4 + 2 * d]) for d in range(n_dim)])
    return names, cap, pos, sal


def _floats(line):
    return [float(x) for x in re.findall(NUM, line)]


def parse_ktab_log(path):
    """Parse a KTAB smpc log into a dict of per-state and per-step records.

    KTAB logs from several threads, so a stray line ("In turn 7 Actor 4 has no
    advantageous targets") can land inside a block; the block readers skip such lines.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()

    def following(start, pattern, count):
        """The next ``count`` lines after ``start`` that contain ``pattern``."""
        found = []
        j = start + 1
        while len(found) < count:
            if pattern in lines[j]:
                found.append(lines[j])
            j += 1
        return found

    out = {
        "history_pos": {},  # (actor name, dim name) -> [state values, 0-100, 1 decimal]
        "history_prob": {},  # actor name -> [state values]
        "step_pos": [],  # per step: {actor: [d values, 0-100, 4 decimals]}
        "risk": [],  # per state: [n values]
        "challenges": [],  # per step: {(i, j): dict}
        "bargain_probs": [],  # per step: {actor: [(init, rcvr, p)]}
        "chosen": [],  # per step: {actor: (init, rcvr)}
        "ratios": [],
        "n_states": None,
    }
    step = -1
    ids = {}  # bargain id -> (init, rcvr)
    queues = {}  # actor -> [bargain ids]
    pending_actor = None
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i].strip()
        if line.startswith("Starting Model::run iteration"):
            step += 1
            out["challenges"].append({})
            out["bargain_probs"].append({})
            out["chosen"].append({})
            out["step_pos"].append({})
            ids = {}
            queues = {}
        elif line.startswith("Inferred risk attitudes:"):
            vals = []
            j = i + 1
            while j < n and re.fullmatch(r"\s*" + NUM + r"\s*", lines[j]):
                vals.append(float(lines[j]))
                j += 1
            out["risk"].append(vals)
            i = j
            continue
        elif m := re.match(r"In turn (\d+) actor (\d+) has most advantageous target (\d+)", line):
            a, b = int(m.group(2)), int(m.group(3))
            est = _floats(following(i, "Est by", 1)[0])
            out["challenges"][step][(a, b)] = {"prob": est[1], "gain": est[-1]}
        elif m := re.match(r"Bargain \[(\d+), (\d+):(\d+)\] from (\d+)'s perspective", line):
            bid, a, b, who = (int(g) for g in m.groups())
            ids[bid] = (a, b)
            l_init, l_rcvr = following(i, "adopt:", 2)
            p_init = _floats(l_init.split("adopt:")[1])
            p_rcvr = _floats(l_rcvr.split("adopt:")[1])
            key = "init_view" if who == a else "rcvr_view"
            out["challenges"][step][(a, b)][key] = (p_init, p_rcvr)
        elif m := re.match(r"Power-weighted compromise \[(\d+), (\d+):(\d+)\]", line):
            a, b = int(m.group(2)), int(m.group(3))
            l_init, l_rcvr = following(i, "adopt:", 2)
            p_init = _floats(l_init.split("adopt:")[1])
            p_rcvr = _floats(l_rcvr.split("adopt:")[1])
            out["challenges"][step][(a, b)]["compromise"] = (p_init, p_rcvr)
        elif m := re.match(r"Bargains involving actor\s+(\d+):\s*(.*)", line):
            k = int(m.group(1))
            queues[k] = []
            for bid, a, b in re.findall(r"\[(\d+), (\d+):(\d+)\]", m.group(2)):
                ids[int(bid)] = (int(a), int(b))
                queues[k].append(int(bid))
        elif m := re.match(r"Doing scalarPCE for the (\d+) bargains of actor (\d+)", line):
            pending_actor = int(m.group(2))
            nb = int(m.group(1))
            j = i + 1
            while not lines[j].strip().startswith("Probability Opt_i") or lines[
                j
            ].strip().startswith("Probability Opt_i >"):
                j += 1
            probs = [float(lines[j + 1 + q]) for q in range(nb)]
            out["bargain_probs"][step][pending_actor] = [
                (*ids[bid], p) for bid, p in zip(queues[pending_actor], probs, strict=True)
            ]
        elif m := re.match(r"Chosen bargain \(\s*\w+\s*\):\s*(\d+)", line):
            out["chosen"][step][pending_actor] = ids[int(m.group(1))]
        elif m := re.match(r"postn (\d+) , 0 :", line):
            row = lines[i + 1]
            assert re.fullmatch(r"(\s*" + NUM + r")+\s*", row), row
            out["step_pos"][step][int(m.group(1))] = _floats(row)
        elif m := re.match(r"Fractional change compared to first step: (" + NUM + ")", line):
            out["ratios"].append(float(m.group(1)))
        elif m := re.match(r"There were (\d+) states", line):
            out["n_states"] = int(m.group(1))
        elif m := re.match(r"(\S+), (\S+):\s+(" + NUM + r"(?:\s+" + NUM + ")*)$", line):
            out["history_pos"][(m.group(1), m.group(2))] = _floats(m.group(3))
        elif m := re.match(r"(\S+), prob :\s+(.*)$", line):
            out["history_prob"][m.group(1)] = _floats(m.group(2))
        i += 1
    return out


@pytest.fixture(scope="module")
def ktab():
    return parse_ktab_log(LOG)


@pytest.fixture(scope="module")
def scenario():
    return read_ktab_csv(CSV)


@pytest.fixture(scope="module")
def run(scenario):
    _, cap, pos, sal = scenario
    return smp_run(cap, pos, sal)


def test_parser_reads_the_whole_log(ktab):
    """The parser finds every block of the reference run (11 states, 10 steps)."""
    assert ktab["n_states"] == 11
    assert len(ktab["history_prob"]) == 7
    assert all(len(v) == 11 for v in ktab["history_prob"].values())
    assert len(ktab["history_pos"]) == 21
    assert all(len(v) == 11 for v in ktab["history_pos"].values())
    assert len(ktab["step_pos"]) == 10
    assert all(len(s) == 7 for s in ktab["step_pos"])
    assert len(ktab["risk"]) == 11
    assert len(ktab["ratios"]) == 10
    assert all(len(s) == 7 for s in ktab["chosen"])
    assert sum(len(s) for s in ktab["challenges"]) > 40


def test_state_count_and_stopping(run, ktab):
    """Same number of states, same stopping rule outcome, same fractional changes."""
    assert len(run["positions"]) == ktab["n_states"]
    assert run["stopped"] == "quiet"
    assert len(run["ratios"]) == len(ktab["ratios"])
    for mine, theirs in zip(run["ratios"], ktab["ratios"], strict=True):
        assert abs(mine - theirs) <= 5e-5 + 1e-12


def test_position_history_within_005(run, ktab, scenario):
    """Every actor, dimension and state matches the printed 0-100 history within 0.05."""
    names = scenario[0]
    dims = ["Pstn1", "Pstn2", "Pstn3"]
    worst = 0.0
    for i, name in enumerate(names):
        for d, dim in enumerate(dims):
            ref = ktab["history_pos"][(name, dim)]
            for t, val in enumerate(ref):
                worst = max(worst, abs(100.0 * run["positions"][t][i][d] - val))
    assert worst <= 0.05 + 1e-9


def test_positions_every_step_four_decimals(run, ktab):
    """The new positions printed after each step (0-100, 4 decimals) match within 1e-3."""
    for t, step in enumerate(ktab["step_pos"], start=1):
        for i, ref in step.items():
            for d, val in enumerate(ref):
                assert abs(100.0 * run["positions"][t][i][d] - val) <= 1e-3, (t, i, d)


def test_win_probabilities_every_state(run, ktab, scenario):
    """Each actor's winning probability in every state within 5e-5 of KTAB's."""
    names = scenario[0]
    for i, name in enumerate(names):
        for t, val in enumerate(ktab["history_prob"][name]):
            assert abs(run["win_prob"][t][i] - val) <= 5e-5 + 1e-12, (name, t)


def test_first_state_probabilities(run, ktab, scenario):
    """State 0 alone (no bargaining involved): the winning probabilities match."""
    names = scenario[0]
    for i, name in enumerate(names):
        assert abs(run["win_prob"][0][i] - ktab["history_prob"][name][0]) <= 5e-5 + 1e-12


def test_risk_attitudes_every_state(run, ktab):
    """The inferred risk attitudes (printed to 3 decimals) of every state."""
    for t, ref in enumerate(ktab["risk"]):
        for i, val in enumerate(ref):
            assert abs(run["risk"][t][i] - val) <= 5e-4 + 1e-12, (t, i)


def test_challenges_and_bargains_every_step(run, ktab):
    """Who challenges whom, the estimated probability and gain, and the three bargains."""
    for t, ref in enumerate(ktab["challenges"]):
        mine = {(b["init"], b["rcvr"]): b for b in run["bargains"][t]}
        assert set(mine) == set(ref), t
        for key, r in ref.items():
            b = mine[key]
            assert abs(b["prob"] - r["prob"]) <= 5e-5 + 1e-12, (t, key)
            assert abs(b["gain"] - r["gain"]) <= 5e-5 + 1e-12, (t, key)
            views = {
                "init_view": (b["init_pos"], b["rcvr_pos"]),
                "rcvr_view": b["rcvr_view"],
                "compromise": b["compromise"],
            }
            for view, (ri, rj) in views.items():
                for x, y in zip(ri + rj, r[view][0] + r[view][1], strict=True):
                    assert abs(100.0 * x - y) <= 5e-4 + 1e-9, (t, key, view)


def test_first_step_bargains(run, ktab):
    """Step 1 alone: the seven challenges and the bargains each initiator proposes."""
    ref = ktab["challenges"][0]
    assert len(ref) == 7
    mine = {(b["init"], b["rcvr"]): b for b in run["bargains"][0]}
    assert set(mine) == set(ref)
    for key, r in ref.items():
        got = [100.0 * x for x in mine[key]["init_pos"] + mine[key]["rcvr_pos"]]
        for x, y in zip(got, r["init_view"][0] + r["init_view"][1], strict=True):
            assert abs(x - y) <= 5e-4 + 1e-9


def test_bargain_choice_every_step(run, ktab):
    """Each actor's probabilities over the bargains it is offered, and the one it takes."""
    for t, ref in enumerate(ktab["bargain_probs"]):
        for k, items in ref.items():
            mine = {(a, b): p for a, b, p in run["bargain_probs"][t][k]}
            theirs = {(a, b): p for a, b, p in items}
            assert set(mine) == set(theirs), (t, k)
            for key, p in theirs.items():
                assert abs(mine[key] - p) <= 5e-5 + 1e-12, (t, k, key)
            assert tuple(run["chosen"][t][k]) == ktab["chosen"][t][k], (t, k)


def test_primitives_hold_their_formulas():
    """Spot values of the utility, vote and interpolation formulas worked by hand."""
    assert bs_util(0.0, 0.7) == 1.0
    assert abs(bs_util(0.25, -0.5) - 0.75 * 0.875) < 1e-15
    assert abs(bs_util(1.2, 0.5) - (-0.2 * 1.5)) < 1e-15
    assert vote("Prop", 2.0, 0.6, 0.4) == pytest.approx(0.4)
    assert vote("Binary", 2.0, 0.6, 0.4) == 2.0
    assert vote("ASymProsp", 3.0, 0.6, 0.4) == pytest.approx(0.4)
    assert vote("PropCbc", 1.0, 0.6, 0.4) == pytest.approx(0.5 * 0.2 + 0.5 * 0.008)
    # equal weights meet in the middle; the 1e-6 tilt toward each own side is rounded off
    bi, bj = interpolate_bargain([0.2], [0.5], [0.6], [0.5], 0.5, 0.5, "S2P2")
    assert bi == [0.4] and bj == [0.4]


def test_options_run_and_give_distributions(scenario):
    """Every non-default option runs a few steps and gives probabilities summing to 1
    over the distinct positions of each state."""
    _, cap, pos, sal = scenario
    variants = [
        {"voting_rule": "PropCbc", "pce": "MarkovIncentive"},
        {"vpm": "Square", "pce": "MarkovUniform", "voting_rule": "ASymProsp"},
        {"vpm": "Binary", "voting_rule": "PropBin", "big_r_range": "Max"},
        {"inter_vec_brgn": "S1P1", "bargain_model": "PWCompInterp"},
        {"inter_vec_brgn": "S2PMax", "bargain_model": "InitRcvrInterp"},
        {"third_party_commit": "FullCommit", "big_r_adjust": "Full", "vpm": "Quartic"},
        {"third_party_commit": "NoCommit", "big_r_adjust": "None", "big_r_range": "Min"},
        {"state_transitions": "Stochastic", "vpm": "Octic", "voting_rule": "Cubic"},
    ]
    for opts in variants:
        res = smp_run(cap, pos, sal, max_iter=3, **opts)
        assert len(res["positions"]) == 4, opts
        for state, probs in zip(res["positions"], res["win_prob"], strict=True):
            reps = []  # first actor of each class of positions closer than 1e-3
            for i, p in enumerate(state):
                if all(math.dist(p, state[r]) >= 1e-3 for r in reps):
                    reps.append(i)
            assert abs(sum(probs[r] for r in reps) - 1.0) < 1e-9, opts
            assert all(0.0 <= q <= 1.0 for q in probs), opts


# KTAB's examples/smp/doc/20170530_ref-smpExample.txt: 5 actors, 3 dimensions, run with
# VotingRule PropCbc, PCEModel MarkovIncentive and Stochastic transitions (and an ideal-
# accommodation matrix that only acts from state 1 on). State 0 and the challenges and
# bargains of step 1 come before any random draw; these values are copied from that log.
EXAMPLE_CAP = [117.7, 93.2, 61.4, 135.4, 63.8]
EXAMPLE_POS = [
    [52.8, 39.8, 39.6],
    [15.9, 61.4, 72.0],
    [61.1, 86.5, 44.5],
    [26.3, 16.5, 15.9],
    [73.3, 61.1, 26.3],
]
EXAMPLE_SAL = [
    [32.3, 22.4, 13.4],
    [25.2, 34.5, 26.5],
    [28.8, 28.6, 18.2],
    [15.6, 42.0, 14.3],
    [39.7, 19.9, 15.8],
]
EXAMPLE_PROB0 = [0.3154, 0.1668, 0.1082, 0.2216, 0.1880]
EXAMPLE_RISK0 = [1.000, -0.387, -0.500, -0.001, -0.298]
EXAMPLE_STEP1 = {  # (init, rcvr): (prob, gain, init adopts, rcvr adopts), 0-100
    (4, 2): (0.5467, 0.0632, [70.06, 76.00, 34.98], [70.06, 76.01, 34.98]),
    (3, 2): (0.7837, 0.4318, [33.48, 18.89, 19.04], [33.48, 18.89, 19.04]),
    (2, 0): (0.4396, 0.0975, [55.53, 63.19, 42.21], [55.53, 63.19, 42.21]),
    (1, 2): (0.7180, 0.2315, [23.48, 63.81, 70.13], [23.48, 63.81, 70.13]),
    (0, 4): (0.5257, 0.0115, [64.11, 48.13, 32.54], [64.11, 48.13, 32.54]),
}


def test_propcbc_markov_incentive_first_state_and_step():
    """Under PropCbc votes and the MarkovIncentive PCE, state 0's winning probabilities
    and risk attitudes and step 1's challenges and bargains match KTAB's smpExample log."""
    res = smp_run(
        EXAMPLE_CAP,
        EXAMPLE_POS,
        EXAMPLE_SAL,
        max_iter=1,
        voting_rule="PropCbc",
        pce="MarkovIncentive",
        state_transitions="Stochastic",
    )
    for mine, theirs in zip(res["win_prob"][0], EXAMPLE_PROB0, strict=True):
        assert abs(mine - theirs) <= 5e-5 + 1e-12
    for mine, theirs in zip(res["risk"][0], EXAMPLE_RISK0, strict=True):
        assert abs(mine - theirs) <= 5e-4 + 1e-12
    got = {(b["init"], b["rcvr"]): b for b in res["bargains"][0]}
    assert set(got) == set(EXAMPLE_STEP1)
    for key, (prob, gain, pi, pj) in EXAMPLE_STEP1.items():
        b = got[key]
        assert abs(b["prob"] - prob) <= 5e-5 + 1e-12, key
        assert abs(b["gain"] - gain) <= 5e-5 + 1e-12, key
        for x, y in zip(b["init_pos"] + b["rcvr_pos"], pi + pj, strict=True):
            assert abs(100.0 * x - y) <= 5e-4 + 1e-9, key
