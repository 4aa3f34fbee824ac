"""Iterated 2x2 games between strategies, and the Moran process (DESIGN.md 5.6).

Actions are ``0`` (cooperate, C) and ``1`` (defect, D). A game is a float64 array
``pay`` (2, 2, 2): ``pay[row_action, col_action, k]`` is the payoff to player ``k``
(0 the row player, A; 1 the column player, B).

Strategies (an integer code plus one float parameter, ignored by most). Each
responds to the actions actually played, after noise:

``COOPERATOR`` (0), ``DEFECTOR`` (1)
    Always C; always D.
``TIT_FOR_TAT`` (2), ``SUSPICIOUS_TIT_FOR_TAT`` (3)
    C (suspicious: D) first, then the opponent's last move.
``TIT_FOR_TWO_TATS`` (4)
    D exactly when the opponent's last two moves were both D; C otherwise (and on
    the first two turns).
``GRUDGER`` (5)
    C until the opponent defects once, then D for ever.
``ALTERNATOR`` (6)
    C first, then the opposite of its own last move (C, D, C, ... without noise).
``WIN_STAY_LOSE_SHIFT`` (7)
    C first; then its own last move again when the opponent cooperated last turn
    (a payoff of R or T), the other move when the opponent defected (S or P).
``GENEROUS_TIT_FOR_TAT`` (8)
    Tit for tat that answers a defection with C anyway with probability ``param``
    (``q``): C first; C after the opponent's C; after a D, one uniform draw ``u``
    and C when ``u < q``.
``RANDOM`` (9)
    One uniform draw ``u`` every turn; C when ``u < param`` (``p``).

Random numbers. Each match has its own generator, splitmix64 on a uint64 state
held in a 1-element uint64 array and seeded with the match's seed; a draw advances
the state by the golden-ratio constant, mixes it, and returns the top 53 bits as a
float in [0, 1). No global state, so a match's moves depend on its seed only, never
on the thread that plays it. Per turn the draws come in this order: A's strategy (if
it draws: random always, generous tit for tat only after an opponent's D), B's
strategy, then two noise draws, A's and B's, made every turn whatever the noise
level ``e``: an intended action flips when its draw is ``< e``. So with ``e = 0``
nothing flips and a match at a small ``e`` differs from it only where a flip falls.

Compilation. Each kernel is meant to compile once: pass ints (int64) for codes and
turns, floats for parameters and noise, a ``numpy.uint64`` seed, C-contiguous int8
arrays for action histories, and C-contiguous float64 arrays for payoffs. A Python
int seed compiles a second (int64) specialisation.
"""

import numpy as np

from sim.kernels import jit, jit_parallel, prange

C = 0
D = 1

COOPERATOR = 0
DEFECTOR = 1
TIT_FOR_TAT = 2
SUSPICIOUS_TIT_FOR_TAT = 3
TIT_FOR_TWO_TATS = 4
GRUDGER = 5
ALTERNATOR = 6
WIN_STAY_LOSE_SHIFT = 7
GENEROUS_TIT_FOR_TAT = 8
RANDOM = 9
N_STRATEGIES = 10

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53


@jit
def uniform(state):
    """The next float in [0, 1) from the splitmix64 generator whose state is ``state[0]``.

    ``state`` is a uint64 array (1,), advanced in place.
    """
    z = state[0] + _GAMMA
    state[0] = z
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return np.float64(z >> _S11) * _UNIT


@jit
def _respond(code, param, t, own, opp, state, provoked):
    """The intended action of strategy ``code`` at turn ``t``; see :func:`move`.

    ``provoked`` tells whether the opponent has played D at any turn before ``t``
    (grudger's memory, kept by the caller so that a match stays O(turns)).
    """
    if code == COOPERATOR:
        return C
    if code == DEFECTOR:
        return D
    if code == RANDOM:
        return C if uniform(state) < param else D
    if code == SUSPICIOUS_TIT_FOR_TAT:
        return D if t == 0 else opp[t - 1]
    if t == 0:
        return C
    if code == TIT_FOR_TAT:
        return opp[t - 1]
    if code == TIT_FOR_TWO_TATS:
        return D if t >= 2 and opp[t - 1] == D and opp[t - 2] == D else C
    if code == GRUDGER:
        return D if provoked else C
    if code == ALTERNATOR:
        return 1 - own[t - 1]
    if code == WIN_STAY_LOSE_SHIFT:
        return own[t - 1] if opp[t - 1] == C else 1 - own[t - 1]
    if code == GENEROUS_TIT_FOR_TAT:
        if opp[t - 1] == C:
            return C
        return C if uniform(state) < param else D
    return -1


