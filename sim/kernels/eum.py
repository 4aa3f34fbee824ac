"""The expected-utility model (Bueno de Mesquita, as replicated by Scholz, Calbert and Smith 2011).

One issue at a time. A round has two parts:

* :func:`prepare_round` computes, from the positions at the start of the round,
  what every actor needs to decide: the probability matrix ``P``, the risk
  exponents ``r`` and the expected-utility matrix ``EU`` (``EU[i, j]``: i's
  expected utility of challenging j).
* :func:`actor_decision` is one actor's decision given those arrays and its
  index: which offer it takes and where it moves (steps 7-8, red line clip).

The mesa agents call :func:`actor_decision` for themselves; :func:`run_issues`
runs whole rounds for every actor and issue. Both drive the same functions.
"""

import numpy as np

from sim.kernels import jit
from sim.kernels.baselines import compromise, weighted_median, weights

# events of an actor in a round
NO_OFFER = 0  # received no offer
RESISTED = 1  # received offers, stood firm
LOST = 2  # lost a confrontation: moved to the sender's position
COMPROMISED = 3  # moved part of the way toward the sender
CAPITULATED = 4  # moved to the sender's position without a fight
EVENT_NAMES = ("no_offer", "resisted", "lost", "compromised", "capitulated")

# how a run stopped
STOP_LIMIT = 0
STOP_CONVERGED = 1
STOP_CYCLE = 2
STOP_NAMES = ("limit", "converged", "cycle")


@jit
def win_probabilities(x, w, P):
    """P[i, j]: probability that i prevails over j (step 3), into ``P`` (n, n).

    ``P_ij = max(0, sum_k w_k (|x_k - x_j| - |x_k - x_i|)) / sum_k w_k ||x_k - x_j| - |x_k - x_i||``,
    0 when x_i = x_j or the denominator is 0.
    """
    n = x.shape[0]
    for i in range(n):
        P[i, i] = 0.0
        for j in range(i + 1, n):
            if x[i] == x[j]:
                P[i, j] = 0.0
                P[j, i] = 0.0
                continue
            num = 0.0
            den = 0.0
            for k in range(n):
                diff = abs(x[k] - x[j]) - abs(x[k] - x[i])
                num += w[k] * diff
                den += w[k] * abs(diff)
            if den == 0.0:
                P[i, j] = 0.0
                P[j, i] = 0.0
            else:
                # diff for (j, i) is the negation, so its numerator is -num
                P[i, j] = max(0.0, num) / den
                P[j, i] = max(0.0, -num) / den
    return P


@jit
def expected_utilities(x, s, width, mu, r, P, Q, T, EU):
    """EU[i, j]: i's expected utility of challenging j (steps 2 and 4), into ``EU`` (n, n).

    Two shortcuts give the same bits with fewer powers: at r_i = 1 the powers are
    the identity (``b**1.0 == b`` exactly); at Q = 1 the bracket with Ub and Uw is
    multiplied by an exact zero. Each case has its own loop, so the compiler cannot
    turn the branch into a select that computes the powers anyway.
    """
    n = x.shape[0]
    for i in range(n):
        ri = r[i]
        usq = 2.0 - 4.0 * 0.5**ri
        dmu = abs(x[i] - mu)
        if ri == 1.0:
            for j in range(n):
                dij = abs(x[i] - x[j])
                d = dij / width
                us = 2.0 - 4.0 * (0.5 - 0.5 * d)
                uf = 2.0 - 4.0 * (0.5 + 0.5 * d)
                b = 0.25 * (dmu + dij) / width
                ub = 2.0 - 4.0 * (0.5 - b)
                uw = 2.0 - 4.0 * (0.5 + b)
                p = P[i, j]
                EU[i, j] = (
                    s[j] * (p * us + (1.0 - p) * uf)
                    + (1.0 - s[j]) * us
                    - Q * usq
                    - (1.0 - Q) * (T * ub + (1.0 - T) * uw)
                )
        elif Q == 1.0:
            for j in range(n):
                d = abs(x[i] - x[j]) / width
                us = 2.0 - 4.0 * (0.5 - 0.5 * d) ** ri
                uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
                p = P[i, j]
                EU[i, j] = (
                    s[j] * (p * us + (1.0 - p) * uf)
                    + (1.0 - s[j]) * us
                    - Q * usq
                    - (1.0 - Q) * (T * 0.0 + (1.0 - T) * 0.0)
                )
        else:
            for j in range(n):
                dij = abs(x[i] - x[j])
                d = dij / width
                us = 2.0 - 4.0 * (0.5 - 0.5 * d) ** ri
                uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
                b = 0.25 * (dmu + dij) / width
                ub = 2.0 - 4.0 * (0.5 - b) ** ri
                uw = 2.0 - 4.0 * (0.5 + b) ** ri
                p = P[i, j]
                EU[i, j] = (
                    s[j] * (p * us + (1.0 - p) * uf)
                    + (1.0 - s[j]) * us
                    - Q * usq
                    - (1.0 - Q) * (T * ub + (1.0 - T) * uw)
                )
        EU[i, i] = 0.0
    return EU


