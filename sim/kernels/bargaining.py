"""Alternating offers along a utility frontier between two parties (DESIGN.md 5.4).

Two parties, A and B, bargain over the points of a *frontier*: ``G >= 2`` points given
by two float64 arrays ``front_a`` (non-decreasing from 0 to 1) and ``front_b``
(non-increasing from 1 to 0), A's and B's normalised share (utility) at each point,
joined by straight lines. The pie of size 1 is ``front_a = [0, 1]``,
``front_b = [1, 0]``; :func:`sim.models.contract.contract_curve` gives the frontier
of two parties over several issues (its ``share_a`` and ``share_b``).

Each party's *demand* is the share it asks for itself, in its own units; its best is
1 and its reservation value ``r`` is the least share it ever accepts or demands (a
concession strategy stops there).

Offers. When A demands ``d``, the offer gives B ``b_of_a(d)``: the largest B share
on the frontier among its points with A share ``>= d`` (linear interpolation between
grid points; the frontier's point at ``d`` when it is strictly monotone). When B
demands ``d``, A gets ``a_of_b(d)``, symmetrically. A demand above every share on
the frontier (a reservation above 1, or ``inf`` from
:func:`sim.models.contract.share_bounds` when no point is acceptable) has no such
point: the other party's share is ``-inf`` and the offer is never accepted. On the pie both are exactly ``1 - d``
for ``d`` in ``[0, 1]``, so the kernels give the same bits as the pie-only kernels
they replace.

Rounds are numbered ``t = 0, 1, ..., deadline - 1``; the last round
``T = deadline - 1`` is the deadline, after which the negotiation breaks down. The
proposer alternates, A at even rounds, B at odd rounds (B first with
:func:`alternating_offers_first`).

Strategies (a code plus one parameter, so kernels can dispatch), in the party's own
share units:

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
    latest demand, in the opponent's units, where the demand before a party's first
    offer counts as its best, 1; 0 before the opponent's first offer), kept within
    ``[r, 1]``. ``param = 1`` is plain tit for tat.

Acceptance rule. At round ``t`` the proposer P demands ``d_P`` and so offers the
responder R the share ``o`` (``b_of_a(d_P)`` or ``a_of_b(d_P)``, R's own units).
R accepts exactly when

* ``o >= r_R`` (never below its reservation), and
* ``o >= delta_R * d_R(t + 1)`` where ``d_R(t + 1)`` is the demand R would make
  itself as proposer next round (for tit for tat: counting the offer just received
  as the opponent's latest). At the deadline there is no next round, so only the
  reservation test applies.

Shares are undiscounted; the payoff of agreement at round ``t`` to party i is
``delta_i ** t`` times its share.

Compilation. Each kernel is meant to compile once (one signature): pass ints for the
strategy codes and ``deadline``, floats for the parameters, C-contiguous float64
arrays for the frontier and the float outputs and a C-contiguous bool array for
``accepted_out``. Another type (an int ``param``, a strided frontier) compiles a
second specialisation.
"""

import numpy as np

