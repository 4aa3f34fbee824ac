"""Probabilistic Condorcet elections (PCE), after KTAB's ``KBase::Model`` (KAPSARC).

Options are compared in pairs. In the contest of option i against option j every actor k
votes ``v_k(i:j)`` by a voting rule from its utilities of the two options and its weight;
the positive votes form the coalition for i, the negative ones the coalition for j; a
victory-probability model turns the two coalitions' strengths into ``P[i > j]``; a PCE model
turns the matrix of pairwise probabilities into each option's probability of winning.
docs/condorcet.md gives the equations and their sources.

Codes, as in KTAB's enums (``VotingRule``, ``VPModel``, ``PCEModel``, ``BigRRange``):

* voting rules `RULE_NAMES`: Binary, PropBin, Prop, PropCbc, Cubic, ASymProsp;
* victory models `VICTORY_NAMES`: Linear, Square, Quartic, Octic, Binary;
* PCE models `PCE_NAMES`: Conditional, MarkovIncentive, MarkovUniform;
* risk ranges `RISK_NAMES`: Min, Mid, Max (KTAB's ``bigRfromProb``) and Neutral (no
  inferred risk attitudes; sim's own option).

All kernels take float64 arrays and int64 codes, and write into arrays they are given.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import jit

RULE_BINARY = 0
RULE_PROPBIN = 1
RULE_PROP = 2
RULE_PROPCBC = 3
RULE_CUBIC = 4
RULE_ASYMPROSP = 5
RULE_NAMES = ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp")
"""KTAB's ``VotingRuleNames``, in code order."""

VICTORY_LINEAR = 0
VICTORY_SQUARE = 1
VICTORY_QUARTIC = 2
VICTORY_OCTIC = 3
VICTORY_BINARY = 4
VICTORY_NAMES = ("Linear", "Square", "Quartic", "Octic", "Binary")
"""KTAB's ``VPModelNames``, in code order."""

PCE_CONDITIONAL = 0
PCE_MARKOV_INCENTIVE = 1
PCE_MARKOV_UNIFORM = 2
PCE_NAMES = ("Conditional", "MarkovIncentive", "MarkovUniform")
"""KTAB's ``PCEModelNames``, in code order."""

RISK_MIN = 0
RISK_MID = 1
RISK_MAX = 2
RISK_NEUTRAL = 3
RISK_NAMES = ("Min", "Mid", "Max", "Neutral")
"""KTAB's ``BigRRangeNames`` and ``Neutral`` (every actor risk neutral)."""

BINARY_TOL = 1e-8
"""Utility difference at which the binary vote reaches its full size (KTAB's ``sTol``)."""
PROPBIN_SHARE = 0.2
"""Share of the binary response in PropBin (KTAB's ``rbp``)."""
PROPCBC_SHARE = 0.5
"""Share of the cubic response in PropCbc (KTAB's ``rpc``)."""
ASYM_GAIN = 2.0 / 3.0
"""Size of the ASymProsp vote for a gain relative to a loss."""
BINARY_THRESHOLD = 1.10
"""Strength ratio at which the Binary victory model gives certain victory."""
BINARY_MIN = 1e-6
"""The loser's weight under the Binary victory model past the threshold (KTAB's ``minX``)."""
MIN_COALITION = 1e-8
"""Every coalition's starting strength, and the diagonal's (KTAB's ``minC``)."""
EPS_SUPPORT = 1e-10
"""Added to each option's incentive to challenge itself (KTAB's ``epsSupport``)."""
UNIFORM_TOL = 1e-6
"""The Markov-uniform iteration stops when no probability changes by more (KTAB's)."""
INCENTIVE_TOL = 1e-8
"""The Markov-incentive iteration stops when no probability changes by more (KTAB's)."""
MAX_ITER = 100_000
"""The Markov iterations stop after this many steps whatever the change."""
POSITION_TOL = 1e-3
"""Positions closer than this on [0, 1] are one option (KTAB's SMP ``posTol``)."""


@jit
def vote(rule, w, ui, uj):
    """The vote of an actor of weight ``w`` in the contest of i against j, given its
    utilities ``ui`` and ``uj`` of them (positive: for i)."""
    du = ui - uj
    r_bin = du / BINARY_TOL
    if r_bin > 1.0:
        r_bin = 1.0
    if r_bin < -1.0:
        r_bin = -1.0
    r_cubic = du * du * du
    if rule == RULE_BINARY:
        return w * r_bin
    if rule == RULE_PROPBIN:
        return w * ((1.0 - PROPBIN_SHARE) * du + PROPBIN_SHARE * r_bin)
    if rule == RULE_PROP:
        return w * du
    if rule == RULE_PROPCBC:
        return w * ((1.0 - PROPCBC_SHARE) * du + PROPCBC_SHARE * r_cubic)
    if rule == RULE_CUBIC:
        return w * r_cubic
    # ASymProsp
    if du < 0.0:
        return w * du
    if du > 0.0:
        return (2.0 * w * du) / 3.0
    return 0.0


