"""A slow, plain-Python reference of KTAB's spatial model of politics (SMP).

Written from the specification in docs/smp.md, which follows KTAB's C++ (KAPSARC, MIT
license) step by step; the function names below say which KTAB function each one
stands for. Plain loops over lists of floats; numpy only to hold the input arrays.

Scales: positions and saliences are given on 0-100 (as in KTAB's CSV input) and divided
by 100 here; every position in the result is on 0-1, as KTAB holds them (KTAB prints
them times 100).

``smp_run(capability, positions, saliences, **options)`` returns a dict:

* ``positions``: list over states of n x d lists (0-1), state 0 the input;
* ``win_prob``: list over states of the n actors' winning probabilities (the
  probability of the unique position each actor holds; equal positions share one);
* ``risk``: list over states of the n inferred risk attitudes;
* ``bargains``: list over steps of a list of dicts, one per challenge made
  (``init``, ``rcvr``, ``prob``, ``gain``, ``init_pos``, ``rcvr_pos``, and the two
  other bargains KTAB computes: ``rcvr_view`` and ``compromise``);
* ``chosen``: list over steps of, per actor, the (init, rcvr) of the bargain it took
  (init == rcvr for its status-quo bargain);
* ``bargain_probs``: list over steps of, per actor, [(init, rcvr, probability)] for the
  bargains it chose among (its status quo first, then by initiator);
* ``ratios``: list over steps of the fractional change against the first step;
* ``stopped``: "quiet" or "limit".
"""

from __future__ import annotations

import math

import numpy as np

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
                pi_, pj_ = m.clip(i, pi_), m.clip(j, pj_)
                b = {"init": i, "rcvr": j, "init_pos": pi_, "rcvr_pos": pj_}
                queues[i].append(b)
                queues[j].append(b)
        return queues, record

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
            x = rng.random()
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
        return new, (b["init"], b["rcvr"]), p


def state_dist(s1, s2):
    """SMPModel::stateDist: sum over actors of the Euclidean move."""
    return sum(norm(sub(a, b)) for a, b in zip(s1.pos, s2.pos, strict=True))


class _Model:
    def __init__(self, cap, sal, opts, lo=None, hi=None):
        self.cap = cap
        self.sal = sal
        self.lo = lo
        self.hi = hi
        for key, val in opts.items():
            setattr(self, key, val)

    def clip(self, i, p):
        """Position p clipped into actor i's red lines (none: p itself)."""
        if self.lo is None:
            return p
        return [min(max(x, a), b) for x, a, b in zip(p, self.lo[i], self.hi[i], strict=True)]


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


def smp_run(
    capability,
    positions,
    saliences,
    *,
    min_iter=2,
    max_iter=100,
    min_delta_ratio=0.02,
    min_sig_delta=1e-4,
    seed=0,
    lo=None,
    hi=None,
    **options,
):
    """Run KTAB's SMP (SMPModel::configExec / Model::run) and return its history.

    ``capability``: n; ``positions`` and ``saliences``: n x d on 0-100. ``options`` are
    the names of ``_DEFAULTS`` (KTAB's defaults). ``seed`` only feeds the stochastic
    state transition (numpy's generator, not KTAB's mt19937_64 stream). ``lo``, ``hi``
    (n x d, 0-100, optional): red lines; the initial positions and the bargains offered
    are clipped into them (sim's own addition; KTAB has none).
    """
    opts = dict(_DEFAULTS)
    for key, val in options.items():
        if key not in _CHOICES:
            raise TypeError(f"unknown option {key!r}")
        if val not in _CHOICES[key]:
            raise ValueError(f"{key} must be one of {_CHOICES[key]}, not {val!r}")
        opts[key] = val
    cap = [float(x) for x in np.asarray(capability, dtype=float).ravel()]
    pos = [[float(x) / 100.0 for x in row] for row in np.asarray(positions, dtype=float)]
    sal = [[float(x) / 100.0 for x in row] for row in np.asarray(saliences, dtype=float)]
    bounds = [None, None]
    if lo is not None or hi is not None:
        n, d = len(pos), len(pos[0])
        bounds = [
            [[float(x) / 100.0 for x in row] for row in np.broadcast_to(b, (n, d))]
            for b in (0.0 if lo is None else lo, 100.0 if hi is None else hi)
        ]
    model = _Model(cap, sal, opts, *bounds)
    pos = [model.clip(i, p) for i, p in enumerate(pos)]
    rng = np.random.default_rng(seed)

    s0 = _State(model, pos)
    s0.set_utils()
    history = [s0]
    bargains = []
    chosen = []
    bargain_probs = []
    ratios = []
    stopped = "limit"
    it = 0
    while True:
        it += 1
        cur = history[-1]
        queues, record = cur.make_bargains()
        new_pos = []
        took = []
        probs = []
        for k in range(cur.n):
            p_k, b_k, pce_k = cur.choose(k, queues[k], rng)
            new_pos.append(p_k)
            took.append(b_k)
            probs.append([(b["init"], b["rcvr"], q) for b, q in zip(queues[k], pce_k, strict=True)])
        nxt = _State(model, new_pos)
        nxt.set_utils()
        history.append(nxt)
        bargains.append(record)
        chosen.append(took)
        bargain_probs.append(probs)
        d01 = state_dist(history[0], history[1]) + min_sig_delta
        dxy = state_dist(history[it], history[it - 1])
        ratio = dxy / d01
        ratios.append(ratio)
        if max_iter <= it:
            break
        if min_iter <= it and ratio < min_delta_ratio:
            stopped = "quiet"
            break
    return {
        "positions": [s.pos for s in history],
        "win_prob": [s.win_prob() for s in history],
        "risk": [s.nra for s in history],
        "bargains": bargains,
        "chosen": chosen,
        "bargain_probs": bargain_probs,
        "ratios": ratios,
        "stopped": stopped,
    }
