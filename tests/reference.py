"""A slow, plain-Python reference of the baselines, the expected-utility model and
repeated 2x2 games.

Written from DESIGN.md sections 5.1, 5.2 and 5.6, not from the numba kernels, so the
tests can hold the kernels to it. No numba, no numpy arithmetic: lists, loops and
``math``. Inputs may be numpy arrays; they are turned into lists of floats first.

To let the tests compare with tight tolerances, every sum is taken left to right
over the actors in index order, and each formula is evaluated in the order it is
written in the design, so the kernels and this module should agree to the last
bit (the only shared primitive is the C library's ``pow``).

Conventions shared with ``sim.kernels.eum`` (they are the design's, written down):

* weights ``w_i = c_i s_i``; every weight is 1 when all of them are 0;
* ``EU[i][j]`` is i's expected utility of challenging j; j sends i an offer when
  ``EU[j][i] > 0`` and x_j != x_i;
* a receiver takes the offer of highest value; ties go to the nearest position,
  then to the lowest index;
* risk exponents come from the securities of a first pass at r = 1; where an actor
  has a fixed exponent (not NaN / None) it replaces the computed one;
* a run stops when the joint state (every issue) equals an earlier state:
  "converged" when it equals the previous round's, else "cycle" of length t - s;
  "limit" when the round limit comes first.
"""

from __future__ import annotations

import math

# events, as integers matching the kernel's codes (sim.kernels.eum.EVENT_NAMES order)
NO_OFFER = 0
RESISTED = 1
LOST = 2
COMPROMISED = 3
CAPITULATED = 4
EVENTS = ("no_offer", "resisted", "lost", "compromised", "capitulated")


# ---- helpers -------------------------------------------------------------------
def _floats(v) -> list[float]:
    """A 1-d sequence (list, tuple, numpy array) as a list of Python floats."""
    return [float(a) for a in v]


def _matrix(v) -> list[list[float]]:
    return [_floats(row) for row in v]


def _add_up(values) -> float:
    """Left-to-right sum (not ``sum``, whose float algorithm changed in Python 3.12)."""
    total = 0.0
    for v in values:
        total = total + v
    return total


def _is_fixed(value) -> bool:
    return value is not None and not math.isnan(value)


# ---- 5.1 baselines -------------------------------------------------------------
def weights(c, s) -> list[float]:
    """``w_i = c_i * s_i``; all 1 when every ``w_i`` is 0."""
    w = [ci * si for ci, si in zip(_floats(c), _floats(s), strict=True)]
    if all(wi == 0.0 for wi in w):
        return [1.0] * len(w)
    return w


def compromise(x, w) -> float:
    """``sum(w x) / sum(w)``."""
    x, w = _floats(x), _floats(w)
    return _add_up(wi * xi for wi, xi in zip(w, x, strict=True)) / _add_up(w)


def weighted_median(x, w) -> float:
    """The position at which the cumulative weight of sorted positions first reaches half."""
    x, w = _floats(x), _floats(w)
    half = _add_up(w) / 2.0
    by_position = sorted(range(len(x)), key=lambda i: x[i])  # stable: ties keep index order
    cumulative = 0.0
    for i in by_position:
        cumulative = cumulative + w[i]
        if cumulative >= half:
            return x[i]
    return x[by_position[-1]]


# ---- 5.2 expected-utility model --------------------------------------------------
def win_probability(x, w, i, j) -> float:
    """Step 3: the probability that i prevails over j.

    ``max(0, sum_k w_k (|x_k - x_j| - |x_k - x_i|)) / sum_k w_k ||x_k - x_j| - |x_k - x_i||``,
    0 when ``x_i = x_j`` or the denominator is 0. (Computed directly for each ordered
    pair: the numerator of (j, i) is then exactly the negation of that of (i, j),
    because float subtraction and products are sign-symmetric.)
    """
    return _win_probability(_floats(x), _floats(w), i, j)


def _win_probability(x: list[float], w: list[float], i: int, j: int) -> float:
    if i == j or x[i] == x[j]:
        return 0.0
    numerator = 0.0
    denominator = 0.0
    for xk, wk in zip(x, w, strict=True):
        vote = abs(xk - x[j]) - abs(xk - x[i])
        numerator = numerator + wk * vote
        denominator = denominator + wk * abs(vote)
    if denominator == 0.0:
        return 0.0
    return max(0.0, numerator) / denominator


