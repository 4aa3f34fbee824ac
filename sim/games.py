"""The repeated games as one family: ``sim tournament``, ``sim evolve`` and ``sim play``
(and `sim.tournament`, `sim.evolve`, `sim.play`, `sim.play_match`).

Each command is described by one `GameCommand` in :data:`GAME_COMMANDS`: its name, a
one-line summary, a citation, its parameters as one frozen dataclass whose fields carry
their default, range and help (the command-line options are made from them), and
``run(...)``, which gives the typed result of :mod:`sim.results.games`. The models are in
:mod:`sim.models.games` (games, matches, tournaments), :mod:`sim.models.evolution`
(replicator dynamics, the Moran process) and :mod:`sim.abm.games` (the scenario's dyads).

>>> tournament(["cooperator", "defector", "tit_for_tat"], turns=10, repetitions=1)
TournamentResult(3 strategies, game='prisoners_dilemma', 10 turns, repetitions=1, noise=0, seed=0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from sim.abm import games as abm_games
from sim.models import evolution as ev
from sim.models import games as g
from sim.results.games import EvolutionResult, MatchResult, PlayResult, TournamentResult

SEED_MAX = 2**63 - 1
"""The largest root seed the commands take (``--seed``)."""


@dataclass(frozen=True)
class GameOption:
    """How a parameter is given on the command line: its help, its type and range (``lo``,
    ``hi``, open at both ends when ``open``) or its ``choices``, a ``metavar``, whether its
    default is shown in the help, and the flag when it is not ``--name``."""

    help: str
    type: type = str
    lo: float | None = None
    hi: float | None = None
    open: bool = False
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    show_default: bool = False
    flag: str | None = None


def _param(default=None, **option):
    return dataclasses.field(default=default, metadata={"option": GameOption(**option)})


def options_of(params_type) -> dict[str, GameOption]:
    """``{field name: GameOption}`` of a parameters class, in field order."""
    return {f.name: f.metadata["option"] for f in dataclasses.fields(params_type)}


_STRATEGIES = _param(
    metavar="A,B,...",
    help="Strategies, e.g. tit_for_tat,defector,generous_tit_for_tat:0.2 "
    "(default: those of the scenario's [game] section).",
)
_GAME = _param(
    metavar="NAME",
    help="prisoners_dilemma, chicken, stag_hunt or deadlock (default: the scenario's "
    "[game] payoffs, else prisoners_dilemma).",
)
_MATCH_SEED = _param(
    0,
    type=int,
    lo=0,
    hi=SEED_MAX,
    show_default=True,
    help="Root seed; each match's seed is spawned from it.",
)
_MATCH_NOISE = _param(type=float, lo=0, hi=1, help="Probability that an action flips.")


def _turns(help: str):
    return _param(type=int, lo=1, hi=g.MAX_MATCH_TURNS, help=help)


@dataclass(frozen=True)
class TournamentParams:
    """``sim tournament``: None takes the scenario's ``[game]`` value, else the default
    of :func:`tournament`."""

    strategies: str | None = _STRATEGIES
    turns: int | None = _turns("Turns per match.")
    noise: float | None = _MATCH_NOISE
    game: str | None = _GAME
    seed: int = _MATCH_SEED
    repetitions: int | None = _param(
        type=int,
        lo=1,
        hi=g.MAX_REPETITIONS,
        help="Repetitions of the round robin (default: [game] repetitions, else 10).",
    )
    continuation: float | None = _param(
        type=float,
        lo=0,
        hi=1,
        open=True,
        help="Instead of --turns: each match goes on after every turn with this probability "
        f"(a match is cut at {g.MAX_TURNS:,} turns; the output says how many were).",
    )


@dataclass(frozen=True)
class EvolveParams:
    """``sim evolve``: None takes the scenario's ``[game]`` value, else the default of
    :func:`evolve`."""

    strategies: str | None = _STRATEGIES
    turns: int | None = _turns("Turns per match.")
    noise: float | None = _MATCH_NOISE
    game: str | None = _GAME
    seed: int = _MATCH_SEED
    process: str = _param(
        "moran",
        choices=("moran", "replicator"),
        show_default=True,
        help="A Moran process (finite population) or discrete replicator dynamics.",
    )
    population: int = _param(
        100,
        type=int,
        lo=2,
        hi=ev.MAX_POPULATION,
        show_default=True,
        help="Moran: population size, split evenly among the strategies at the start "
        "(at least one individual per strategy).",
    )
    steps: int | None = _param(
        type=int,
        lo=1,
        hi=ev.MAX_STEPS,
        help=f"Steps (default: 100 times the population, at most {ev.MAX_STEPS:,}, for Moran; "
        "1000 for replicator).",
    )
    intensity: float = _param(
        1.0,
        type=float,
        lo=0,
        hi=1,
        show_default=True,
        help="Moran: selection intensity w (fitness 1 - w + w * payoff).",
    )
    fixation: int | None = _param(
        type=int,
        lo=1,
        hi=ev.MAX_RUNS,
        metavar="RUNS",
        help="Also estimate, from RUNS Moran runs each, the probability that one mutant of "
        "each strategy takes over a population of each other (fixation.csv).",
    )


@dataclass(frozen=True)
class PlayParams:
    """``sim play``: None takes the scenario's ``[game]`` value."""

    turns: int | None = _turns("Turns per dyad.")
    noise: float | None = _param(
        type=float, lo=0, hi=1, help="Probability that an action flips (default: [game] noise)."
    )
    seed: int = _param(
        0,
        type=int,
        lo=0,
        hi=SEED_MAX,
        show_default=True,
        help="Root seed; dyad d's generator is spawned from it with key d.",
    )


