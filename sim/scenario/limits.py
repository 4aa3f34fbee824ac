"""The limits of a scenario: sizes, lengths and magnitudes a file may state.

Every limit is checked when a scenario is loaded (the schema in
:mod:`sim.scenario.schema` and the checks in :mod:`sim.scenario.checks` read them
from here), and a value past one is reported with its field and the limit. The
magnitudes keep every sum and product the models form finite in float64: with
positions and scales within 1e15 and capabilities within 1e15, a thousand actors'
capability-weighted sums stay below 1e33, far from the overflow at 1.8e308.

=========================  ==========================================  ===============
what                       where                                       limit
=========================  ==========================================  ===============
identifier                 issue, actor and bloc ids, keys by id       1-64 characters
name                       ``[scenario] name``, issue, actor, bloc     200 characters
                           ``name``, issue ``low`` and ``high``
text                       ``description``, ``notes``, each source,    10,000 characters
                           each ``reason``
sources                    ``[scenario] sources``                      1,000 entries
actors                     ``[actors]``                                1,000
issues                     ``[[issues]]``                              100
blocs                      ``[blocs]``                                 1,000
bloc members               ``members`` of one bloc                     1,000
rounds                     ``[model] rounds`` (and ``--rounds``)       10,000
capability                 ``capability``                              [1e-12, 1e15]
magnitude                  scale ends, positions, status quo,          abs(x) <= 1e15
                           red-line ends
scale width                ``scale`` high minus low                    >= 1e-9
game payoffs               ``[game]`` payoffs (R, S, T, P, bimatrix)   abs(x) <= 1e12
costs of war               ``[crisis] cost``, ``cost_range``           [0, 100]
outside option             ``[payoffs] outside_option``                [-1e6, 1]
uncertainty spreads        ``position_sd``, ``salience_sd``,           finite, >= 0
                           ``capability_cv``
dyads                      ``[game] dyads``                            1,000
moves of ``sim play``      ``[game]`` dyads x ``turns`` (and           10,000,000
                           ``--turns``)
bargaining parties         ``[bargaining] parties``                    2,000
problems shown             lines of a refusal (then a count of the     100
                           rest; ids listed as expected: 10)
=========================  ==========================================  ===============

The risk exponents (0, 10], the discounts (0, 1], Q and T [0, 1], the crisis
exponent (0, 100], the reciprocity factor [0, 10], the game's turns (1,000,000)
and repetitions (100,000) and the deadline of alternating offers (100,000) are
bounded in the schema where they are declared.

How the cost of each model grows (n actors, m issues, R rounds):

=====================  ===============================================================
model                  cost
=====================  ===============================================================
eum                    O(R m n^3) per run: every round weighs every pair of actors by
                       every third actor's vote (numba); at 1,000 actors and 100
                       issues a round takes about 20 s
compromise, median     O(R m n) (weighted mean) and O(R m n log n) (weighted median)
nbs                    Nash bargaining: a search over the m issues run in Python per
                       party, O(m p) per evaluation for p parties; about 15 s at
                       1,000 parties and 100 issues
alternating            alternating offers between two parties, O(deadline m) in
                       Python per party
crisis                 one bargaining solution and the war lottery: as nbs
tournament, evolve     O(turns x repetitions x strategies^2) matches (numba); evolve
                       adds O(steps x strategies) for the population
play                   O(dyads x turns), bounded by :data:`MAX_PLAY_MOVES`
=====================  ===============================================================

No model needs a tighter bound than the shared ones today (the bargaining models,
the slowest per party, stay within seconds at the limits);
:func:`check_size` holds the per-model bounds (:data:`MAX_BARGAINING_PARTIES`, the
round limit and the deadline of alternating offers) for the commands to call once
they know the model and the rounds.
"""

from __future__ import annotations

MAX_ID_LENGTH = 64
"""Characters in an issue, actor or bloc id."""
MAX_NAME_LENGTH = 200
"""Characters in a name: the scenario's, an issue's, an actor's, a bloc's; issue labels."""
MAX_TEXT_LENGTH = 10_000
"""Characters in a description, the notes, one source, one reason."""
MAX_SOURCES = 1_000
"""Entries in ``[scenario] sources``."""

