"""KTAB's spatial model of politics (SMP): the kernel API.

docs/smp.md specifies the model step by step. Positions, saliences and red lines are on
[0, 1]; capabilities are used as given.

Layout, low to high (every function from :func:`distance` up is a numba kernel; option
codes are int64, see :func:`encode_options`):

* one state: :func:`state_utilities` (KTAB's ``setAllAUtil``: distances, inferred risk
  attitudes, every actor's estimate of every utility) and :func:`win_probabilities`;
* each actor's decisions, functions of the state arrays and the actor's index: its
  challenge (:func:`best_challenge`, from :func:`challenge_estimate`), its vote as a
  third party in another's challenge (:func:`third_party_vote`), the bargains it offers
  (:func:`propose`) and its choice among the bargains offered to it (:func:`choose`);
* :func:`run`, one whole run (arrays in, arrays out, per-state buffers preallocated to
  ``max_states + 1``), and :func:`run_batch`, R runs of one shape in parallel;
* :func:`simulate`, the Python entry point: checks, pre-draws the stochastic uniforms,
  calls :func:`run` and returns an :class:`SmpRun`.

Stochastic transitions read uniforms drawn beforehand (one per actor and step), so a run
never depends on threads. The Condorcet elections are :mod:`sim.kernels.pce`'s.
tests/reference_smp.py is the plain-Python reference the kernels are held to.

numba's cache stores :func:`run` and :func:`run_batch` with :mod:`sim.kernels.pce`'s code
compiled into them but invalidates them only when this file changes: after editing
``sim/kernels/pce.py``, delete ``sim/kernels/__pycache__/*.nb[ic]``. A cold compile takes
about 7 s for :func:`run` and 4.5 s more for :func:`run_batch` (benchmarks/README.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.kernels import jit, jit_parallel, pce, prange

OPTIONS: dict[str, tuple[str, ...]] = {
    "victory": ("Linear", "Square", "Quartic", "Octic", "Binary"),
    "vote_rule": ("Prop", "Binary", "PropBin", "PropCbc", "Cubic", "ASymProsp"),
    "pce": ("Conditional", "MarkovIncentive", "MarkovUniform"),
    "transitions": ("Deterministic", "Stochastic"),
    "big_r_range": ("Mid", "Min", "Max"),
    "big_r_adjust": ("OneThird", "None", "Half", "TwoThirds", "Full"),
    "third_party": ("SemiCommit", "NoCommit", "FullCommit"),
    "intervec": ("S2P2", "S1P1", "S2PMax"),
    "bargain_model": ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"),
}
"""Each option's values as KTAB spells them, KTAB's default first."""

TARGET = 0.02
"""KTAB's stopping target: the fractional change of a step against the first step."""
MAX_STATES = 100
"""KTAB's limit on the number of steps."""
MIN_STATES = 2
"""The stopping rule applies from this step on (KTAB's ``minIter``)."""
MIN_SIG_DELTA = 1e-4
"""Added to the first step's change in the fractional change (KTAB's ``minSigDelta``)."""


@dataclass(frozen=True)
class SmpRun:
    """One SMP run: S steps, S + 1 states (state 0 the input)."""

    positions: np.ndarray
    """(S + 1, n, d) float64 on [0, 1]."""
    probabilities: np.ndarray
    """(S + 1, n): each actor's probability of winning in each state."""
    risk: np.ndarray
    """(S + 1, n): the inferred risk attitudes in each state."""
    change: np.ndarray
    """(S,): the fractional change after each step against the first."""
    stopped: str
    """"converged" (KTAB's stopping rule) or "limit" (max_states reached)."""
    bargains: dict
    """One row per bargain proposed (1-D arrays of equal length k): "state" (the step
    1..S), "initiator", "receiver" (int64), "initiator_position", "receiver_position"
    ((k, d) float64), "probability" (the initiator's estimate of winning its challenge),
    "gain" (its estimated gain), "chosen_by_initiator", "chosen_by_receiver" (bool)."""
    chosen: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    """(S, n) int64: the row of ``bargains`` each actor took in each step, -1 for its
    status quo."""


