"""KTAB's spatial model of politics (SMP): the kernel API.

docs/smp.md specifies the model step by step. Positions, saliences and red lines are on
[0, 1]; capabilities are used as given.

This first version computes the run in plain Python (a port of the project's reference,
``tests/reference_smp.py``); the numba kernel replaces it behind the same API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

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

_REF_NAMES = {
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


# ---- the plain-Python port

VOTING_RULES = ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp")
VICT_PROB_MODELS = ("Linear", "Square", "Quartic", "Octic", "Binary")
PCE_MODELS = ("Conditional", "MarkovIncentive", "MarkovUniform")
STATE_TRANSITIONS = ("Deterministic", "Stochastic")
BIG_R_RANGES = ("Min", "Mid", "Max")
BIG_R_ADJUSTS = ("None", "OneThird", "Half", "TwoThirds", "Full")
THIRD_PARTY_COMMITS = ("NoCommit", "SemiCommit", "FullCommit")
INTER_VEC_BRGNS = ("S1P1", "S2P2", "S2PMax")
BARGAIN_MODELS = ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")

POS_TOL = 1e-3  # SMPModel::posTol: positions closer than this (Euclidean, 0-1) are equal
MIN_SIG_EDU = 1e-5  # SMPState::bestChallenge: smallest expected gain worth a challenge


# ----------------------------------------------------------------- kmodel.cpp


def vote(rule, w, u_i, u_j):
    """Model::vote: actor of weight w voting between options of utility u_i and u_j."""
    if w <= 0.0:
        raise ValueError("voting weight must be positive")
    du = u_i - u_j
    r_bin = max(-1.0, min(1.0, du / 1e-8))
    if rule == "Binary":
        return w * r_bin
    if rule == "PropBin":
        return w * (0.8 * du + 0.2 * r_bin)
    if rule == "Prop":
        return w * du
    if rule == "PropCbc":
        return w * (0.5 * du + 0.5 * du * du * du)
    if rule == "Cubic":
        return w * du * du * du
    if rule == "ASymProsp":
        if du < 0.0:
            return w * du
        if du > 0.0:
            return 2.0 * w * du / 3.0
        return 0.0
    raise ValueError(f"unknown voting rule {rule!r}")


def vict_prob_pair(model, s1, s2):
    """Model::vProb(vpm, s1, s2): probability that strength s1 beats s2, and the reverse."""
    if model == "Linear":
        x1, x2 = s1, s2
    elif model == "Square":
        x1, x2 = s1 * s1, s2 * s2
    elif model == "Quartic":
        x1, x2 = (s1 * s1) * (s1 * s1), (s2 * s2) * (s2 * s2)
    elif model == "Octic":
        q1, q2 = (s1 * s1) * (s1 * s1), (s2 * s2) * (s2 * s2)
        x1, x2 = q1 * q1, q2 * q2
    elif model == "Binary":
        thresh = 1.10
        if s1 >= thresh * s2:
            x1, x2 = 1.0, 1e-6
        elif s2 >= thresh * s1:
            x1, x2 = 1e-6, 1.0
        else:
            r12 = s1 / (s1 + s2)
            p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
            x1, x2 = p12, 1.0 - p12
    else:
        raise ValueError(f"unknown victory-probability model {model!r}")
    return x1 / (x1 + x2), x2 / (x1 + x2)


def vict_prob_matrix(model, c):
    """Model::vProb(vpm, C): p[i][j] = probability option i beats option j."""
    n = len(c)
    p = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i):
            p[i][j], p[j][i] = vict_prob_pair(model, c[i][j], c[j][i])
        p[i][i] = 0.5
    return p


def coalitions(vfn, n_act, n_opt):
    """Model::coalitions: c[i][j] = 1e-8 + sum of the positive votes for i over j."""
    c = [[0.0] * n_opt for _ in range(n_opt)]
    for i in range(n_opt):
        for j in range(i):
            cij = 1e-8
            cji = 1e-8
            for k in range(n_act):
                v = vfn(k, i, j)
                if v > 0:
                    cij += v
                if v < 0:
                    cji -= v
            c[i][j] = cij
            c[j][i] = cji
        c[i][i] = 1e-8
    return c


def cond_pce(pv):
    """Model::condPCE: p_i proportional to the product over j of P[i > j]."""
    n = len(pv)
    p = []
    for i in range(n):
        pi = 1.0
        for j in range(n):
            pi *= pv[i][j]
        p.append(pi)
    total = sum(p)
    return [x / total for x in p]


def markov_uniform_pce(pv):
    """Model::markovUniformPCE: fixed point of q_i = sum_j P[i>j](p_i + p_j) / n."""
    n = len(pv)
    p = [1.0 / n] * n
    change = 1.0
    it = 0
    while change > 1e-6:
        q = []
        change = 0.0
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += pv[i][j] * (p[i] + p[j])
            q.append(s / n)
            change = max(change, abs(q[i] - p[i]))
        p = [(a + b) / 2.0 for a, b in zip(p, q, strict=True)]
        it += 1
    if it >= 1000:
        raise RuntimeError("markovUniformPCE did not converge in 1000 iterations")
    return p


def markov_incentive_pce(c, vpm):
    """Model::markovIncentivePCE: challenges in proportion to incentive c_ij P[i>j]."""
    n = len(c)
    pv = vict_prob_matrix(vpm, c)
    inc = [[c[i][j] * pv[i][j] + (1e-10 if i == j else 0.0) for j in range(n)] for i in range(n)]
    col = [sum(inc[k][j] for k in range(n)) for j in range(n)]
    chlg = [[inc[i][j] / col[j] for j in range(n)] for i in range(n)]
    p = [1.0 / n] * n
    change = 1.0
    it = 0
    while change > 1e-8:
        ct = [[p[i] * chlg[j][i] for j in range(n)] for i in range(n)]
        q = []
        change = 0.0
        for i in range(n):
            qi = 0.0
            for j in range(n):
                qi += pv[i][j] * (ct[i][j] + ct[j][i])
            q.append(qi)
            change = max(change, abs(qi - p[i]))
        p = [(a + b) / 2.0 for a, b in zip(p, q, strict=True)]
        it += 1
    if it >= 1000:
        raise RuntimeError("markovIncentivePCE did not converge in 1000 iterations")
    return p


def prob_ce2(pce, vpm, c):
    """Model::probCE2: (probability of each option, victory-probability matrix)."""
    pv = vict_prob_matrix(vpm, c)
    if pce == "Conditional":
        p = cond_pce(pv)
    elif pce == "MarkovIncentive":
        p = markov_incentive_pce(c, vpm)
    elif pce == "MarkovUniform":
        p = markov_uniform_pce(pv)
    else:
        raise ValueError(f"unknown PCE model {pce!r}")
    return p, pv


def scalar_pce(w, u, rule, vpm, pce):
    """Model::scalarPCE: w[k] actor strengths, u[k][m] utility to actor k of option m."""
    n_act = len(u)
    n_opt = len(u[0])

    def vfn(k, i, j):
        return vote(rule, w[k], u[k][i], u[k][j])

    c = coalitions(vfn, n_act, n_opt)
    p, _ = prob_ce2(pce, vpm, c)
    return p


def big_r_from_prob(p, rng):
    """Model::bigRfromProb: risk attitudes from the risk-neutral option probabilities."""
    p_min = min(1.0, *p)
    p_max = max(0.0, *p)
    if rng == "Min":
        return [(x - p_min) / (p_max - p_min) for x in p]
    if rng == "Mid":
        return [(3 * x - (p_max + 2 * p_min)) / (2 * (p_max - p_min)) for x in p]
    if rng == "Max":
        return [(2 * x - (p_max + p_min)) / (p_max - p_min) for x in p]
    raise ValueError(f"unknown BigRRange {rng!r}")


def est_nra(rh, ri, adjust):
    """Model::estNRA: h's estimate of i's risk attitude."""
    if adjust == "Full":
        return ri
    if adjust == "TwoThirds":
        return (rh + 2.0 * ri) / 3.0
    if adjust == "Half":
        return (rh + ri) / 2
    if adjust == "OneThird":
        return (2.0 * rh + ri) / 3.0
    if adjust == "None":
        return rh
    raise ValueError(f"unknown BigRAdjust {adjust!r}")


def vprob_little(rule, wn, uni, unj, contrib_i, contrib_j):
    """Actor::vProbLittle: P[i > j] in the little contest of i, j and third party n."""
    cn = vote(rule, wn, uni, unj)
    cni = contrib_i + cn if cn > 0 else contrib_i
    cnj = contrib_j - cn if cn < 0 else contrib_j
    return cni / (cni + cnj)


def third_party_vote_su(wk, rule, commit, pik, pjk, uki, ukj, ukk):
    """Actor::thirdPartyVoteSU: third party k's vote for i over j (sum of utilities)."""
    if commit == "FullCommit":
        u_ik_def_j = uki + uki + uki
        u_j_def_ik = ukj + ukj + ukj
        u_i_def_jk = uki + uki + uki
        u_jk_def_i = ukj + ukj + ukj
    elif commit == "SemiCommit":
        u_ik_def_j = uki + uki + ukk
        u_j_def_ik = ukj + ukj + ukj
        u_i_def_jk = uki + uki + uki
        u_jk_def_i = ukj + ukj + ukk
    elif commit == "NoCommit":
        u_ik_def_j = uki + uki + ukk
        u_j_def_ik = ukj + ukj + ukk
        u_i_def_jk = uki + uki + ukk
        u_jk_def_i = ukj + ukj + ukk
    else:
        raise ValueError(f"unknown ThirdPartyCommit {commit!r}")
    u_ik_j = pik * u_ik_def_j + pjk * u_j_def_ik
    u_i_jk = pik * u_i_def_jk + pjk * u_jk_def_i
    return vote(rule, wk, u_ik_j, u_i_jk)


