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

Every kernel from :func:`prepare_round` up takes the reference point of the status-quo
utility ``Usq`` per issue, ``sq``: NaN for the model as DESIGN 5.2 states it (each actor's
own position, ``Usq = 2 - 4 (0.5)^r_i``), else the issue's status quo
(``Usq = 2 - 4 (0.5 + 0.5 |x_i - sq| / D)^r_i``). One compiled signature serves both;
NaN gives the default model's bits.

They also take the procedure, ``procedure``: :data:`DESIGN` (0) for DESIGN 5.2, or
:data:`SCHOLZ_PROGRAM` (1) for the procedure of Scholz's program (docs/ec_replication.md),
which changes three steps: the win probabilities (:func:`scholz_win_probabilities`: the
voters' distances raised to their own risk exponents, each voter's positive votes, every
pair of actors in the denominator), the receiver's judgement of an offer (both expected
utilities with the receiver's risk exponent, :func:`receiver_values`) and the regions and
the choice of the offer (:func:`scholz_decision`). Its steps are kernels of their own,
called only in that mode; with :data:`DESIGN` every kernel does what it did, bit for bit.
"""

import numpy as np

from sim.kernels import jit
from sim.kernels.baselines import (
    compromise,
    stable_order,
    weighted_median,
    weighted_median_ordered,
    weights,
)

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

# the procedure of a round
DESIGN = 0  # DESIGN 5.2
SCHOLZ_PROGRAM = 1  # the procedure of Scholz's program (docs/ec_replication.md)
PROCEDURE_NAMES = ("design", "scholz_program")


@jit
def position_groups(x, order, rep):
    """Actors at the same position: ``rep[j]``, the lowest index k with ``x[k] == x[j]``.

    Quantities that depend on an actor only through its position (a column of
    ``P``, the utilities of challenging it) are computed once per position and
    copied to the others: the same operations on the same numbers, so the same bits.

    Parameters
    ----------
    x : (n,) float64
        Positions.
    order : (n,) int64
        Indices that sort ``x`` stably (:func:`sim.kernels.baselines.stable_order`).
    rep : (n,) int64
        Output; ``rep[j] == j`` for the first actor at each position (and for NaN).
    """
    n = x.shape[0]
    q = 0
    while q < n:
        first = order[q]
        rep[first] = first
        q += 1
        # equal positions are adjacent in the order, by increasing index
        while q < n and x[order[q]] == x[first]:
            rep[order[q]] = first
            q += 1
    return rep


@jit
def distances(x, width, D):
    """``D[i, j] = |x_i - x_j| / width``, the scaled distances of step 2, into ``D`` (n, n).

    Both expected-utility passes use them; computed once per round and pair
    (``|x_i - x_j| == |x_j - x_i|`` exactly, so the matrix is filled by symmetry).
    """
    n = x.shape[0]
    for i in range(n):
        D[i, i] = abs(x[i] - x[i]) / width
        for j in range(i + 1, n):
            d = abs(x[i] - x[j]) / width
            D[i, j] = d
            D[j, i] = d
    return D


@jit
def status_quo_utility(xi, sq, width, ri):
    """``Usq = 2 - 4 (0.5 + 0.5 |x_i - sq| / D)^r_i``: i's utility of the status quo ``sq``.

    At ``sq == x_i`` it is the default model's ``2 - 4 (0.5)^r_i`` (up to the last bit:
    the default computes that power with a literal base, see :func:`expected_utilities`).
    """
    base = 0.5 + 0.5 * abs(xi - sq) / width
    if ri == 1.0:
        return 2.0 - 4.0 * base
    return 2.0 - 4.0 * base**ri


@jit
def win_probabilities(x, w, rep, P):
    """P[i, j]: probability that i prevails over j (step 3), into ``P`` (n, n).

    ``P_ij = max(0, sum_k w_k (|x_k - x_j| - |x_k - x_i|)) / sum_k w_k ||x_k - x_j| - |x_k - x_i||``,
    0 when x_i = x_j or the denominator is 0.

    The sums depend on i and j only through x_i and x_j, so each pair of
    positions is summed once (over k in index order, as in the reference): the
    row of an actor at the same position as an earlier actor a is copied from
    row a, and a column from the first column at that position when that column
    was summed in the same orientation (i before both), which gives the same bits.

    Parameters
    ----------
    x, w : (n,) float64
        Positions and weights.
    rep : (n,) int64
        Position groups (:func:`position_groups`).
    P : (n, n) float64
        Output.
    """
    n = x.shape[0]
    for i in range(n):
        P[i, i] = 0.0
        a = rep[i]
        if a < i:
            # x_a == x_i, a < i: row a summed the same numbers for every j > i
            for j in range(i + 1, n):
                P[i, j] = P[a, j]
                P[j, i] = P[j, a]
            continue
        for j in range(i + 1, n):
            b = rep[j]
            if x[i] == x[j]:
                P[i, j] = 0.0
                P[j, i] = 0.0
                continue
            if i < b < j:
                # x_b == x_j and the pair (i, b) was summed just before, the same way
                P[i, j] = P[i, b]
                P[j, i] = P[b, i]
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
def scholz_win_probabilities(x, w, r, D, V, P):
    """P[i, j] as Scholz's program computes it (step 3 of its procedure), into ``P`` (n, n).

    With ``d_ka = D[k, a]`` (the scaled distances) raised to the voter's own exponent r_k,
    ``P_ij = sum_k max(0, w_k (d_kj^r_k - d_ki^r_k)) / sum_k sum_a sum_b |w_k (d_kb^r_k - d_ka^r_k)|``,
    a and b over every ordered pair of actors (a = b and actors at one position included):
    each voter's positive votes over one number per round, so ``P_ij + P_ji`` is not 1.
    0 when x_i = x_j or the denominator is 0.

    Parameters
    ----------
    x, w, r : (n,) float64
        Positions, weights, the voters' exponents (all 1 in the risk pass).
    D : (n, n) float64
        Scaled distances (:func:`distances`).
    V : (n, n) float64
        Work space: ``V[k, a] = D[k, a]^r_k``.
    P : (n, n) float64
        Output.
    """
    n = x.shape[0]
    for k in range(n):
        rk = r[k]
        for a in range(n):
            V[k, a] = D[k, a] if rk == 1.0 else D[k, a] ** rk
    den = 0.0
    for k in range(n):
        acc = 0.0
        for a in range(n):
            for b in range(a + 1, n):
                acc += abs(V[k, b] - V[k, a])
        # |d_kb - d_ka| = |d_ka - d_kb|: every unordered pair twice, a = b adds 0
        den += 2.0 * abs(w[k]) * acc
    for i in range(n):
        P[i, i] = 0.0
        for j in range(i + 1, n):
            if x[i] == x[j] or den == 0.0:
                P[i, j] = 0.0
                P[j, i] = 0.0
                continue
            num_ij = 0.0
            num_ji = 0.0
            for k in range(n):
                vote = w[k] * (V[k, j] - V[k, i])
                if vote > 0.0:
                    num_ij += vote
                elif vote < 0.0:
                    num_ji -= vote
            P[i, j] = num_ij / den
            P[j, i] = num_ji / den
    return P


@jit
def expected_utilities(x, s, width, sq, mu, r, P, Q, T, D, rep, all_pairs, U, EU):
    """EU[i, j]: i's expected utility of challenging j (steps 2 and 4), into ``EU`` (n, n).

    The powers are most of the cost; three shortcuts give the same bits with
    fewer of them. Us, Uf, Ub and Uw of i against j depend on j only through
    x_j, so each row first computes them once per position (:func:`position_groups`)
    and then fills its entries from them; at r_i = 1 the powers are the identity
    (``b**1.0 == b`` exactly); at Q = 1 the bracket with Ub and Uw is multiplied by
    an exact zero, so they are not computed (except at r_i = 1, where they are
    cheap and always were). Without ``all_pairs`` a fourth: the entries between
    actors at the same position. (``0.5**ri`` for Usq is not reused for a base of
    0.5: with a literal base the compiler calls ``exp2``, whose last bit can differ
    from ``pow``'s.)

    Parameters
    ----------
    x, s : (n,) float64
        Positions and saliences.
    width, mu : float
        The issue's scale width D and the weighted median.
    sq : float
        The reference point of Usq: NaN for each actor's own position (``Usq = 2 - 4 (0.5)^r_i``),
        else the issue's status quo (``Usq = 2 - 4 (0.5 + 0.5 |x_i - sq| / D)^r_i``).
    r : (n,) float64
        Risk exponents.
    P : (n, n) float64
        Win probabilities.
    Q, T : float
    D : (n, n) float64
        Scaled distances (:func:`distances`).
    rep : (n,) int64
        Position groups.
    all_pairs : bool
        False: EU[i, j] is left 0 where x_j == x_i. Such a j makes i no offer and
        :func:`actor_decision` never reads the entry, so the decisions are the same;
        the run kernels skip them, :func:`prepare_round` computes every entry.
    U : (4, n) float64
        Work space: Us, Uf, Ub, Uw of the current row, per position group.
    EU : (n, n) float64
        Output; 0 on the diagonal.
    """
    n = x.shape[0]
    bracket = Q != 1.0
    for i in range(n):
        ri = r[i]
        if np.isnan(sq):
            usq = 2.0 - 4.0 * 0.5**ri
        else:
            usq = status_quo_utility(x[i], sq, width, ri)
        dmu = abs(x[i] - mu)
        own = rep[i]
        with_b = ri == 1.0 or bracket
        # Us, Uf (and Ub, Uw) of i against each position
        for j in range(n):
            if rep[j] != j or (j == own and not all_pairs):
                continue
            d = D[i, j]
            if ri == 1.0:
                b = 0.25 * (dmu + abs(x[i] - x[j])) / width
                U[0, j] = 2.0 - 4.0 * (0.5 - 0.5 * d)
                U[1, j] = 2.0 - 4.0 * (0.5 + 0.5 * d)
                U[2, j] = 2.0 - 4.0 * (0.5 - b)
                U[3, j] = 2.0 - 4.0 * (0.5 + b)
            else:
                U[0, j] = 2.0 - 4.0 * (0.5 - 0.5 * d) ** ri
                U[1, j] = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
                if bracket:
                    b = 0.25 * (dmu + abs(x[i] - x[j])) / width
                    U[2, j] = 2.0 - 4.0 * (0.5 - b) ** ri
                    U[3, j] = 2.0 - 4.0 * (0.5 + b) ** ri
        # the row's entries
        for j in range(n):
            g = rep[j]
            if g == own and not all_pairs:
                EU[i, j] = 0.0
                continue
            us = U[0, g]
            uf = U[1, g]
            ub = U[2, g] if with_b else 0.0
            uw = U[3, g] if with_b else 0.0
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
def securities(x, s, width, sq, mu, P, Q, T, D, S):
    """``S_k = sum_{j != k} EU[j, k]`` with EU at r = 1 (step 5's first pass), into ``S`` (n,).

    The risk pass needs only these column sums, not the matrix: each EU[j, k]
    is computed as :func:`expected_utilities` computes it at r_j = 1 (no powers)
    and added to S_k in increasing j, as the reference sums a column. At Q = 1
    the bracket with Ub and Uw adds an exact zero of either sign, which leaves
    every partial sum as it is (a sum that starts at +0 never becomes -0), so it
    is not computed.

    Parameters
    ----------
    x, s : (n,) float64
    width, sq, mu : float
        Scale width, reference point of Usq (NaN: own position), weighted median.
    P, D : (n, n) float64
        Win probabilities, scaled distances.
    Q, T : float
    S : (n,) float64
        Output.
    """
    n = x.shape[0]
    usq = 2.0 - 4.0 * 0.5**1.0
    bracket = Q != 1.0
    for k in range(n):
        S[k] = 0.0
    for j in range(n):
        dmu = abs(x[j] - mu)
        if not np.isnan(sq):
            usq = status_quo_utility(x[j], sq, width, 1.0)
        for k in range(n):
            if k == j:
                continue
            d = D[j, k]
            us = 2.0 - 4.0 * (0.5 - 0.5 * d)
            uf = 2.0 - 4.0 * (0.5 + 0.5 * d)
            p = P[j, k]
            e = s[k] * (p * us + (1.0 - p) * uf) + (1.0 - s[k]) * us - Q * usq
            if bracket:
                b = 0.25 * (dmu + abs(x[j] - x[k])) / width
                ub = 2.0 - 4.0 * (0.5 - b)
                uw = 2.0 - 4.0 * (0.5 + b)
                e -= (1.0 - Q) * (T * ub + (1.0 - T) * uw)
            S[k] += e
    return S


@jit
def risk_exponents(S, fixed, r):
    """Risk exponents from the securities ``S`` (step 5), into ``r`` (n,).

    ``R_i = (2 S_i - max S - min S) / (max S - min S)``; ``r_i = (1 - R_i/3) / (1 + R_i/3)``;
    all 1 when max S = min S. Where ``fixed[i]`` is not NaN it is used instead.

    Parameters
    ----------
    S : (n,) float64
        Securities (:func:`securities`).
    fixed : (n,) float64
        Fixed risk exponents, NaN where computed.
    r : (n,) float64
        Output.
    """
    n = S.shape[0]
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


WORK_ROWS = 5
"""Rows of the float work space of :func:`prepare_into`: S, then Us, Uf, Ub, Uw."""


@jit
def prepare_into(
    x, s, width, sq, procedure, fixed_risk, Q, T, w, P, EU, r, D, work, iwork, all_pairs
):
    """:func:`prepare_round` with the weights given, the work space passed in and a procedure.

    The kernels that run many rounds (:func:`run_issues`, :func:`run_outcome`)
    allocate the work space once per run and compute the weights once per issue.
    With :data:`SCHOLZ_PROGRAM` the win probabilities of both passes are
    :func:`scholz_win_probabilities` (at r = 1 in the risk pass, then at the risk
    exponents); everything else is as with :data:`DESIGN`.

    Parameters
    ----------
    x, s : (n,) float64
        Positions at the start of the round, saliences.
    width, sq : float
        Scale width; the status quo as the reference point of Usq (NaN: own position).
    procedure : int
        :data:`DESIGN` or :data:`SCHOLZ_PROGRAM`.
    fixed_risk : (n,) float64
    Q, T : float
    w : (n,) float64
        Weights (:func:`sim.kernels.baselines.weights`).
    P, EU : (n, n) float64, r : (n,) float64
        Outputs.
    D : (n, n) float64, work : (WORK_ROWS, n) float64, iwork : (2, n) int64
        Work space.
    all_pairs : bool
        Whether to compute the EU entries between actors at the same position
        (see :func:`expected_utilities`); the decisions do not need them.

    Returns
    -------
    mu : float
        The weighted median at the start of the round.
    """
    order = iwork[0]
    rep = iwork[1]
    stable_order(x, order)
    mu = weighted_median_ordered(x, w, order)
    position_groups(x, order, rep)
    if procedure == DESIGN:
        win_probabilities(x, w, rep, P)
    distances(x, width, D)
    all_fixed = True
    for i in range(x.shape[0]):
        if np.isnan(fixed_risk[i]):
            all_fixed = False
    if all_fixed:
        _copy(fixed_risk, r)
    else:
        if procedure != DESIGN:
            for i in range(x.shape[0]):
                r[i] = 1.0
            scholz_win_probabilities(x, w, r, D, EU, P)  # EU: work space until filled
        securities(x, s, width, sq, mu, P, Q, T, D, work[0])
        risk_exponents(work[0], fixed_risk, r)
    if procedure != DESIGN:
        scholz_win_probabilities(x, w, r, D, EU, P)
    expected_utilities(x, s, width, sq, mu, r, P, Q, T, D, rep, all_pairs, work[1:], EU)
    return mu


@jit
def prepare_round(x, c, s, width, sq, fixed_risk, Q, T, w, P, EU, r):
    """Everything an actor needs to decide in a round (steps 1-6) on one issue, as DESIGN 5.2
    states them (the mesa agents' procedure; :func:`prepare_into` takes another).

    Parameters
    ----------
    x, c, s : (n,) float64
        Positions at the start of the round, capabilities, saliences.
    width : float
        The issue's scale width D.
    sq : float
        The reference point of Usq: NaN for each actor's own position (the default
        model), else the issue's status quo (see :func:`expected_utilities`).
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
    n = x.shape[0]
    weights(c, s, w)
    work = np.empty((WORK_ROWS, n))
    iwork = np.empty((2, n), dtype=np.int64)
    D = np.empty((n, n))
    return prepare_into(
        x, s, width, sq, DESIGN, fixed_risk, Q, T, w, P, EU, r, D, work, iwork, True
    )


@jit
def _copy(src, dst):
    """``dst[:] = src`` for (n,) float64 arrays."""
    for i in range(src.shape[0]):
        dst[i] = src[i]
    return dst


@jit
def actor_decision(EU, x, i, lo, hi):
    """Actor i's move in a round (steps 7-8), clipped to its red line [lo, hi].

    Every j with ``EU[j, i] > 0`` and a position other than i's sends i an offer
    (its position x_j, of value ``EU[j, i]``); an offer of i's own position would
    change nothing (and with Q = 1 and
    the own position as the reference point its value is 0 up to rounding). i takes the offer of highest value (ties: the nearest position,
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
def receiver_values(x, s, width, sq, mu, r, P, Q, T, D, i, V):
    """``V[j] = EU^i_ji``: j's expected utility of challenging i as i judges it (Scholz's
    program, steps 4 and 8), into ``V`` (n,).

    The expected utility of j challenging i (:func:`expected_utilities`) with the receiver's
    exponent r_i in place of r_j:
    ``s_i (P_ji Us + (1 - P_ji) Uf) + (1 - s_i) Us - Q Usq - (1 - Q)(T Ub + (1 - T) Uw)``
    with ``Us = 2 - 4 (0.5 - 0.5 d_ij)^r_i``, ``Uf = 2 - 4 (0.5 + 0.5 d_ij)^r_i``, Usq of j
    (``2 - 4 (0.5)^r_i``, or at the status quo ``sq``) and Ub, Uw of j with r_i. 0 where
    x_j == x_i (no offer). Its counterpart ``EU^i_ij`` is ``EU[i, j]``.
    """
    n = x.shape[0]
    ri = r[i]
    bracket = Q != 1.0
    for j in range(n):
        if j == i or x[j] == x[i]:
            V[j] = 0.0
            continue
        if np.isnan(sq):
            usq = 2.0 - 4.0 * 0.5**ri
        else:
            usq = status_quo_utility(x[j], sq, width, ri)
        d = D[j, i]
        us = 2.0 - 4.0 * (0.5 - 0.5 * d) ** ri
        uf = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
        p = P[j, i]
        v = s[i] * (p * us + (1.0 - p) * uf) + (1.0 - s[i]) * us - Q * usq
        if bracket:
            b = 0.25 * (abs(x[j] - mu) + abs(x[j] - x[i])) / width
            ub = 2.0 - 4.0 * (0.5 - b) ** ri
            uw = 2.0 - 4.0 * (0.5 + b) ** ri
            v -= (1.0 - Q) * (T * ub + (1.0 - T) * uw)
        V[j] = v
    return V


@jit
def scholz_decision(EU, V, x, i, lo, hi):
    """Actor i's move in a round under Scholz's program (step 8), clipped to [lo, hi].

    With ``a = EU[i, j]`` and ``b = V[j]`` (:func:`receiver_values`), for every j at
    another position: a confrontation when ``b > a > 0`` (offer x_j), a compromise when
    ``b > 0 > a`` and ``b > |a|`` (offer ``x_i + (x_j - x_i) |a / b|``); no other region
    moves i (no capitulation). i takes the confrontation with the nearest x_j, else the
    compromise with the smallest ``(|a| x_i + |b| x_j) / (|a| + |b|)``; ties: the lowest
    index. j sends an offer when ``b > 0``; i resists when none of them is in a region (the
    sender is then the offer of highest value b, ties the nearest, as in
    :func:`actor_decision`).

    Returns
    -------
    (new_position, event, sender, clipped) : (float, int, int, bool)
    """
    n = x.shape[0]
    near = -1
    near_dist = np.inf
    soft = -1
    soft_key = np.inf
    soft_pos = x[i]
    best = -1
    best_value = 0.0
    best_dist = np.inf
    for j in range(n):
        if j == i or x[j] == x[i]:
            continue
        a = EU[i, j]
        b = V[j]
        dist = abs(x[i] - x[j])
        if b > 0.0 and (b > best_value or (b == best_value and dist < best_dist)):
            best = j
            best_value = b
            best_dist = dist
        if b > a and a > 0.0:
            if dist < near_dist:
                near = j
                near_dist = dist
        elif b > 0.0 and 0.0 > a and b > abs(a):
            key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
            if key < soft_key:
                soft = j
                soft_key = key
                soft_pos = x[i] + (x[j] - x[i]) * abs(a / b)
    if near >= 0:
        new = x[near]
        event = LOST
        sender = near
    elif soft >= 0:
        new = soft_pos
        event = COMPROMISED
        sender = soft
    elif best >= 0:
        return x[i], RESISTED, best, False
    else:
        return x[i], NO_OFFER, -1, False
    clipped = False
    if new < lo:
        new = lo
        clipped = True
    elif new > hi:
        new = hi
        clipped = True
    return new, event, sender, clipped


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
def _run_buffers(c, S):
    """Work space for a run: the weights per issue and the buffers of :func:`prepare_into`.

    The weights depend only on capabilities and saliences, which do not change
    during a run, so they are computed here once per issue.

    Parameters
    ----------
    c : (n,) float64
        Capabilities.
    S : (m, n) float64
        Saliences per issue.

    Returns
    -------
    (W, r, P, EU, D, work, iwork)
        W (m, n) weights; r (n,); P, EU, D (n, n); work (WORK_ROWS, n) float64;
        iwork (2, n) int64.
    """
    m, n = S.shape
    W = np.empty((m, n))
    for k in range(m):
        weights(c, S[k], W[k])
    work = np.empty((WORK_ROWS, n))
    iwork = np.empty((2, n), dtype=np.int64)
    return W, np.empty(n), np.empty((n, n)), np.empty((n, n)), np.empty((n, n)), work, iwork


@jit
def run_issues(
    X0, c, S, width, sq, procedure, fixed_risk, Q, T, lo, hi, max_rounds, history, events,
    senders, clipped,
):  # fmt: skip
    """Run the expected-utility model on every issue until it stops.

    Parameters
    ----------
    X0, S, lo, hi : (m, n) float64
        Initial positions, saliences and red-line bounds per issue and actor.
    c : (n,) float64
        Capabilities.
    width : (m,) float64
        Scale widths.
    sq : (m,) float64
        Per issue, the reference point of Usq: NaN for each actor's own position (the
        default model), else the issue's status quo (see :func:`expected_utilities`).
    procedure : int
        :data:`DESIGN` (actors decide by :func:`actor_decision`) or :data:`SCHOLZ_PROGRAM`
        (:func:`receiver_values` and :func:`scholz_decision`).
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
    W, r, P, EU, D, work, iwork = _run_buffers(c, S)
    for t in range(1, max_rounds + 1):
        for k in range(m):
            x = history[t - 1, k]
            mu = prepare_into(
                x, S[k], width[k], sq[k], procedure, fixed_risk, Q, T, W[k], P, EU, r, D, work,
                iwork, False,
            )  # fmt: skip
            for i in range(n):
                if procedure == DESIGN:
                    new, ev, sender, clip = actor_decision(EU, x, i, lo[k, i], hi[k, i])
                else:
                    V = receiver_values(x, S[k], width[k], sq[k], mu, r, P, Q, T, D, i, work[0])
                    new, ev, sender, clip = scholz_decision(EU, V, x, i, lo[k, i], hi[k, i])
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
def run_outcome(
    X0, c, S, width, sq, procedure, fixed_risk, Q, T, lo, hi, max_rounds, history, comp, med
):
    """Run to the stop like :func:`run_issues` and keep only the forecast; for ensembles.

    Same rounds, stop and cycle as :func:`run_issues`, without the event log: an
    issue whose positions did not change in a round will never change again (issues
    are independent and the model is deterministic), so it is copied, not recomputed.

    Parameters
    ----------
    X0, c, S, width, sq, procedure, fixed_risk, Q, T, lo, hi, max_rounds
        As for :func:`run_issues`.
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
    W, r, P, EU, D, work, iwork = _run_buffers(c, S)
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
            mu = prepare_into(
                x, S[k], width[k], sq[k], procedure, fixed_risk, Q, T, W[k], P, EU, r, D, work,
                iwork, False,
            )  # fmt: skip
            moved = False
            for i in range(n):
                if procedure == DESIGN:
                    new, ev, sender, clip = actor_decision(EU, x, i, lo[k, i], hi[k, i])
                else:
                    V = receiver_values(x, S[k], width[k], sq[k], mu, r, P, Q, T, D, i, work[0])
                    new, ev, sender, clip = scholz_decision(EU, V, x, i, lo[k, i], hi[k, i])
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
    final_forecast(history, rounds, stop, cycle, c, S, work[0], comp, med)  # work[0]: scratch
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
