"""Alternating offers over one issue split as a pie [0, 1] (DESIGN.md 5.4).

Two parties, A and B, split a pie of size 1. Each party's *demand* is the share it
asks for itself; its best is the whole pie (1) and its reservation value ``r`` is the
least share it ever accepts or demands (a concession strategy stops there).

Rounds are numbered ``t = 0, 1, ..., deadline - 1``; the last round
``T = deadline - 1`` is the deadline, after which the negotiation breaks down. The
proposer alternates, A at even rounds, B at odd rounds (B first with
:func:`alternating_offers_first`).

Strategies (a code plus one parameter, so kernels can dispatch):

``HARD_LINE`` (0)
    Always demands its best, 1. The parameter is ignored.
``TIME_BASED`` (1)
    Concession with exponent ``e = param > 0``: at round ``t`` it demands
    ``1 - (1 - r) * (t / T) ** (1 / e)``, from 1 at round 0 to ``r`` at the deadline
    (``T = deadline - 1``; with a single round, ``t / T`` is taken as 1).
    ``e < 1`` is Boulware, ``e = 1`` linear, ``e > 1`` a conceder. The schedule runs
    on the shared round count, so a party's demand moves between its own offers too.
``TIT_FOR_TAT`` (2)
    Starts at 1 and, at each of its proposals, concedes ``param`` times what the
    opponent conceded in its last offer (the opponent's previous demand minus its
    latest demand, where the demand before a party's first offer counts as its
    best, 1; 0 before the opponent's first offer), kept within ``[r, 1]``.
    ``param = 1`` is plain tit for tat.

Acceptance rule. At round ``t`` the proposer P demands ``d_P`` and so offers the
responder R the share ``o = 1 - d_P``. R accepts exactly when

* ``o >= r_R`` (never below its reservation), and
* ``o >= delta_R * d_R(t + 1)`` where ``d_R(t + 1)`` is the demand R would make
  itself as proposer next round (for tit for tat: counting the offer just received
  as the opponent's latest). At the deadline there is no next round, so only the
  reservation test applies.

Shares are undiscounted; the payoff of agreement at round ``t`` to party i is
``delta_i ** t`` times its share.
"""

import numpy as np
from numba import njit, prange

from sim.kernels import JIT, jit

HARD_LINE = 0
TIME_BASED = 1
TIT_FOR_TAT = 2


@jit
def rubinstein_share(delta_a, delta_b):
    """The first proposer's subgame-perfect share ``(1 - delta_b) / (1 - delta_a delta_b)``.

    Infinite horizon (Rubinstein 1982); A proposes first. ``delta_a = delta_b = 1``
    is undefined (nan).
    """
    den = 1.0 - delta_a * delta_b
    if den == 0.0:
        return np.nan
    return (1.0 - delta_b) / den


@jit
def subgame_perfect_offers(delta_a, delta_b, deadline):
    """A's subgame-perfect share of the offer made at each round of a finite game.

    Backward induction with A proposing at even rounds ``t = 0 .. deadline - 1``:
    at the last round the proposer takes everything; at an earlier round the
    proposer offers the responder exactly its discounted continuation,
    ``delta_R`` times what R gets as proposer next round, and R accepts. So

    * A proposes: ``s[t] = 1 - delta_b * (1 - s[t + 1])``
    * B proposes: ``s[t] = delta_a * s[t + 1]``

    Returns ``s`` (deadline,); the game ends at round 0 with A's share ``s[0]``,
    which tends to :func:`rubinstein_share` as the deadline grows.
    """
    s = np.empty(deadline)
    if deadline <= 0:
        return s
    last = deadline - 1
    s[last] = 1.0 if last % 2 == 0 else 0.0
    for t in range(last - 1, -1, -1):
        if t % 2 == 0:
            s[t] = 1.0 - delta_b * (1.0 - s[t + 1])
        else:
            s[t] = delta_a * s[t + 1]
    return s


@jit
def demand(strategy, param, reservation, t, last, own_last, opp_last, opp_prev):
    """The share a party demands for itself as proposer at round ``t``.

    ``last`` is the deadline round ``T``; ``own_last`` the party's latest demand;
    ``opp_last`` and ``opp_prev`` the opponent's latest and previous demands (each 1,
    the best, until made); the last three are used by tit for tat only.
    """
    if strategy == TIME_BASED:
        frac = t / last if last > 0 else 1.0
        d = 1.0 - (1.0 - reservation) * frac ** (1.0 / param)
    elif strategy == TIT_FOR_TAT:
        d = own_last - param * (opp_prev - opp_last)
    else:
        return 1.0
    if d > 1.0:
        d = 1.0
    if d < reservation:
        d = reservation
    return d