# ----------------------------------------------------------------- smp.cpp


def bs_util(sd, r):
    """SMPModel::bsUtil: utility of a (salience-weighted) distance sd for risk attitude r."""
    if sd < 0:
        raise ValueError("distance must be non-negative")
    if sd <= 1:
        return (1 - sd) * (1 + sd * r)
    return (1 - sd) * (1 + r)


def bv_diff(diff, sal):
    """SMPModel::bvDiff: sqrt(sum (d_k s_k)^2 / sum s_k^2)."""
    ds = 0.0
    ss = 0.0
    for d, s in zip(diff, sal, strict=True):
        ds += (d * s) * (d * s)
        ss += s * s
    return math.sqrt(ds / ss)


def norm(v):
    """KBase::norm: Euclidean norm."""
    return math.sqrt(sum(x * x for x in v))


def sub(a, b):
    return [x - y for x, y in zip(a, b, strict=True)]


def round4(x):
    """The rounding of SMPActor::interpBrgnSnPm: (int)(0.5 + 1e4 x) / 1e4."""
    return float(int(0.5 + x * 10000.0)) / 10000.0


def interp_sn_pm(n, m, tik, sik, prb_i, tjk, sjk, prb_j):
    """SMPActor::interpBrgnSnPm: one coordinate of the bargain (i's, j's), rounded."""
    wik = (sik**n) * (prb_i**m)
    wjk = (sjk**n) * (prb_j**m)
    min_w = 1e-6
    bik = round4(((wik + min_w) * tik + wjk * tjk) / (wik + min_w + wjk))
    bjk = round4((wik * tik + (min_w + wjk) * tjk) / (wik + min_w + wjk))
    return bik, bjk


