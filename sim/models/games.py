"""Iterated 2x2 games: matches, round-robin tournaments and evolution (DESIGN.md 5.6).

Actions are 0 (cooperate, C) and 1 (defect, D); a game is a float64 array
``pay`` (2, 2, 2) with ``pay[row_action, col_action, k]`` the payoff to player k
(0 = row, 1 = column). The strategies and the random numbers are described in
:mod:`sim.kernels.games`, which plays the matches.

>>> r = tournament(["cooperator", "defector", "tit_for_tat"], turns=10, repetitions=1)
>>> r.scores()[["strategy", "score_per_repetition"]].values.tolist()
[['defector', 64.0], ['tit_for_tat', 39.0], ['cooperator', 30.0]]
>>> play_match("tit_for_tat", "defector", turns=200).totals.tolist()
[199.0, 204.0]
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.kernels import games as K
from sim.results import figure_bytes, write_atomic

MAX_TURNS = 100_000
"""Cap on a match's length drawn with ``continuation``."""


# ---- games -------------------------------------------------------------------------
class GameInfo(NamedTuple):
    """A symmetric game's payoffs and what it is."""

    R: float
    S: float
    T: float
    P: float
    description: str


GAMES = {
    "prisoners_dilemma": GameInfo(3.0, 0.0, 5.0, 1.0, "T > R > P > S: defection dominates, yet mutual cooperation beats mutual defection"),
    "chicken": GameInfo(3.0, 1.0, 4.0, 0.0, "T > R > S > P: mutual defection is the worst outcome, a collision"),
    "stag_hunt": GameInfo(4.0, 0.0, 3.0, 2.0, "R > T > P > S: cooperation pays only if both cooperate"),
    "deadlock": GameInfo(1.0, 0.0, 3.0, 2.0, "T > P > R > S: defection dominates and mutual defection beats mutual cooperation"),
}  # fmt: skip
"""Named symmetric games, from the payoffs R (reward), S (sucker), T (temptation), P (punishment)."""


def symmetric_game(R: float, S: float, T: float, P: float) -> np.ndarray:
    """The (2, 2, 2) payoff array of the symmetric game with payoffs R, S, T, P."""
    pay = np.empty((2, 2, 2))
    pay[0, 0] = (R, R)
    pay[0, 1] = (S, T)
    pay[1, 0] = (T, S)
    pay[1, 1] = (P, P)
    return pay


def game(spec="prisoners_dilemma") -> np.ndarray:
    """A game as a float64 array (2, 2, 2), from a name in :data:`GAMES`, a dict
    ``{R, S, T, P}`` or a (2, 2, 2) nested list or array; ValueError when invalid."""
    if isinstance(spec, str):
        if spec not in GAMES:
            raise ValueError(f"unknown game {spec!r}; expected one of: {', '.join(GAMES)}")
        return symmetric_game(*GAMES[spec][:4])
    if isinstance(spec, dict):
        missing = [k for k in "RSTP" if k not in spec]
        extra = sorted(str(k) for k in spec if k not in ("R", "S", "T", "P"))
        if missing or extra:
            raise ValueError(
                "game: a dict needs exactly the payoffs R, S, T, P"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(extra)}" if extra else "")
            )
        return symmetric_game(*(_finite(f"game payoff {k}", spec[k]) for k in "RSTP"))
    try:
        pay = np.array(spec, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"game must be a name, a dict {{R, S, T, P}} or a (2, 2, 2) array, got {spec!r}"
        ) from None
    if pay.shape != (2, 2, 2):
        raise ValueError(f"game array must have shape (2, 2, 2), got {pay.shape}")
    if not np.all(np.isfinite(pay)):
        raise ValueError("game array must hold finite numbers")
    return np.ascontiguousarray(pay)


_game = game  # for functions whose argument ``game`` hides this one


def _game_label(spec) -> str:
    return spec if isinstance(spec, str) else "custom"


