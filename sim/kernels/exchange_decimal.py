"""The exchange model in decide's own arithmetic: 28-digit decimal, decide's order of operations.

decide-exchange-model computes in ``decimal.Decimal`` with the default context (28
significant digits, round half even) and decides some of its branches on numbers that are
equal in exact arithmetic: an exchange cut so that an outcome lands on an actor's position is
later compared with that position, and the sign of a residual of about 1e-26 decides whether
the next exchange is cut. A binary-float computation of the same algorithm parts from decide
where those residuals fall the other way (docs/exchange.md, "Number format"). This module
computes exactly what decide computes: every sum in decide's order (the actors of an issue in
the order of their rows in the input), every product and quotient in decide's association,
decide's constants converted from binary floats as decide converts them. It is plain Python
(decimal arithmetic has no numba form); :mod:`sim.kernels.exchange` is the float64 kernel for
ensembles, sweeps and backtests.

Inputs are per issue ``d`` and actor ``a``: ``pos[d][a]`` on decide's 0-100 scale, ``sal``,
``pw`` (Decimal), ``present[d][a]`` (an actor without a value on an issue takes no part in it:
no term in its sums, no exchange on a pair with it, no externality), ``order[d]`` (the actors
of issue d in summation order), and optional red lines ``lo[d][a]``/``hi[d][a]`` on 0-100
(``None``: none). :func:`simulate` returns the arrays :func:`sim.kernels.exchange.simulate`
returns, plus each realised exchange's externalities.
"""

from __future__ import annotations

import decimal
import random
from decimal import Decimal

import numpy as np

CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""Python's default decimal context, the one decide runs in (set here, whatever the caller's)."""
SALIENCE_WEIGHT = Decimal(0.4)
"""decide's weight of the salience in the position update, from the binary float 0.4."""
FIXED_WEIGHT = Decimal(0.1)
"""decide's fixed weight of the voting position in the position update, from 0.1."""
MIN_MOVE = 1e-10
"""decide's smallest valid move and gain (a binary float compared exactly)."""
TIE = 1e-20
"""decide's test of a near tie between the best exchange and the runner-up."""
ZERO = Decimal(0)
MEMBER_TOL = 1e-7
"""A bloc's member loses by an exchange when its gain is below -1e-7 (the float kernel's
tolerance: a gain that is 0 in exact arithmetic is no loss in either)."""
KINDS = ("own", "ip", "in", "op", "on")
"""decide's kinds of externality: the exchanging pair's own gain; inner (in the pair's groups)
positive and negative; outer positive and negative."""


def to_decimal(value) -> Decimal:
    """A number as decide reads it from text: ``Decimal(repr(float))``, so 0.95 is 0.95."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | np.integer):
        return Decimal(int(value))
    return Decimal(repr(float(value)))


def normalise(x, lower, upper) -> Decimal:
    """decide's ``Issue.normalize``: ``(x - lower) * (100 / (upper - lower))``."""
    with decimal.localcontext(CONTEXT):
        lower = to_decimal(lower)
        return (to_decimal(x) - lower) * (Decimal(100) / (to_decimal(upper) - lower))


class _Side:
    """One actor's side of an exchange: it moves on ``sup`` and wants the other to move on
    ``dem``."""

    __slots__ = (
        "a", "sup", "dem", "k", "x", "s", "c", "sc", "want", "dem_s", "start", "moves",
        "move", "y", "nbs0", "nbs1", "other", "eu", "eu_max",
    )  # fmt: skip

    def __init__(self, a, sup, dem, k, pos, sal, pw):
        self.a = a
        self.sup = sup
        self.dem = dem
        self.k = k  # 0 if sup is the pair's first issue, else 1
        self.x = pos[sup][a]  # current position on the supply issue (changes in a round)
        self.s = sal[sup][a]
        self.c = pw[sup][a]
        self.sc = self.s * self.c
        self.want = pos[dem][a]  # round-start position on the demand issue
        self.dem_s = sal[dem][a]
        self.start = self.x
        self.moves = []
        self.move = ZERO
        self.y = None
        self.nbs0 = ZERO
        self.nbs1 = ZERO
        self.other = None
        self.eu = ZERO  # this side's gain (the exchange's, unless randomised)
        self.eu_max = None