@jit
def move(code, param, t, own, opp, state):
    """The action (0 = C, 1 = D) strategy ``code`` intends at turn ``t``.

    Parameters
    ----------
    code : int
        A strategy code (module docstring).
    param : float
        Its parameter: ``q`` of generous tit for tat, ``p`` of random; else ignored.
    t : int
        The turn, from 0.
    own, opp : int8 arrays (>= t,)
        The actions the strategy and its opponent played at turns ``0 .. t - 1``.
    state : uint64 array (1,)
        The match's generator, advanced by the draws the strategy makes.

    Returns
    -------
    int
        0 or 1; -1 for an unknown code. Grudger scans ``opp`` here (O(t));
        a match keeps that memory as it goes.
    """
    provoked = np.bool_(False)
    if code == GRUDGER:
        for s in range(t):
            if opp[s] == D:
                provoked = True
                break
    return _respond(code, param, t, own, opp, state, provoked)


@jit
def _play(code_a, param_a, code_b, param_b, pay, turns, noise, seed, hist_a, hist_b):
    """Play a match into ``hist_a``, ``hist_b`` (int8 (>= turns,)); return both totals."""
    state = np.empty(1, dtype=np.uint64)
    state[0] = seed
    # B has defected: A's grudge (np.bool_, not False: a constant argument would
    # compile a second, Literal[bool] signature of _respond)
    provoked_a = np.bool_(False)
    provoked_b = np.bool_(False)
    total_a = 0.0
    total_b = 0.0
    for t in range(turns):
        a = _respond(code_a, param_a, t, hist_a, hist_b, state, provoked_a)
        b = _respond(code_b, param_b, t, hist_b, hist_a, state, provoked_b)
        if uniform(state) < noise:
            a = 1 - a
        if uniform(state) < noise:
            b = 1 - b
        hist_a[t] = a
        hist_b[t] = b
        if b == D:
            provoked_a = True
        if a == D:
            provoked_b = True
        total_a += pay[a, b, 0]
        total_b += pay[a, b, 1]
    return total_a, total_b


@jit
def match(code_a, param_a, code_b, param_b, pay, turns, noise, seed, actions_out, payoffs_out):
    """One match of ``turns`` turns: A (the row player) against B.

    Parameters
    ----------
    code_a, code_b : int
        Strategy codes.
    param_a, param_b : float
        Their parameters.
    pay : float64 array (2, 2, 2)
        ``pay[a, b, k]``: payoff to player k when A plays a and B plays b.
    turns : int
    noise : float
        Probability ``e`` that each intended action flips.
    seed : uint64
        The match's seed (the generator's initial state).
    actions_out : int8 array (turns, 2)
        Output: the actions played by A (column 0) and B (column 1).
    payoffs_out : float64 array (turns, 2)
        Output: each turn's payoffs to A and B.

    Returns
    -------
    (total_a, total_b)
        The payoffs summed over the turns in order.
    """
    hist_a = np.empty(turns, dtype=np.int8)
    hist_b = np.empty(turns, dtype=np.int8)
    total_a, total_b = _play(
        code_a, param_a, code_b, param_b, pay, turns, noise, seed, hist_a, hist_b
    )
    for t in range(turns):
        a = hist_a[t]
        b = hist_b[t]
        actions_out[t, 0] = a
        actions_out[t, 1] = b
        payoffs_out[t, 0] = pay[a, b, 0]
        payoffs_out[t, 1] = pay[a, b, 1]
    return total_a, total_b


@jit_parallel
def tournament(codes, params, pay, turns, noise, seeds, pair_i, pair_j, totals_out):
    """``M`` independent matches in parallel: strategy ``pair_i[m]`` (A) against ``pair_j[m]``.

    Parameters
    ----------
    codes : int64 array (P,)
        Strategy codes of the players.
    params : float64 array (P,)
        Their parameters.
    pay : float64 array (2, 2, 2)
    turns : int64 array (M,)
        Length of each match.
    noise : float
    seeds : uint64 array (M,)
        Each match's seed.
    pair_i, pair_j : int64 arrays (M,)
        Indices into ``codes`` of A and B; equal for self-play (a strategy against
        a copy of itself).
    totals_out : float64 array (M, 2)
        Output: A's and B's totals in each match. Each match writes only its own
        row and nothing is reduced across matches, so the results do not depend on
        the thread count.
    """
    for m in prange(seeds.shape[0]):
        n = turns[m]
        hist_a = np.empty(n, dtype=np.int8)
        hist_b = np.empty(n, dtype=np.int8)
        i = pair_i[m]
        j = pair_j[m]
        total_a, total_b = _play(
            codes[i], params[i], codes[j], params[j], pay, n, noise, seeds[m], hist_a, hist_b
        )
        totals_out[m, 0] = total_a
        totals_out[m, 1] = total_b