# option codes: the position of each option in ``opts`` (int64); the values of
# victory, vote_rule, pce and big_r_range are sim.kernels.pce's codes, the others the
# position of the value in OPTIONS
O_VICTORY = 0
O_RULE = 1
O_PCE = 2
O_TRANSITIONS = 3
O_RANGE = 4
O_ADJUST = 5
O_THIRD = 6
O_INTERVEC = 7
O_BARGAIN = 8
_ORDER = (
    "victory", "vote_rule", "pce", "transitions", "big_r_range", "big_r_adjust",
    "third_party", "intervec", "bargain_model",
)  # fmt: skip
_CODES = {
    "victory": pce.VICTORY_NAMES,
    "vote_rule": pce.RULE_NAMES,
    "pce": pce.PCE_NAMES,
    "big_r_range": pce.RISK_NAMES,
}

STOCHASTIC = 1
ADJUST_ONE_THIRD, ADJUST_NONE, ADJUST_HALF, ADJUST_TWO_THIRDS, ADJUST_FULL = 0, 1, 2, 3, 4
SEMI_COMMIT, NO_COMMIT, FULL_COMMIT = 0, 1, 2
S2P2, S1P1, S2PMAX = 0, 1, 2
INIT_ONLY, INIT_RCVR, PW_COMP = 0, 1, 2

STOP_LIMIT = 0
STOP_CONVERGED = 1
STOP_NAMES = ("limit", "converged")
"""How a run stopped, by code."""

MIN_SIG_EDU = 1e-5
"""The smallest expected gain worth a challenge (KTAB's ``bestChallenge``)."""
MIN_CONTRIB = 1e-10
"""Each side's starting strength in a challenge (KTAB's ``probEduChlg``)."""
MIN_WEIGHT = 1e-6
"""The tilt of each side of a bargain toward its own position (``interpolateBrgn``)."""


def encode_options(options=None) -> np.ndarray:
    """The int64 codes (``opts``) of ``options`` ({name: value} over :data:`OPTIONS`,
    missing: the default), in the order of the ``O_*`` constants."""
    opts = check_options(options)
    out = np.empty(len(_ORDER), dtype=np.int64)
    for k, name in enumerate(_ORDER):
        names = _CODES.get(name, OPTIONS[name])
        out[k] = names.index(opts[name])
    return out


# ----------------------------------------------------------------- one state


@jit
def distance(ideal, y, sal):
    """Salience-weighted distance from ``ideal`` to ``y`` (KTAB's ``bvDiff``), on [0, 1]."""
    ds = 0.0
    ss = 0.0
    for k in range(ideal.shape[0]):
        dk = (ideal[k] - y[k]) * sal[k]
        ds += dk * dk
        ss += sal[k] * sal[k]
    return math.sqrt(ds / ss)


@jit
def estimated_risk(adjust, rh, ri):
    """h's estimate of i's risk attitude (KTAB's ``estNRA``)."""
    if adjust == ADJUST_FULL:
        return ri
    if adjust == ADJUST_TWO_THIRDS:
        return (rh + 2.0 * ri) / 3.0
    if adjust == ADJUST_HALF:
        return (rh + ri) / 2.0
    if adjust == ADJUST_ONE_THIRD:
        return (2.0 * rh + ri) / 3.0
    return rh


@jit
def state_utilities(opts, cap, sal, pos, vdiff, autil, risk):
    """KTAB's ``setAllAUtil``: ``vdiff[i, j]`` (i's distance to j's position), the inferred
    risk attitudes ``risk`` (n,) and ``autil[h, i, j]``, h's estimate of the utility to i of
    j's position (n, n, n)."""
    n = pos.shape[0]
    rn = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            vdiff[i, j] = distance(pos[i], pos[j], sal[i])
            rn[i, j] = pce.spatial_utility(vdiff[i, j], 0.0)
    p = np.empty(n)
    pce.scalar_pce(opts[O_RULE], opts[O_VICTORY], opts[O_PCE], cap, rn, p)
    pce.risk_from_probabilities(opts[O_RANGE], p, risk)
    for h in range(n):
        for i in range(n):
            rhi = estimated_risk(opts[O_ADJUST], risk[h], risk[i])
            for j in range(n):
                autil[h, i, j] = pce.spatial_utility(vdiff[i, j], rhi)


