"""Iterated 2x2 games: games, matches and round-robin tournaments (DESIGN.md 5.6).
The strategies are in :mod:`sim.models.strategies`, evolution on the payoffs of a
tournament in :mod:`sim.models.evolution`; the results users get, with their files, in
:mod:`sim.results.games`.

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

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.kernels import games as K
from sim.models.strategies import GameStrategy, parse_strategies, parse_strategy
from sim.progress import Progress
from sim.scenario.limits import MAX_PAYOFF

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
    ``{R, S, T, P}`` (or a scenario's ``[game]`` payoffs table) or a (2, 2, 2) nested
    list or array; ValueError when invalid."""
    if hasattr(spec, "model_dump"):  # the scenario's Symmetric table
        spec = spec.model_dump()
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
        return symmetric_game(
            *(_finite(f"game payoff {k}", spec[k], -MAX_PAYOFF, MAX_PAYOFF) for k in "RSTP")
        )
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
    if np.any(np.abs(pay) > MAX_PAYOFF):
        raise ValueError(f"game array must hold payoffs within plus or minus {MAX_PAYOFF:g}")
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


def _count(name: str, value, least: int, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    if most is not None and value > most:
        raise ValueError(f"{name} must be an integer in [{least}, {most:,}], got {value!r}")
    return int(value)


MAX_MATCH_TURNS = 1_000_000
"""Most turns of a match (as ``--turns``): the moves of a match are held in memory."""
MAX_REPETITIONS = 100_000
"""Most repetitions of a round robin (as ``--repetitions``)."""


def _seed(seed) -> int:
    return _count("seed", seed, 0)


# ---- one match ---------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """One match: ``actions`` int8 (turns, 2) and ``payoffs`` (turns, 2) per turn,
    ``totals`` (2,); column 0 is the row player ``names[0]``."""

    names: tuple[str, str]
    actions: np.ndarray
    payoffs: np.ndarray
    totals: np.ndarray
    seed: int


def play_match(
    a, b, turns: int, game="prisoners_dilemma", noise: float = 0.0, seed: int = 0
) -> Match:
    """Play ``a`` (row) against ``b`` for ``turns`` turns; the match's generator is
    seeded with ``SeedSequence(seed).generate_state(1, uint64)[0]``."""
    sa, sb = parse_strategy(a), parse_strategy(b)
    turns = _count("turns", turns, 1, MAX_MATCH_TURNS)
    noise = _finite("noise", noise, 0.0, 1.0)
    pay = _game(game)
    match_seed = np.random.SeedSequence(_seed(seed)).generate_state(1, np.uint64)[0]
    actions = np.empty((turns, 2), dtype=np.int8)
    payoffs = np.empty((turns, 2))
    totals = K.match(
        sa.code, float(sa.param), sb.code, float(sb.param), pay, turns, noise, match_seed,
        actions, payoffs,
    )  # fmt: skip
    return Match((sa.label, sb.label), actions, payoffs, np.array(totals), seed)


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


LONG_TOURNAMENT = 100_000_000
"""Turns, summed over all matches, from which a tournament reports its progress (about a
few seconds of work on two cores)."""
BATCH_TURNS = 20_000_000
"""Turns per batch of a long tournament."""


def tournament(
    strategies,
    turns: int = 200,
    repetitions: int = 10,
    seed: int = 0,
    noise: float = 0.0,
    game="prisoners_dilemma",
    continuation: float | None = None,
) -> Tournament:
    """Round robin: every pair of ``strategies`` (names or ``name:PARAM``) once per
    repetition, self-play included as a match but left out of the scores.

    Matches last ``turns`` turns, or with ``continuation = w`` in (0, 1) a length
    drawn per match (see :func:`geometric_lengths`). Match seeds come from
    :func:`match_seeds`; all matches run in parallel in :func:`sim.kernels.games.tournament`.
    """
    parsed = parse_strategies(strategies)
    repetitions = _count("repetitions", repetitions, 1, MAX_REPETITIONS)
    seed = _seed(seed)
    noise = _finite("noise", noise, 0.0, 1.0)
    pay = _game(game)
    n = len(parsed)
    pairs = [(i, j) for i in range(n) for j in range(i, n)]
    words = match_seeds(seed, repetitions, pairs)
    if continuation is None:
        turns = _count("turns", turns, 1, MAX_MATCH_TURNS)
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
    codes = np.array([s.code for s in parsed], dtype=np.int64)
    params = np.array([s.param for s in parsed], dtype=np.float64)
    match_words = np.ascontiguousarray(words[:, 0])
    # every match is independent (its own seed and output row): a long tournament runs
    # in batches of matches, with the same results, so that it can report its progress
    total = int(lengths.sum())
    if total < LONG_TOURNAMENT:
        K.tournament(codes, params, pay, lengths, noise, match_words, pair_i, pair_j, out)
    else:
        bounds = np.searchsorted(np.cumsum(lengths), np.arange(BATCH_TURNS, total, BATCH_TURNS))
        edges = [0, *sorted(set(int(b) + 1 for b in bounds if 0 <= b < len(lengths) - 1))]
        edges.append(len(lengths))
        bar = Progress(len(lengths), f"tournament of {len(lengths):,} matches", unit="match")
        try:
            for a, b in zip(edges[:-1], edges[1:], strict=True):
                part = np.empty((b - a, 2))
                K.tournament(
                    codes, params, pay, np.ascontiguousarray(lengths[a:b]), noise,
                    np.ascontiguousarray(match_words[a:b]), np.ascontiguousarray(pair_i[a:b]),
                    np.ascontiguousarray(pair_j[a:b]), part,
                )  # fmt: skip
                out[a:b] = part
                bar.update(b - a)
        finally:
            bar.close()
    reps = np.repeat(np.arange(repetitions), len(pairs))
    totals = np.empty((repetitions, n, n))
    played = np.empty((repetitions, n, n), dtype=np.int64)
    totals[reps, pair_i, pair_j] = out[:, 0]
    totals[reps, pair_j, pair_i] = out[:, 1]
    self_play = pair_i == pair_j
    totals[reps[self_play], pair_i[self_play], pair_i[self_play]] = out[self_play].mean(axis=1)
    played[reps, pair_i, pair_j] = lengths
    played[reps, pair_j, pair_i] = lengths
    return Tournament(
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
class Tournament:
    """A round robin's outcome.

    ``totals`` (R, P, P): total payoff of the row strategy against the column one in
    each repetition (the diagonal: self-play, the mean of the two copies' totals);
    ``lengths`` (R, P, P) int64: turns played. ``turns`` is None when match lengths
    were drawn (``continuation``). ``game`` is the game's name or ``"custom"``,
    ``pay`` its (2, 2, 2) payoffs.
    """

    names: tuple[str, ...]
    strategies: tuple[GameStrategy, ...]
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

    def parameters(self) -> dict:
        """What was played: the strategies, the game and its payoffs, the match length,
        repetitions, noise and seed (the summary's first entries)."""
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
        }

    def length_text(self) -> str:
        """``"200 turns"``, or ``"continuation 0.9"`` when match lengths were drawn."""
        if self.turns is None:
            return f"continuation {self.continuation:g}"
        return f"{self.turns} turns"

    def cut_matches(self) -> int:
        """Matches (i <= j per repetition) whose drawn length reached :data:`MAX_TURNS`."""
        upper = np.triu(np.ones(self.lengths.shape[1:], dtype=bool))
        return int((self.lengths[:, upper] >= MAX_TURNS).sum())

    def matches(self) -> int:
        """Matches played: every pair i <= j once per repetition."""
        n = self.lengths.shape[1]
        return self.repetitions * n * (n + 1) // 2