# ---- the Moran process -------------------------------------------------------------
@jit
def _pick(weights, total, u):
    """Index k with probability ``weights[k] / total``, from a uniform draw ``u``."""
    target = u * total
    acc = 0.0
    last = -1
    for k in range(weights.shape[0]):
        if weights[k] > 0.0:
            last = k
            acc += weights[k]
            if target < acc:
                return k
    return last  # rounding left target at the sum: the last type with weight


@jit
def moran_step(payoff, counts, intensity, state, fitness, weights):
    """One birth-death step of the Moran process, in place on ``counts``.

    Parameters
    ----------
    payoff : float64 array (P, P)
        ``payoff[i, j]``: payoff of type i meeting type j.
    counts : int64 array (P,)
        Individuals of each type, ``N = sum(counts) >= 2``; updated.
    intensity : float
        Selection intensity ``w``: fitness ``1 - w + w * pi_i``, with ``pi_i`` the
        mean payoff of a type-i individual against the other ``N - 1``
        individuals (itself excluded).
    state : uint64 array (1,)
        The generator.
    fitness, weights : float64 arrays (P,)
        Scratch.

    One individual is chosen to reproduce with probability proportional to its
    fitness (uniformly when every fitness present is 0), one to die uniformly among
    all ``N`` (the parent included); the offspring replaces it. Two draws per step,
    birth first.
    """
    p = counts.shape[0]
    n = 0
    for k in range(p):
        n += counts[k]
    total = 0.0
    for i in range(p):
        if counts[i] == 0:
            weights[i] = 0.0
            continue
        s = 0.0
        for j in range(p):
            s += payoff[i, j] * counts[j]
        s -= payoff[i, i]
        fitness[i] = 1.0 - intensity + intensity * (s / (n - 1))
        weights[i] = counts[i] * fitness[i]
        total += weights[i]
    u_birth = uniform(state)
    u_death = uniform(state)
    if total > 0.0:
        born = _pick(weights, total, u_birth)
    else:
        for i in range(p):
            weights[i] = np.float64(counts[i])
        born = _pick(weights, np.float64(n), u_birth)
    for i in range(p):
        weights[i] = np.float64(counts[i])
    dies = _pick(weights, np.float64(n), u_death)
    counts[born] += 1
    counts[dies] -= 1


@jit
def moran(payoff, counts0, steps, intensity, seed, history_out):
    """Run the Moran process for up to ``steps`` steps from ``counts0``.

    ``history_out`` (steps + 1, P) int64 receives the counts after each step (row 0
    is ``counts0``). At fixation (one type left) the process stops and the remaining
    rows are filled with the fixed state. Returns the step at which fixation
    happened (0 when ``counts0`` is already fixed), or -1 if it did not.
    """
    p = counts0.shape[0]
    counts = counts0.copy()
    fitness = np.empty(p)
    weights = np.empty(p)
    state = np.empty(1, dtype=np.uint64)
    state[0] = seed
    fixed_at = 0 if _types_left(counts) <= 1 else -1
    history_out[0, :] = counts
    for step in range(1, steps + 1):
        if fixed_at < 0:
            moran_step(payoff, counts, intensity, state, fitness, weights)
            if _types_left(counts) <= 1:
                fixed_at = step
        history_out[step, :] = counts
    return fixed_at


@jit
def _types_left(counts):
    alive = 0
    for k in range(counts.shape[0]):
        if counts[k] > 0:
            alive += 1
    return alive


@jit_parallel
def fixation(payoff, population, intensity, seeds, fixed_out):
    """Independent Moran runs, one mutant (type 0) among ``population - 1`` residents (type 1).

    ``payoff`` (2, 2) float64; ``seeds`` (R,) uint64, one per run; ``fixed_out`` (R,)
    bool receives whether the mutant took over. Each run goes on until one type is
    left (certain to happen when some fitness is positive; every fitness 0 is drift).
    """
    for r in prange(seeds.shape[0]):
        counts = np.empty(2, dtype=np.int64)
        counts[0] = 1
        counts[1] = population - 1
        fitness = np.empty(2)
        weights = np.empty(2)
        state = np.empty(1, dtype=np.uint64)
        state[0] = seeds[r]
        while counts[0] > 0 and counts[1] > 0:
            moran_step(payoff, counts, intensity, state, fitness, weights)
        fixed_out[r] = counts[0] > 0