from sim.kernels import jit, jit_parallel, prange

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
        c = frac ** (1.0 / param)
        # c == 0 gives 1 for any finite reservation; this way an infinite one (no
        # acceptable point) is not inf * 0 = nan but 1, raised to it below.
        d = 1.0 - (1.0 - reservation) * c if c > 0.0 else 1.0
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
def b_of_a(d, front_a, front_b):
    """B's share in the offer where A demands ``d``: the frontier's best for B with A share >= d.

    Parameters
    ----------
    d : float
        A's demand (its own share).
    front_a, front_b : float64 arrays (G,), G >= 2
        The frontier: A's shares, non-decreasing, and B's, non-increasing.

    Returns
    -------
    float
        ``front_b`` interpolated linearly at the first point along the frontier
        (from B's end) where A's share reaches ``d``: ``front_b[0]`` when
        ``d <= front_a[0]``, ``-inf`` when ``d > front_a[G - 1]`` (no such point),
        nan when ``d`` is nan. A binary search, O(log G).
    """
    g = front_a.shape[0]
    if d != d:
        return np.nan
    if d > front_a[g - 1]:
        return -np.inf
    # Smallest j with front_a[j] >= d; front_a[g - 1] >= d holds.
    lo = 0
    hi = g - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if front_a[mid] >= d:
            hi = mid
        else:
            lo = mid + 1
    j = lo
    if j == 0 or front_a[j] == d:
        return front_b[j]
    # front_a[j - 1] < d < front_a[j]: interpolate from the segment's B-side end. On
    # the pie (x = [0, 1], f = [1, 0]) this is 1 + d * -1 / 1, exactly 1 - d.
    x0 = front_a[j - 1]
    f0 = front_b[j - 1]
    x1 = front_a[j]
    f1 = front_b[j]
    v = f0 + (d - x0) * (f1 - f0) / (x1 - x0)
    if v > f0:
        v = f0
    if v < f1:
        v = f1
    return v


@jit
def a_of_b(d, front_a, front_b):
    """A's share in the offer where B demands ``d``: the frontier's best for A with B share >= d.

    The mirror image of :func:`b_of_a` (the same arithmetic on the frontier with the
    parties swapped and the points reversed): ``front_a`` interpolated at the last
    point along the frontier where B's share is still ``>= d``; ``front_a[G - 1]``
    when ``d <= front_b[G - 1]``, ``-inf`` when ``d > front_b[0]``, nan when ``d`` is
    nan.
    """
    g = front_b.shape[0]
    if d != d:
        return np.nan
    if d > front_b[0]:
        return -np.inf
    # Largest j with front_b[j] >= d; front_b[0] >= d holds.
    lo = 0
    hi = g - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if front_b[mid] >= d:
            lo = mid
        else:
            hi = mid - 1
    j = lo
    if j == g - 1 or front_b[j] == d:
        return front_a[j]
    # front_b[j] > d > front_b[j + 1]: interpolate from the segment's A-side end
    # (on the pie 1 + d * -1 / 1 again, exactly 1 - d).
    x0 = front_b[j + 1]
    f0 = front_a[j + 1]
    x1 = front_b[j]
    f1 = front_a[j]
    v = f0 + (d - x0) * (f1 - f0) / (x1 - x0)
    if v > f0:
        v = f0
    if v < f1:
        v = f1
    return v