class _Exchange:
    __slots__ = ("a", "b", "p", "q", "pair", "groups", "i", "j", "gain", "dp", "dq", "valid",
                 "upd")  # fmt: skip

    def __init__(self, a, b, p, q, pair, groups, i, j):
        self.a, self.b, self.p, self.q, self.pair, self.groups = a, b, p, q, pair, groups
        self.i, self.j = i, j
        self.gain = ZERO
        self.dp = ZERO
        self.dq = ZERO
        self.valid = True
        self.upd = ({}, {})  # recorded voting positions of other actors on p (0) and q (1)


class _Round:
    """One round's computations on the start positions ``pos`` (decide's per-round state)."""

    def __init__(self, pos, sal, pw, present, order, den, lo, hi, members=None, p=None,
                 rng=None):  # fmt: skip
        self.pos, self.sal, self.pw, self.present = pos, sal, pw, present
        self.order, self.den, self.lo, self.hi = order, den, lo, hi
        self.members = members
        self.p = p  # decide's randomised equal gain: None or 0 for the plain model
        self.rng = rng

    # -- decide calculations.adjusted_nbs: start positions, updates, the side at new_x
    def adjusted(self, side, e, new_x):
        d = side.sup
        pos, sal, pw = self.pos[d], self.sal[d], self.pw[d]
        upd = e.upd[side.k]
        me = side.a
        num = 0
        for a in self.order[d]:
            if a == me:
                v = new_x
            else:
                v = upd.get(a)
                if v is None:
                    v = pos[a]
            num += v * sal[a] * pw[a]
        return num / self.den[d]

    # -- decide calculations.adjusted_nbs_by_position: the signed change of the side's
    # position that brings the outcome to `outcome` (the side's own term stays in the sum)
    def shift_for(self, side, e, outcome):
        d = side.sup
        pos, sal, pw = self.pos[d], self.sal[d], self.pw[d]
        upd = e.upd[side.k]
        me = side.a
        num = 0
        for a in self.order[d]:
            v = upd.get(a)
            if v is None:
                v = side.x if a == me else pos[a]
            num += v * sal[a] * pw[a]
        return (outcome * self.den[d] - num) / side.sc

    def valid_move(self, side, move):
        # decide AbstractExchangeActor.is_move_valid, and the red line
        if abs(move) > 100 or abs(move) <= MIN_MOVE:
            return False
        y = side.x + move
        if y < 0 or y > 100:
            return False
        lo = self.lo
        if lo is not None:
            d, a = side.sup, side.a
            if y < lo[d][a] or y > self.hi[d][a]:
                return False
        moves = side.moves
        if sum(moves) > 100:
            return False
        return (min(moves) < 0 and max(moves) < 0) or (min(moves) > 0 and max(moves) > 0)

    @staticmethod
    def ratio_from(side, ratio):
        # decide calculations.by_exchange_ratio
        return ((side.s + side.other.dem_s) / (side.dem_s + side.other.s)) * ratio

    @staticmethod
    def utility(side, demand_ratio, supply_ratio):
        # decide calculations.expected_utility
        return abs(demand_ratio * side.s - supply_ratio * side.dem_s)

    def check_nbs(self, side, e):
        # decide AbstractExchangeActor.check_nbs: the outcome on the side's supply issue
        # must not pass the other actor's position there; if it does, cut the move so that
        # it lands on it
        side.nbs0 = self.adjusted(side, e, side.x)
        side.nbs1 = self.adjusted(side, e, side.y)
        other = side.other
        target = other.want
        if target - side.nbs0 >= 0 and target - side.nbs1 >= 0:
            return
        if target - side.nbs0 <= 0 and target - side.nbs1 <= 0:
            return
        delta = abs(self.shift_for(side, e, target))
        e.dp = delta * side.s * side.c / self.den[side.sup]
        e.dq = self.ratio_from(side, e.dp)
        other.move = abs(e.dq * self.den[other.sup] / (other.c * other.s))
        side.move = delta
        if other.x > side.want:
            other.move = -other.move
        if side.x > target:
            side.move = -side.move
        other.moves[-1] = other.move
        side.moves[-1] = side.move
        other.y = other.x + other.move
        side.y = side.x + side.move
        e.gain = self.utility(other, e.dq, e.dp)
        side.nbs1 = self.adjusted(side, e, side.y)
        e.valid = self.valid_move(other, other.move) and self.valid_move(side, side.move)

    def calculate(self, e):
        # decide EqualGainExchange.calculate
        i, j = e.i, e.j
        den = self.den
        e.dp = abs(i.want - j.x) * j.s * j.c / den[j.sup]
        e.dq = self.ratio_from(j, e.dp)
        i.move = e.dq * den[i.sup] / (i.c * i.s)
        j.move = abs(i.want - j.x)
        if abs(i.move) > abs(j.want - i.x):
            e.dq = abs(j.want - i.x) * i.s * i.c / den[i.sup]
            e.dp = self.ratio_from(i, e.dq)
            i.move = abs(j.want - i.x)
            j.move = e.dp * den[j.sup] / (j.c * j.s)
        if i.x > j.want:
            i.move = -i.move
        if j.x > i.want:
            j.move = -j.move
        i.moves.append(i.move)
        j.moves.append(j.move)
        i.y = i.x + i.move
        j.y = j.x + j.move
        e.gain = self.utility(i, e.dq, e.dp)
        i.eu = j.eu = e.gain
        e.valid = self.valid_move(i, i.move) and self.valid_move(j, j.move)
        if e.gain < MIN_MOVE:
            e.valid = False
        if not e.valid:
            return
        self.check_nbs(i, e)
        self.check_nbs(j, e)
        e.valid = self.valid_move(i, i.move) and self.valid_move(j, j.move)
        if self.p is not None and self.p > 0:
            # decide EqualGainExchange.calculate with randomized_value p: three draws (u, v,
            # z) whether or not the outcome checks left the exchange valid
            u = self.rng.random()
            v = self.rng.random()
            z = Decimal(self.rng.random())
            self.maximum_utility(e)
            self.randomised_gain(i if u < 0.5 else j, e, v, z)

    def maximum_utility(self, e):
        # decide EqualGainExchange.calculate_maximum_utility, as written (it compares a
        # side's demand position with its voting position on the other issue)
        i, j = e.i, e.j
        i_optimal = i.want == i.y
        j_optimal = j.want == j.y
        i_adjusted = self.adjusted(i, e, i.y if i_optimal else j.want)
        j_adjusted = self.adjusted(j, e, j.y if j_optimal else i.want)
        i_delta = abs(i.nbs0 - i_adjusted)
        j_delta = abs(j.nbs0 - j_adjusted)
        loss_1 = j_delta * j.s
        gain_2 = j_delta * i.dem_s
        loss_2 = i_delta * i.s
        gain_1 = i_delta * j.dem_s
        utility_i = gain_1 - loss_1
        utility_j = gain_2 - loss_2
        overwrite = None
        if i_optimal and utility_i > 0:
            overwrite = gain_2 - (loss_1 / j.dem_s) * i.s
        if j_optimal and utility_j > 0:
            overwrite = gain_1 - (loss_2 / i.dem_s) * j.s
        if gain_2 > gain_1:
            side, gain, loss = j, gain_1, loss_2
        else:
            side, gain, loss = i, gain_2, loss_1
        other = side.other
        s = side.s / (side.s + other.dem_s)
        delta_u1 = loss / (s * other.dem_s)
        delta_u2 = gain / (s * side.s)
        if overwrite:
            other.eu_max = overwrite
        else:
            other.eu_max = s * other.dem_s * delta_u2 - loss
        side.eu_max = gain - (s * side.s * delta_u1)

    def randomised_gain(self, side, e, v, z):
        # decide EqualGainExchangeActor.randomized_gain, as written: ``side`` wins (v < 0.5:
        # its gain moves towards its maximum) or loses (towards 0) by p z of the way; the
        # rates and moves are solved again for that gain, with decide's interval and
        # outcome checks; the exchange's gain (its rank) stays the equal gain
        p = self.p
        other = side.other
        den = self.den
        eu = e.gain
        if v < 0.5:
            eui = eu + p * z * (side.eu_max - eu)
        else:
            eui = eu - p * z * eu
        move_i = abs(side.x - other.want)
        ratio_q = move_i * side.s * side.c / den[side.sup]
        ratio_p = (eui + ratio_q * side.s) / side.dem_s
        move_j = (ratio_p * den[other.sup]) / (other.c * other.s)
        euj = abs(self.utility(other, ratio_p, ratio_q))
        gap_j = abs(other.x - side.want)
        if abs(move_j) > gap_j:
            ratio_p = gap_j * other.s * other.c / den[other.sup]
            ratio_q = abs((eui - ratio_p * side.dem_s) / side.s)
            move_j = gap_j
            move_i = (ratio_q * den[side.sup]) / (side.c * side.s)
            if abs(move_i) < abs(side.x - other.want):
                euj = abs(self.utility(other, ratio_p, ratio_q))
                # decide sets the other side's nbs_0 to the adjusted outcome and then tests
                # whether it passes: a test that always passes, so nothing is cut here
                signed = -move_j if other.x > side.want else move_j
                other.nbs0 = self.adjusted(other, e, other.x + signed)
        else:
            signed = -move_i if side.x > other.want else move_i
            adjusted = self.adjusted(side, e, side.x + signed)
            target = other.want
            if not (
                (target >= side.nbs0 and target >= adjusted)
                or (target <= side.nbs0 and target <= adjusted)
            ):
                delta = abs(self.shift_for(side, e, target))
                ratio_q = delta * side.s * side.c / den[side.sup]
                ratio_p = (eui + ratio_q * side.s) / side.dem_s
                move_j = (ratio_p * den[other.sup]) / (other.c * other.s)
                euj = abs(self.utility(other, ratio_p, ratio_q))
                move_i = signed  # decide keeps the uncut, signed move here
        side.eu = eui
        other.eu = euj
        side.move = move_i
        other.move = move_j
        if side.x > other.want:
            side.move = -side.move
        if other.x > side.want:
            other.move = -other.move
        side.moves[-1] = side.move
        other.moves[-1] = other.move
        side.y = side.x + side.move
        other.y = other.x + other.move
        e.valid = self.valid_move(side, side.move) and self.valid_move(other, other.move)
        side.nbs0 = self.adjusted(side, e, side.x)
        side.nbs1 = self.adjusted(side, e, side.y)
        other.nbs0 = self.adjusted(other, e, other.x)
        other.nbs1 = self.adjusted(other, e, other.y)

    def recalculate(self, e, done):
        # decide AbstractExchange.recalculate after exchange `done` was realised
        hit = False
        for side in (e.i, e.j):
            for d in (done.i, done.j):
                if side.a == d.a and side.sup == d.sup:
                    side.x = d.y
                    side.moves.append(d.moves[-1])
                    hit = True
                    break
        again = hit
        if again:
            e.i.moves.pop()
            e.j.moves.pop()
        for d_demand, d_other in ((done.j, done.i), (done.i, done.j)):
            shares = (d_demand.a == e.i.a and d_demand.dem == e.i.dem) or (
                d_demand.a == e.j.a and d_demand.dem == e.j.dem
            )
            if not shares:
                continue
            issue = d_demand.dem
            upd = e.upd[0 if issue == e.p else 1]
            old = upd.get(d_other.a)
            if old is None:
                upd[d_other.a] = d_other.y
            elif d_other.start <= old:  # decide AbstractExchange.update_updates
                upd[d_other.a] = old if old < d_other.y else d_other.y
            else:
                upd[d_other.a] = old if old > d_other.y else d_other.y
            if not again:
                e.i.moves.pop()
                e.j.moves.pop()
                again = True
        if again:
            self.calculate(e)

    def externality(self, a, e):
        # decide calculations.actor_externalities
        p_iss, q_iss = e.j.sup, e.i.sup
        if not (self.present[p_iss][a] and self.present[q_iss][a]):
            return 0
        xp = self.pos[p_iss][a]
        xq = self.pos[q_iss][a]
        left = abs(e.j.nbs0 - xp) - abs(e.j.nbs1 - xp)
        right = abs(e.i.nbs0 - xq) - abs(e.i.nbs1 - xq)
        return left * self.sal[p_iss][a] + right * self.sal[q_iss][a]

    def members_agree(self, e, a):
        """Whether every member of party ``a`` (a bloc that trades as one party) would make
        exchange ``e``: none loses by it (its gain, decide's externality formula on the
        member's own positions and saliences, is not below -:data:`MEMBER_TOL`). True for a
        party without members."""
        if self.members is None:
            return True
        p_iss, q_iss = e.j.sup, e.i.sup
        for xs, ss in self.members[a] or ():
            left = abs(e.j.nbs0 - xs[p_iss]) - abs(e.j.nbs1 - xs[p_iss])
            right = abs(e.i.nbs0 - xs[q_iss]) - abs(e.i.nbs1 - xs[q_iss])
            if left * ss[p_iss] + right * ss[q_iss] < -MEMBER_TOL:
                return False
        return True

    def accepts(self, e, a):
        """Whether party ``a`` accepts exchange ``e`` as it stands: the exchange is valid
        (both moves valid, the gain at least decide's smallest; decide checks both sides
        together) and, for a bloc, none of its members loses by it."""
        return e.valid and self.members_agree(e, a)