@jit
def risk_exponents(EU, fixed, r):
    """Risk exponents from security (step 5), into ``r`` (n,).

    ``S_k = sum_{j != k} EU[j, k]`` with EU computed at r = 1;
    ``R_i = (2 S_i - max S - min S) / (max S - min S)``; ``r_i = (1 - R_i/3) / (1 + R_i/3)``;
    all 1 when max S = min S. Where ``fixed[i]`` is not NaN it is used instead.
    """
    n = EU.shape[0]
    S = np.empty(n)
    for k in range(n):
        acc = 0.0
        for j in range(n):
            if j != k:
                acc += EU[j, k]
        S[k] = acc
    smax = S.max()
    smin = S.min()
    for i in range(n):
        if smax == smin:
            r[i] = 1.0
        else:
            # (2 S_i - max S - min S) / (max S - min S), arranged to give exactly -1 and 1
            # at the ends so r stays inside [0.5, 2] to the last bit
            R = ((S[i] - smin) - (smax - S[i])) / (smax - smin)
            r[i] = (1.0 - R / 3.0) / (1.0 + R / 3.0)
        if not np.isnan(fixed[i]):
            r[i] = fixed[i]
    return r


@jit
def prepare_round(x, c, s, width, fixed_risk, Q, T, w, P, EU, r):
    """Everything an actor needs to decide in a round (steps 1-6) on one issue.

    Parameters
    ----------
    x, c, s : (n,) float64
        Positions at the start of the round, capabilities, saliences.
    width : float
        The issue's scale width D.
    fixed_risk : (n,) float64
        Fixed risk exponents, NaN where computed.
    Q, T : float
    w, r : (n,) float64, P, EU : (n, n) float64
        Outputs: weights, risk exponents, win probabilities, expected utilities.

    Returns
    -------
    mu : float
        The weighted median at the start of the round.
    """
    weights(c, s, w)
    mu = weighted_median(x, w)
    win_probabilities(x, w, P)
    all_fixed = True
    for i in range(x.shape[0]):
        if np.isnan(fixed_risk[i]):
            all_fixed = False
        r[i] = 1.0
    if all_fixed:
        _copy(fixed_risk, r)
    else:
        expected_utilities(x, s, width, mu, r, P, Q, T, EU)
        risk_exponents(EU, fixed_risk, r)
    expected_utilities(x, s, width, mu, r, P, Q, T, EU)
    return mu


@jit
def _copy(src, dst):
    for i in range(src.shape[0]):
        dst[i] = src[i]
    return dst


@jit
def actor_decision(EU, x, i, lo, hi):
    """Actor i's move in a round (steps 7-8), clipped to its red line [lo, hi].

    Every j with ``EU[j, i] > 0`` and a position other than i's sends i an offer
    (its position x_j, of value ``EU[j, i]``); an offer of i's own position would
    change nothing (and with Q = 1 its value is 0 up to rounding). i takes the offer of highest value (ties: the nearest position,
    then the lowest index) and, with ``U_i = EU[i, j]`` and ``U_j`` the value:
    loses (moves to x_j) if ``0 < U_i < U_j``; compromises, moving
    ``(x_j - x_i) |U_i / U_j|``, if ``U_i < 0`` and ``|U_i| < U_j``; capitulates
    (moves to x_j) if ``U_i < 0`` and ``|U_i| > U_j``; otherwise stays.

    Returns
    -------
    (new_position, event, sender, clipped) : (float, int, int, bool)
        ``sender`` is -1 when no offer came.
    """
    n = x.shape[0]
    best = -1
    best_value = 0.0
    best_dist = np.inf
    for j in range(n):
        if j == i:
            continue
        v = EU[j, i]
        if v > 0.0 and x[j] != x[i]:
            dist = abs(x[j] - x[i])
            if v > best_value or (v == best_value and dist < best_dist):
                best = j
                best_value = v
                best_dist = dist
    if best < 0:
        return x[i], NO_OFFER, -1, False
    ui = EU[i, best]
    uj = best_value
    new = x[i]
    event = RESISTED
    if 0.0 < ui and ui < uj:
        new = x[best]
        event = LOST
    elif ui < 0.0 and -ui < uj:
        new = x[i] + (x[best] - x[i]) * (-ui / uj)
        event = COMPROMISED
    elif ui < 0.0 and -ui > uj:
        new = x[best]
        event = CAPITULATED
    clipped = False
    if new < lo:
        new = lo
        clipped = True
    elif new > hi:
        new = hi
        clipped = True
    return new, event, best, clipped


