"""The exchange model (Stokman and Van Oosten 1994) as decide-exchange-model computes it.

docs/exchange.md specifies the model step by step; tests/reference_exchange.py is the plain
reference (in Decimal) these kernels are held to. Arrays are issue-major: positions,
saliences, powers and red lines are (m, n) for m issues and n actors, positions and red lines
on decide's 0-100 scale.

decide computes in 28-digit Decimal and decides some branches on numbers that are equal in
exact arithmetic (an outcome cut to land on an actor's position is later compared with that
position). These kernels compute in float64 and treat two positions, outcomes or gains within
``EPS`` (1e-9 of the 0-100 scale, i.e. 1e-7) as equal, the way exact arithmetic sees them:
in the side-of-the-outcome tests, the left/right split, the ranking of exchanges by gain
(near-equal gains keep their order), the tie test of random tie-breaking, the 0-100 and
red-line bounds of a move and the bookkeeping of recorded outcome updates. A move within
EPS of 0 has no sign in decide's same-direction test.

Where decide's choice is its 28-digit rounding rather than exact arithmetic, no tolerance
can reproduce it: on decide's sample data an exchange's outcome lands on its partner's
position (an earlier cut) and decide's residual of +-1e-26 decides whether the next move is
cut. In rounds 1-4 the residual falls on the side exact arithmetic agrees with (these
kernels match decide to 1e-13); in round 5 it does not, decide drops an exchange these
kernels realise and the runs part (docs/exchange.md, "In sim").

A red line (``lo``, ``hi`` per actor and issue, 0-100) bounds an exchange: a move that would
take an actor's voting position outside it makes the exchange invalid.

A round is a sequence of per-step functions that ``run_round`` and the mesa agents
(``sim.abm.exchange``) both call: ``round_start`` (the candidates, each calculated),
``take_best`` (rank by gain, settle a tie, take the best), ``accepts`` (one actor's decision
on the exchange taken; an exchange is valid when both its actors accept it), ``realise``
(recalculate the rest against it, add its externalities) and ``round_end`` (the moves).

State of one round's candidate exchanges, one row per exchange ``e``:

* ``ei`` int64 (E, 5): actor a, actor b (as paired), issue p, issue q, issue-pair index;
* ``act``, ``sup``, ``dem`` int64 (E, 2): per side (0 = side i, 1 = side j) its actor, the
  issue it moves on (supply) and the issue it wants (demand); i supplies q, j supplies p;
* ``sf`` float64 (E, 2, 10): per side X (current position on the supply issue), MOVE, Y
  (voting position), NBS0, NBS1 (outcome before and after its move), FSUM, FMIN, FMAX
  (earlier moves kept in decide's move list), HASTOP (1 while the current move is listed);
* ``ef`` float64 (E, 5): GAIN, DP, DQ, VALID (both actors accept, :func:`accepts`), GAINED
  (the equal-gain calculation ran and its gain is at least ``MIN_MOVE``);
* ``upd`` float64 (E, 2, n) and ``hupd`` bool (E, 2, n): recorded voting positions of other
  actors on issue p (0) and q (1).
"""

from __future__ import annotations

import math
import random

import numpy as np

from sim.kernels import jit, jit_inline

EPS = 1e-7
"""Positions, outcomes and gains closer than this (1e-9 of the 0-100 scale) are equal."""
MIN_MOVE = 1e-10
"""decide's smallest valid move and gain."""
SALIENCE_WEIGHT = 0.4
FIXED_WEIGHT = 0.1

X, MOVE, Y, NBS0, NBS1, FSUM, FMIN, FMAX, HASTOP = 0, 1, 2, 3, 4, 5, 6, 7, 8
NSF = 10
GAIN, DP, DQ, VALID, GAINED = 0, 1, 2, 3, 4
NEF = 5

EX_INT = ("round", "actor_i", "actor_j", "issue_p", "issue_q")
"""The int64 columns of a realised exchange (actor i moves on q, actor j on p)."""
EX_FLOAT = ("move_i", "move_j", "gain", "dp", "dq", "rate")
"""The float64 columns of a realised exchange (rate: dq / dp)."""


@jit
def outcomes(pos, sal, pw):
    """The expected outcome per issue: the salience-and-power weighted mean (0 when the
    weights sum to 0)."""
    m, n = pos.shape
    out = np.zeros(m)
    for d in range(m):
        num = 0.0
        den = 0.0
        for a in range(n):
            num += pos[d, a] * sal[d, a] * pw[d, a]
            den += sal[d, a] * pw[d, a]
        out[d] = num / den if den != 0.0 else 0.0
    return out