def _outcome(pos_d, sal_d, pw_d, order_d, den_d):
    # decide calculations.nash_bargaining_solution
    if den_d == 0:
        return ZERO
    num = 0
    for a in order_d:
        num += pos_d[a] * sal_d[a] * pw_d[a]
    return num / den_d


def _round(pos, sal, pw, present, order, den, lo, hi, rng, ties, members=None, offer=None,
           p=None, coins=True):  # fmt: skip
    """One round from start positions ``pos``: the realised exchanges (with each one's
    externalities and kinds), the voting positions and the next start positions.
    ``offer(round, exchange, party)``: whether the party accepts the exchange that comes
    first (default ``round.accepts``); it is realised when both its parties accept."""
    m = len(pos)
    n = len(pos[0])
    r = _Round(pos, sal, pw, present, order, den, lo, hi, members, p, rng)
    if offer is None:
        offer = _Round.accepts
    nbs = [_outcome(pos[d], sal[d], pw[d], order[d], den[d]) for d in range(m)]
    left = [[pos[d][a] <= nbs[d] for a in range(n)] for d in range(m)]
    exchanges = []
    groups_of = {}
    pair = 0
    for p in range(m):
        for q in range(p + 1, m):
            g = [-1] * n
            for a in range(n):
                if present[p][a] and present[q][a]:
                    g[a] = int(left[p][a]) + 2 * int(left[q][a])
            groups_of[pair] = g
            for ga, gb in ((0, 3), (1, 2)):
                for a in range(n):
                    if g[a] != ga:
                        continue
                    for b in range(n):
                        if g[b] != gb:
                            continue
                        # decide AbstractExchange.__init__: who supplies which issue
                        if sal[p][a] / sal[q][a] < sal[p][b] / sal[q][b]:
                            ia, ja = b, a
                        else:
                            ia, ja = a, b
                        i = _Side(ia, q, p, 1, pos, sal, pw)
                        j = _Side(ja, p, q, 0, pos, sal, pw)
                        i.other, j.other = j, i
                        e = _Exchange(a, b, p, q, pair, (ga, gb), i, j)
                        r.calculate(e)
                        exchanges.append(e)
            pair += 1
    realised = []
    ext_rows = []
    while exchanges:
        # stable sort, highest gain first (decide EqualGainModel.sort_exchanges)
        exchanges.sort(key=_gain, reverse=True)
        best = exchanges.pop(0)
        if coins and rng is not None and exchanges:
            # decide EqualGainModel.highest_gain with random tie-breaking: a coin between the
            # best and a runner-up within 1e-20; the loser is appended to the list again
            runner_up = exchanges[0]
            if abs(best.gain - runner_up.gain) < TIE:
                ties[0] += 1
                if rng.random() >= 0.5:
                    exchanges.append(best)
                    best = exchanges.pop(0)
                else:
                    exchanges.append(runner_up)
        yes_i = offer(r, best, best.i.a)
        yes_j = offer(r, best, best.j.a)
        if not (yes_i and yes_j):
            continue
        kept = []
        for ex in exchanges:
            if ex.valid:
                r.recalculate(ex, best)
                if ex.valid:
                    kept.append(ex)
        exchanges = kept
        realised.append(best)
        g = groups_of[best.pair]
        values = []
        for a in range(n):
            if a == best.i.a or a == best.j.a:
                values.append((0, best.gain))  # decide reports the pair's gain as its own
                continue
            v = r.externality(a, best)
            inner = g[a] == best.groups[0] or g[a] == best.groups[1]
            if v > 0:
                values.append((1 if inner else 3, v))
            else:
                values.append((2 if inner else 4, v))
        ext_rows.append(values)
    voting = [list(row) for row in pos]
    for e in realised:
        voting[e.i.sup][e.i.a] = e.i.y
        voting[e.j.sup][e.j.a] = e.j.y
    after = [list(row) for row in voting]
    for e in realised:
        for side in (e.i, e.j):
            s = side.s
            after[side.sup][side.a] = (
                (1 - s) * SALIENCE_WEIGHT * side.y
                + FIXED_WEIGHT * side.y
                + (1 - (1 - s) * SALIENCE_WEIGHT - FIXED_WEIGHT) * side.start
            )
    return realised, ext_rows, voting, after