@jit
def same_position(pos, i, j):
    """Whether actors i and j hold one position (Euclidean distance below 1e-3)."""
    s = 0.0
    for k in range(pos.shape[1]):
        dk = pos[i, k] - pos[j, k]
        s += dk * dk
    return math.sqrt(s) < pce.POSITION_TOL


@jit
def win_probabilities(opts, cap, pos, autil, prob):
    """Each actor's probability of winning ``prob`` (n,): the election among the distinct
    positions (the first actor of each), each actor voting with its own utilities; an actor
    gets the probability of the last distinct position equal to its own (KTAB's
    ``pDist(-1)`` and ``posProb``)."""
    n = pos.shape[0]
    first = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        new = True
        for o in range(k):
            if same_position(pos, i, first[o]):
                new = False
                break
        if new:
            first[k] = i
            k += 1
    u = np.empty((n, k))
    for i in range(n):
        for o in range(k):
            u[i, o] = autil[i, i, first[o]]
    p = np.empty(k)
    pce.scalar_pce(opts[O_RULE], opts[O_VICTORY], opts[O_PCE], cap, u, p)
    for i in range(n):
        for o in range(k):
            if same_position(pos, i, first[o]):
                prob[i] = p[o]


# ----------------------------------------------------------------- challenges


@jit
def third_party_vote(opts, cap, stot, u, t, i, j, ci, cj):
    """Third party t's vote for i over j in i's challenge of j (KTAB's ``vProbLittle`` and
    ``thirdPartyVoteSU``), from the utilities ``u`` (n, n) of the actor who estimates it,
    given the principals' strengths ``ci``, ``cj``; positive: for i."""
    rule = opts[O_RULE]
    wt = stot[t] * cap[t]
    uti = u[t, i]
    utj = u[t, j]
    utt = u[t, t]
    v = pce.vote(rule, wt, uti, utj)
    cti = ci + v if v > 0.0 else ci
    ctj = cj - v if v < 0.0 else cj
    pin = cti / (cti + ctj)
    pjn = 1.0 - pin
    commit = opts[O_THIRD]
    if commit == FULL_COMMIT:
        u_ik_def_j = uti + uti + uti
        u_j_def_ik = utj + utj + utj
        u_i_def_jk = uti + uti + uti
        u_jk_def_i = utj + utj + utj
    elif commit == SEMI_COMMIT:
        u_ik_def_j = uti + uti + utt
        u_j_def_ik = utj + utj + utj
        u_i_def_jk = uti + uti + uti
        u_jk_def_i = utj + utj + utt
    else:
        u_ik_def_j = uti + uti + utt
        u_j_def_ik = utj + utj + utt
        u_i_def_jk = uti + uti + utt
        u_jk_def_i = utj + utj + utt
    u_join_i = pin * u_ik_def_j + pjn * u_j_def_ik
    u_join_j = pin * u_i_def_jk + pjn * u_jk_def_i
    return pce.vote(rule, wt, u_join_i, u_join_j)


@jit
def challenge_estimate(opts, cap, stot, autil, h, k, i, j):
    """h's estimate of the probability that i beats j and of k's expected gain if i
    challenges j (KTAB's ``probEduChlg(h, k, i, j)``)."""
    rule = opts[O_RULE]
    u = autil[h]
    eu_sq = u[k, i] + u[k, j]
    u_kij = u[k, i] + u[k, i]
    u_kji = u[k, j] + u[k, j]
    sj = stot[j]
    a_i = pce.vote(rule, stot[i] * cap[i], u[i, i], u[i, j])
    a_j = pce.vote(rule, sj * cap[j], u[j, i], u[j, j])
    chij = MIN_CONTRIB
    chji = MIN_CONTRIB
    if a_i > 0.0:
        chij += a_i
    if a_i < 0.0:
        chji -= a_i
    if a_j > 0.0:
        chij += a_j
    if a_j < 0.0:
        chji -= a_j
    ci = chij
    cj = chji
    for t in range(u.shape[0]):
        if t == i or t == j:
            continue
        v = third_party_vote(opts, cap, stot, u, t, i, j, ci, cj)
        if v > 0.0:
            chij += v
        if v < 0.0:
            chji -= v
    phij = chij / (chij + chji)
    phji = chji / (chij + chji)
    eu_cntst = phij * u_kij + phji * u_kji
    eu_chlg = (1.0 - sj) * u_kij + sj * eu_cntst
    return phij, eu_chlg - eu_sq