# ---- the entry points -------------------------------------------------------------
def play_match(
    a, b, turns: int, game="prisoners_dilemma", noise: float = 0.0, seed: int = 0
) -> MatchResult:
    """Play ``a`` (row) against ``b`` for ``turns`` turns (see
    :func:`sim.models.games.play_match`).

    >>> play_match("tit_for_tat", "defector", turns=200).totals.tolist()
    [199.0, 204.0]
    """
    return MatchResult.of(g.play_match(a, b, turns, game=game, noise=noise, seed=seed))


def tournament(
    strategies,
    turns: int = 200,
    repetitions: int = 10,
    seed: int = 0,
    noise: float = 0.0,
    game="prisoners_dilemma",
    continuation: float | None = None,
) -> TournamentResult:
    """A round robin of ``strategies`` (see :func:`sim.models.games.tournament`)."""
    return TournamentResult.of(
        g.tournament(strategies, turns, repetitions, seed, noise, game, continuation)
    )


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
) -> EvolutionResult:
    """Evolve a population of ``strategies`` on the payoffs of their tournament (see
    :func:`sim.models.evolution.evolve`); a Moran run is a `MoranResult`."""
    return EvolutionResult.of(
        ev.evolve(
            strategies,
            process=process,
            population=population,
            steps=steps,
            seed=seed,
            turns=turns,
            repetitions=repetitions,
            noise=noise,
            game=game,
            intensity=intensity,
            initial=initial,
            fixation=fixation,
        )  # fmt: skip
    )


def play(sc=None, turns=None, noise=None, seed: int = 0, overrides=None) -> PlayResult:
    """Play every ``[game]`` dyad of a scenario (see :func:`sim.abm.games.play`)."""
    return PlayResult.of(abm_games.play(sc, turns, noise, seed, overrides))


# ---- the family -------------------------------------------------------------------
@dataclass(frozen=True)
class GameCommand:
    """One command of the repeated games: what it is, its parameters and its run."""

    name: str
    summary: str
    citation: str
    Params: type
    run: Callable
    """``run(...)``: the command's entry point, giving its typed result."""

    def options(self) -> dict[str, GameOption]:
        return options_of(self.Params)

    def __repr__(self) -> str:
        return f"<repeated games {self.name}: {self.summary}>"


GAME_COMMANDS: dict[str, GameCommand] = {
    c.name: c
    for c in (
        GameCommand(
            "tournament",
            "Play a round-robin tournament of repeated 2x2 games and rank the strategies.",
            "Axelrod, R. (1984). The Evolution of Cooperation. Basic Books.",
            TournamentParams,
            tournament,
        ),
        GameCommand(
            "evolve",
            "Evolve a population of strategies by their payoffs against each other.",
            "Nowak, M. A., Sasaki, A., Taylor, C. & Fudenberg, D. (2004). Emergence of "
            "cooperation and evolutionary stability in finite populations. Nature 428; "
            "Taylor, P. D. & Jonker, L. B. (1978). Evolutionary stable strategies and game "
            "dynamics. Mathematical Biosciences 40.",
            EvolveParams,
            evolve,
        ),
        GameCommand(
            "play",
            "Play the repeated games of SCENARIO's [game] dyads, turn by turn.",
            "Axelrod, R. (1984). The Evolution of Cooperation. Basic Books; Nowak, M. A. & "
            "Sigmund, K. (1993). A strategy of win-stay, lose-shift that outperforms "
            "tit-for-tat in the Prisoner's Dilemma game. Nature 364.",
            PlayParams,
            play,
        ),
    )
}
"""The repeated games' commands by name."""