def win_probabilities(x, w) -> list[list[float]]:
    x, w = _floats(x), _floats(w)
    n = len(x)
    return [[_win_probability(x, w, i, j) for j in range(n)] for i in range(n)]


def basic_utilities(xi, xj, mu, width, r) -> dict[str, float]:
    """Step 2: ``Us, Uf, Ub, Uw, Usq`` of i (at ``xi``, exponent ``r``) against j (at ``xj``)."""
    d = abs(xi - xj) / width
    spread = 0.25 * (abs(xi - mu) + abs(xi - xj)) / width
    return {
        "Us": 2.0 - 4.0 * (0.5 - 0.5 * d) ** r,
        "Uf": 2.0 - 4.0 * (0.5 + 0.5 * d) ** r,
        "Ub": 2.0 - 4.0 * (0.5 - spread) ** r,
        "Uw": 2.0 - 4.0 * (0.5 + spread) ** r,
        "Usq": 2.0 - 4.0 * 0.5**r,
    }


def expected_utility(x, s, width, mu, r, P, i, j, Q=1.0, T=1.0) -> float:
    """Step 4: ``EU_ij``, i's expected utility of challenging j (0 on the diagonal)."""
    return _expected_utility(
        _floats(x), _floats(s), float(width), float(mu), float(r[i]), P[i][j], i, j, Q, T
    )


def _expected_utility(x, s, width, mu, ri, p, i, j, Q, T) -> float:
    if i == j:
        return 0.0
    u = basic_utilities(x[i], x[j], mu, width, ri)
    return (
        s[j] * (p * u["Us"] + (1.0 - p) * u["Uf"])
        + (1.0 - s[j]) * u["Us"]
        - Q * u["Usq"]
        - (1.0 - Q) * (T * u["Ub"] + (1.0 - T) * u["Uw"])
    )


def expected_utilities(x, s, width, mu, r, P, Q=1.0, T=1.0) -> list[list[float]]:
    x, s, r = _floats(x), _floats(s), _floats(r)
    n = len(x)
    return [
        [
            _expected_utility(x, s, float(width), float(mu), r[i], P[i][j], i, j, Q, T)
            for j in range(n)
        ]
        for i in range(n)
    ]


def securities(EU) -> list[float]:
    """``S_k = sum_{j != k} EU_jk``."""
    n = len(EU)
    return [_add_up(EU[j][k] for j in range(n) if j != k) for k in range(n)]


def risk_exponents(EU, fixed=None) -> list[float]:
    """Step 5: ``r_i = (1 - R_i/3) / (1 + R_i/3)`` from the securities; 1 when they are all equal.

    ``EU`` is the matrix computed with every r = 1. ``fixed[i]``, when not None/NaN,
    replaces actor i's computed exponent.
    """
    S = securities(EU)
    high, low = max(S), min(S)
    r = []
    for i, Si in enumerate(S):
        if high == low:
            ri = 1.0
        else:
            R = ((Si - low) - (high - Si)) / (high - low)  # = (2 S_i - max - min) / (max - min)
            ri = (1.0 - R / 3.0) / (1.0 + R / 3.0)
        if fixed is not None and _is_fixed(fixed[i]):
            ri = float(fixed[i])
        r.append(ri)
    return r


def round_quantities(x, c, s, width, fixed_risk=None, Q=1.0, T=1.0) -> dict:
    """Steps 1-6 on one issue: weights, median, P, risk exponents, EU."""
    x, c, s = _floats(x), _floats(c), _floats(s)
    n = len(x)
    w = weights(c, s)
    mu = weighted_median(x, w)
    P = win_probabilities(x, w)
    ones = [1.0] * n
    first = expected_utilities(x, s, width, mu, ones, P, Q, T)
    r = risk_exponents(first, fixed_risk)
    EU = expected_utilities(x, s, width, mu, r, P, Q, T)
    return {"w": w, "mu": mu, "P": P, "r": r, "EU": EU, "EU_at_r1": first}