@jit_inline
def _sign0(v):
    # a difference within EPS of 0 is 0
    if abs(v) <= EPS:
        return 0.0
    return v


@jit_inline
def _adjust(e, s, new_x, sup, act, ei, upd, hupd, pos0, sal, pw, den):
    # decide calculations.adjusted_nbs: start positions, recorded updates, the side at new_x
    d = sup[e, s]
    k = 0 if d == ei[e, 2] else 1
    n = pos0.shape[1]
    num = 0.0
    for a in range(n):
        v = pos0[d, a]
        if hupd[e, k, a]:
            v = upd[e, k, a]
        if a == act[e, s]:
            v = new_x
        num += v * sal[d, a] * pw[d, a]
    return num / den[d] if den[d] != 0.0 else 0.0


@jit_inline
def _shift_for(e, s, outcome, sup, act, ei, sf, upd, hupd, pos0, sal, pw, den):
    # decide calculations.adjusted_nbs_by_position: the signed change of the side's position
    # that brings the outcome on its supply issue to `outcome` (docs/exchange.md 5.6)
    d = sup[e, s]
    k = 0 if d == ei[e, 2] else 1
    n = pos0.shape[1]
    num = 0.0
    for a in range(n):
        v = pos0[d, a]
        if a == act[e, s]:
            v = sf[e, s, X]
        if hupd[e, k, a]:
            v = upd[e, k, a]
        num += v * sal[d, a] * pw[d, a]
    return (outcome * den[d] - num) / (sal[d, act[e, s]] * pw[d, act[e, s]])


@jit_inline
def _move_valid(e, s, act, sup, sf, lo, hi):
    # decide AbstractExchangeActor.is_move_valid, and the red line
    mv = sf[e, s, MOVE]
    if abs(mv) > 100.0 + EPS or abs(mv) <= MIN_MOVE:
        return False
    y = sf[e, s, X] + mv
    if y < -EPS or y > 100.0 + EPS:
        return False
    d = sup[e, s]
    a = act[e, s]
    if y < lo[d, a] - EPS or y > hi[d, a] + EPS:
        return False
    if sf[e, s, FSUM] + mv > 100.0 + EPS:
        return False
    mn = min(sf[e, s, FMIN], mv)
    mx = max(sf[e, s, FMAX], mv)
    # all moves of the round one way; a move within EPS of 0 has no sign (exact arithmetic
    # would see 0 and refuse)
    return mx < -EPS or mn > EPS


@jit_inline
def accepts(e, a, act, sup, sf, ef, lo, hi):
    """Whether actor ``a`` accepts exchange ``e`` as it stands: the exchange was calculated
    with a gain of at least ``MIN_MOVE`` and ``a``'s own move on the issue it gives way on is
    valid (more than ``MIN_MOVE``, its voting position within 0-100 and within its red line,
    its moves of the round at most 100 together and all one way). An exchange is valid, and
    realised when it comes first, when both its actors accept it."""
    s = 0 if act[e, 0] == a else 1
    return ef[e, GAINED] > 0.0 and _move_valid(e, s, act, sup, sf, lo, hi)


@jit_inline
def _both_accept(e, act, sup, sf, ef, lo, hi):
    if not accepts(e, act[e, 0], act, sup, sf, ef, lo, hi):
        return False
    return accepts(e, act[e, 1], act, sup, sf, ef, lo, hi)


@jit_inline
def _push(e, s, sf, value):
    if sf[e, s, HASTOP] > 0.0:
        top = sf[e, s, MOVE]
        sf[e, s, FSUM] += top
        sf[e, s, FMIN] = min(sf[e, s, FMIN], top)
        sf[e, s, FMAX] = max(sf[e, s, FMAX], top)
    sf[e, s, MOVE] = value
    sf[e, s, HASTOP] = 1.0


@jit_inline
def _ratio_from(e, s, ratio, act, sup, dem, sal):
    # decide calculations.by_exchange_ratio
    o = 1 - s
    a = act[e, s]
    b = act[e, o]
    top = sal[sup[e, s], a] + sal[dem[e, o], b]
    bottom = sal[dem[e, s], a] + sal[sup[e, o], b]
    return top / bottom * ratio


@jit_inline
def _utility(e, s, demand_ratio, supply_ratio, act, sup, dem, sal):
    a = act[e, s]
    return abs(demand_ratio * sal[sup[e, s], a] - supply_ratio * sal[dem[e, s], a])