def _gain(e):
    return e.gain


def simulate(pos, sal, pw, present, order, rounds, seed=None, lo=None, hi=None, members=None,
             p=None, random_ties=None):  # fmt: skip
    """A run of ``rounds`` rounds in decide's arithmetic.

    ``seed`` None keeps equal gains in their order (decide with random tie-breaking off);
    a seed breaks near ties with coins from ``random.Random(seed)``, as decide does after
    ``random.seed(seed)``. Returns the dict of :func:`sim.kernels.exchange.simulate`
    (positions, voting, outcomes, ex_int, ex_float, externalities, ties; float64 arrays on
    0-100) with ``ext_kind`` (K, n) int64 (an index into :data:`KINDS`) and ``ext_value``
    (K, n) float64: every actor's externality of every realised exchange.

    ``members`` (optional, one entry per actor): None for an actor, or for a bloc that
    trades as one party the list of its members' ``(positions, saliences)`` per issue (0-100):
    an exchange of the bloc's is realised only if no member loses by it (else it is dropped,
    as decide drops an exchange that is no longer valid).

    ``p`` (above 0): decide's randomised equal gain (``EqualGainModel(randomized_value=p)``):
    each calculated exchange draws u, v, z from ``random.Random(seed)`` and one side's gain is
    moved by p z towards its maximum or towards 0. ``random_ties`` (default: whether a seed
    is given) switches the coins between near-equal gains; coins and draws come from the one
    generator, in decide's order. The result then has ``gain_sides`` (K, 2): each side's gain.
    """
    with decimal.localcontext(CONTEXT):
        return _simulate(pos, sal, pw, present, order, int(rounds), seed, lo, hi, members, p,
                         random_ties)  # fmt: skip