def decide(EU, x, i, lo=-math.inf, hi=math.inf):
    """Steps 7-8 for receiver i: ``(new_position, event, sender, clipped)``; sender -1: no offer."""
    x = _floats(x)
    # an actor at i's own position has nothing to offer i
    offers = [(EU[j][i], j) for j in range(len(x)) if x[j] != x[i] and EU[j][i] > 0.0]
    if not offers:
        return x[i], NO_OFFER, -1, False
    # highest value, then nearest position, then lowest index
    value, sender = min(offers, key=lambda o: (-o[0], abs(x[o[1]] - x[i]), o[1]))
    mine = EU[i][sender]  # U_i: i's own expected utility against the sender
    if 0.0 < mine < value:
        new, event = x[sender], LOST
    elif mine < 0.0 and abs(mine) < value:
        new, event = x[i] + (x[sender] - x[i]) * abs(mine / value), COMPROMISED
    elif mine < 0.0 and abs(mine) > value:
        new, event = x[sender], CAPITULATED
    else:
        new, event = x[i], RESISTED
    clipped = new < lo or new > hi
    new = min(max(new, lo), hi)
    return new, event, sender, clipped


def eum_round(x, c, s, width, fixed_risk, Q, T, lo, hi, with_clipped=False):
    """One round on one issue, every actor deciding from the round-start positions.

    Returns ``(new_x, events, senders)`` (plus ``clipped`` when ``with_clipped``).
    """
    x = _floats(x)
    n = len(x)
    lo = _floats(lo) if lo is not None else [-math.inf] * n
    hi = _floats(hi) if hi is not None else [math.inf] * n
    EU = round_quantities(x, c, s, float(width), fixed_risk, float(Q), float(T))["EU"]
    decisions = [decide(EU, x, i, lo[i], hi[i]) for i in range(n)]
    new_x = [d[0] for d in decisions]
    events = [d[1] for d in decisions]
    senders = [d[2] for d in decisions]
    if with_clipped:
        return new_x, events, senders, [d[3] for d in decisions]
    return new_x, events, senders


def eum_run_detailed(X0, c, S, width, fixed_risk, Q, T, lo, hi, max_rounds) -> dict:
    """The whole run on every issue; see :func:`eum_run`. Also returns per-round
    ``events``, ``senders``, ``clipped`` as (rounds, m, n) nested lists."""
    state = _matrix(X0)
    m = len(state)
    c = _floats(c)
    S = _matrix(S)
    width = _floats(width)
    fixed = None if fixed_risk is None else [None if v is None else float(v) for v in fixed_risk]
    lo = _matrix(lo) if lo is not None else [None] * m
    hi = _matrix(hi) if hi is not None else [None] * m
    history = [state]
    events, senders, clipped = [], [], []
    for t in range(1, int(max_rounds) + 1):
        prev = history[-1]
        new_state, ev_t, se_t, cl_t = [], [], [], []
        for k in range(m):
            new_x, ev, se, cl = eum_round(
                prev[k], c, S[k], width[k], fixed, Q, T, lo[k], hi[k], True
            )
            new_state.append(new_x)
            ev_t.append(ev)
            se_t.append(se)
            cl_t.append(cl)
        history.append(new_state)
        events.append(ev_t)
        senders.append(se_t)
        clipped.append(cl_t)
        earlier = [s for s in range(t) if history[s] == new_state]
        if earlier:
            s = earlier[-1]
            stopped = "converged" if s == t - 1 else "cycle"
            return _result(history, t, stopped, t - s, events, senders, clipped)
    return _result(history, int(max_rounds), "limit", 0, events, senders, clipped)


def _result(history, rounds, stopped, cycle_length, events, senders, clipped):
    return {
        "history": history,
        "rounds": rounds,
        "stopped": stopped,
        "cycle_length": cycle_length,
        "events": events,
        "senders": senders,
        "clipped": clipped,
    }


def eum_run(X0, c, S, width, fixed_risk, Q, T, lo, hi, max_rounds):
    """Run the expected-utility model on every issue until it stops.

    ``X0, S, lo, hi`` are (m, n) (``lo``/``hi`` may be None: no red lines), ``c`` (n,),
    ``width`` (m,), ``fixed_risk`` (n,) with NaN/None where computed, or None.

    Returns ``(history, rounds, stopped, cycle_length)``: ``history`` a list of
    ``rounds + 1`` states, each an (m, n) nested list; ``stopped`` one of
    ``"limit"``, ``"converged"``, ``"cycle"``; ``cycle_length`` 1 when converged,
    0 at the limit.
    """
    out = eum_run_detailed(X0, c, S, width, fixed_risk, Q, T, lo, hi, max_rounds)
    return out["history"], out["rounds"], out["stopped"], out["cycle_length"]