MAX_ACTORS = 1_000
MAX_ISSUES = 100
MAX_BLOCS = 1_000
MAX_MEMBERS = MAX_ACTORS
"""Members of one bloc."""
MAX_ROUNDS = 10_000
"""``[model] rounds`` and ``sim run --rounds``."""
MAX_DYADS = 1_000
"""Dyads in ``[game]``."""
MAX_PLAY_MOVES = 10_000_000
"""Dyads times turns of ``sim play``: each move is two rows of moves.csv (about 20
bytes each), so the file stays within about 400 MB and the play within a minute."""
MAX_PARTIES = MAX_ACTORS + MAX_BLOCS
"""Entries in ``[bargaining] parties``."""

MAX_PROBLEMS_SHOWN = 100
"""Problems a refused file's message lists one a line; a last line counts the rest."""

MIN_CAPABILITY = 1e-12
MAX_CAPABILITY = 1e15
MAX_MAGNITUDE = 1e15
"""Largest absolute value of a scale end, position, status quo or red-line end."""
MIN_SCALE_WIDTH = 1e-9
"""Smallest ``high - low`` of an issue's scale."""
MAX_PAYOFF = 1e12
"""Largest absolute value of a repeated game's payoff."""
MAX_COST = 100.0
"""Largest cost of war (and end of ``cost_range``), as a share of the stakes."""
MIN_OUTSIDE_OPTION = -1e6
"""Least outside option (a utility; the best is 1)."""

MAX_BARGAINING_PARTIES = MAX_ACTORS
"""Parties of the Nash bargaining solution (it runs in Python per party; without
``[bargaining] parties`` it takes every actor): no tighter than the actors' limit."""


def check_size(
    scenario, model: str, rounds: int | None = None, deadline: bool = False, parties: int = 0
) -> list[tuple[str, str]]:
    """Problems (field, message) that make ``scenario`` too large for ``model``.

    The limits every model shares are checked at load; this adds what depends on the
    model and the round limit about to be used (``rounds``: ``--rounds``, else None
    for the scenario's own): the rounds within [0, 10,000] (at least 1 when they are a
    ``deadline``, as for alternating offers), and the ``parties`` a bargaining model
    bargains among (the named ``[bargaining] parties``, else its default) within
    :data:`MAX_BARGAINING_PARTIES`. An empty list means the model may run it.
    """
    problems: list[tuple[str, str]] = []
    least = 1 if deadline else 0
    if rounds is not None and not least <= rounds <= MAX_ROUNDS:
        problems.append(
            ("--rounds", f"expected {least} to {MAX_ROUNDS:,} rounds for {model}, got {rounds}")
        )
    if parties > MAX_BARGAINING_PARTIES:
        field = "bargaining.parties" if scenario.bargaining.parties else "actors"
        problems.append(
            (
                field,
                f"model {model} bargains among {parties:,} parties; it takes at most "
                f"{MAX_BARGAINING_PARTIES:,}",
            )
        )
    return problems


def check_play(scenario, turns: int | None = None) -> list[tuple[str, str]]:
    """Problems (field, message) that make ``scenario``'s repeated games too long for
    ``sim play`` with ``turns`` (``--turns``, else None for ``[game] turns``): its
    dyads times the turns within :data:`MAX_PLAY_MOVES`. An empty list means it may run.
    """
    game = scenario.game
    if game is None:
        return []
    field = "game.turns" if turns is None else "--turns"
    turns = game.turns if turns is None else turns
    moves = len(game.dyads) * turns
    if moves <= MAX_PLAY_MOVES:
        return []
    return [
        (
            field,
            f"{len(game.dyads):,} dyads x {turns:,} turns is {moves:,} moves; expected at "
            f"most {MAX_PLAY_MOVES:,} (fewer turns or dyads)",
        )
    ]