def _simulate(pos, sal, pw, present, order, rounds, seed, lo, hi, members, p, random_ties):
    run = DecimalRun(pos, sal, pw, present, order, rounds, seed, lo, hi, members, p, random_ties)
    while run.round < run.limit:
        run.step()
    return run.result()


class DecimalRun:
    """A run in decide's arithmetic, one round per :meth:`step` (the mesa agents step it
    with their own ``offer``); :meth:`result` is :func:`simulate`'s dict so far. Build it
    inside ``decimal.localcontext(CONTEXT)`` or through :func:`simulate`; :meth:`step`
    sets the context itself."""

    def __init__(self, pos, sal, pw, present, order, rounds, seed=None, lo=None, hi=None,
                 members=None, p=None, random_ties=None):  # fmt: skip
        with decimal.localcontext(CONTEXT):
            self._setup(pos, sal, pw, present, order, int(rounds), seed, lo, hi, members)
            self.p = None if p is None or p == 0 else to_decimal(p)
            self.coins = (seed is not None) if random_ties is None else bool(random_ties)
            if (self.p is not None or self.coins) and self.rng is None:
                raise ValueError("random tie-breaking and p > 0 need a seed")

    def _setup(self, pos, sal, pw, present, order, rounds, seed, lo, hi, members):
        m = len(pos)
        n = len(pos[0]) if m else 0
        self.m, self.n, self.limit, self.round = m, n, rounds, 0
        npairs = m * (m - 1) // 2
        self.pos = [[to_decimal(v) for v in row] for row in pos]
        self.sal = [[to_decimal(v) for v in row] for row in sal]
        self.pw = [[to_decimal(v) for v in row] for row in pw]
        if lo is not None:
            lo = [[to_decimal(v) for v in row] for row in lo]
            hi = [[to_decimal(v) for v in row] for row in hi]
        self.lo, self.hi = lo, hi
        self.order = [list(o) for o in order]
        self.present = [[bool(v) for v in row] for row in present]
        if members is not None:
            members = [
                None
                if ms is None
                else [([to_decimal(v) for v in xs], [to_decimal(v) for v in ss]) for xs, ss in ms]
                for ms in members
            ]
        self.members = members
        # decide calculations.calc_nbs_denominator, in the issue's order
        self.den = []
        for d in range(m):
            t = 0
            for a in self.order[d]:
                t += self.sal[d][a] * self.pw[d][a]
            self.den.append(t)
        self.rng = None if seed is None else random.Random(seed)
        self.ties = [0]
        self.positions = np.zeros((rounds + 1, m, n))
        self.voting = np.zeros((rounds, m, n))
        self.outcomes = np.zeros((rounds + 1, m))
        self.ext = np.zeros((rounds, n, npairs))
        self.ex_int, self.ex_float, self.kinds, self.values = [], [], [], []
        self.gain_sides = []
        self.positions[0] = np.array(self.pos, dtype=np.float64).reshape(m, n)
        self.outcomes[0] = [self._outcome_of(self.pos, d) for d in range(m)]

    def _outcome_of(self, pos, d):
        return float(_outcome(pos[d], self.sal[d], self.pw[d], self.order[d], self.den[d]))

    def step(self, offer=None) -> None:
        """One round; ``offer(round, exchange, party)`` decides for each party (default: the
        exchange is valid and, for a bloc, no member loses by it)."""
        if self.round >= self.limit:
            return
        with decimal.localcontext(CONTEXT):
            self._step(offer)

    def _step(self, offer):
        r, m, n = self.round, self.m, self.n
        realised, ext_rows, voting, after = _round(
            self.pos, self.sal, self.pw, self.present, self.order, self.den, self.lo, self.hi,
            self.rng, self.ties, self.members, offer, self.p, self.coins,
        )  # fmt: skip
        for e, row in zip(realised, ext_rows, strict=True):
            self.ex_int.append((r + 1, e.i.a, e.j.a, e.p, e.q))
            rate = float(e.dq / e.dp) if e.dp != 0 else float("nan")
            self.ex_float.append(
                (float(e.i.move), float(e.j.move), float(e.gain), float(e.dp), float(e.dq), rate)
            )
            # each side's gain: the exchange's, unless randomised (p > 0)
            sides = (e.i.eu, e.j.eu) if self.p is not None else (e.gain, e.gain)
            self.gain_sides.append((float(sides[0]), float(sides[1])))
            self.kinds.append([k for k, _ in row])
            self.values.append([float(v) for _, v in row])
            for a, (_, v) in enumerate(row):
                self.ext[r, a, e.pair] += float(v)
        self.voting[r] = np.array(voting, dtype=np.float64).reshape(m, n)
        self.outcomes[r + 1] = [self._outcome_of(voting, d) for d in range(m)]
        self.pos = after
        self.positions[r + 1] = np.array(after, dtype=np.float64).reshape(m, n)
        self.round = r + 1

    def result(self) -> dict:
        R, n = self.round, self.n
        K = len(self.ex_int)
        return {
            "positions": self.positions[: R + 1],
            "voting": self.voting[:R],
            "outcomes": self.outcomes[: R + 1],
            "ex_int": np.array(self.ex_int, dtype=np.int64).reshape(K, 5),
            "ex_float": np.array(self.ex_float, dtype=np.float64).reshape(K, 6),
            "externalities": self.ext[:R],
            "ties": self.ties[0],
            "ext_kind": np.array(self.kinds, dtype=np.int64).reshape(K, n),
            "ext_value": np.array(self.values, dtype=np.float64).reshape(K, n),
            "gain_sides": np.array(self.gain_sides, dtype=np.float64).reshape(K, 2),
        }