@jit_inline
def _check_nbs(e, s, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi):
    # decide AbstractExchangeActor.check_nbs
    o = 1 - s
    # the outcome with the side at X, then at Y: the two sums differ in the side's own term
    # only, so the second is the first moved by that term (equal in exact arithmetic)
    d = sup[e, s]
    a = act[e, s]
    share = sal[d, a] * pw[d, a] / den[d]
    sf[e, s, NBS0] = _adjust(e, s, sf[e, s, X], sup, act, ei, upd, hupd, pos0, sal, pw, den)
    sf[e, s, NBS1] = sf[e, s, NBS0] + (sf[e, s, Y] - sf[e, s, X]) * share
    target = pos0[dem[e, o], act[e, o]]
    d0 = _sign0(target - sf[e, s, NBS0])
    d1 = _sign0(target - sf[e, s, NBS1])
    if d0 >= 0.0 and d1 >= 0.0:
        return
    if d0 <= 0.0 and d1 <= 0.0:
        return
    b = act[e, o]
    delta = abs(_shift_for(e, s, target, sup, act, ei, sf, upd, hupd, pos0, sal, pw, den))
    dp = delta * sal[sup[e, s], a] * pw[sup[e, s], a] / den[sup[e, s]]
    dq = _ratio_from(e, s, dp, act, sup, dem, sal)
    ef[e, DP] = dp
    ef[e, DQ] = dq
    move_o = abs(dq * den[sup[e, o]] / (pw[sup[e, o], b] * sal[sup[e, o], b]))
    move_s = delta
    if sf[e, o, X] > pos0[dem[e, s], a]:
        move_o = -move_o
    if sf[e, s, X] > target:
        move_s = -move_s
    sf[e, o, MOVE] = move_o
    sf[e, s, MOVE] = move_s
    sf[e, o, Y] = sf[e, o, X] + move_o
    sf[e, s, Y] = sf[e, s, X] + move_s
    ef[e, GAIN] = _utility(e, o, dq, dp, act, sup, dem, sal)
    sf[e, s, NBS1] = sf[e, s, NBS0] + (sf[e, s, Y] - sf[e, s, X]) * share


@jit
def _calculate(e, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi):
    # decide EqualGainExchange.calculate
    ai = act[e, 0]
    aj = act[e, 1]
    qi = sup[e, 0]
    pj = sup[e, 1]
    si = sal[qi, ai] * pw[qi, ai]
    sj = sal[pj, aj] * pw[pj, aj]
    if si <= 0.0 or sj <= 0.0 or den[qi] <= 0.0 or den[pj] <= 0.0:
        ef[e, VALID] = 0.0
        ef[e, GAINED] = 0.0
        ef[e, GAIN] = 0.0
        return
    xi = sf[e, 0, X]
    xj = sf[e, 1, X]
    want_i = pos0[dem[e, 0], ai]  # i's position on p
    want_j = pos0[dem[e, 1], aj]  # j's position on q
    dp = abs(want_i - xj) * sj / den[pj]
    dq = _ratio_from(e, 1, dp, act, sup, dem, sal)
    move_i = dq * den[qi] / si
    move_j = abs(want_i - xj)
    if abs(move_i) > abs(want_j - xi):
        dq = abs(want_j - xi) * si / den[qi]
        dp = _ratio_from(e, 0, dq, act, sup, dem, sal)
        move_i = abs(want_j - xi)
        move_j = dp * den[pj] / sj
    if xi > want_j:
        move_i = -move_i
    if xj > want_i:
        move_j = -move_j
    _push(e, 0, sf, move_i)
    _push(e, 1, sf, move_j)
    sf[e, 0, Y] = xi + move_i
    sf[e, 1, Y] = xj + move_j
    ef[e, DP] = dp
    ef[e, DQ] = dq
    ef[e, GAIN] = _utility(e, 0, dq, dp, act, sup, dem, sal)
    ef[e, GAINED] = 1.0 if ef[e, GAIN] >= MIN_MOVE else 0.0
    if not _both_accept(e, act, sup, sf, ef, lo, hi):
        ef[e, VALID] = 0.0
        return
    # the outcome checks cut the moves; the gain is not checked again (decide)
    _check_nbs(e, 0, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi)
    _check_nbs(e, 1, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi)
    ef[e, VALID] = 1.0 if _both_accept(e, act, sup, sf, ef, lo, hi) else 0.0