def interp_s2pmax(tik, sik, prb_i, tjk, sjk, prb_j):
    """SMPActor::interpBrgnS2PMax: one coordinate of the bargain (not rounded)."""
    di = prb_j - prb_i if prb_j > prb_i else 0.0
    dj = prb_i - prb_j if prb_i > prb_j else 0.0
    sik2 = sik * sik
    sjk2 = sjk * sjk
    min_w = 1e-6
    dik = (di * sjk2) / ((di * sjk2) + min_w + ((1 - di) * sik2))
    djk = (dj * sik2) / ((dj * sik2) + min_w + ((1 - dj) * sjk2))
    return tik + dik * (tjk - tik), tjk + djk * (tik - tjk)


def interpolate_bargain(pos_i, sal_i, pos_j, sal_j, prb_i, prb_j, ivb):
    """SMPActor::interpolateBrgn: (position i adopts, position j adopts)."""
    bi = []
    bj = []
    for k in range(len(pos_i)):
        if ivb == "S1P1":
            a, b = interp_sn_pm(1, 1, pos_i[k], sal_i[k], prb_i, pos_j[k], sal_j[k], prb_j)
        elif ivb == "S2P2":
            a, b = interp_sn_pm(2, 2, pos_i[k], sal_i[k], prb_i, pos_j[k], sal_j[k], prb_j)
        elif ivb == "S2PMax":
            a, b = interp_s2pmax(pos_i[k], sal_i[k], prb_i, pos_j[k], sal_j[k], prb_j)
        else:
            raise ValueError(f"unknown InterVecBrgn {ivb!r}")
        bi.append(a)
        bj.append(b)
    return bi, bj


