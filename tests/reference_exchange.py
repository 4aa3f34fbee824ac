"""Slow, plain-loop reference of the Stokman-Van Oosten exchange model as decide computes it.

This follows decide-exchange-model's equal-gain model step by step (see docs/exchange.md,
which names decide's function for each step), including its quirks, so that sim's own
implementation can be checked against it. Positions are on a 0-100 scale: an input position x
on an issue with bounds [lower, upper] becomes (x - lower) * 100 / (upper - lower).

Only the equal-gain model with p = 0 is implemented; other variants raise NotImplementedError.
"""

import random
from decimal import Decimal
from fractions import Fraction
from itertools import combinations

# decide's constants, turned into Decimal from the binary floats as decide does
SALIENCE_WEIGHT = Decimal(0.4)  # decide AbstractModel.SALIENCE_WEIGHT
FIXED_WEIGHT = Decimal(0.1)  # decide AbstractModel.FIXED_WEIGHT
ZERO = 0  # decide starts its sums from the integer 0


def read_decide_file(path):
    """Read a decide input file (#A, #P, #M, #D rows, tab separated, quoted strings)."""
    actors, issues, bounds = [], [], {}
    position, salience, power = {}, {}, {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            cells = [c.strip().strip("'") for c in line.rstrip("\n").split("\t")]
            if not cells or not cells[0]:
                continue
            kind = cells[0]
            if kind == "#A":
                actors.append(cells[1])
            elif kind == "#P":
                issues.append(cells[1])
            elif kind == "#M":
                bounds.setdefault(cells[1], []).append(Decimal(cells[2]))
            elif kind == "#D":
                actor, issue = cells[1], cells[2]
                position[(actor, issue)] = Decimal(cells[3])
                salience[(actor, issue)] = Decimal(cells[4])
                power[(actor, issue)] = Decimal(cells[5])
    lower = {i: min(bounds[i]) for i in issues}
    upper = {i: max(bounds[i]) for i in issues}
    return actors, issues, position, salience, power, lower, upper


class _Side:
    """One actor's side of an exchange: the issue it gives way on (supply) and the one it wants."""

    def __init__(self, actor, supply, demand, x, s, c, demand_x, demand_s):
        self.actor = actor
        self.supply = supply  # issue on which this actor moves
        self.demand = demand  # issue on which the other actor moves
        self.x = x  # current position on the supply issue (updated within a round)
        self.s = s  # salience on the supply issue
        self.c = c  # power on the supply issue
        self.demand_x = demand_x  # position on the demand issue at the start of the round
        self.demand_s = demand_s  # salience on the demand issue
        self.start = x  # position on the supply issue at the start of the round
        self.moves = []
        self.move = ZERO
        self.y = None
        self.nbs_0 = ZERO
        self.nbs_1 = ZERO
        self.other = None


class _Exchange:
    def __init__(self, i, j, p, q, groups):
        self.i = i
        self.j = j
        self.p = p
        self.q = q
        self.groups = groups
        self.gain = ZERO
        self.dp = ZERO
        self.dq = ZERO
        self.valid = True
        self.updates = {}  # issue -> {actor: position}


def _dec_text(value):
    """Decimal as decide reads it: from the number's text, so 0.95 is exactly 0.95."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _nbs(pos, sal, pw, actors, issue):
    num = ZERO
    den = ZERO
    for a in actors:
        num += pos[issue][a] * sal[(a, issue)] * pw[(a, issue)]
        den += sal[(a, issue)] * pw[(a, issue)]
    if den == 0:
        return ZERO
    return num / den


def exchange_run(
    actors,
    issues,
    position,
    salience,
    power,
    lower,
    upper,
    rounds=10,
    model="equal",
    p=0.0,
    seed=None,
    exact=False,
):
    """Run the exchange model; return the initial state and a list with one dict per round.

    ``position``, ``salience`` and ``power`` map (actor, issue) to numbers on the input scale;
    ``lower``/``upper`` map issue to its bounds. Each round dict holds ``nbs`` (expected outcome
    per issue on the voting positions at the end of the round, 0-100), ``voting`` and
    ``position`` (issue -> actor -> 0-100 position: the voting positions and the start
    positions of the next round), ``exchanges`` (realised, in order), ``externalities`` (per
    realised exchange, actor -> kind "own"/"ip"/"in"/"op"/"on", value, raw value) and
    ``externality_totals`` (their sums per actor and per issue pair "p-q" over the round).
    """
    if model != "equal" or p != 0.0:
        raise NotImplementedError("only the equal-gain model with p = 0 is implemented")
    # exact=True: the same steps in exact rational arithmetic (Fraction), the model as exact
    # arithmetic sees it, rather than decide's 28-digit Decimal
    if exact:
        number = Fraction
        weights = Fraction(0.4), Fraction(0.1)
        gain_tol = Fraction(1, 10**9)

        def _dec(value):  # noqa: F811 - the exact reading of a number's text
            return Fraction(str(value)) if not isinstance(value, Fraction) else value
    else:
        number = Decimal
        weights = SALIENCE_WEIGHT, FIXED_WEIGHT
        gain_tol = Decimal("1e-9")
        _dec = _dec_text
    salience_weight, fixed_weight = weights
    # seed None: equal gains keep their order (decide with ALLOW_RANDOM off); else ties are
    # broken by random.Random(seed), as decide does with ALLOW_RANDOM on after random.seed(seed)
    rng = None if seed is None else random.Random(seed)
    sal = {k: _dec(v) for k, v in salience.items()}
    pw = {k: _dec(v) for k, v in power.items()}
    pos = {}
    for issue in issues:
        # decide Issue.normalize: (x - lower) * (100 / (upper - lower)), in Decimal
        step = number(100) / (_dec(upper[issue]) - _dec(lower[issue]))
        pos[issue] = {}
        for a in actors:
            pos[issue][a] = (_dec(position[(a, issue)]) - _dec(lower[issue])) * step
    den = {}
    for issue in issues:
        den[issue] = ZERO
        for a in actors:
            den[issue] += sal[(a, issue)] * pw[(a, issue)]

    def adjust_nbs(side, exchange, new_x):
        # Expected outcome on side.supply with start positions, the exchange's recorded
        # updates, and side.actor at new_x (decide calculations.adjusted_nbs).
        trial = dict(pos[side.supply])
        for a, v in exchange.updates.get(side.supply, {}).items():
            trial[a] = v
        trial[side.actor] = new_x
        num = ZERO
        for a in actors:
            num += trial[a] * sal[(a, side.supply)] * pw[(a, side.supply)]
        return num / den[side.supply]

    def position_for_outcome(side, exchange, outcome):
        # decide calculations.adjusted_nbs_by_position: side.actor at its own position, then
        # the updates applied (they win), then solve for the shift giving outcome.
        trial = dict(pos[side.supply])
        trial[side.actor] = side.x
        for a, v in exchange.updates.get(side.supply, {}).items():
            trial[a] = v
        # decide's sum skips the actor by an identity test that never holds on its deep copy,
        # so the actor's own term is included and the result is the signed change of
        # position that brings the outcome to `outcome`, not the position itself.
        num = ZERO
        for a in actors:
            num += trial[a] * sal[(a, side.supply)] * pw[(a, side.supply)]
        return (outcome * den[side.supply] - num) / (side.s * side.c)

    def move_valid(side, move):
        # decide AbstractExchangeActor.is_move_valid
        if abs(move) > 100 or abs(move) <= 1e-10:
            return False
        if side.x + move < 0 or side.x + move > 100:
            return False
        if sum(side.moves) > 100:
            return False
        lo = min(side.moves)
        hi = max(side.moves)
        return (lo < 0 and hi < 0) or (lo > 0 and hi > 0)

    def utility(side, demand_ratio, supply_ratio):
        # decide calculations.expected_utility
        return abs(demand_ratio * side.s - supply_ratio * side.demand_s)

    def ratio_from(side, ratio):
        # decide calculations.by_exchange_ratio
        return ((side.s + side.other.demand_s) / (side.demand_s + side.other.s)) * ratio

    def check_nbs(side, exchange):
        # decide AbstractExchangeActor.check_nbs: the move must not push the outcome past the
        # other actor's (demand) position; if it does, shrink it so the outcome lands on it.
        side.nbs_0 = adjust_nbs(side, exchange, side.x)
        side.nbs_1 = adjust_nbs(side, exchange, side.y)
        target = side.other.demand_x
        if target - side.nbs_0 >= 0 and target - side.nbs_1 >= 0:
            return
        if target - side.nbs_0 <= 0 and target - side.nbs_1 <= 0:
            return
        other = side.other
        delta = abs(position_for_outcome(side, exchange, target))
        exchange.dp = delta * side.s * side.c / den[side.supply]
        exchange.dq = ratio_from(side, exchange.dp)
        other.move = abs(exchange.dq * den[other.supply] / (other.c * other.s))
        side.move = delta
        if other.x > side.demand_x:
            other.move = -other.move
        if side.x > other.demand_x:
            side.move = -side.move
        other.moves.pop()
        side.moves.pop()
        other.moves.append(other.move)
        side.moves.append(side.move)
        other.y = other.x + other.move
        side.y = side.x + side.move
        gain_other = utility(other, exchange.dq, exchange.dp)
        gain_side = utility(side, exchange.dp, exchange.dq)
        assert abs(gain_other - gain_side) <= 1e-4, "expected equal gain"
        exchange.gain = gain_other
        side.nbs_1 = adjust_nbs(side, exchange, side.y)
        exchange.valid = move_valid(other, other.move) and move_valid(side, side.move)

    def calculate(e):
        # decide EqualGainExchange.calculate
        i, j = e.i, e.j
        e.dp = abs(i.demand_x - j.x) * j.s * j.c / den[j.supply]
        e.dq = ratio_from(j, e.dp)
        i.move = e.dq * den[i.supply] / (i.c * i.s)
        j.move = abs(i.demand_x - j.x)
        if abs(i.move) > abs(j.demand_x - i.x):
            e.dq = abs(j.demand_x - i.x) * i.s * i.c / den[i.supply]
            e.dp = ratio_from(i, e.dq)
            i.move = abs(j.demand_x - i.x)
            j.move = e.dp * den[j.supply] / (j.c * j.s)
        if i.x > j.demand_x:
            i.move = -i.move
        if j.x > i.demand_x:
            j.move = -j.move
        i.moves.append(i.move)
        j.moves.append(j.move)
        i.y = i.x + i.move
        j.y = j.x + j.move
        gain_i = utility(i, e.dq, e.dp)
        gain_j = utility(j, e.dp, e.dq)
        assert abs(gain_i - gain_j) <= gain_tol * max(1, gain_i), "expected equal gain"
        e.gain = gain_i
        e.valid = move_valid(i, i.move) and move_valid(j, j.move)
        if e.gain < 1e-10:
            e.valid = False
        if not e.valid:
            return
        check_nbs(i, e)
        check_nbs(j, e)
        e.valid = move_valid(i, i.move) and move_valid(j, j.move)

    def make_side(actor, supply, demand):
        return _Side(
            actor,
            supply,
            demand,
            pos[supply][actor],
            sal[(actor, supply)],
            pw[(actor, supply)],
            pos[demand][actor],
            sal[(actor, demand)],
        )

    def new_exchange(a, b, p_issue, q_issue, groups):
        # decide AbstractExchange.__init__: who supplies which issue
        if sal[(a, p_issue)] / sal[(a, q_issue)] < sal[(b, p_issue)] / sal[(b, q_issue)]:
            i = make_side(b, q_issue, p_issue)
            j = make_side(a, p_issue, q_issue)
        else:
            i = make_side(a, q_issue, p_issue)
            j = make_side(b, p_issue, q_issue)
        i.other = j
        j.other = i
        e = _Exchange(i, j, p_issue, q_issue, groups)
        calculate(e)
        return e

    def record_update(e, issue, done_side, old):
        # decide AbstractExchange.update_updates
        if done_side.start <= old:
            e.updates[issue][done_side.actor] = old if old < done_side.y else done_side.y
        else:
            e.updates[issue][done_side.actor] = old if old > done_side.y else done_side.y

    def recalculate(e, done):
        # decide AbstractExchange.recalculate after exchange `done` was realised
        hit_i = False
        hit_j = False
        for side in (e.i, e.j):
            for d in (done.i, done.j):
                if side.actor == d.actor and side.supply == d.supply:
                    side.x = d.y
                    side.moves.append(d.moves[-1])
                    if side is e.i:
                        hit_i = True
                    else:
                        hit_j = True
                    break
        again = hit_i or hit_j
        if again:
            e.i.moves.pop()
            e.j.moves.pop()
        for d_demand, d_other in ((done.j, done.i), (done.i, done.j)):
            shares = False
            for side in (e.j, e.i):
                if d_demand.actor == side.actor and d_demand.demand == side.demand:
                    shares = True
            if shares:
                issue = d_demand.demand
                e.updates.setdefault(issue, {})
                if d_other.actor in e.updates[issue]:
                    record_update(e, issue, d_other, e.updates[issue][d_other.actor])
                else:
                    e.updates[issue][d_other.actor] = d_other.y
                if not again:
                    e.i.moves.pop()
                    e.j.moves.pop()
                    again = True
        if again:
            calculate(e)

    def externality(actor, e):
        # decide calculations.actor_externalities
        xp = pos[e.j.supply][actor]
        sp = sal[(actor, e.j.supply)]
        xq = pos[e.i.supply][actor]
        sq = sal[(actor, e.i.supply)]
        left = abs(e.j.nbs_0 - xp) - abs(e.j.nbs_1 - xp)
        right = abs(e.i.nbs_0 - xq) - abs(e.i.nbs_1 - xq)
        return left * sp + right * sq

    initial = {
        "nbs": {issue: _nbs(pos, sal, pw, actors, issue) for issue in issues},
        "position": {issue: dict(pos[issue]) for issue in issues},
    }
    history = []
    for _round in range(rounds):
        nbs = {issue: _nbs(pos, sal, pw, actors, issue) for issue in issues}
        left = {}
        for issue in issues:
            for a in actors:
                left[(a, issue)] = pos[issue][a] <= nbs[issue]
        exchanges = []
        group_of = {}
        for p_issue, q_issue in combinations(issues, 2):
            groups = {0: [], 1: [], 2: [], 3: []}
            for a in actors:
                groups[int(left[(a, p_issue)]) + 2 * int(left[(a, q_issue)])].append(a)
            group_of[(p_issue, q_issue)] = groups
            for a in groups[0]:
                for b in groups[3]:
                    exchanges.append(new_exchange(a, b, p_issue, q_issue, (0, 3)))
            for a in groups[1]:
                for b in groups[2]:
                    exchanges.append(new_exchange(a, b, p_issue, q_issue, (1, 2)))
        realised = []
        externalities = []
        while exchanges:
            # stable sort, highest gain first (decide EqualGainModel.sort_exchanges)
            exchanges = _stable_sort_by_gain(exchanges)
            best = exchanges.pop(0)
            if rng is not None and exchanges:
                # decide EqualGainModel.highest_gain with ALLOW_RANDOM: a near tie with the
                # runner-up is settled by a coin; on tails the runner-up is appended to the list
                # a second time (it stays at the front too), as decide does.
                runner_up = exchanges[0]
                if abs(best.gain - runner_up.gain) < 1e-20:
                    if rng.random() >= 0.5:
                        exchanges.append(best)
                        best = exchanges.pop(0)
                    else:
                        exchanges.append(runner_up)
            if not best.valid:
                continue
            kept = []
            for ex in exchanges:
                if ex.valid:
                    recalculate(ex, best)
                    if ex.valid:
                        kept.append(ex)
            exchanges = kept
            realised.append(best)
            groups = group_of[(best.p, best.q)]
            ext = {}
            for a in actors:
                raw = externality(a, best)
                if a == best.i.actor or a == best.j.actor:
                    kind = "own"
                    value = best.gain  # decide reports the gain for the pair itself
                else:
                    value = raw
                    inner = a in groups[best.groups[0]] or a in groups[best.groups[1]]
                    if value > 0:
                        kind = "ip" if inner else "op"
                    else:
                        kind = "in" if inner else "on"
                ext[a] = {"kind": kind, "value": value, "raw": raw}
            externalities.append(ext)
        # sums per actor and per issue pair over the round (decide Externalities observer)
        by_actor = {}
        by_pair = {}
        for ex, ext in zip(realised, externalities, strict=True):
            pair = f"{ex.p}-{ex.q}"
            by_pair.setdefault(pair, {})
            for a in actors:
                kind = ext[a]["kind"]
                by_actor.setdefault(a, {})
                by_actor[a][kind] = by_actor[a].get(kind, ZERO) + ext[a]["value"]
                by_pair[pair][kind] = by_pair[pair].get(kind, ZERO) + ext[a]["value"]
        for ex in realised:
            pos[ex.i.supply][ex.i.actor] = ex.i.y
            pos[ex.j.supply][ex.j.actor] = ex.j.y
        voting = {issue: dict(pos[issue]) for issue in issues}
        end_nbs = {issue: _nbs(pos, sal, pw, actors, issue) for issue in issues}
        for ex in realised:
            for side in (ex.i, ex.j):
                s = side.s
                pos[side.supply][side.actor] = (
                    (1 - s) * salience_weight * side.y
                    + fixed_weight * side.y
                    + (1 - (1 - s) * salience_weight - fixed_weight) * side.start
                )
        history.append(
            {
                "nbs": end_nbs,
                "voting": voting,
                "position": {issue: dict(pos[issue]) for issue in issues},
                "exchanges": [
                    {
                        "gain": ex.gain,
                        "dp": ex.dp,
                        "dq": ex.dq,
                        "i": _side_dict(ex.i),
                        "j": _side_dict(ex.j),
                    }
                    for ex in realised
                ],
                "externalities": externalities,
                "externality_totals": {"actor": by_actor, "issue_pair": by_pair},
            }
        )
    return _floats({"initial": initial, "rounds": history})


def _stable_sort_by_gain(exchanges):
    """Insertion sort, highest gain first; equal gains keep their order (as list.sort)."""
    out = []
    for ex in exchanges:
        k = len(out)
        while k > 0 and ex.gain > out[k - 1].gain:
            k -= 1
        out.insert(k, ex)
    return out


def _floats(value):
    """The result with every Decimal (or Fraction) turned into a float."""
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def _side_dict(side):
    return {
        "actor": side.actor,
        "supply": side.supply,
        "demand": side.demand,
        "x": side.x,
        "y": side.y,
        "move": side.move,
        "start": side.start,
    }