@jit
def _recalculate(e, done, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi):
    # decide AbstractExchange.recalculate after exchange `done` was realised
    a0, a1 = act[e, 0], act[e, 1]
    d0, d1 = act[done, 0], act[done, 1]
    if a0 != d0 and a0 != d1 and a1 != d0 and a1 != d1:
        return  # no actor in common: nothing of e changes (both tests below need one)
    hit = False
    for s in range(2):
        for ds in range(2):
            if act[e, s] == act[done, ds] and sup[e, s] == sup[done, ds]:
                sf[e, s, X] = sf[done, ds, Y]
                # decide appends done's move and pops it again below: the side's own last
                # move stays in its list
                _push(e, s, sf, sf[done, ds, MOVE])
                sf[e, s, HASTOP] = 0.0
                hit = True
                break
    again = hit
    if again:
        # the side that was not hit drops its last move (the hit one already did)
        for s in range(2):
            sf[e, s, HASTOP] = 0.0
    for dd in (1, 0):
        do = 1 - dd
        shares = False
        for s in (1, 0):
            if act[done, dd] == act[e, s] and dem[done, dd] == dem[e, s]:
                shares = True
        if shares:
            issue = dem[done, dd]
            k = 0 if issue == ei[e, 2] else 1
            b = act[done, do]
            y = sf[done, do, Y]
            if hupd[e, k, b]:
                old = upd[e, k, b]
                start = pos0[sup[done, do], b]
                if start <= old + EPS:
                    upd[e, k, b] = old if old < y else y
                else:
                    upd[e, k, b] = old if old > y else y
            else:
                upd[e, k, b] = y
                hupd[e, k, b] = True
            if not again:
                sf[e, 0, HASTOP] = 0.0
                sf[e, 1, HASTOP] = 0.0
                again = True
    if again:
        _calculate(e, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi)


@jit
def sides(pos0, sal, pw):
    """(m, n) whether each actor is left of (or on) the expected outcome of each issue."""
    m, n = pos0.shape
    nbs = outcomes(pos0, sal, pw)
    left = np.zeros((m, n), dtype=np.bool_)
    for d in range(m):
        for a in range(n):
            left[d, a] = pos0[d, a] <= nbs[d] + EPS
    return left


@jit_inline
def group(left, sal, pw, p, q, a):
    """Actor ``a``'s group on issue pair (p, q): left on p + 2 x left on q (decide's
    A-D), or -1 when it takes no part in p or q (salience or capability 0 there)."""
    if sal[p, a] <= 0.0 or sal[q, a] <= 0.0 or pw[p, a] <= 0.0 or pw[q, a] <= 0.0:
        return -1
    return int(left[p, a]) + 2 * int(left[q, a])


@jit
def candidates(pos0, sal, pw, nbs):
    """Every candidate exchange of a round (docs/exchange.md 3-4): int64 (E, 5) rows of
    actor a, actor b, issue p, issue q, issue-pair index, in decide's order, and the side
    arrays ``act``, ``sup``, ``dem`` (E, 2). An actor with salience or capability 0 on an
    issue takes no part in it (as an actor without a row on it in decide)."""
    m, n = pos0.shape
    left = np.zeros((m, n), dtype=np.bool_)
    for d in range(m):
        for a in range(n):
            left[d, a] = pos0[d, a] <= nbs[d] + EPS
    total = 0
    for p in range(m):
        for q in range(p + 1, m):
            cnt = np.zeros(4, dtype=np.int64)
            for a in range(n):
                g = group(left, sal, pw, p, q, a)
                if g >= 0:
                    cnt[g] += 1
            total += cnt[0] * cnt[3] + cnt[1] * cnt[2]
    ei = np.zeros((total, 5), dtype=np.int64)
    act = np.zeros((total, 2), dtype=np.int64)
    sup = np.zeros((total, 2), dtype=np.int64)
    dem = np.zeros((total, 2), dtype=np.int64)
    k = 0
    pair = 0
    for p in range(m):
        for q in range(p + 1, m):
            g = np.zeros(n, dtype=np.int64)
            for a in range(n):
                g[a] = group(left, sal, pw, p, q, a)
            for ga, gb in ((0, 3), (1, 2)):
                for a in range(n):
                    if g[a] != ga:
                        continue
                    for b in range(n):
                        if g[b] != gb:
                            continue
                        ei[k, 0] = a
                        ei[k, 1] = b
                        ei[k, 2] = p
                        ei[k, 3] = q
                        ei[k, 4] = pair
                        # who gives way on which issue (decide AbstractExchange.__init__)
                        b_first = False
                        if sal[q, a] > 0.0 and sal[q, b] > 0.0:
                            b_first = sal[p, a] / sal[q, a] < sal[p, b] / sal[q, b]
                        if b_first:
                            act[k, 0] = b
                            act[k, 1] = a
                        else:
                            act[k, 0] = a
                            act[k, 1] = b
                        sup[k, 0] = q
                        dem[k, 0] = p
                        sup[k, 1] = p
                        dem[k, 1] = q
                        k += 1
            pair += 1
    return ei, act, sup, dem