def _finite(name: str, value, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        where = "" if lo is None else f" in [{lo:g}, {hi:g}]"
        raise ValueError(f"{name} must be a finite number{where}, got {value!r}")
    return v


def _count(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


# ---- strategies --------------------------------------------------------------------
@dataclass(frozen=True)
class StrategyInfo:
    """A strategy's metadata: its kernel code, default parameter (and the parameter's
    name, None when it takes none), memory depth (past turns used; ``inf`` for
    grudger), whether it draws random numbers, and a one-line description."""

    name: str
    code: int
    param: float
    param_name: str | None
    memory: float
    stochastic: bool
    description: str


STRATEGIES = {
    s.name: s
    for s in (
        StrategyInfo("cooperator", K.COOPERATOR, 0.0, None, 0, False, "always cooperates"),
        StrategyInfo("defector", K.DEFECTOR, 0.0, None, 0, False, "always defects"),
        StrategyInfo("tit_for_tat", K.TIT_FOR_TAT, 0.0, None, 1, False, "cooperates first, then copies the opponent's last move"),
        StrategyInfo("suspicious_tit_for_tat", K.SUSPICIOUS_TIT_FOR_TAT, 0.0, None, 1, False, "defects first, then copies the opponent's last move"),
        StrategyInfo("tit_for_two_tats", K.TIT_FOR_TWO_TATS, 0.0, None, 2, False, "defects only after two consecutive defections by the opponent"),
        StrategyInfo("grudger", K.GRUDGER, 0.0, None, math.inf, False, "cooperates until the opponent defects once, then defects for ever"),
        StrategyInfo("alternator", K.ALTERNATOR, 0.0, None, 1, False, "cooperates first, then plays the opposite of its own last move"),
        StrategyInfo("win_stay_lose_shift", K.WIN_STAY_LOSE_SHIFT, 0.0, None, 1, False, "cooperates first; repeats its move after R or T, switches after S or P"),
        StrategyInfo("generous_tit_for_tat", K.GENEROUS_TIT_FOR_TAT, 0.1, "q", 1, True, "tit for tat that forgives a defection with probability q"),
        StrategyInfo("random", K.RANDOM, 0.5, "p", 0, True, "cooperates with probability p"),
    )
}  # fmt: skip
"""Strategies by name (codes as in :mod:`sim.kernels.games`)."""


class Strategy(NamedTuple):
    """A strategy with its parameter, as a tournament plays it."""

    name: str
    param: float

    @property
    def code(self) -> int:
        return STRATEGIES[self.name].code

    @property
    def label(self) -> str:
        """The name, plus ``:param`` when the parameter is not the default."""
        default = STRATEGIES[self.name].param
        return self.name if self.param == default else f"{self.name}:{self.param!r}"


def strategy_code(name: str) -> int:
    """The kernel code of the strategy ``name``."""
    return parse_strategy(name).code


def parse_strategy(text) -> Strategy:
    """``name`` or ``name:PARAM`` (``generous_tit_for_tat:0.2``, ``random:0.3``) as a
    :class:`Strategy` (a :class:`Strategy` is checked the same way). ValueError naming
    the valid names, or what is wrong with the parameter."""
    if isinstance(text, Strategy):
        text = text.label
    if not isinstance(text, str):
        raise ValueError(f"a strategy is a name or name:PARAM, got {text!r}")
    name, sep, value = text.strip().partition(":")
    info = STRATEGIES.get(name.strip())
    if info is None:
        raise ValueError(f"unknown strategy {name!r}; expected one of: {', '.join(STRATEGIES)}")
    if not sep:
        return Strategy(info.name, info.param)
    if info.param_name is None:
        raise ValueError(f"strategy {info.name} takes no parameter, got {text!r}")
    param = _param_value(text, value)
    if not 0.0 <= param <= 1.0:
        raise ValueError(f"{text!r}: the probability {info.param_name} must be in [0, 1]")
    return Strategy(info.name, param)


def _param_value(text: str, value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise ValueError(f"{text!r}: the parameter after ':' must be a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{text!r}: the parameter must be finite")
    return v


def _strategies(strategies) -> list[Strategy]:
    if isinstance(strategies, str | Strategy):
        strategies = [strategies]
    parsed = [parse_strategy(s) for s in strategies]
    labels = [s.label for s in parsed]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ValueError(f"strategy listed more than once: {', '.join(twice)}")
    if len(parsed) < 2:
        raise ValueError(f"a tournament needs at least 2 strategies, got {len(parsed)}")
    return parsed


def _seed(seed) -> int:
    return _count("seed", seed, 0)


# ---- one match ---------------------------------------------------------------------
@dataclass(frozen=True)
class MatchResult:
    """One match: ``actions`` int8 (turns, 2) and ``payoffs`` (turns, 2) per turn,
    ``totals`` (2,); column 0 is the row player ``names[0]``."""

    names: tuple[str, str]
    actions: np.ndarray
    payoffs: np.ndarray
    totals: np.ndarray
    seed: int


def play_match(a, b, turns: int, game="prisoners_dilemma", noise: float = 0.0, seed: int = 0):
    """Play ``a`` (row) against ``b`` for ``turns`` turns; the match's generator is
    seeded with ``SeedSequence(seed).generate_state(1, uint64)[0]``."""
    sa, sb = parse_strategy(a), parse_strategy(b)
    turns = _count("turns", turns, 1)
    noise = _finite("noise", noise, 0.0, 1.0)
    pay = _game(game)
    match_seed = np.random.SeedSequence(_seed(seed)).generate_state(1, np.uint64)[0]
    actions = np.empty((turns, 2), dtype=np.int8)
    payoffs = np.empty((turns, 2))
    totals = K.match(
        sa.code, float(sa.param), sb.code, float(sb.param), pay, turns, noise, match_seed,
        actions, payoffs,
    )  # fmt: skip
    return MatchResult((sa.label, sb.label), actions, payoffs, np.array(totals), seed)


# ---- tournaments -------------------------------------------------------------------
def match_seeds(seed: int, repetitions: int, pairs) -> np.ndarray:
    """(M, 2) uint64: per repetition r and pair (i, j), i <= j, in that order, the words of
    ``SeedSequence(seed, spawn_key=(r, i, j)).generate_state(2, uint64)``: the first
    seeds the match, the second draws its length under ``continuation``."""
    return np.array(
        [
            np.random.SeedSequence(seed, spawn_key=(r, i, j)).generate_state(2, np.uint64)
            for r in range(repetitions)
            for i, j in pairs
        ],
        dtype=np.uint64,
    ).reshape(-1, 2)


def geometric_lengths(words: np.ndarray, continuation: float) -> np.ndarray:
    """Match lengths (int64) with ``P(L > k) = w ** k``: the match goes on after each turn
    with probability ``w``, at least 1 turn, mean ``1 / (1 - w)``, capped at
    :data:`MAX_TURNS`. ``u`` is the top 53 bits of each word, in [0, 1), and
    ``L = 1 + floor(log(1 - u) / log(w))``."""
    u = (words >> np.uint64(11)).astype(np.float64) * 2.0**-53
    lengths = 1.0 + np.floor(np.log1p(-u) / math.log(continuation))
    return np.minimum(lengths, MAX_TURNS).astype(np.int64)


def tournament(
    strategies,
    turns: int = 200,
    repetitions: int = 10,
    seed: int = 0,
    noise: float = 0.0,
    game="prisoners_dilemma",
    continuation: float | None = None,
) -> TournamentResult:
    """Round robin: every pair of ``strategies`` (names or ``name:PARAM``) once per
    repetition, self-play included as a match but left out of the scores.

    Matches last ``turns`` turns, or with ``continuation = w`` in (0, 1) a length
    drawn per match (see :func:`geometric_lengths`). Match seeds come from
    :func:`match_seeds`; all matches run in parallel in :func:`sim.kernels.games.tournament`.
    """
    parsed = _strategies(strategies)
    repetitions = _count("repetitions", repetitions, 1)
    seed = _seed(seed)
    noise = _finite("noise", noise, 0.0, 1.0)
    pay = _game(game)
    n = len(parsed)
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    words = match_seeds(seed, repetitions, pairs)
    if continuation is None:
        turns = _count("turns", turns, 1)
        lengths = np.full(len(words), turns, dtype=np.int64)
    else:
        continuation = _finite("continuation", continuation, 0.0, 1.0)
        if not 0.0 < continuation < 1.0:
            raise ValueError(f"continuation must be in (0, 1), got {continuation!r}")
        turns = None
        lengths = geometric_lengths(words[:, 1], continuation)
    pair_i = np.tile(np.array([p[0] for p in pairs], dtype=np.int64), repetitions)
    pair_j = np.tile(np.array([p[1] for p in pairs], dtype=np.int64), repetitions)
    out = np.empty((len(words), 2))
    K.tournament(
        np.array([s.code for s in parsed], dtype=np.int64),
        np.array([s.param for s in parsed], dtype=np.float64),
        pay, lengths, noise, np.ascontiguousarray(words[:, 0]), pair_i, pair_j, out,
    )  # fmt: skip
    reps = np.repeat(np.arange(repetitions), len(pairs))
    totals = np.empty((repetitions, n, n))
    played = np.empty((repetitions, n, n), dtype=np.int64)
    totals[reps, pair_i, pair_j] = out[:, 0]
    totals[reps, pair_j, pair_i] = out[:, 1]
    self_play = pair_i == pair_j
    totals[reps[self_play], pair_i[self_play], pair_i[self_play]] = out[self_play].mean(axis=1)
    played[reps, pair_i, pair_j] = lengths
    played[reps, pair_j, pair_i] = lengths
    return TournamentResult(
        names=tuple(s.label for s in parsed),
        strategies=tuple(parsed),
        game=_game_label(game),
        pay=pay,
        turns=turns,
        repetitions=repetitions,
        seed=seed,
        noise=noise,
        continuation=continuation,
        totals=totals,
        lengths=played,
    )


@dataclass(frozen=True, eq=False, repr=False)
class TournamentResult:
    """A round robin's results.

    ``totals`` (R, P, P): total payoff of the row strategy against the column one in
    each repetition (the diagonal: self-play, the mean of the two copies' totals);
    ``lengths`` (R, P, P) int64: turns played. ``turns`` is None when match lengths
    were drawn (``continuation``). ``game`` is the game's name or ``"custom"``,
    ``pay`` its (2, 2, 2) payoffs.
    """

    names: tuple[str, ...]
    strategies: tuple[Strategy, ...]
    game: str
    pay: np.ndarray
    turns: int | None
    repetitions: int
    seed: int
    noise: float
    continuation: float | None
    totals: np.ndarray
    lengths: np.ndarray

    def repetition_scores(self) -> np.ndarray:
        """(R, P): each strategy's total payoff against all the others (not itself) per repetition."""
        others = ~np.eye(len(self.names), dtype=bool)
        return np.where(others, self.totals, 0.0).sum(axis=2)

    def scores(self) -> pd.DataFrame:
        """One row per strategy, best first (ties by name): ``strategy``,
        ``mean_payoff_per_turn`` (score over turns played against the others),
        ``score_per_repetition`` (total payoff against the others, mean over
        repetitions) and ``wins_per_repetition`` (matches won outright, mean)."""
        others = ~np.eye(len(self.names), dtype=bool)
        per_rep = self.repetition_scores()
        turns = np.where(others, self.lengths, 0).sum(axis=(0, 2))
        wins = ((self.totals > self.totals.transpose(0, 2, 1)) & others).sum(axis=2)
        table = pd.DataFrame(
            {
                "strategy": list(self.names),
                "mean_payoff_per_turn": per_rep.sum(axis=0) / turns,
                "score_per_repetition": per_rep.mean(axis=0),
                "wins_per_repetition": wins.mean(axis=0),
            }
        )
        table = table.sort_values(
            ["score_per_repetition", "strategy"], ascending=[False, True], kind="stable"
        )
        return table.reset_index(drop=True)

    def payoff_matrix(self) -> pd.DataFrame:
        """Mean payoff per turn of the row strategy against the column one (over all
        repetitions); the diagonal is self-play, per player."""
        m = self.totals.sum(axis=0) / self.lengths.sum(axis=0)
        idx = pd.Index(list(self.names), name="strategy")
        return pd.DataFrame(m, index=idx, columns=list(self.names))

    def summary(self) -> dict:
        return {
            "strategies": list(self.names),
            "game": self.game,
            "payoffs": self.pay.tolist(),
            "turns": self.turns,
            "continuation": self.continuation,
            "repetitions": self.repetitions,
            "noise": self.noise,
            "seed": self.seed,
            "self_play": "played, left out of the scores",
            "ranking": self.scores().to_dict(orient="records"),
        }

    def plot(self, ax=None):
        from sim import plot

        return plot.tournament_ranking(self, ax=ax)

    def write(self, out: str | Path) -> list[Path]:
        """Write ``scores.csv``, ``payoff_matrix.csv``, ``summary.json``, ``ranking.png``
        and ``payoff_matrix.png`` to ``out``, each atomically."""
        from sim import plot

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        csv = {"index": False, "lineterminator": "\n"}
        written = [
            write_atomic(out / "scores.csv", self.scores().to_csv(**csv)),
            write_atomic(
                out / "payoff_matrix.csv", self.payoff_matrix().reset_index().to_csv(**csv)
            ),
            write_atomic(out / "summary.json", _json(self.summary())),
        ]
        for name, make in (("ranking.png", plot.tournament_ranking),
                           ("payoff_matrix.png", plot.payoff_heatmap)):  # fmt: skip
            fig = make(self)
            written.append(write_atomic(out / name, figure_bytes(fig)))
            plot.close(fig)
        return written

    def _length_text(self) -> str:
        if self.turns is None:
            return f"continuation {self.continuation:g}"
        return f"{self.turns} turns"

    def __repr__(self) -> str:
        return (
            f"TournamentResult({len(self.names)} strategies, game={self.game!r}, "
            f"{self._length_text()}, repetitions={self.repetitions}, noise={self.noise:g}, "
            f"seed={self.seed})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{k + 1}</td><th>{html.escape(r.strategy)}</th>"
            f"<td>{r.score_per_repetition:.1f}</td><td>{r.mean_payoff_per_turn:.3f}</td>"
            f"<td>{r.wins_per_repetition:.2f}</td></tr>"
            for k, r in enumerate(self.scores().itertuples(index=False))
        )
        return (
            f"<p><b>Tournament</b>: {html.escape(self.game)}, {len(self.names)} strategies, "
            f"{html.escape(self._length_text())}, {self.repetitions} repetitions, "
            f"noise {self.noise:g}, seed {self.seed}</p><table><tr><th>rank</th>"
            "<th>strategy</th><th>score per repetition</th><th>payoff per turn</th>"
            f"<th>wins per repetition</th></tr>{rows}</table>"
        )


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


# ---- evolution ---------------------------------------------------------------------
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
    steps = _count("steps", steps, 0)
    a = a + replicator_shift(a)
    out = np.empty((steps + 1, a.shape[0]))
    out[0] = x
    for t in range(steps):
        grown = x * (a @ x)
        x = grown / grown.sum()
        out[t + 1] = x
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

    Returns a :class:`MoranResult` whose ``states`` are counts (steps + 1, P).
    """
    a, names, w = _moran_inputs(payoff_matrix, intensity, names)
    counts = np.array(counts0)
    if counts.shape != (a.shape[0],) or counts.dtype.kind not in "iu" or np.any(counts < 0):
        raise ValueError(f"counts0 must be {a.shape[0]} integers >= 0, got {counts0!r}")
    if counts.sum() < 2:
        raise ValueError(f"the population (sum of counts0) must be at least 2, got {counts.sum()}")
    steps = _count("steps", steps, 0)
    seed = _seed(seed)
    history = np.empty((steps + 1, a.shape[0]), dtype=np.int64)
    word = np.random.SeedSequence(seed).generate_state(1, np.uint64)[0]
    fixed = K.moran(a, counts.astype(np.int64), steps, w, word, history)
    return MoranResult(names, "moran", history, a, seed, w, None, None if fixed < 0 else int(fixed))


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
    from sim.models.bargain import wilson_interval

    a, names, w = _moran_inputs(payoff_matrix, intensity)
    idx = [_type_index(names, x, what) for x, what in ((mutant, "mutant"), (resident, "resident"))]
    if idx[0] == idx[1]:
        raise ValueError("mutant and resident must be different types")
    population = _count("population", population, 2)
    runs = _count("runs", runs, 1)
    seeds = np.random.SeedSequence(_seed(seed)).generate_state(runs, np.uint64)
    fixed = np.empty(runs, dtype=np.bool_)
    K.fixation(np.ascontiguousarray(a[np.ix_(idx, idx)]), population, w, seeds, fixed)
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
class EvolutionResult:
    """A population's evolution: ``states`` (steps + 1, P), shares for the replicator
    dynamics, counts for the Moran process; ``payoff`` (P, P) the payoffs it ran on
    (unshifted); ``tournament`` the parameters of the tournament that gave them
    (:func:`evolve`), else None."""

    names: tuple[str, ...]
    process: str
    states: np.ndarray
    payoff: np.ndarray
    seed: int | None = None
    intensity: float | None = None
    tournament: dict | None = None

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

    def _extra(self) -> dict:
        return {"shift": replicator_shift(self.payoff)}

    def summary(self) -> dict:
        value = int if self.states.dtype.kind in "iu" else float
        return {
            "process": self.process,
            "strategies": list(self.names),
            "steps": self.steps,
            "seed": self.seed,
            "intensity": self.intensity,
            "initial": {n: value(v) for n, v in zip(self.names, self.states[0], strict=True)},
            "final": {n: value(v) for n, v in zip(self.names, self.states[-1], strict=True)},
            **self._extra(),
            "payoff_matrix": self.payoff.tolist(),
            "tournament": self.tournament,
        }

    def plot(self, ax=None):
        from sim import plot

        return plot.evolution(self, ax=ax)

    def write(self, out: str | Path) -> list[Path]:
        """Write ``history.csv``, ``summary.json`` and ``evolution.png`` to ``out``, each atomically."""
        from sim import plot

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        csv = self.history().to_csv(index=False, lineterminator="\n")
        written = [
            write_atomic(out / "history.csv", csv),
            write_atomic(out / "summary.json", _json(self.summary())),
        ]
        fig = self.plot()
        written.append(write_atomic(out / "evolution.png", figure_bytes(fig)))
        plot.close(fig)
        return written

    def _outcome(self) -> str:
        top = int(np.argmax(self.states[-1]))
        return f"largest at the end: {self.names[top]} ({self.shares()[-1, top]:.1%})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.process}, {len(self.names)} strategies, "
            f"steps={self.steps}, {self._outcome()})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(n)}</th><td>{a:.3f}</td><td>{b:.3f}</td></tr>"
            for n, a, b in zip(self.names, self.shares()[0], self.shares()[-1], strict=True)
        )
        return (
            f"<p><b>{html.escape(self.process)}</b>: {self.steps} steps; "
            f"{html.escape(self._outcome())}</p><table><tr><th>strategy</th>"
            f"<th>initial share</th><th>final share</th></tr>{rows}</table>"
        )


@dataclass(frozen=True, eq=False, repr=False)
class MoranResult(EvolutionResult):
    """A Moran run; ``fixation_step`` is the step at which one type was left (the
    history repeats that state afterwards), None if none was within the steps."""

    fixation_step: int | None = None

    @property
    def population(self) -> int:
        return int(self.states[0].sum())

    @property
    def fixed(self) -> str | None:
        """The type that took over, or None."""
        if self.fixation_step is None:
            return None
        return self.names[int(np.argmax(self.states[-1]))]

    def _extra(self) -> dict:
        return {
            "population": self.population,
            "fixation_step": self.fixation_step,
            "fixed": self.fixed,
        }

    def _outcome(self) -> str:
        if self.fixed is None:
            return super()._outcome()
        return f"{self.fixed} fixed at step {self.fixation_step}"


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
) -> EvolutionResult:
    """Evolve a population of ``strategies`` on the payoffs of their tournament.

    A :func:`tournament` (``turns``, ``repetitions``, ``seed``, ``noise``, ``game``)
    gives the payoff matrix, the mean payoff per turn of each strategy against each
    (self-play on the diagonal). Then ``process``:

    ``"moran"``
        :func:`moran` in a population of ``population`` individuals, from
        ``initial`` counts (default: as equal as can be, the first strategies one
        more) for ``steps`` (default ``100 * population``) steps, ``seed`` and
        ``intensity`` as given.
    ``"replicator"``
        :func:`replicator` from ``initial`` shares (default equal) for ``steps``
        (default 1,000) generations; ``population``, ``intensity`` are not used.
    """
    if process not in ("moran", "replicator"):
        raise ValueError(f"process must be 'moran' or 'replicator', got {process!r}")
    t = tournament(strategies, turns, repetitions, seed, noise, game)
    matrix = t.payoff_matrix()
    context = {k: v for k, v in t.summary().items() if k != "ranking"}
    p = len(t.names)
    if process == "replicator":
        steps = 1000 if steps is None else steps
        x0 = np.full(p, 1.0 / p) if initial is None else initial
        states = replicator(matrix, x0, steps)
        return EvolutionResult(t.names, "replicator", states, matrix.to_numpy(), tournament=context)
    population = _count("population", population, 2)
    steps = 100 * population if steps is None else steps
    if initial is None:
        initial = np.full(p, population // p) + (np.arange(p) < population % p)
    elif int(np.sum(initial)) != population:
        raise ValueError(
            f"initial counts sum to {int(np.sum(initial))}, not population {population}"
        )
    res = moran(matrix, initial, steps, seed, intensity)
    return replace(res, tournament=context)