@jit
def best_challenge(opts, cap, stot, autil, i):
    """Actor i's challenge: ``(j, P[i beats j], expected gain)`` of the target of largest
    estimated gain above :data:`MIN_SIG_EDU` (the lowest j of equals), or ``(-1, 0, -1)``
    (KTAB's ``bestChallenge``)."""
    best_j = -1
    p_best = 0.0
    best_eu = -1.0
    for j in range(autil.shape[0]):
        if j == i:
            continue
        pij, edu = challenge_estimate(opts, cap, stot, autil, i, i, i, j)
        if MIN_SIG_EDU < edu and best_eu < edu:
            best_j = j
            p_best = pij
            best_eu = edu
    return best_j, p_best, best_eu


@jit
def _round4(x):
    return float(int(0.5 + x * 10000.0)) / 10000.0


@jit
def interpolate(code, xi, si, xj, sj, prb_i, prb_j, bi, bj):
    """The bargain between positions ``xi`` and ``xj`` (d,) of saliences ``si``, ``sj``
    with weights ``prb_i``, ``prb_j``: what i adopts into ``bi``, what j adopts into ``bj``
    (KTAB's ``interpolateBrgn``: S2P2, S1P1 or S2PMax)."""
    for k in range(xi.shape[0]):
        tik = xi[k]
        tjk = xj[k]
        sik = si[k]
        sjk = sj[k]
        if code == S2PMAX:
            di = prb_j - prb_i if prb_j > prb_i else 0.0
            dj = prb_i - prb_j if prb_i > prb_j else 0.0
            sik2 = sik * sik
            sjk2 = sjk * sjk
            dik = (di * sjk2) / ((di * sjk2) + MIN_WEIGHT + ((1.0 - di) * sik2))
            djk = (dj * sik2) / ((dj * sik2) + MIN_WEIGHT + ((1.0 - dj) * sjk2))
            bi[k] = tik + dik * (tjk - tik)
            bj[k] = tjk + djk * (tik - tjk)
        else:
            if code == S2P2:
                wik = (sik * sik) * (prb_i * prb_i)
                wjk = (sjk * sjk) * (prb_j * prb_j)
            else:
                wik = sik * prb_i
                wjk = sjk * prb_j
            den = wik + MIN_WEIGHT + wjk
            bi[k] = _round4(((wik + MIN_WEIGHT) * tik + wjk * tjk) / den)
            bj[k] = _round4((wik * tik + (MIN_WEIGHT + wjk) * tjk) / den)


@jit
def _copy(src, dst):
    for k in range(src.shape[0]):
        dst[k] = src[k]


@jit
def _clip(x, lo, hi):
    for k in range(x.shape[0]):
        x[k] = min(max(x[k], lo[k]), hi[k])


@jit
def propose(opts, cap, sal, stot, pos, lo, hi, autil, i, j, p, b_ipos, b_rpos, row):
    """The bargains of i's challenge of j (i's estimate ``p`` that it wins) offered under
    the bargain model, written from row ``row`` of ``b_ipos`` (what i adopts) and
    ``b_rpos`` (what j adopts), clipped into each one's red lines; returns how many (1 or
    2). KTAB's ``doBCN(i)``, with its receiver's view from j's estimate of i's gain and
    its compromise weighing j with i's capability (docs/smp.md, step 9)."""
    d = pos.shape[1]
    code = opts[O_INTERVEC]
    model = opts[O_BARGAIN]
    count = 1
    if model == INIT_ONLY:
        interpolate(code, pos[i], sal[i], pos[j], sal[j], p, 1.0 - p, b_ipos[row], b_rpos[row])
    else:
        pj = challenge_estimate(opts, cap, stot, autil, j, i, i, j)[1]
        if model == INIT_RCVR:
            interpolate(code, pos[i], sal[i], pos[j], sal[j], p, 1.0 - p, b_ipos[row],
                        b_rpos[row])  # fmt: skip
            interpolate(code, pos[i], sal[i], pos[j], sal[j], pj, 1.0 - pj, b_ipos[row + 1],
                        b_rpos[row + 1])  # fmt: skip
            count = 2
        else:
            bi = np.empty(d)
            bj = np.empty(d)
            ri = np.empty(d)
            rj = np.empty(d)
            interpolate(code, pos[i], sal[i], pos[j], sal[j], p, 1.0 - p, bi, bj)
            interpolate(code, pos[i], sal[i], pos[j], sal[j], pj, 1.0 - pj, ri, rj)
            wi = cap[i] * stot[i]
            wj = cap[i] * stot[j]
            for k in range(d):
                b_ipos[row, k] = (wi * bi[k] + wj * ri[k]) / (wi + wj)
                b_rpos[row, k] = (wi * bj[k] + wj * rj[k]) / (wi + wj)
    for r in range(row, row + count):
        _clip(b_ipos[r], lo[i], hi[i])
        _clip(b_rpos[r], lo[j], hi[j])
    return count