class _State:
    """One SMP state: positions, and (after ``set_utils``) KTAB's setAllAUtil results."""

    def __init__(self, model, pos):
        self.m = model
        self.pos = [list(p) for p in pos]
        self.n = len(pos)
        # identity accommodation: ideals track positions (SMPState::newIdeals)
        self.ideals = [list(p) for p in pos]
        self.u_idx = self._unique_indices()

    def equiv(self, i, j):
        """SMPState::equivNdx."""
        return norm(sub(self.pos[i], self.pos[j])) < POS_TOL

    def _unique_indices(self):
        """KBase::ueIndices: first actor of each class of equal positions, in order."""
        uns = []
        for i in range(self.n):
            if not any(self.equiv(i, k) for k in uns):
                uns.append(i)
        return uns

    def set_utils(self):
        """SMPState::setAllAUtil: vDiff, risk-neutral PCE, risk attitudes, aUtil[h]."""
        m = self.m
        n = self.n
        self.vdiff = [
            [bv_diff(sub(self.ideals[i], self.pos[j]), m.sal[i]) for j in range(n)]
            for i in range(n)
        ]
        rn = [[bs_util(self.vdiff[i][j], 0.0) for j in range(n)] for i in range(n)]
        self.rn_util = rn

        def vfn(k, i, j):
            return vote(m.voting_rule, m.cap[k], rn[k][i], rn[k][j])

        c = coalitions(vfn, n, n)
        p, _ = prob_ce2(m.pce, m.vpm, c)
        self.rn_prob = p
        self.nra = big_r_from_prob(p, m.big_r_range)
        self.a_util = []
        for h in range(n):
            u = [[0.0] * n for _ in range(n)]
            for i in range(n):
                rhi = est_nra(self.nra[h], self.nra[i], m.big_r_adjust)
                for j in range(n):
                    u[i][j] = bs_util(self.vdiff[i][j], rhi)
            self.a_util.append(u)

    def pos_util(self, a, p):
        """SMPActor::posUtil: utility to actor a of position p (a's own risk attitude)."""
        return bs_util(bv_diff(sub(self.ideals[a], p), self.m.sal[a]), self.nra[a])

    def win_prob(self):
        """SMPModel::showVPHistory via SMPState::pDist(-1) and State::posProb."""
        m = self.m
        n = self.n
        u = [[self.a_util[i][i][j] for j in self.u_idx] for i in range(n)]
        p = scalar_pce(m.cap, u, m.voting_rule, m.vpm, m.pce)
        out = []
        for i in range(n):
            k = None
            for j1, j2 in enumerate(self.u_idx):
                if self.equiv(i, j2):
                    k = j1  # the last equivalent unique position wins, as in KTAB
            out.append(p[k])
        return out

    def prob_edu_chlg(self, h, k, i, j):
        """SMPState::probEduChlg: h's estimate of P[i beats j] and k's gain from i -> j."""
        m = self.m
        u = self.a_util[h]
        rule = m.voting_rule
        uii, uij, uji, ujj = u[i][i], u[i][j], u[j][i], u[j][j]
        eu_sq = u[k][i] + u[k][j]
        u_hkij = u[k][i] + u[k][i]
        u_hkji = u[k][j] + u[k][j]
        si = sum(m.sal[i])
        sj = sum(m.sal[j])
        ci = m.cap[i]
        cj = m.cap[j]
        contrib_i = vote(rule, si * ci, uii, uij)
        contrib_j = vote(rule, sj * cj, uji, ujj)
        chij = 1e-10
        chji = 1e-10
        if contrib_i > 0.0:
            chij += contrib_i
        if contrib_i < 0.0:
            chji -= contrib_i
        if contrib_j > 0.0:
            chij += contrib_j
        if contrib_j < 0.0:
            chji -= contrib_j
        ci_ij = chij
        cj_ij = chji
        for n_ in range(self.n):
            if n_ in (i, j):
                continue
            wn = sum(m.sal[n_]) * m.cap[n_]
            uni, unj, unn = u[n_][i], u[n_][j], u[n_][n_]
            pin = vprob_little(rule, wn, uni, unj, ci_ij, cj_ij)
            vn = third_party_vote_su(wn, rule, m.third_party_commit, pin, 1.0 - pin, uni, unj, unn)
            if vn > 0:
                chij += vn
            if vn < 0:
                chji -= vn
        phij = chij / (chij + chji)
        phji = chji / (chij + chji)
        eu_vict = u_hkij
        eu_cntst = phij * u_hkij + phji * u_hkji
        eu_chlg = (1 - sj) * eu_vict + sj * eu_cntst
        return phij, eu_chlg - eu_sq

    def best_challenge(self, i):
        """SMPState::bestChallengeUtils + bestChallenge: (j, P[i>j], gain) or None."""
        best_j = -1
        p_best = 0.0
        best_eu = -1.0
        for j in range(self.n):
            if j == i:
                continue
            pij, edu = self.prob_edu_chlg(i, i, i, j)
            if MIN_SIG_EDU < edu and best_eu < edu:
                best_j, p_best, best_eu = j, pij, edu
        if best_j < 0:
            return None
        return best_j, p_best, best_eu

    def make_bargains(self):
        """SMPState::doBCN(i) for every i: the bargains each actor is involved in."""
        m = self.m
        n = self.n
        queues = [[{"init": k, "rcvr": k}] for k in range(n)]  # status-quo bargains first
        record = []
        offered = []
        for i in range(n):
            ch = self.best_challenge(i)
            if ch is None:
                continue
            j, piij, best_eu = ch
            _, gain_i_by_j = self.prob_edu_chlg(j, i, i, j)
            # KTAB takes j's estimate of i's *gain* here where it means a probability
            pjij = gain_i_by_j
            bi, bj = interpolate_bargain(
                self.pos[i], m.sal[i], self.pos[j], m.sal[j], piij, 1 - piij, m.inter_vec_brgn
            )
            ri, rj = interpolate_bargain(
                self.pos[i], m.sal[i], self.pos[j], m.sal[j], pjij, 1 - pjij, m.inter_vec_brgn
            )
            wi = m.cap[i] * sum(m.sal[i])
            wj = m.cap[i] * sum(m.sal[j])  # KTAB weighs j's view with i's capability
            ci = [(wi * a + wj * b) / (wi + wj) for a, b in zip(bi, ri, strict=True)]
            cj = [(wi * a + wj * b) / (wi + wj) for a, b in zip(bj, rj, strict=True)]
            rec = {
                "init": i,
                "rcvr": j,
                "prob": piij,
                "gain": best_eu,
                "init_pos": bi,
                "rcvr_pos": bj,
                "rcvr_view": (ri, rj),
                "compromise": (ci, cj),
            }
            record.append(rec)
            if m.bargain_model == "InitOnlyInterp":
                used = [(bi, bj)]
            elif m.bargain_model == "InitRcvrInterp":
                used = [(bi, bj), (ri, rj)]
            elif m.bargain_model == "PWCompInterp":
                used = [(ci, cj)]
            else:
                raise ValueError(f"unknown bargain model {m.bargain_model!r}")
            for pi_, pj_ in used:
                pi_ = [min(max(x, a), b) for x, a, b in zip(pi_, m.lo[i], m.hi[i], strict=True)]
                pj_ = [min(max(x, a), b) for x, a, b in zip(pj_, m.lo[j], m.hi[j], strict=True)]
                b = {"init": i, "rcvr": j, "init_pos": pi_, "rcvr_pos": pj_, "prob": piij}
                b["gain"] = best_eu
                offered.append(b)
                queues[i].append(b)
                queues[j].append(b)
        return queues, record, offered

    def bargain_util(self, a, b):
        """The brgnUtil lambda of SMPState::updateBestBrgnPositions: mean utility to a."""
        n = self.n
        u = self.a_util[a]
        if b["init"] == b["rcvr"]:
            total = 0.0
            for x in range(n):
                total += u[a][x]
        else:
            total = self.pos_util(a, b["init_pos"])
            total += self.pos_util(a, b["rcvr_pos"])
            for x in range(n):
                if x != b["init"] and x != b["rcvr"]:
                    total += u[a][x]
        return total / n

    def choose(self, k, queue, rng):
        """SMPState::updateBestBrgnPositions(k): k's new position and the bargain taken."""
        m = self.m
        u_im = [[self.bargain_util(a, b) for b in queue] for a in range(self.n)]
        p = scalar_pce(m.cap, u_im, m.voting_rule, m.vpm, m.pce)
        if m.state_transitions == "Deterministic":
            best = 0
            top = -1.0
            for idx, x in enumerate(p):
                if top < abs(x):  # KBase::ndxMaxAbs: the first maximum
                    best, top = idx, abs(x)
        elif m.state_transitions == "Stochastic":
            x = rng[k]
            best = len(p) - 1
            acc = 0.0
            for idx, q in enumerate(p):
                acc += q
                if x <= acc:
                    best = idx
                    break
        else:
            raise ValueError(f"unknown state transitions {m.state_transitions!r}")
        b = queue[best]
        if b["init"] == b["rcvr"]:
            new = list(self.pos[k])
        elif b["init"] == k:
            new = list(b["init_pos"])
        else:
            new = list(b["rcvr_pos"])
        return new, b, p