@jit
def _stable_sort(lst, length, ef):
    # insertion sort, highest gain first; gains within EPS keep their order (list.sort)
    for k in range(1, length):
        e = lst[k]
        g = ef[e, GAIN]
        j = k
        while j > 0 and g > ef[lst[j - 1], GAIN] + EPS:
            lst[j] = lst[j - 1]
            j -= 1
        lst[j] = e


@jit
def round_start(pos0, sal, pw, lo, hi):
    """The start of a round (docs/exchange.md 3-5) from start positions ``pos0`` (m, n):
    every candidate exchange, each calculated, and the list to rank.

    Returns ``den`` (m,) the outcome weights per issue, the candidates ``ei``, ``act``,
    ``sup``, ``dem``, their state ``sf``, ``ef``, ``upd``, ``hupd`` (module docstring), the
    list ``lst`` of exchanges still open (its first ``length`` entries; room for one more),
    a buffer of the same size for :func:`realise` and ``length``."""
    m, n = pos0.shape
    den = np.zeros(m)
    for d in range(m):
        for a in range(n):
            den[d] += sal[d, a] * pw[d, a]
    nbs = outcomes(pos0, sal, pw)
    ei, act, sup, dem = candidates(pos0, sal, pw, nbs)
    total = ei.shape[0]
    sf = np.zeros((total, 2, NSF))
    ef = np.zeros((total, NEF))
    upd = np.zeros((total, 2, n))
    hupd = np.zeros((total, 2, n), dtype=np.bool_)
    for e in range(total):
        for s in range(2):
            sf[e, s, X] = pos0[sup[e, s], act[e, s]]
            sf[e, s, FMIN] = np.inf
            sf[e, s, FMAX] = -np.inf
        _calculate(e, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi)
    lst = np.zeros(total + 1, dtype=np.int64)
    for e in range(total):
        lst[e] = e
    buf = np.zeros(total + 1, dtype=np.int64)
    return den, ei, act, sup, dem, sf, ef, upd, hupd, lst, buf, total


@jit
def take_best(lst, length, ef, coins, coin_at, use_coins, dirty):
    """Rank the open exchanges by gain (stable: gains within EPS keep their order) and take
    the best off the list; with ``use_coins``, a tie between it and the runner-up is settled
    by the coin ``coins[coin_at]`` (>= 0.5: the runner-up is taken, the best goes to the
    end of the list; else the runner-up goes to the end). ``dirty``: whether gains or the
    order changed since the list was last ranked (else it is ranked already: the stable
    sort would leave it as it is).

    Returns the exchange taken, the new length, the next unused coin, whether the coins ran
    out (then nothing was taken and the list is as it was, ranked) and whether the list now
    needs ranking."""
    if dirty:
        _stable_sort(lst, length, ef)
    if use_coins and length > 1 and coin_at >= coins.shape[0]:
        if abs(ef[lst[0], GAIN] - ef[lst[1], GAIN]) < EPS:
            return -1, length, coin_at, True, False
    best = lst[0]
    for k in range(length - 1):
        lst[k] = lst[k + 1]
    length -= 1
    moved = False
    if use_coins and length > 0:
        ru = lst[0]
        if abs(ef[best, GAIN] - ef[ru, GAIN]) < EPS:
            c = coins[coin_at]
            coin_at += 1
            moved = True
            if c >= 0.5:
                lst[length] = best
                length += 1
                best = lst[0]
                for k in range(length - 1):
                    lst[k] = lst[k + 1]
                length -= 1
            else:
                lst[length] = ru
                length += 1
    return best, length, coin_at, False, moved