@jit
def bargains(opts, cap, sal, stot, pos, lo, hi, autil, b_init, b_rcvr, b_ipos, b_rpos, b_prob,
             b_gain):  # fmt: skip
    """Every actor's challenge and the bargains offered for it, in the order of the
    initiators (rows of the ``b_*`` arrays, at least 2n); returns the number of rows."""
    n = pos.shape[0]
    rows = 0
    for i in range(n):
        j, p, gain = best_challenge(opts, cap, stot, autil, i)
        if j < 0:
            continue
        count = propose(opts, cap, sal, stot, pos, lo, hi, autil, i, j, p, b_ipos, b_rpos, rows)
        for r in range(rows, rows + count):
            b_init[r] = i
            b_rcvr[r] = j
            b_prob[r] = p
            b_gain[r] = gain
        rows += count
    return rows


@jit
def position_utility(sal, pos, risk, a, y):
    """The utility to actor a of position ``y`` (d,), with its own risk attitude."""
    return pce.spatial_utility(distance(pos[a], y, sal[a]), risk[a])


@jit
def choose(opts, cap, sal, pos, risk, autil, k, b_init, b_rcvr, b_ipos, b_rpos, rows, draw,
           queue, probs):  # fmt: skip
    """Actor k's choice among its status quo and the bargains it is party to (the first
    ``rows`` rows of the ``b_*`` arrays): all actors vote on them (KTAB's
    ``updateBestBrgnPositions(k)``). ``queue`` (at least 2n + 1) receives the row of each
    option (-1: the status quo, first), ``probs`` their probabilities; ``draw`` (on [0, 1))
    is read under Stochastic transitions only. Returns the number of options and the
    position in ``queue`` of the one k takes."""
    n = pos.shape[0]
    nq = 1
    queue[0] = -1
    for r in range(rows):
        if b_init[r] == k or b_rcvr[r] == k:
            queue[nq] = r
            nq += 1
    u = np.empty((n, nq))
    for a in range(n):
        sq = 0.0
        for x in range(n):
            sq += autil[a, a, x]
        u[a, 0] = sq / n
        for q in range(1, nq):
            r = queue[q]
            i = b_init[r]
            j = b_rcvr[r]
            total = position_utility(sal, pos, risk, a, b_ipos[r])
            total += position_utility(sal, pos, risk, a, b_rpos[r])
            for x in range(n):
                if x != i and x != j:
                    total += autil[a, a, x]
            u[a, q] = total / n
    p = probs[:nq]
    pce.scalar_pce(opts[O_RULE], opts[O_VICTORY], opts[O_PCE], cap, u, p)
    if opts[O_TRANSITIONS] == STOCHASTIC:
        best = nq - 1
        acc = 0.0
        for q in range(nq):
            acc += p[q]
            if draw <= acc:
                best = q
                break
    else:
        best = 0
        top = -1.0
        for q in range(nq):
            if top < abs(p[q]):
                best = q
                top = abs(p[q])
    return nq, best


# ----------------------------------------------------------------- whole runs


@jit
def _moved(a, b):
    total = 0.0
    for i in range(a.shape[0]):
        s = 0.0
        for k in range(a.shape[1]):
            dk = a[i, k] - b[i, k]
            s += dk * dk
        total += math.sqrt(s)
    return total


