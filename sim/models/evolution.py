"""Evolution on the payoffs of a tournament (DESIGN.md 5.6): discrete replicator
dynamics, the Moran process and fixation probabilities by simulation, and
:func:`evolve`, which plays the tournament and then runs one of them.

The games and tournaments are in :mod:`sim.models.games`; the results users get,
with their files, in :mod:`sim.results.games`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.kernels import games as K
from sim.models.base import wilson_interval
from sim.models.games import _count, _finite, _seed, tournament
from sim.progress import Progress


def _payoff(payoff_matrix, names=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """A square finite float64 matrix and its type names (a DataFrame's columns, or
    ``names``, or "0", "1", ...)."""
    if names is None and isinstance(payoff_matrix, pd.DataFrame):
        names = payoff_matrix.columns
    try:
        a = np.array(payoff_matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("payoff_matrix must be a square array of numbers") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise ValueError(f"payoff_matrix must be square (P, P), got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("payoff_matrix must hold finite numbers")
    names = tuple(str(x) for x in (range(a.shape[0]) if names is None else names))
    if len(names) != a.shape[0]:
        raise ValueError(f"{len(names)} names for {a.shape[0]} types")
    return np.ascontiguousarray(a), names


MAX_STEPS = 10_000_000
"""Most steps of replicator dynamics or a Moran process (as ``--steps``): every step is a
row of the history."""
MAX_POPULATION = 1_000_000
"""Most individuals of a Moran population (as ``--population``)."""
MAX_RUNS = 10_000_000
"""Most runs of a fixation estimate (as ``--fixation``)."""
LONG_REPLICATOR = 1_000_000
"""Steps of replicator dynamics from which they report their progress (a few seconds)."""
PROGRESS_STEPS = 100_000
"""Steps of replicator dynamics between two progress updates."""
LONG_FIXATION = 10_000_000
"""Runs times population from which fixation runs go in batches that report their progress
(about a second of work; a run from one mutant lasts of the order of population x
log(population) steps)."""


def replicator_shift(payoff_matrix) -> float:
    """What :func:`replicator` adds to every payoff: ``1 - min(A)`` when ``min(A) <= 0``, else 0."""
    low = float(np.min(payoff_matrix))
    return 1.0 - low if low <= 0.0 else 0.0


def replicator(payoff_matrix, shares0, steps: int) -> np.ndarray:
    """Discrete replicator dynamics: ``x_i' = x_i f_i / fbar`` with ``f = A x`` and
    ``fbar = x . f``, from ``shares0`` for ``steps`` generations.

    The dynamics need positive fitness, so when ``min(A) <= 0`` the payoffs are
    shifted first: ``1 - min(A)`` is added to every entry (the least becomes 1; see
    :func:`replicator_shift`). A shift keeps the fixed points and the direction of
    change but slows the dynamics down.

    Returns the shares (steps + 1, P), row 0 being ``shares0`` (normalised).
    """
    a, _ = _payoff(payoff_matrix)
    x = _shares(shares0, a.shape[0])
    steps = _count("steps", steps, 0, MAX_STEPS)
    a = a + replicator_shift(a)
    out = np.empty((steps + 1, a.shape[0]))
    out[0] = x
    bar = None
    if steps >= LONG_REPLICATOR:
        bar = Progress(steps, f"replicator dynamics of {steps:,} steps", unit="step")
    try:
        for t in range(steps):
            grown = x * (a @ x)
            x = grown / grown.sum()
            out[t + 1] = x
            if bar is not None and (t + 1) % PROGRESS_STEPS == 0:
                bar.update(PROGRESS_STEPS)
        if bar is not None:
            bar.update(steps % PROGRESS_STEPS)
    finally:
        if bar is not None:
            bar.close()
    return out


def _shares(shares0, p: int) -> np.ndarray:
    x = np.array(shares0, dtype=np.float64)
    if x.shape != (p,) or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"shares0 must be {p} finite shares >= 0, got {shares0!r}")
    if abs(x.sum() - 1.0) > 1e-6:
        raise ValueError(f"shares0 must sum to 1, got {x.sum():g}")
    return x / x.sum()


def _moran_inputs(payoff_matrix, intensity, names=None):
    a, names = _payoff(payoff_matrix, names)
    w = _finite("intensity", intensity, 0.0, 1.0)
    if 1.0 - w + w * a.min() < 0.0:
        raise ValueError(
            f"fitness 1 - w + w * payoff is negative for the least payoff {a.min():g} at "
            f"intensity {w:g}; shift the payoffs up or lower the intensity"
        )
    return a, names, w


def moran(payoff_matrix, counts0, steps: int, seed: int, intensity: float = 1.0, names=None):
    """The Moran process (birth proportional to fitness, death uniform) from ``counts0``.

    ``payoff_matrix`` (P, P): payoff of type i meeting type j (a DataFrame lends its
    column names). The fitness of type i is ``1 - w + w * pi_i``, ``w = intensity`` in
    [0, 1] and ``pi_i`` the mean payoff of an i individual against the other ``N - 1``
    individuals (no self-interaction); see :func:`sim.kernels.games.moran_step`. At
    fixation the process stops: the rest of the history repeats the fixed state, and
    ``fixation_step`` records the step it was reached. The generator is seeded with
    ``SeedSequence(seed).generate_state(1, uint64)[0]``.

    Returns an :class:`Evolution` whose ``states`` are counts (steps + 1, P).
    """
    a, names, w = _moran_inputs(payoff_matrix, intensity, names)
    counts = np.array(counts0)
    if counts.shape != (a.shape[0],) or counts.dtype.kind not in "iu" or np.any(counts < 0):
        raise ValueError(f"counts0 must be {a.shape[0]} integers >= 0, got {counts0!r}")
    if counts.sum() < 2:
        raise ValueError(f"the population (sum of counts0) must be at least 2, got {counts.sum()}")
    steps = _count("steps", steps, 0, MAX_STEPS)
    seed = _seed(seed)
    history = np.empty((steps + 1, a.shape[0]), dtype=np.int64)
    word = np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]
    fixed = K.moran(a, counts.astype(np.int64), steps, w, word, history)
    return Evolution(names, "moran", history, a, seed, w, None, None if fixed < 0 else int(fixed))


def fixation_probability(
    payoff_matrix, mutant, resident, population: int, runs: int, seed: int, intensity: float = 1.0
) -> tuple[float, tuple[float, float]]:
    """Share of ``runs`` Moran runs in which one ``mutant`` among ``population - 1``
    ``resident`` individuals takes over, with its Wilson 95% interval.

    ``mutant`` and ``resident`` are indices or names of types of ``payoff_matrix``;
    the runs are independent, seeded with the words of
    ``SeedSequence(seed).generate_state(runs, uint64)``, and go on until one type is
    left. A neutral mutant fixes with probability ``1 / population``.
    """
    a, names, w = _moran_inputs(payoff_matrix, intensity)
    idx = [_type_index(names, x, what) for x, what in ((mutant, "mutant"), (resident, "resident"))]
    if idx[0] == idx[1]:
        raise ValueError("mutant and resident must be different types")
    population = _count("population", population, 2, MAX_POPULATION)
    runs = _count("runs", runs, 1, MAX_RUNS)
    seeds = np.random.SeedSequence(_seed(seed)).generate_state(runs, np.uint64)
    fixed = np.empty(runs, dtype=np.bool_)
    pair = np.ascontiguousarray(a[np.ix_(idx, idx)])
    # every run has its own seed and output: many long runs go in batches, with the same
    # results, so that they can report their progress
    if runs * population < LONG_FIXATION:
        K.fixation(pair, population, w, seeds, fixed)
    else:
        batch = max(1, LONG_FIXATION // population)
        bar = Progress(runs, f"fixation runs in a population of {population:,}", unit="run")
        try:
            for lo in range(0, runs, batch):
                part = np.empty(min(batch, runs - lo), dtype=np.bool_)
                K.fixation(pair, population, w, np.ascontiguousarray(seeds[lo : lo + batch]), part)
                fixed[lo : lo + len(part)] = part
                bar.update(len(part))
        finally:
            bar.close()
    k = int(fixed.sum())
    return k / runs, wilson_interval(k, runs)


def _type_index(names, x, what: str) -> int:
    if isinstance(x, str):
        if x not in names:
            raise ValueError(f"unknown {what} {x!r}; expected one of: {', '.join(names)}")
        return names.index(x)
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or not 0 <= x < len(names):
        raise ValueError(f"{what} must be a type name or an index below {len(names)}, got {x!r}")
    return int(x)


@dataclass(frozen=True, eq=False, repr=False)
class Evolution:
    """A population's evolution: ``states`` (steps + 1, P), shares for the replicator
    dynamics, counts for the Moran process; ``payoff`` (P, P) the payoffs it ran on
    (unshifted); ``tournament`` the parameters of the tournament that gave them
    (:func:`evolve`), else None. A Moran run's ``fixation_step`` is the step at which
    one type was left (the history repeats that state afterwards), None if none was
    within the steps. ``fixation``: the table of :func:`fixation_table` when
    :func:`evolve` was asked for it."""

    names: tuple[str, ...]
    process: str
    states: np.ndarray
    payoff: np.ndarray
    seed: int | None = None
    intensity: float | None = None
    tournament: dict | None = None
    fixation_step: int | None = None
    fixation: pd.DataFrame | None = None

    @property
    def steps(self) -> int:
        return self.states.shape[0] - 1

    def shares(self) -> np.ndarray:
        """(steps + 1, P): the share of each type at each step."""
        s = self.states.astype(np.float64)
        return s / s.sum(axis=1, keepdims=True)

    def history(self) -> pd.DataFrame:
        """``step`` and one column per strategy (counts for Moran, shares for the replicator)."""
        table = pd.DataFrame(self.states, columns=list(self.names))
        table.insert(0, "step", np.arange(self.states.shape[0]))
        return table

    @property
    def population(self) -> int:
        """Individuals of a Moran population (the sum of the counts)."""
        return int(self.states[0].sum())

    @property
    def fixed(self) -> str | None:
        """The type that took over, or None."""
        if self.fixation_step is None:
            return None
        return self.names[int(np.argmax(self.states[-1]))]


def fixation_table(
    payoff_matrix, names, population: int, runs: int, seed: int, intensity: float
) -> pd.DataFrame:
    """The fixation probability of one mutant of each type among each other type, by
    :func:`fixation_probability` with ``runs`` runs: ``mutant, resident, probability,
    lo, hi, neutral, runs``; the pair (i, j) is seeded with
    ``SeedSequence(seed, spawn_key=(i, j)).generate_state(1)[0]``."""
    rows = []
    names = list(names)
    for i, mutant in enumerate(names):
        for j, resident in enumerate(names):
            if i == j:
                continue
            sub = np.random.SeedSequence(seed, spawn_key=(i, j)).generate_state(1)[0]
            p, (lo, hi) = fixation_probability(
                payoff_matrix, i, j, population, runs, int(sub), intensity
            )
            rows.append(
                {"mutant": mutant, "resident": resident, "probability": p, "lo": lo, "hi": hi,
                 "neutral": 1.0 / population, "runs": runs}
            )  # fmt: skip
    return pd.DataFrame(rows)


def evolve(
    strategies,
    process: str = "moran",
    population: int = 100,
    steps: int | None = None,
    seed: int = 0,
    turns: int = 200,
    repetitions: int = 1,
    noise: float = 0.0,
    game="prisoners_dilemma",
    intensity: float = 1.0,
    initial=None,
    fixation: int | None = None,
) -> Evolution:
    """Evolve a population of ``strategies`` on the payoffs of their tournament.

    A :func:`tournament` (``turns``, ``repetitions``, ``seed``, ``noise``, ``game``)
    gives the payoff matrix, the mean payoff per turn of each strategy against each
    (self-play on the diagonal). Then ``process``:

    ``"moran"``
        :func:`moran` in a population of ``population`` individuals, from
        ``initial`` counts (default: as equal as can be, the first strategies one
        more; then the population must be at least the number of strategies) for
        ``steps`` (default ``100 * population``, at most :data:`MAX_STEPS`) steps,
        ``seed`` and ``intensity`` as given.
    ``"replicator"``
        :func:`replicator` from ``initial`` shares (default equal) for ``steps``
        (default 1,000) generations; ``population``, ``intensity`` are not used.

    ``fixation = RUNS`` also estimates, from RUNS Moran runs each, the probability that one
    mutant of each strategy takes over a population of ``population`` of each other
    (:func:`fixation_table`, seeded from ``seed``).
    """
    if process not in ("moran", "replicator"):
        raise ValueError(f"process must be 'moran' or 'replicator', got {process!r}")
    t = tournament(strategies, turns, repetitions, seed, noise, game)
    matrix = t.payoff_matrix()
    context = t.parameters()
    p = len(t.names)
    if process == "replicator":
        steps = 1000 if steps is None else steps
        x0 = np.full(p, 1.0 / p) if initial is None else initial
        states = replicator(matrix, x0, steps)
        out = Evolution(t.names, "replicator", states, matrix.to_numpy(), tournament=context)
        return _with_fixation(out, population, fixation, seed, intensity)
    population = _count("population", population, 2, MAX_POPULATION)
    steps = min(100 * population, MAX_STEPS) if steps is None else steps
    if initial is None and population < p:
        raise ValueError(
            f"population {population} is smaller than the {p} strategies, so some would "
            f"start with no members; expected a population of at least {p} (or initial counts)"
        )
    if initial is None:
        initial = np.full(p, population // p) + (np.arange(p) < population % p)
    elif int(np.sum(initial)) != population:
        raise ValueError(
            f"initial counts sum to {int(np.sum(initial))}, not population {population}"
        )
    res = moran(matrix, initial, steps, seed, intensity)
    return _with_fixation(replace(res, tournament=context), population, fixation, seed, intensity)


def _with_fixation(out: Evolution, population, runs, seed, intensity) -> Evolution:
    if not runs:
        return out
    table = fixation_table(out.payoff, out.names, population, runs, seed, intensity)
    return replace(out, fixation=table)