@jit
def realise(best, lst, length, buf, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den,
            lo, hi, ext, row, kind, left):  # fmt: skip
    """Realise exchange ``best`` (both its actors accepted it): every other open exchange is
    recalculated against it and the invalid ones leave the list; its externalities are
    written to ``row`` (n,) and added to ``ext`` (n, pairs), their kinds (``KINDS``) to
    ``kind`` (n,) from the round's sides of the outcome ``left`` (m, n). Returns the new
    length of the list."""
    n = pos0.shape[1]
    kept = 0
    b0, b1 = act[best, 0], act[best, 1]
    for k in range(length):
        e = lst[k]
        if ef[e, VALID] > 0.0:
            a0, a1 = act[e, 0], act[e, 1]
            # only an exchange with an actor in common with the realised one can change
            # (tested here: a call with every array costs more than the test)
            if a0 == b0 or a0 == b1 or a1 == b0 or a1 == b1:
                _recalculate(
                    e, best, ei, act, sup, dem, sf, ef, upd, hupd, pos0, sal, pw, den, lo, hi
                )
            if ef[e, VALID] > 0.0:
                buf[kept] = e
                kept += 1
    for k in range(kept):
        lst[k] = buf[k]
    # externalities (decide calculations.actor_externalities; the pair itself: the gain)
    p_iss = sup[best, 1]
    q_iss = sup[best, 0]
    pair = ei[best, 4]
    for a in range(n):
        if a == act[best, 0] or a == act[best, 1]:
            row[a] = ef[best, GAIN]
        elif (
            sal[p_iss, a] <= 0.0
            or sal[q_iss, a] <= 0.0
            or pw[p_iss, a] <= 0.0
            or (pw[q_iss, a] <= 0.0)
        ):
            row[a] = 0.0  # no part in one of the issues: no externality (as decide)
        else:
            xp = pos0[p_iss, a]
            xq = pos0[q_iss, a]
            on_p = abs(sf[best, 1, NBS0] - xp) - abs(sf[best, 1, NBS1] - xp)
            on_q = abs(sf[best, 0, NBS0] - xq) - abs(sf[best, 0, NBS1] - xq)
            row[a] = on_p * sal[p_iss, a] + on_q * sal[q_iss, a]
        ext[a, pair] += row[a]
    gi = group(left, sal, pw, ei[best, 2], ei[best, 3], act[best, 0])
    gj = group(left, sal, pw, ei[best, 2], ei[best, 3], act[best, 1])
    for a in range(n):
        if a == act[best, 0] or a == act[best, 1]:
            kind[a] = 0
            continue
        g = group(left, sal, pw, ei[best, 2], ei[best, 3], a)
        inner = g >= 0 and (g == gi or g == gj)
        if row[a] > 0.0:
            kind[a] = 1 if inner else 3
        else:
            kind[a] = 2 if inner else 4
    return kept


@jit
def members_agree(e, a, act, sup, sf, mpos, msal, moff):
    """Whether every member of party ``a`` (a bloc that trades as one party: its members'
    positions and saliences are columns ``moff[a]:moff[a + 1]`` of ``mpos``, ``msal``, on
    0-100) would make exchange ``e``: none loses by it (decide's externality formula on the
    member's own positions and saliences is not negative). True for a party without
    members."""
    p_iss = sup[e, 1]
    q_iss = sup[e, 0]
    for c in range(moff[a], moff[a + 1]):
        xp = mpos[p_iss, c]
        xq = mpos[q_iss, c]
        left = abs(sf[e, 1, NBS0] - xp) - abs(sf[e, 1, NBS1] - xp)
        right = abs(sf[e, 0, NBS0] - xq) - abs(sf[e, 0, NBS1] - xq)
        if left * msal[p_iss, c] + right * msal[q_iss, c] < -EPS:
            return False
    return True


@jit
def round_end(realised, pos0, sal, ei, act, sup, sf, ef):
    """The end of a round (docs/exchange.md 9) after the exchanges ``realised`` (in order):
    the voting positions (m, n), the next round's start positions (m, n) and the exchanges
    as (K, 5) int64 rows of actor i, actor j, issue p, issue q, pair index and (K, 6)
    float64 rows of move i, move j, gain, dp, dq, rate."""
    nreal = realised.shape[0]
    voting = pos0.copy()
    for k in range(nreal):
        e = realised[k]
        for s in range(2):
            voting[sup[e, s], act[e, s]] = sf[e, s, Y]
    after = voting.copy()
    for k in range(nreal):
        e = realised[k]
        for s in range(2):
            d = sup[e, s]
            a = act[e, s]
            w = (1.0 - sal[d, a]) * SALIENCE_WEIGHT
            y = sf[e, s, Y]
            after[d, a] = w * y + FIXED_WEIGHT * y + (1.0 - w - FIXED_WEIGHT) * pos0[d, a]
    rows_i = np.zeros((nreal, 5), dtype=np.int64)
    rows_f = np.zeros((nreal, 6))
    for k in range(nreal):
        e = realised[k]
        rows_i[k, 0] = act[e, 0]
        rows_i[k, 1] = act[e, 1]
        rows_i[k, 2] = ei[e, 2]
        rows_i[k, 3] = ei[e, 3]
        rows_i[k, 4] = ei[e, 4]
        rows_f[k, 0] = sf[e, 0, MOVE]
        rows_f[k, 1] = sf[e, 1, MOVE]
        rows_f[k, 2] = ef[e, GAIN]
        rows_f[k, 3] = ef[e, DP]
        rows_f[k, 4] = ef[e, DQ]
        rows_f[k, 5] = ef[e, DQ] / ef[e, DP] if ef[e, DP] != 0.0 else math.nan
    return voting, after, rows_i, rows_f