@jit
def run(cap, position, sal, lo, hi, opts, draws, max_states, positions, probabilities, risk,
        change, b_count, b_init, b_rcvr, b_ipos, b_rpos, b_prob, b_gain, chosen):  # fmt: skip
    """One whole SMP run. Inputs: ``cap`` (n,), ``position``, ``sal``, ``lo``, ``hi``
    (n, d) float64 on [0, 1] (positions are clipped into [lo, hi]); ``opts`` (9,) int64
    (:func:`encode_options`); ``draws`` (max_states, n) float64 uniforms, step by step
    and actor by actor, read under Stochastic transitions only (else (0, n)).

    Outputs, per state t (max_states + 1 rows): ``positions`` (., n, d),
    ``probabilities`` (., n), ``risk`` (., n); per step (max_states rows): ``change``,
    ``b_count`` (int64: number of bargains), ``b_init``, ``b_rcvr`` (., 2n) int64,
    ``b_ipos``, ``b_rpos`` (., 2n, d), ``b_prob``, ``b_gain`` (., 2n), ``chosen`` (., n)
    int64 (the bargain row each actor took in that step, -1: its status quo).

    Returns ``(S, stop)``: the number of steps (S + 1 states) and :data:`STOP_NAMES`'s code.
    """
    n, d = position.shape
    stot = np.zeros(n)
    for i in range(n):
        for k in range(d):
            stot[i] += sal[i, k]
    vdiff = np.empty((n, n))
    autil = np.empty((n, n, n))
    queue = np.empty(2 * n + 1, dtype=np.int64)
    probs = np.empty(2 * n + 1)
    for i in range(n):
        for k in range(d):
            positions[0, i, k] = min(max(position[i, k], lo[i, k]), hi[i, k])
    state_utilities(opts, cap, sal, positions[0], vdiff, autil, risk[0])
    win_probabilities(opts, cap, positions[0], autil, probabilities[0])
    stop = STOP_LIMIT
    t = 0
    d01 = 0.0
    while True:
        t += 1
        pos = positions[t - 1]
        nxt = positions[t]
        rows = bargains(opts, cap, sal, stot, pos, lo, hi, autil, b_init[t - 1], b_rcvr[t - 1],
                        b_ipos[t - 1], b_rpos[t - 1], b_prob[t - 1], b_gain[t - 1])  # fmt: skip
        b_count[t - 1] = rows
        for k in range(n):
            draw = draws[t - 1, k] if opts[O_TRANSITIONS] == STOCHASTIC else 0.0
            nq, best = choose(opts, cap, sal, pos, risk[t - 1], autil, k, b_init[t - 1],
                              b_rcvr[t - 1], b_ipos[t - 1], b_rpos[t - 1], rows, draw, queue,
                              probs)  # fmt: skip
            r = queue[best]
            chosen[t - 1, k] = r
            if r < 0:
                _copy(pos[k], nxt[k])
            elif b_init[t - 1, r] == k:
                _copy(b_ipos[t - 1, r], nxt[k])
            else:
                _copy(b_rpos[t - 1, r], nxt[k])
        state_utilities(opts, cap, sal, nxt, vdiff, autil, risk[t])
        win_probabilities(opts, cap, nxt, autil, probabilities[t])
        if t == 1:
            d01 = _moved(positions[0], positions[1]) + MIN_SIG_DELTA
        change[t - 1] = _moved(nxt, pos) / d01
        if max_states <= t:
            break
        if MIN_STATES <= t and change[t - 1] < TARGET:
            stop = STOP_CONVERGED
            break
    return t, stop


def buffers(n, d, max_states):
    """The output arrays of :func:`run` for n actors, d dimensions and ``max_states``."""
    m = max_states
    return (
        np.empty((m + 1, n, d)),
        np.empty((m + 1, n)),
        np.empty((m + 1, n)),
        np.empty(m),
        np.zeros(m, dtype=np.int64),
        np.empty((m, 2 * n), dtype=np.int64),
        np.empty((m, 2 * n), dtype=np.int64),
        np.empty((m, 2 * n, d)),
        np.empty((m, 2 * n, d)),
        np.empty((m, 2 * n)),
        np.empty((m, 2 * n)),
        np.empty((m, n), dtype=np.int64),
    )


