"""Crisis bargaining: force as an outside option (DESIGN 5.5, after Fearon 1995).

Plain, pure functions for the dyadic crisis model on the pie [0, 1]:

* :func:`win_probability` -- the contest success function
  ``p = K_C**g / (K_C**g + K_D**g)``;
* :func:`side_capability` -- a side's power, the lead's capability plus the shares its
  supporters commit;
* :func:`bargaining_range` -- the deals both sides prefer to war, ``[p - c_C, p + c_D]``;
* :func:`fearon_optimal_offer` -- the defender's optimal take-it-or-leave-it offer when the
  challenger's cost of war is private and uniform on ``[a, b]``, with the resulting
  probability of war (closed form);
* :func:`simulate_offer_acceptance` -- a Monte Carlo check of the probability of war for a
  given offer.

Throughout, ``x`` is the challenger's share of the pie and ``1 - x`` the defender's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = [
    "bargaining_range",
    "fearon_optimal_offer",
    "side_capability",
    "simulate_offer_acceptance",
    "win_probability",
]


# --------------------------------------------------------------------------- validation


def _finite(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _positive(name: str, value: float) -> float:
    v = _finite(name, value)
    if v <= 0.0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return v


def _nonnegative(name: str, value: float) -> float:
    v = _finite(name, value)
    if v < 0.0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")
    return v


def _probability(name: str, value: float) -> float:
    v = _finite(name, value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return v


def _cost_support(a: float, b: float) -> tuple[float, float]:
    a = _nonnegative("a", a)
    b = _finite("b", b)
    if not b > a:
        raise ValueError(f"b must exceed a (uniform cost support [a, b]), got a={a!r}, b={b!r}")
    return a, b


# --------------------------------------------------------------------------- power


def win_probability(k_challenger: float, k_defender: float, exponent: float = 1.0) -> float:
    """Probability that the challenger's side wins a war.

    Parameters
    ----------
    k_challenger : float
        Power of the challenger's side, ``K_C`` (positive, finite).
    k_defender : float
        Power of the defender's side, ``K_D`` (positive, finite).
    exponent : float, default 1.0
        Decisiveness ``g >= 0`` of the contest. ``g = 0`` makes war a coin flip; larger
        ``g`` favours the stronger side more; ``g -> inf`` approaches winner-take-all.

    Returns
    -------
    float
        ``p = K_C**g / (K_C**g + K_D**g)``, in [0, 1].

    Raises
    ------
    ValueError
        If a power is not positive and finite, or the exponent is negative or not finite;
        the message names the argument.

    Notes
    -----
    Computed as the logistic function of ``g * (ln K_C - ln K_D)``, which does not
    overflow for large powers or exponents. ``win_probability(a, b) +
    win_probability(b, a) == 1`` up to rounding.
    """
    kc = _positive("k_challenger", k_challenger)
    kd = _positive("k_defender", k_defender)
    g = _nonnegative("exponent", exponent)
    z = g * (math.log(kc) - math.log(kd))
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def side_capability(
    capabilities: Mapping[str, float], lead: str, supporters: Mapping[str, float]
) -> float:
    """Power of one side: the lead's capability plus its supporters' committed shares.

    Parameters
    ----------
    capabilities : mapping of str to float
        Capability of every actor (non-negative, finite).
    lead : str
        The side's lead actor (challenger or defender); must be in ``capabilities``.
    supporters : mapping of str to float
        Supporter -> share of its capability committed to this side, in [0, 1]. Each
        supporter must be in ``capabilities`` and differ from ``lead``.

    Returns
    -------
    float
        ``c_lead + sum(share * c_supporter)``.

    Raises
    ------
    ValueError
        On an unknown actor, a supporter equal to the lead, a share outside [0, 1] or a
        negative or non-finite capability; the message names the argument.
    """
    if lead not in capabilities:
        raise ValueError(f"lead {lead!r} is not in capabilities")
    total = _nonnegative(f"capabilities[{lead!r}]", capabilities[lead])
    for name, share in supporters.items():
        if name == lead:
            raise ValueError(f"supporters must not include the lead {lead!r}")
        if name not in capabilities:
            raise ValueError(f"supporters: actor {name!r} is not in capabilities")
        s = _probability(f"supporters[{name!r}]", share)
        c = _nonnegative(f"capabilities[{name!r}]", capabilities[name])
        total += s * c
    return total


# --------------------------------------------------------------------------- bargaining


def bargaining_range(p: float, cost_challenger: float, cost_defender: float) -> tuple[float, float]:
    """Deals (challenger's share ``x``) that both sides weakly prefer to war.

    The challenger prefers ``x`` to war when ``x >= p - c_C``; the defender when
    ``1 - x >= 1 - p - c_D``, i.e. ``x <= p + c_D``.

    Parameters
    ----------
    p : float
        Probability the challenger wins, in [0, 1].
    cost_challenger : float
        Challenger's cost of war ``c_C >= 0`` (in units of the pie).
    cost_defender : float
        Defender's cost of war ``c_D >= 0``.

    Returns
    -------
    tuple of float
        ``(p - c_C, p + c_D)``: contains ``p``, width ``c_C + c_D``. The interval is not
        clipped to [0, 1]; intersect it with [0, 1] for the feasible deals.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1] or a cost is negative or not finite.
    """
    p = _probability("p", p)
    cc = _nonnegative("cost_challenger", cost_challenger)
    cd = _nonnegative("cost_defender", cost_defender)
    return (p - cc, p + cd)


def _acceptance(p: float, x: float | np.ndarray, a: float, b: float) -> float | np.ndarray:
    """``F(x) = P(c_C >= p - x)`` for ``c_C ~ U[a, b]``: clip((b - p + x)/(b - a), 0, 1)."""
    return np.clip((b - p + x) / (b - a), 0.0, 1.0)


def fearon_optimal_offer(p: float, cost_defender: float, a: float, b: float) -> dict[str, float]:
    """Defender's optimal offer to a challenger with a private, uniform cost of war.

    The defender offers the challenger the share ``x`` of the pie [0, 1]; the challenger,
    whose cost ``c_C ~ U[a, b]`` only it knows, accepts when ``x >= p - c_C`` and fights
    otherwise. War gives the challenger ``p - c_C`` and the defender ``1 - p - c_D``.

    Parameters
    ----------
    p : float
        Probability the challenger wins a war, in [0, 1].
    cost_defender : float
        Defender's (known) cost of war ``c_D >= 0``.
    a, b : float
        Support of the challenger's cost, ``0 <= a < b``.

    Returns
    -------
    dict
        ``offer``: the optimal ``x*`` in [0, 1]; ``p_war``: ``1 - F(x*)``;
        ``defender_utility``: ``U(x*)``.

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1], ``cost_defender`` is negative, ``a < 0``, ``b <= a``,
        or any is not finite; the message names the argument.

    Notes
    -----
    With ``F(x) = clip((b - p + x) / (b - a), 0, 1)`` the probability of acceptance and
    ``W = 1 - p - c_D``, the defender's expected utility is

    ``U(x) = F(x) (1 - x) + (1 - F(x)) W = W + F(x) (p + c_D - x)``.

    Derivation, with ``y = x - p``:

    * ``x <= p - b`` (``F = 0``, sure war): ``U = W``, flat.
    * ``p - b <= x <= p - a``: ``U - W = (b + y)(c_D - y) / (b - a)``, a concave quadratic
      with vertex ``y* = (c_D - b) / 2``. Its slope at ``y = -b`` is
      ``(b + c_D) / (b - a) > 0``, so the vertex always lies right of ``-b``, and it lies
      left of ``-a`` exactly when ``c_D < b - 2a``.
    * ``x >= p - a`` (``F = 1``, sure peace): ``U = 1 - x``, decreasing.

    ``U`` is continuous, non-decreasing up to ``x_u = p + min((c_D - b) / 2, -a)`` and
    non-increasing after it, so:

    * if ``c_D < b - 2a``: ``x* = p + (c_D - b) / 2`` and
      ``P(war) = 1 - (b + c_D) / (2 (b - a))``, which then lies in (0, 1);
    * if ``c_D >= b - 2a``: ``x* = p - a`` and ``P(war) = 0`` (peace for sure; at
      equality both formulas agree).

    This matches DESIGN 5.5 on the whole parameter space (no edge disagreement was found).

    Feasibility: offers are shares, so ``x`` is restricted to [0, 1]. Because ``U`` is
    unimodal in the sense above, the constrained optimum is ``clip(x_u, 0, 1)`` and
    ``offer``, ``p_war`` and ``defender_utility`` are reported at the clipped offer. When
    ``x_u < 0`` (e.g. a strong defender, ``p`` small, ``a > p``) the defender offers
    nothing and ``P(war) = 1 - F(0)``. The upper bound never binds, since
    ``x_u <= p - a <= 1`` for ``p <= 1`` and ``a >= 0`` (the clip is kept as a guard). If
    ``x_u <= 0 <= p - b`` every offer in ``[0, p - b]`` is optimal (war is certain
    whatever is offered); 0 is reported.
    """
    p = _probability("p", p)
    cd = _nonnegative("cost_defender", cost_defender)
    a, b = _cost_support(a, b)
    x_unconstrained = p + min(0.5 * (cd - b), -a)
    x = min(max(x_unconstrained, 0.0), 1.0)
    f = float(_acceptance(p, x, a, b))
    w = 1.0 - p - cd
    return {
        "offer": x,
        "p_war": 1.0 - f,
        "defender_utility": f * (1.0 - x) + (1.0 - f) * w,
    }


def simulate_offer_acceptance(
    p: float,
    offer: float,
    cost_defender: float,
    a: float,
    b: float,
    n: int,
    rng: np.random.Generator,
) -> float:
    """Monte Carlo probability of war for a given offer.

    Draws ``n`` challenger costs ``c_C ~ U[a, b]`` and counts the challengers that fight,
    i.e. those with ``offer < p - c_C``.

    Parameters
    ----------
    p : float
        Probability the challenger wins, in [0, 1].
    offer : float
        The challenger's share offered, in [0, 1].
    cost_defender : float
        Defender's cost of war ``c_D >= 0``. It does not affect the challenger's choice; it
        is validated and kept for a signature parallel to :func:`fearon_optimal_offer`.
    a, b : float
        Support of the challenger's cost, ``0 <= a < b``.
    n : int
        Number of draws (positive).
    rng : numpy.random.Generator
        Source of randomness; the function is deterministic given its state.

    Returns
    -------
    float
        The fraction of draws that end in war; its standard error is
        ``sqrt(q (1 - q) / n)``.

    Raises
    ------
    ValueError
        On invalid parameters (message names the argument); ``TypeError`` if ``rng`` is
        not a ``numpy.random.Generator``.
    """
    p = _probability("p", p)
    x = _probability("offer", offer)
    _nonnegative("cost_defender", cost_defender)
    a, b = _cost_support(a, b)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    costs = rng.uniform(a, b, size=int(n))
    return float(np.mean(x < p - costs))