@jit
def alternating_offers_first(
    first,
    strategy_a,
    param_a,
    strategy_b,
    param_b,
    delta_a,
    delta_b,
    reservation_a,
    reservation_b,
    deadline,
    offers_out,
    accepted_out,
):
    """:func:`alternating_offers` with the first proposer given: ``first`` 0 for A, 1 for B.

    The party that proposes at round ``t`` is A when ``(t + first)`` is even.
    """
    for t in range(offers_out.shape[0]):
        offers_out[t] = np.nan
        accepted_out[t] = False
    if deadline <= 0:
        return -1, np.nan
    last = deadline - 1
    # Latest and previous demand (own share) of each party; 1 (the best) until made.
    a_last = 1.0
    a_prev = 1.0
    b_last = 1.0
    b_prev = 1.0
    for t in range(deadline):
        if (t + first) % 2 == 0:
            # A proposes, B responds.
            d = demand(
                strategy_a,
                param_a,
                reservation_a,
                t,
                last,
                a_last,
                b_last,
                b_prev,
            )
            a_prev = a_last
            a_last = d
            share_a = d
            offered = 1.0 - d
            accept = offered >= reservation_b
            if accept and t < last:
                nxt = demand(
                    strategy_b,
                    param_b,
                    reservation_b,
                    t + 1,
                    last,
                    b_last,
                    a_last,
                    a_prev,
                )
                accept = offered >= delta_b * nxt
        else:
            # B proposes, A responds.
            d = demand(
                strategy_b,
                param_b,
                reservation_b,
                t,
                last,
                b_last,
                a_last,
                a_prev,
            )
            b_prev = b_last
            b_last = d
            offered = 1.0 - d
            share_a = offered
            accept = offered >= reservation_a
            if accept and t < last:
                nxt = demand(
                    strategy_a,
                    param_a,
                    reservation_a,
                    t + 1,
                    last,
                    a_last,
                    b_last,
                    b_prev,
                )
                accept = offered >= delta_a * nxt
        offers_out[t] = share_a
        if accept:
            accepted_out[t] = True
            return t, share_a
    return -1, np.nan


@jit
def alternating_offers(
    strategy_a,
    param_a,
    strategy_b,
    param_b,
    delta_a,
    delta_b,
    reservation_a,
    reservation_b,
    deadline,
    offers_out,
    accepted_out,
):
    """Run one negotiation with A proposing first; see the module docstring for the rules.

    Parameters
    ----------
    strategy_a, strategy_b : int
        ``HARD_LINE``, ``TIME_BASED`` or ``TIT_FOR_TAT``.
    param_a, param_b : float
        Concession exponent ``e`` (time based) or reciprocity factor (tit for tat).
    delta_a, delta_b : float
        Discount factors per round.
    reservation_a, reservation_b : float
        Least share each party accepts or demands.
    deadline : int
        Number of rounds; breakdown after round ``deadline - 1``.
    offers_out : float array (>= deadline,)
        Output: A's share in the offer made at each round, nan after the end.
    accepted_out : bool array (>= deadline,)
        Output: True at the round whose offer was accepted, False elsewhere.

    Returns
    -------
    (round, share_a)
        The agreement round and A's share, or ``(-1, nan)`` on breakdown.
    """
    return alternating_offers_first(
        0,
        strategy_a,
        param_a,
        strategy_b,
        param_b,
        delta_a,
        delta_b,
        reservation_a,
        reservation_b,
        deadline,
        offers_out,
        accepted_out,
    )


@njit(parallel=True, **JIT)
def batch_alternating_offers(
    strategy_a,
    param_a,
    strategy_b,
    param_b,
    delta_a,
    delta_b,
    reservation_a,
    reservation_b,
    deadline,
    offers_out,
    accepted_out,
    round_out,
    share_out,
):
    """Many independent negotiations in parallel, A proposing first in each.

    Every argument but ``deadline`` (shared, int) is an array with one entry per
    negotiation (n,); ``offers_out`` and ``accepted_out`` are (n, deadline),
    ``round_out`` (n,) ints and ``share_out`` (n,) floats. Each negotiation writes
    only its own rows; nothing is reduced across negotiations, so results do not
    depend on the thread count.
    """
    n = strategy_a.shape[0]
    for i in prange(n):
        r, s = alternating_offers_first(
            0,
            strategy_a[i],
            param_a[i],
            strategy_b[i],
            param_b[i],
            delta_a[i],
            delta_b[i],
            reservation_a[i],
            reservation_b[i],
            deadline,
            offers_out[i],
            accepted_out[i],
        )
        round_out[i] = r
        share_out[i] = s