@jit
def victory(model, s1, s2):
    """``(P[1 wins], P[2 wins])`` of coalitions of strengths ``s1`` and ``s2``."""
    if model == VICTORY_LINEAR:
        x1 = s1
        x2 = s2
    elif model == VICTORY_SQUARE:
        x1 = s1 * s1
        x2 = s2 * s2
    elif model == VICTORY_QUARTIC:
        x1 = (s1 * s1) * (s1 * s1)
        x2 = (s2 * s2) * (s2 * s2)
    elif model == VICTORY_OCTIC:
        q1 = (s1 * s1) * (s1 * s1)
        q2 = (s2 * s2) * (s2 * s2)
        x1 = q1 * q1
        x2 = q2 * q2
    else:  # Binary: certain past a 10% advantage, linear in the share in between
        if s1 >= BINARY_THRESHOLD * s2:
            x1 = 1.0
            x2 = BINARY_MIN
        elif s2 >= BINARY_THRESHOLD * s1:
            x1 = BINARY_MIN
            x2 = 1.0
        else:
            r12 = s1 / (s1 + s2)
            p12 = (r12 * (BINARY_THRESHOLD + 1.0) - 1.0) / (BINARY_THRESHOLD - 1.0)
            x1 = p12
            x2 = 1.0 - p12
    return x1 / (x1 + x2), x2 / (x1 + x2)


@jit
def coalitions(rule, w, u, c):
    """Coalition strengths ``c[i, j]`` (k, k) for option i against j: ``MIN_COALITION``
    plus the positive votes ``v_a(i:j)`` of the actors ``a``, weights ``w`` (n,) and
    utilities ``u[a, option]`` (n, k); the diagonal is ``MIN_COALITION``."""
    n, k = u.shape
    for i in range(k):
        for j in range(i):
            cij = MIN_COALITION
            cji = MIN_COALITION
            for a in range(n):
                v = vote(rule, w[a], u[a, i], u[a, j])
                if v > 0.0:
                    cij += v
                if v < 0.0:
                    cji -= v
            c[i, j] = cij
            c[j, i] = cji
        c[i, i] = MIN_COALITION


@jit
def victory_matrix(model, c, pv):
    """``pv[i, j] = P[i beats j]`` (k, k) from the coalition strengths ``c``; 1/2 on the
    diagonal."""
    k = c.shape[0]
    for i in range(k):
        for j in range(i):
            pij, pji = victory(model, c[i, j], c[j, i])
            pv[i, j] = pij
            pv[j, i] = pji
        pv[i, i] = 0.5


@jit
def conditional_pce(pv, p):
    """Each option's probability of beating all others, conditional on one doing so."""
    k = pv.shape[0]
    total = 0.0
    for i in range(k):
        pi = 1.0
        for j in range(k):
            pi *= pv[i, j]
        p[i] = pi
        total += pi
    for i in range(k):
        p[i] = p[i] / total


@jit
def markov_uniform_pce(pv, p):
    """The stationary distribution of the Markov chain in which a uniformly drawn option
    challenges the current one and wins with ``pv``; returns the steps taken."""
    k = pv.shape[0]
    q = np.empty(k)
    for i in range(k):
        p[i] = 1.0 / k
    steps = 0
    change = 1.0
    while change > UNIFORM_TOL and steps < MAX_ITER:
        change = 0.0
        for i in range(k):
            s = 0.0
            for j in range(k):
                s += pv[i, j] * (p[i] + p[j])
            q[i] = s / k
            d = abs(q[i] - p[i])
            if d > change:
                change = d
        for i in range(k):
            p[i] = (p[i] + q[i]) / 2.0
        steps += 1
    return steps


@jit
def challenge_matrix(c, pv, chlg):
    """``chlg[i, j]``: the probability that i challenges j when j is the favourite, in
    proportion to the incentive ``c[i, j] pv[i, j]`` (plus ``EPS_SUPPORT`` when i = j)."""
    k = c.shape[0]
    for j in range(k):
        total = 0.0
        for i in range(k):
            inc = c[i, j] * pv[i, j]
            if i == j:
                inc += EPS_SUPPORT
            chlg[i, j] = inc
            total += inc
        for i in range(k):
            chlg[i, j] = chlg[i, j] / total


@jit
def markov_incentive_pce(c, pv, p):
    """The stationary distribution of the Markov chain in which options challenge the
    current one in proportion to their incentive (`challenge_matrix`) and win with ``pv``;
    returns the steps taken."""
    k = c.shape[0]
    chlg = np.empty((k, k))
    challenge_matrix(c, pv, chlg)
    q = np.empty(k)
    for i in range(k):
        p[i] = 1.0 / k
    steps = 0
    change = 1.0
    while change > INCENTIVE_TOL and steps < MAX_ITER:
        change = 0.0
        for i in range(k):
            s = 0.0
            for j in range(k):
                # ct[i, j] = p[i] chlg[j, i]: i is the favourite and j challenges it
                s += pv[i, j] * (p[i] * chlg[j, i] + p[j] * chlg[i, j])
            q[i] = s
            d = abs(q[i] - p[i])
            if d > change:
                change = d
        for i in range(k):
            p[i] = (p[i] + q[i]) / 2.0
        steps += 1
    return steps