def check_frontier(front_a, front_b):
    """Raise ``ValueError`` unless ``front_a``, ``front_b`` form a frontier the kernels accept.

    Plain Python, for callers to run before a kernel (the kernels do not check).

    Parameters
    ----------
    front_a, front_b : array_like (G,) or (n, G)
        A's and B's shares; in 2-D one frontier per row.

    Raises
    ------
    ValueError
        Unless both are float arrays of the same shape with ``G >= 2`` finite values
        in ``[0, 1]``, ``front_a`` non-decreasing and ending at 1, ``front_b``
        non-increasing and starting at 1, along the last axis.
    """
    fa = np.asarray(front_a)
    fb = np.asarray(front_b)
    if fa.ndim not in (1, 2) or fa.shape[-1] < 2:
        raise ValueError(f"front_a must have shape (G,) or (n, G) with G >= 2, got {fa.shape}")
    if fb.shape != fa.shape:
        raise ValueError(f"front_b shape {fb.shape} differs from front_a shape {fa.shape}")
    for name, f in (("front_a", fa), ("front_b", fb)):
        if not np.issubdtype(f.dtype, np.floating) or not np.all(np.isfinite(f)):
            raise ValueError(f"{name} must hold finite floats")
        if np.any(f < 0.0) or np.any(f > 1.0):
            raise ValueError(f"{name} must lie in [0, 1]")
    if np.any(np.diff(fa, axis=-1) < 0.0) or np.any(fa[..., -1] != 1.0):
        raise ValueError("front_a must be non-decreasing and end at 1")
    if np.any(np.diff(fb, axis=-1) > 0.0) or np.any(fb[..., 0] != 1.0):
        raise ValueError("front_b must be non-increasing and start at 1")


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
    front_a,
    front_b,
    deadline,
    offers_out,
    offers_b_out,
    accepted_out,
):
    """:func:`alternating_offers` with the first proposer given: ``first`` 0 for A, 1 for B.

    The party that proposes at round ``t`` is A when ``(t + first)`` is even.
    """
    for t in range(offers_out.shape[0]):
        offers_out[t] = np.nan
        offers_b_out[t] = np.nan
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
            share_b = b_of_a(d, front_a, front_b)
            accept = share_b >= reservation_b
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
                accept = share_b >= delta_b * nxt
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
            share_b = d
            share_a = a_of_b(d, front_a, front_b)
            accept = share_a >= reservation_a
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
                accept = share_a >= delta_a * nxt
        offers_out[t] = share_a
        offers_b_out[t] = share_b
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
    front_a,
    front_b,
    deadline,
    offers_out,
    offers_b_out,
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
        Least share (own units) each party accepts or demands.
    front_a, front_b : float64 arrays (G,), G >= 2
        The frontier: A's share at each point, non-decreasing from 0 to 1, and B's,
        non-increasing from 1 to 0 (see :func:`check_frontier`). The pie is
        ``[0, 1]`` and ``[1, 0]``.
    deadline : int
        Number of rounds; breakdown after round ``deadline - 1``.
    offers_out : float array (>= deadline,)
        Output: A's share in the offer made at each round, nan after the end.
    offers_b_out : float array (>= deadline,)
        Output: B's share in the offer made at each round, nan after the end.
    accepted_out : bool array (>= deadline,)
        Output: True at the round whose offer was accepted, False elsewhere.

    Returns
    -------
    (round, share_a)
        The agreement round and A's share, or ``(-1, nan)`` on breakdown.
    """
    # np.int64(0), not 0: a constant would compile a second, Literal[int](0) signature.
    return alternating_offers_first(
        np.int64(0),
        strategy_a,
        param_a,
        strategy_b,
        param_b,
        delta_a,
        delta_b,
        reservation_a,
        reservation_b,
        front_a,
        front_b,
        deadline,
        offers_out,
        offers_b_out,
        accepted_out,
    )


@jit_parallel
def batch_alternating_offers(
    strategy_a,
    param_a,
    strategy_b,
    param_b,
    delta_a,
    delta_b,
    reservation_a,
    reservation_b,
    front_a,
    front_b,
    deadline,
    offers_out,
    offers_b_out,
    accepted_out,
    round_out,
    share_out,
):
    """Many independent negotiations in parallel, A proposing first in each.

    ``deadline`` is shared (int); ``strategy_a`` .. ``reservation_b`` are arrays with
    one entry per negotiation (n,); ``front_a`` and ``front_b`` are (n, G), one
    frontier per row (repeat the pie, ``np.tile([0.0, 1.0], (n, 1))``, for pies);
    ``offers_out``, ``offers_b_out`` and ``accepted_out`` are (n, deadline),
    ``round_out`` (n,) ints and ``share_out`` (n,) floats. Each negotiation writes
    only its own rows; nothing is reduced across negotiations, so results do not
    depend on the thread count.
    """
    n = strategy_a.shape[0]
    for i in prange(n):
        r, s = alternating_offers_first(
            np.int64(0),
            strategy_a[i],
            param_a[i],
            strategy_b[i],
            param_b[i],
            delta_a[i],
            delta_b[i],
            reservation_a[i],
            reservation_b[i],
            front_a[i],
            front_b[i],
            deadline,
            offers_out[i],
            offers_b_out[i],
            accepted_out[i],
        )
        round_out[i] = r
        share_out[i] = s