@jit
def _batch_one(capability, position, salience, lo, hi, opts, draws, max_states,
               final_position, final_probability, n_states, stop):  # fmt: skip
    """One run of :func:`run_batch`, on its own rows (``n_states`` and ``stop`` of length
    1)."""
    n, d = position.shape
    m = max_states
    positions = np.empty((m + 1, n, d))
    probabilities = np.empty((m + 1, n))
    risk = np.empty((m + 1, n))
    change = np.empty(m)
    b_count = np.zeros(m, dtype=np.int64)
    b_init = np.empty((m, 2 * n), dtype=np.int64)
    b_rcvr = np.empty((m, 2 * n), dtype=np.int64)
    b_ipos = np.empty((m, 2 * n, d))
    b_rpos = np.empty((m, 2 * n, d))
    b_prob = np.empty((m, 2 * n))
    b_gain = np.empty((m, 2 * n))
    chosen = np.empty((m, n), dtype=np.int64)
    t, s = run(capability, position, salience, lo, hi, opts, draws, m, positions,
               probabilities, risk, change, b_count, b_init, b_rcvr, b_ipos, b_rpos, b_prob,
               b_gain, chosen)  # fmt: skip
    for i in range(n):
        final_probability[i] = probabilities[t, i]
        for k in range(d):
            final_position[i, k] = positions[t, i, k]
    n_states[0] = t + 1
    stop[0] = s


@jit_parallel
def run_batch(capability, position, salience, lo, hi, opts, draws, max_states, final_position,
              final_probability, n_states, stop):  # fmt: skip
    """R independent SMP runs of the same shape, in parallel (``prange``); each run writes
    only its own rows, so results do not depend on the thread count and equal :func:`run`'s
    bit for bit.

    Parameters
    ----------
    capability : (R, n) float64, > 0
    position, salience : (R, n, d) float64 on [0, 1]
        Each run's positions (clipped into [lo, hi]) and saliences (each actor's summing
        to more than 0; :func:`check_inputs` holds what :func:`simulate` checks).
    lo, hi : (n, d) float64
        Red lines, shared by all runs.
    opts : (9,) int64
        :func:`encode_options`.
    draws : (R, max_states, n) float64
        Each run's uniforms on [0, 1) under Stochastic transitions (what :func:`simulate`
        takes from its rng: ``rng.random((max_states, n))``); (R, 0, n) otherwise.
    max_states : int
    final_position : (R, n, d) float64, output
        Each run's positions in its last state.
    final_probability : (R, n) float64, output
        Each actor's probability of winning in the last state.
    n_states : (R,) int64, output
        Each run's number of states (steps + 1).
    stop : (R,) int64, output
        How each run stopped (:data:`STOP_NAMES`: 0 limit, 1 converged).
    """
    for r in prange(position.shape[0]):
        _batch_one(capability[r], position[r], salience[r], lo, hi, opts, draws[r], max_states,
                   final_position[r], final_probability[r], n_states[r : r + 1],
                   stop[r : r + 1])  # fmt: skip