@jit
def election(pce, model, c, pv, p):
    """Each option's probability of winning ``p`` (k,) from the coalitions ``c`` by the PCE
    model ``pce`` and victory model ``model``; fills ``pv`` with the victory matrix."""
    victory_matrix(model, c, pv)
    if pce == PCE_CONDITIONAL:
        conditional_pce(pv, p)
    elif pce == PCE_MARKOV_INCENTIVE:
        markov_incentive_pce(c, pv, p)
    else:
        markov_uniform_pce(pv, p)


@jit
def scalar_pce(rule, model, pce, w, u, p):
    """KTAB's ``scalarPCE``: the election among k options of actors of weights ``w`` (n,)
    with utilities ``u`` (n, k); each option's probability of winning into ``p`` (k,)."""
    k = u.shape[1]
    c = np.empty((k, k))
    pv = np.empty((k, k))
    coalitions(rule, w, u, c)
    election(pce, model, c, pv, p)


@jit
def risk_from_probabilities(risk, p, r):
    """Risk attitudes ``r`` from the actors' probabilities ``p`` (KTAB's ``bigRfromProb``):
    Min maps [pmin, pmax] onto [0, 1], Mid onto [-1/2, 1], Max onto [-1, 1]; all zero for
    Neutral or when every probability is the same."""
    n = p.shape[0]
    lo = p[0]
    hi = p[0]
    for i in range(n):
        lo = min(lo, p[i])
        hi = max(hi, p[i])
    for i in range(n):
        if risk == RISK_NEUTRAL or hi - lo <= 0.0:
            r[i] = 0.0
        elif risk == RISK_MIN:
            r[i] = (p[i] - lo) / (hi - lo)
        elif risk == RISK_MID:
            r[i] = (3.0 * p[i] - (hi + 2.0 * lo)) / (2.0 * (hi - lo))
        else:
            r[i] = (2.0 * p[i] - (hi + lo)) / (hi - lo)


@jit
def spatial_utility(d, r):
    """KTAB's SMP utility of a position at distance ``d`` (on [0, 1]) to an actor of risk
    attitude ``r``: ``(1 - d)(1 + d r)`` (``(1 - d)(1 + r)`` past 1)."""
    if d <= 1.0:
        return (1.0 - d) * (1.0 + d * r)
    return (1.0 - d) * (1.0 + r)


@jit
def issue_election(rule, model, pce, risk, x, w, prob):
    """The election among the actors' positions ``x`` (n,) on one issue (on [0, 1]), actors
    of weights ``w`` (n,), as KTAB's SMP ``pDist``: a first election of all n positions with
    risk-neutral utilities ``1 - |x_a - x_j|`` gives the risk attitudes; the election among
    the distinct positions (closer than ``POSITION_TOL``: one option, the first actor's)
    with each actor's risk-aware utility gives each option's probability.

    ``prob[a]``: the probability of the option actor a holds. Returns ``(mean, mode)``: the
    probability-weighted position and the position of the most likely option (the first of
    equals), on [0, 1]."""
    n = x.shape[0]
    u = np.empty((n, n))
    for a in range(n):
        for j in range(n):
            u[a, j] = 1.0 - abs(x[a] - x[j])
    p_all = np.empty(n)
    r = np.zeros(n)
    if risk != RISK_NEUTRAL:
        scalar_pce(rule, model, pce, w, u, p_all)
        risk_from_probabilities(risk, p_all, r)
    # distinct positions: each actor's option, each option's first actor
    option = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    k = 0
    for a in range(n):
        found = -1
        for o in range(k):
            if abs(x[a] - x[first[o]]) < POSITION_TOL:
                found = o
                break
        if found < 0:
            first[k] = a
            option[a] = k
            k += 1
        else:
            option[a] = found
    uo = np.empty((n, k))
    for a in range(n):
        for o in range(k):
            uo[a, o] = spatial_utility(abs(x[a] - x[first[o]]), r[a])
    p = np.empty(k)
    scalar_pce(rule, model, pce, w, uo, p)
    mean = 0.0
    best = 0
    for o in range(k):
        mean += p[o] * x[first[o]]
        if p[o] > p[best]:
            best = o
    for a in range(n):
        prob[a] = p[option[a]]
    return mean, x[first[best]]


@jit
def elections(rule, model, pce, risk, X, W, mean, mode, prob):
    """`issue_election` of every problem and issue: positions ``X`` (R, m, n) on [0, 1],
    weights ``W`` (R, m, n); ``mean``, ``mode`` (R, m) and ``prob`` (R, m, n) are written."""
    R, m, n = X.shape
    for s in range(R):
        for i in range(m):
            mu, mo = issue_election(rule, model, pce, risk, X[s, i], W[s, i], prob[s, i])
            mean[s, i] = mu
            mode[s, i] = mo