@jit
def find_repeat(history, t):
    """The latest round s < t whose state equals round t's exactly, or -1.

    ``history`` is (rounds + 1, m, n); a state is every position on every issue.
    """
    for s in range(t - 1, -1, -1):
        same = True
        for k in range(history.shape[1]):
            for i in range(history.shape[2]):
                if history[s, k, i] != history[t, k, i]:
                    same = False
                    break
            if not same:
                break
        if same:
            return s
    return -1


@jit
def run_issues(
    X0, c, S, width, fixed_risk, Q, T, lo, hi, max_rounds, history, events, senders, clipped
):
    """Run the expected-utility model on every issue until it stops.

    Parameters
    ----------
    X0, S, lo, hi : (m, n) float64
        Initial positions, saliences and red-line bounds per issue and actor.
    c : (n,) float64
        Capabilities.
    width : (m,) float64
        Scale widths.
    fixed_risk : (n,) float64
        Fixed risk exponents, NaN where computed.
    Q, T : float
    max_rounds : int
    history : (max_rounds + 1, m, n) float64
        Output: positions per round; round 0 is ``X0``.
    events, senders : (max_rounds, m, n) int64, clipped : (max_rounds, m, n) bool
        Output: each actor's event in round t + 1, the offer it took, red-line clips.

    Returns
    -------
    (rounds, stop, cycle_length) : (int, int, int)
        Rounds run; STOP_LIMIT, STOP_CONVERGED or STOP_CYCLE; the cycle's length
        (1 when converged, 0 at the limit).
    """
    m, n = X0.shape
    for k in range(m):
        for i in range(n):
            history[0, k, i] = X0[k, i]
    w = np.empty(n)
    r = np.empty(n)
    P = np.empty((n, n))
    EU = np.empty((n, n))
    for t in range(1, max_rounds + 1):
        for k in range(m):
            x = history[t - 1, k]
            prepare_round(x, c, S[k], width[k], fixed_risk, Q, T, w, P, EU, r)
            for i in range(n):
                new, ev, sender, clip = actor_decision(EU, x, i, lo[k, i], hi[k, i])
                history[t, k, i] = new
                events[t - 1, k, i] = ev
                senders[t - 1, k, i] = sender
                clipped[t - 1, k, i] = clip
        s = find_repeat(history, t)
        if s >= 0:
            if s == t - 1:
                return t, STOP_CONVERGED, 1
            return t, STOP_CYCLE, t - s
    return max_rounds, STOP_LIMIT, 0


@jit
def run_outcome(X0, c, S, width, fixed_risk, Q, T, lo, hi, max_rounds, history, comp, med):
    """Run to the stop like :func:`run_issues` and keep only the forecast; for ensembles.

    Same rounds, stop and cycle as :func:`run_issues`, without the event log: an
    issue whose positions did not change in a round will never change again (issues
    are independent and the model is deterministic), so it is copied, not recomputed.

    Parameters
    ----------
    history : (max_rounds + 1, m, n) float64
        Work space (positions per round).
    comp, med : (m,) float64
        Output: the final compromise and weighted median per issue, averaged over
        the cycle when the run ends in one.

    Returns
    -------
    (rounds, stop, cycle_length) : (int, int, int)
    """
    m, n = X0.shape
    for k in range(m):
        for i in range(n):
            history[0, k, i] = X0[k, i]
    w = np.empty(n)
    r = np.empty(n)
    P = np.empty((n, n))
    EU = np.empty((n, n))
    settled = np.zeros(m, dtype=np.bool_)
    rounds = max_rounds
    stop = STOP_LIMIT
    cycle = 0
    for t in range(1, max_rounds + 1):
        for k in range(m):
            x = history[t - 1, k]
            if settled[k]:
                for i in range(n):
                    history[t, k, i] = x[i]
                continue
            prepare_round(x, c, S[k], width[k], fixed_risk, Q, T, w, P, EU, r)
            moved = False
            for i in range(n):
                new, ev, sender, clip = actor_decision(EU, x, i, lo[k, i], hi[k, i])
                history[t, k, i] = new
                if new != x[i]:
                    moved = True
            if not moved:
                settled[k] = True
        s = find_repeat(history, t)
        if s >= 0:
            rounds = t
            if s == t - 1:
                stop = STOP_CONVERGED
                cycle = 1
            else:
                stop = STOP_CYCLE
                cycle = t - s
            break
    final_forecast(history, rounds, stop, cycle, c, S, w, comp, med)
    return rounds, stop, cycle


@jit
def final_forecast(history, rounds, stop, cycle, c, S, w, comp, med):
    """Compromise and median per issue of the final state, averaged over a cycle, into comp, med."""
    m = history.shape[1]
    first = rounds - cycle + 1 if stop == STOP_CYCLE else rounds
    count = rounds - first + 1
    for k in range(m):
        weights(c, S[k], w)
        acc_c = 0.0
        acc_m = 0.0
        for q in range(first, rounds + 1):
            acc_c += compromise(history[q, k], w)
            acc_m += weighted_median(history[q, k], w)
        comp[k] = acc_c / count
        med[k] = acc_m / count