def final_forecast(history, stopped, cycle_length, c, S) -> list[tuple[float, float]]:
    """Per issue, ``(compromise, weighted median)`` where a run ends: of its last state, or
    the mean over the ``cycle_length`` states of the cycle it ends in.

    ``history, stopped, cycle_length`` as :func:`eum_run` returns them; ``c`` (n,) and
    ``S`` (m, n) the capabilities and saliences the run used.
    """
    finals = history[-cycle_length:] if stopped == "cycle" else history[-1:]
    c, S = _floats(c), _matrix(S)
    out = []
    for k in range(len(S)):
        w = weights(c, S[k])
        comp = _add_up(compromise(state[k], w) for state in finals) / len(finals)
        med = _add_up(weighted_median(state[k], w) for state in finals) / len(finals)
        out.append((comp, med))
    return out


# ---- the classic CSV scenario ---------------------------------------------------
def classic_csv(path) -> dict:
    """A scenario in the classic CSV (``Actor,Capability,Position,Salience``), read with the
    csv module: one issue, named for the file's stem, whose scale runs from the smallest to
    the largest position; saliences on 0-1 (divided by 100 when any exceeds 1).

    Returns ``actors`` (names in file order), ``capability`` (n,), ``position`` and
    ``salience`` (1, n), ``width`` (1,) and ``issue``; with no red lines, computed risk
    exponents and Q = T = 1 this is what :func:`eum_run` needs.
    """
    import csv
    from pathlib import Path

    with open(path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if any(v.strip() for v in row.values())]
    position = [float(row["Position"]) for row in rows]
    salience = [float(row["Salience"]) for row in rows]
    if any(v > 1.0 for v in salience):
        salience = [v / 100.0 for v in salience]
    return {
        "issue": Path(path).stem,
        "actors": [row["Actor"].strip() for row in rows],
        "capability": [float(row["Capability"]) for row in rows],
        "position": [position],
        "salience": [salience],
        "width": [max(position) - min(position)],
    }


# ---- 5.6 repeated games -----------------------------------------------------
# A match of two strategies with plain ints and lists, and the kernels' generator
# (splitmix64) in Python ints; sim.kernels.games is held to it bit for bit.
MASK = (1 << 64) - 1


class RefRandom:
    """splitmix64 (Steele, Lea and Flood 2014; Vigna's C version) in plain Python ints."""

    def __init__(self, seed: int):
        self.state = int(seed) & MASK

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return (self.next_u64() >> 11) / 2**53


def ref_move(name: str, param: float, own: list[int], opp: list[int], rng: RefRandom) -> int:
    """What ``name`` plays next, given the moves so far (0 = C, 1 = D)."""
    t = len(own)
    if name == "cooperator":
        return 0
    if name == "defector":
        return 1
    if name == "tit_for_tat":
        return 0 if t == 0 else opp[-1]
    if name == "suspicious_tit_for_tat":
        return 1 if t == 0 else opp[-1]
    if name == "tit_for_two_tats":
        return 1 if opp[-2:] == [1, 1] else 0
    if name == "grudger":
        return 1 if 1 in opp else 0
    if name == "alternator":
        return 0 if t == 0 else 1 - own[-1]
    if name == "win_stay_lose_shift":
        if t == 0:
            return 0
        return own[-1] if opp[-1] == 0 else 1 - own[-1]
    if name == "generous_tit_for_tat":
        if t == 0 or opp[-1] == 0:
            return 0
        return 0 if rng.uniform() < param else 1
    if name == "random":
        return 0 if rng.uniform() < param else 1
    raise ValueError(name)


def ref_match(a, pa, b, pb, pay, turns, noise, seed):
    rng = RefRandom(seed)
    ha: list[int] = []
    hb: list[int] = []
    ta = tb = 0.0
    for _ in range(turns):
        x = ref_move(a, pa, ha, hb, rng)
        y = ref_move(b, pb, hb, ha, rng)
        if rng.uniform() < noise:
            x = 1 - x
        if rng.uniform() < noise:
            y = 1 - y
        ha.append(x)
        hb.append(y)
        ta = ta + float(pay[x][y][0])
        tb = tb + float(pay[x][y][1])
    return ha, hb, ta, tb