def state_dist(s1, s2):
    """SMPModel::stateDist: sum over actors of the Euclidean move."""
    return sum(norm(sub(a, b)) for a, b in zip(s1.pos, s2.pos, strict=True))


class _Model:
    def __init__(self, cap, sal, lo, hi, opts):
        self.cap = cap
        self.sal = sal
        self.lo = lo
        self.hi = hi
        for key, val in opts.items():
            setattr(self, key, val)


_DEFAULTS = {
    "vpm": "Linear",
    "voting_rule": "Prop",
    "pce": "Conditional",
    "state_transitions": "Deterministic",
    "big_r_range": "Mid",
    "big_r_adjust": "OneThird",
    "third_party_commit": "SemiCommit",
    "inter_vec_brgn": "S2P2",
    "bargain_model": "InitOnlyInterp",
}
_CHOICES = {
    "vpm": VICT_PROB_MODELS,
    "voting_rule": VOTING_RULES,
    "pce": PCE_MODELS,
    "state_transitions": STATE_TRANSITIONS,
    "big_r_range": BIG_R_RANGES,
    "big_r_adjust": BIG_R_ADJUSTS,
    "third_party_commit": THIRD_PARTY_COMMITS,
    "inter_vec_brgn": INTER_VEC_BRGNS,
    "bargain_model": BARGAIN_MODELS,
}


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
    actor's saliences summing to more than 0 and at most 1; lo <= hi. Positions are
    clipped into [lo, hi]."""
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
    total = sal.sum(axis=1)
    if np.any(total <= 0.0) or np.any(total > 1.0 + 1e-12):
        raise ValueError("each actor's saliences must sum to more than 0 and at most 1")
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
    opts = check_options(options)
    max_states = int(max_states)
    if max_states < 1:
        raise ValueError("max_states must be at least 1")
    n, d = pos.shape
    if opts["transitions"] == "Stochastic":
        if rng is None:
            raise ValueError('transitions="Stochastic" needs an rng (a numpy Generator)')
        draws = rng.random((max_states, n))
    else:
        draws = np.zeros((max_states, n))
    model = _Model(
        [float(x) for x in cap],
        sal.tolist(),
        lo.tolist(),
        hi.tolist(),
        {_REF_NAMES[k]: v for k, v in opts.items()},
    )
    s0 = _State(model, pos.tolist())
    s0.set_utils()
    history = [s0]
    ratios = []
    rows = []
    chosen = []
    stopped = "limit"
    it = 0
    while True:
        it += 1
        cur = history[-1]
        queues, _, offered = cur.make_bargains()
        for b in offered:
            b["row"] = len(rows)
            b["state"] = it
            rows.append(b)
        new_pos = []
        took = []
        for k in range(n):
            p_k, b_k, _ = cur.choose(k, queues[k], draws[it - 1])
            new_pos.append(p_k)
            took.append(b_k.get("row", -1))
        chosen.append(took)
        nxt = _State(model, new_pos)
        nxt.set_utils()
        history.append(nxt)
        d01 = state_dist(history[0], history[1]) + MIN_SIG_DELTA
        ratios.append(state_dist(history[it], history[it - 1]) / d01)
        if max_states <= it:
            break
        if MIN_STATES <= it and ratios[-1] < TARGET:
            stopped = "converged"
            break
    chosen_arr = np.array(chosen, dtype=np.int64).reshape(len(chosen), n)
    by_i = np.zeros(len(rows), dtype=bool)
    by_j = np.zeros(len(rows), dtype=bool)
    for k in range(n):
        for row in chosen_arr[:, k]:
            if row >= 0:
                by_i[row] |= rows[row]["init"] == k
                by_j[row] |= rows[row]["rcvr"] == k
    bargains = {
        "state": np.array([b["state"] for b in rows], dtype=np.int64),
        "initiator": np.array([b["init"] for b in rows], dtype=np.int64),
        "receiver": np.array([b["rcvr"] for b in rows], dtype=np.int64),
        "initiator_position": np.array([b["init_pos"] for b in rows], dtype=float).reshape(-1, d),
        "receiver_position": np.array([b["rcvr_pos"] for b in rows], dtype=float).reshape(-1, d),
        "probability": np.array([b["prob"] for b in rows], dtype=float),
        "gain": np.array([b["gain"] for b in rows], dtype=float),
        "chosen_by_initiator": by_i,
        "chosen_by_receiver": by_j,
    }
    return SmpRun(
        positions=np.array([s.pos for s in history], dtype=float),
        probabilities=np.array([s.win_prob() for s in history], dtype=float),
        risk=np.array([s.nra for s in history], dtype=float),
        change=np.array(ratios, dtype=float),
        stopped=stopped,
        bargains=bargains,
        chosen=chosen_arr,
    )