@jit
def run_round(pos0, sal, pw, lo, hi, coins, coin_at, use_coins, mpos, msal, moff):
    """One round (docs/exchange.md 3-9) from start positions ``pos0`` (m, n):
    :func:`round_start`, then until the list is empty :func:`take_best` and, when both its
    actors accept it (:func:`accepts`), :func:`realise`; then :func:`round_end`.

    Returns the voting positions (m, n), the next round's start positions (m, n), the
    realised exchanges (K, 5) int64 actor i, actor j, issue p, issue q, pair index and
    (K, 6) float64 move i, move j, gain, dp, dq, rate, the externality totals (n, pairs),
    the next unused coin and whether the coins ran out (then nothing else is meaningful).
    """
    m, n = pos0.shape
    npairs = m * (m - 1) // 2
    den, ei, act, sup, dem, sf, ef, upd, hupd, lst, buf, length = round_start(pos0, sal, pw, lo, hi)
    total = ei.shape[0]
    realised = np.zeros(max(4 * total, 4), dtype=np.int64)
    rows = np.zeros((max(4 * total, 4), n))
    kinds = np.zeros((max(4 * total, 4), n), dtype=np.int64)
    left = sides(pos0, sal, pw)
    nreal = 0
    ext = np.zeros((n, npairs))
    ran_out = False
    dirty = True
    while length > 0:
        best, length, coin_at, ran_out, dirty = take_best(
            lst, length, ef, coins, coin_at, use_coins, dirty
        )
        if ran_out:
            break
        if not _both_accept(best, act, sup, sf, ef, lo, hi):
            continue
        if not (
            members_agree(best, act[best, 0], act, sup, sf, mpos, msal, moff)
            and members_agree(best, act[best, 1], act, sup, sf, mpos, msal, moff)
        ):
            continue
        if nreal >= realised.shape[0]:
            grown = np.zeros(2 * realised.shape[0], dtype=np.int64)
            grown[:nreal] = realised[:nreal]
            realised = grown
            grown_rows = np.zeros((2 * rows.shape[0], n))
            grown_rows[:nreal] = rows[:nreal]
            rows = grown_rows
            grown_kinds = np.zeros((2 * kinds.shape[0], n), dtype=np.int64)
            grown_kinds[:nreal] = kinds[:nreal]
            kinds = grown_kinds
        length = realise(best, lst, length, buf, ei, act, sup, dem, sf, ef, upd, hupd, pos0,
                         sal, pw, den, lo, hi, ext, rows[nreal], kinds[nreal], left)  # fmt: skip
        dirty = True
        realised[nreal] = best
        nreal += 1
    voting, after, rows_i, rows_f = round_end(realised[:nreal], pos0, sal, ei, act, sup, sf, ef)
    return voting, after, rows_i, rows_f, ext, rows[:nreal], kinds[:nreal], coin_at, ran_out