def _as_array(name, value, shape):
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, not {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _unit(name, arr):
    if np.any(arr < 0.0) or np.any(arr > 1.0):
        raise ValueError(f"{name} must lie in [0, 1]")


def check_inputs(capability, position, salience, lo=None, hi=None):
    """The inputs of :func:`simulate` as float64 arrays, checked (ValueError naming the
    argument): capability (n,) > 0; position, salience, lo, hi (n, d) on [0, 1]; each
    actor's saliences summing to more than 0; lo <= hi. Positions are clipped into
    [lo, hi].

    KTAB also requires each actor's saliences to sum to at most 1 (the sum is the
    probability that the actor resists a challenge, docs/smp.md step 8); larger sums are
    accepted here (several issues taken as one space) and enter the formulas as they stand:
    ``1 - S_j`` is then negative."""
    pos = np.ascontiguousarray(position, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[0] < 2 or pos.shape[1] < 1:
        raise ValueError(f"position must be (n, d) with n >= 2 and d >= 1, not {pos.shape}")
    n, d = pos.shape
    cap = _as_array("capability", capability, (n,))
    if np.any(cap <= 0.0):
        raise ValueError("capability must be positive")
    pos = _as_array("position", pos, (n, d))
    sal = _as_array("salience", salience, (n, d))
    _unit("position", pos)
    _unit("salience", sal)
    if np.any(sal.sum(axis=1) <= 0.0):
        raise ValueError("each actor's saliences must sum to more than 0")
    lo = np.zeros((n, d)) if lo is None else _as_array("lo", lo, (n, d))
    hi = np.ones((n, d)) if hi is None else _as_array("hi", hi, (n, d))
    _unit("lo", lo)
    _unit("hi", hi)
    if np.any(lo > hi):
        raise ValueError("lo must not exceed hi")
    pos = np.minimum(np.maximum(pos, lo), hi)
    return cap, pos, sal, lo, hi


def check_options(options):
    """``options`` ({name: value} over :data:`OPTIONS`) completed with the defaults;
    ValueError for an unknown name or value."""
    opts = {name: values[0] for name, values in OPTIONS.items()}
    for name, value in (options or {}).items():
        if name not in OPTIONS:
            raise ValueError(f"unknown SMP option {name!r}; expected one of {list(OPTIONS)}")
        if value not in OPTIONS[name]:
            raise ValueError(f"SMP option {name} must be one of {OPTIONS[name]}, not {value!r}")
        opts[name] = value
    return opts


def simulate(
    capability, position, salience, lo=None, hi=None, options=None, rng=None,
    max_states=MAX_STATES,
):  # fmt: skip
    """Run KTAB's SMP from the given state until its stopping rule or ``max_states`` steps.

    capability (n,) > 0; position, salience (n, d) on [0, 1]; lo, hi (n, d) on [0, 1]: each
    actor's red lines per dimension (None: [0, 1]); positions and bargains are clipped into
    them. options: {name: value} over :data:`OPTIONS` (missing: the default). rng: a numpy
    Generator, needed only with transitions="Stochastic" (ValueError otherwise if missing);
    its draws (``rng.random((max_states, n))``, step by step, actor by actor) are taken up
    front into an array the kernel reads, so results do not depend on threads.
    """
    cap, pos, sal, lo, hi = check_inputs(capability, position, salience, lo, hi)
    opts = encode_options(options)
    max_states = int(max_states)
    if max_states < 1:
        raise ValueError("max_states must be at least 1")
    n, d = pos.shape
    if opts[O_TRANSITIONS] == STOCHASTIC:
        if rng is None:
            raise ValueError('transitions="Stochastic" needs an rng (a numpy Generator)')
        draws = np.ascontiguousarray(rng.random((max_states, n)))
    else:
        draws = np.zeros((0, n))
    out = buffers(n, d, max_states)
    steps, stop = run(cap, pos, sal, lo, hi, opts, draws, max_states, *out)
    return _result(steps, stop, out)


def _result(steps, stop, out):
    positions, probabilities, risk, change, b_count, b_init, b_rcvr, b_ipos, b_rpos = out[:9]
    b_prob, b_gain, chosen = out[9:]
    counts = b_count[:steps]
    keep = np.arange(b_init.shape[1])[None, :] < counts[:, None]  # (S, 2n) rows in use
    offset = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows = np.where(chosen[:steps] >= 0, chosen[:steps] + offset[:, None], -1)
    init = b_init[:steps][keep]
    rcvr = b_rcvr[:steps][keep]
    by_init = np.zeros(init.shape[0], dtype=bool)
    by_rcvr = np.zeros(init.shape[0], dtype=bool)
    for k in range(rows.shape[1]):
        took = rows[:, k][rows[:, k] >= 0]
        by_init[took[init[took] == k]] = True
        by_rcvr[took[rcvr[took] == k]] = True
    table = {
        "state": np.repeat(np.arange(1, steps + 1, dtype=np.int64), counts),
        "initiator": init,
        "receiver": rcvr,
        "initiator_position": b_ipos[:steps][keep],
        "receiver_position": b_rpos[:steps][keep],
        "probability": b_prob[:steps][keep],
        "gain": b_gain[:steps][keep],
        "chosen_by_initiator": by_init,
        "chosen_by_receiver": by_rcvr,
    }
    return SmpRun(
        positions=positions[: steps + 1].copy(),
        probabilities=probabilities[: steps + 1].copy(),
        risk=risk[: steps + 1].copy(),
        change=change[:steps].copy(),
        stopped=STOP_NAMES[stop],
        bargains=table,
        chosen=rows,
    )