@jit
def run(pos, sal, pw, lo, hi, rounds, coins, use_coins, mpos, msal, moff):
    """A whole run of ``rounds`` rounds from positions ``pos`` (m, n) on 0-100.

    Returns positions (R+1, m, n) (round 0: the start; round r: the start of round r+1),
    voting positions (R, m, n), expected outcomes (R+1, m) (round 0 on the start
    positions, round r on round r's voting positions), the realised exchanges as (K, 5)
    int64 rows of round, actor i, actor j, issue p, issue q and (K, 6) float64 rows of
    move i (on q), move j (on p), gain, dp, dq, rate, the externality totals
    (R, n, pairs), the number of coins used and whether the coins ran out.
    """
    m, n = pos.shape
    npairs = m * (m - 1) // 2
    positions = np.zeros((rounds + 1, m, n))
    voting = np.zeros((rounds, m, n))
    nbs = np.zeros((rounds + 1, m))
    ext = np.zeros((rounds, n, npairs))
    positions[0] = pos
    nbs[0] = outcomes(pos, sal, pw)
    ex_i = np.zeros((16, 5), dtype=np.int64)
    ex_f = np.zeros((16, 6))
    ex_v = np.zeros((16, n))
    ex_k = np.zeros((16, n), dtype=np.int64)
    k = 0
    coin_at = 0
    for r in range(rounds):
        v, after, ri, rf, e, rv, rk, coin_at, ran_out = run_round(
            positions[r].copy(), sal, pw, lo, hi, coins, coin_at, use_coins, mpos, msal, moff
        )
        if ran_out:
            return (positions, voting, nbs, ex_i[:k], ex_f[:k], ext, ex_v[:k], ex_k[:k],
                    coin_at, True)  # fmt: skip
        voting[r] = v
        positions[r + 1] = after
        nbs[r + 1] = outcomes(v, sal, pw)
        ext[r] = e
        need = k + ri.shape[0]
        if need > ex_i.shape[0]:
            size = max(2 * ex_i.shape[0], need)
            gi = np.zeros((size, 5), dtype=np.int64)
            gf = np.zeros((size, 6))
            gv = np.zeros((size, n))
            gk = np.zeros((size, n), dtype=np.int64)
            gi[:k] = ex_i[:k]
            gf[:k] = ex_f[:k]
            gv[:k] = ex_v[:k]
            gk[:k] = ex_k[:k]
            ex_i = gi
            ex_f = gf
            ex_v = gv
            ex_k = gk
        for t in range(ri.shape[0]):
            ex_i[k, 0] = r + 1
            for c in range(4):
                ex_i[k, c + 1] = ri[t, c]
            ex_f[k] = rf[t]
            ex_v[k] = rv[t]
            ex_k[k] = rk[t]
            k += 1
    return positions, voting, nbs, ex_i[:k], ex_f[:k], ext, ex_v[:k], ex_k[:k], coin_at, False


KINDS = ("own", "ip", "in", "op", "on")
"""decide's kinds of externality: own; inner positive, negative; outer positive, negative."""


def no_members(n):
    """The member arrays of a run in which every party is an actor: ``mpos``, ``msal``
    (m, 0) and ``moff`` (n + 1,) zeros."""
    return np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(n + 1, dtype=np.int64)


def simulate(pos, sal, pw, lo, hi, rounds, seed=None, members=None):
    """:func:`run` from Python: ``seed`` None keeps equal gains in their order (decide with
    random tie-breaking off); a seed breaks ties with coins from ``random.Random(seed)``, as
    decide does after ``random.seed(seed)``. ``members``: None, or ``(mpos, msal, moff)``
    for parties that are blocs (:func:`members_agree`). Returns a dict of the run's arrays,
    with ``ext_value`` (K, n) every actor's externality of every realised exchange."""

    pos = np.ascontiguousarray(pos, dtype=np.float64)
    sal = np.ascontiguousarray(sal, dtype=np.float64)
    pw = np.ascontiguousarray(pw, dtype=np.float64)
    lo = np.ascontiguousarray(lo, dtype=np.float64)
    hi = np.ascontiguousarray(hi, dtype=np.float64)
    if members is None:
        members = no_members(pos.shape[1])
    mpos, msal, moff = members
    mpos = np.ascontiguousarray(mpos, dtype=np.float64).reshape(pos.shape[0], -1)
    msal = np.ascontiguousarray(msal, dtype=np.float64).reshape(pos.shape[0], -1)
    moff = np.ascontiguousarray(moff, dtype=np.int64)
    size = 64
    while True:
        if seed is None:
            coins = np.zeros(0)
        else:
            rng = random.Random(seed)
            coins = np.array([rng.random() for _ in range(size)])
        out = run(pos, sal, pw, lo, hi, int(rounds), coins, seed is not None, mpos, msal, moff)
        if not out[9]:
            break
        size *= 4
    positions, voting, nbs, ex_i, ex_f, ext, ex_v, ex_k, used, _ = out
    return {
        "positions": positions,
        "voting": voting,
        "outcomes": nbs,
        "ex_int": ex_i,
        "ex_float": ex_f,
        "externalities": ext,
        "ties": int(used),
        "ext_value": ex_v,
        "ext_kind": ex_k,
    }
