"""sim tournament, sim evolve and sim play: repeated 2x2 games."""

from __future__ import annotations

import click

from sim.cli._common import (
    InputError,
    _finite,
    _load,
    _out_dir,
    _stack,
    protects_inputs,
    set_option,
)
from sim.scenario import resolve

_game_options = _stack(
    click.option(
        "--strategies",
        default=None,
        metavar="A,B,...",
        help="Strategies, e.g. tit_for_tat,defector,generous_tit_for_tat:0.2 "
        "(default: those of the scenario's [game] section).",
    ),
    click.option(
        "--turns", type=click.IntRange(1, 1_000_000), default=None, help="Turns per match."
    ),
    click.option(
        "--noise",
        type=click.FloatRange(0, 1),
        callback=_finite,
        default=None,
        help="Probability that an action flips.",
    ),
    click.option(
        "--game",
        "game",
        default=None,
        metavar="NAME",
        help="prisoners_dilemma, chicken, stag_hunt or deadlock (default: the scenario's "
        "[game] payoffs, else prisoners_dilemma).",
    ),
    click.option(
        "--seed",
        type=click.IntRange(0, 2**63 - 1),
        default=0,
        show_default=True,
        help="Root seed; each match's seed is spawned from it.",
    ),
    click.option(
        "--out",
        type=click.Path(file_okay=False),
        default=None,
        help="Folder for the tables and figures.",
    ),
    set_option("Change a field of the scenario first (repeatable), as for sim run."),
)


def _game_setup(scenario, strategies, turns, noise, game, overrides):
    """Strategies, payoffs, turns and noise from the options, else the scenario's [game]."""
    from sim.models import games as g

    sc = None
    if scenario is not None or strategies is None or overrides:
        sc = _load(scenario, overrides)
    section = sc.game if sc is not None else None
    source = resolve(scenario) if sc is not None else "--strategies"
    if strategies is None:
        if section is None or not section.strategies:
            raise InputError(
                f"{source}: --strategies: expected a comma-separated list of strategies "
                f"({', '.join(g.STRATEGIES)}) or a scenario with a [game] section"
            )
        names = list(dict.fromkeys(section.strategies.values()))
    else:
        names = [t.strip() for t in strategies.split(",") if t.strip()]
    try:
        parsed = [g.parse_strategy(n) for n in names]
    except ValueError as exc:
        raise InputError(f"--strategies {strategies or ','.join(names)}: {exc}") from None
    labels = [p.label for p in parsed]
    if len(set(labels)) != len(labels):
        raise InputError(f"--strategies {strategies}: a strategy is listed twice")
    if len(parsed) < 2:
        raise InputError(f"--strategies {strategies}: expected at least two strategies")
    if game is not None:
        if game not in g.GAMES:
            raise InputError(f"--game {game}: unknown game; expected one of: {', '.join(g.GAMES)}")
        payoffs = game
    elif section is not None:
        payoffs = section.payoffs
    else:
        payoffs = "prisoners_dilemma"
    turns = turns if turns is not None else (section.turns if section is not None else 200)
    noise = noise if noise is not None else (section.noise if section is not None else 0.0)
    reps = section.repetitions if section is not None else 10
    return parsed, payoffs, turns, noise, reps


@click.command("tournament")
@click.argument("scenario", required=False)
@_game_options
@click.option(
    "--repetitions",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Repetitions of the round robin (default: [game] repetitions, else 10).",
)
@click.option(
    "--continuation",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    callback=_finite,
    default=None,
    help="Instead of --turns: each match goes on after every turn with this probability "
    "(a match is cut at 100,000 turns; the output says how many were).",
)
@protects_inputs
def tournament_cmd(
    scenario, strategies, turns, noise, game, seed, out, overrides, repetitions, continuation
) -> None:
    """Play a round-robin tournament of repeated 2x2 games and rank the strategies.

    Every pair of strategies plays one match per repetition (self-play too, left out
    of the scores). Writes scores.csv (strategy, mean_payoff_per_turn,
    score_per_repetition, wins_per_repetition), payoff_matrix.csv (mean payoff per
    turn of each strategy against each), summary.json, ranking.png and
    payoff_matrix.png. Without --strategies, the strategies of SCENARIO's [game].
    """
    from sim.models import games as g

    if continuation is not None and turns is not None:
        raise InputError(
            f"--continuation {continuation:g}: a match lasts either --turns turns or a length "
            "drawn with --continuation; expected only one of them"
        )
    out_dir = _out_dir(out)
    parsed, payoffs, turns, noise, reps = _game_setup(
        scenario, strategies, turns, noise, game, overrides
    )
    try:
        result = g.tournament(
            parsed,
            turns=turns,
            repetitions=repetitions or reps,
            seed=seed,
            noise=noise,
            game=payoffs,
            continuation=continuation,
        )
    except ValueError as exc:
        raise InputError(f"{_source(scenario)}: {exc}") from None
    scores = result.scores()
    click.echo(
        f"round robin of {len(parsed)} strategies, {result.repetitions} repetitions, "
        + (f"continuation {continuation}" if continuation else f"{turns} turns")
        + f", noise {noise:g}, seed {seed}"
    )
    if continuation:
        cut = _cut_matches(result)
        if cut:
            click.echo(
                f"{cut:,} of {_matches(result):,} matches were cut at the cap of "
                f"{g.MAX_TURNS:,} turns"
            )
    header = f"{'rank':>4}  {'strategy':<28} {'payoff/turn':>11} {'score/rep':>10} {'wins/rep':>9}"
    click.echo(header)
    click.echo("-" * len(header))
    for rank, row in enumerate(scores.itertuples(index=False), start=1):
        click.echo(
            f"{rank:>4}  {row.strategy[:28]:<28} {row.mean_payoff_per_turn:>11.3f} "
            f"{row.score_per_repetition:>10.1f} {row.wins_per_repetition:>9.2f}"
        )
    if out_dir is not None:
        written = _write(result, out_dir)
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


def _source(scenario) -> str:
    return str(resolve(scenario)) if scenario is not None else "--strategies"


def _cut_matches(result) -> int:
    """Matches (i <= j per repetition) whose drawn length reached the cap."""
    import numpy as np

    from sim.models import games as g

    upper = np.triu(np.ones(result.lengths.shape[1:], dtype=bool))
    return int((result.lengths[:, upper] >= g.MAX_TURNS).sum())


def _matches(result) -> int:
    n = result.lengths.shape[1]
    return result.repetitions * n * (n + 1) // 2


LONG_TABLE = 1_000_000
"""Rows of a table from which writing it is announced (about a second per million rows)."""


def _write(result, out_dir, extra=None, rows=0, table=""):
    if rows >= LONG_TABLE:
        click.echo(f"writing {table} of {rows:,} rows to {out_dir} ...", err=True)
    try:
        return result.write(out_dir, extra) if extra else result.write(out_dir)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot write: {exc.strerror}; expected a writable folder"
        ) from None


@click.command("evolve")
@click.argument("scenario", required=False)
@_game_options
@click.option(
    "--process",
    type=click.Choice(("moran", "replicator")),
    default="moran",
    show_default=True,
    help="A Moran process (finite population) or discrete replicator dynamics.",
)
@click.option(
    "--population",
    type=click.IntRange(2, 1_000_000),
    default=100,
    show_default=True,
    help="Moran: population size, split evenly among the strategies at the start "
    "(at least one individual per strategy).",
)
@click.option(
    "--steps",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Steps (default: 100 times the population, at most 10,000,000, for Moran; "
    "1000 for replicator).",
)
@click.option(
    "--intensity",
    type=click.FloatRange(0, 1),
    callback=_finite,
    default=1.0,
    show_default=True,
    help="Moran: selection intensity w (fitness 1 - w + w * payoff).",
)
@click.option(
    "--fixation",
    type=click.IntRange(1, 10_000_000),
    default=None,
    metavar="RUNS",
    help="Also estimate, from RUNS Moran runs each, the probability that one mutant of "
    "each strategy takes over a population of each other (fixation.csv).",
)
@protects_inputs
def evolve_cmd(
    scenario,
    strategies,
    turns,
    noise,
    game,
    seed,
    out,
    overrides,
    process,
    population,
    steps,
    intensity,
    fixation,
) -> None:
    """Evolve a population of strategies by their payoffs against each other.

    The payoffs come from a round robin of the strategies (mean payoff per turn of
    each against each); a Moran process or replicator dynamics then changes the
    shares. Writes history.csv (step and one column per strategy), summary.json and
    evolution.png (a stacked area of the shares).
    """
    from sim.models import games as g

    out_dir = _out_dir(out)
    parsed, payoffs, turns, noise, _ = _game_setup(
        scenario, strategies, turns, noise, game, overrides
    )
    if process == "moran" and population < len(parsed):
        raise InputError(
            f"--population {population}: smaller than the {len(parsed)} strategies, so some "
            f"would start with no members; expected a population of at least {len(parsed)}"
        )
    try:
        result = g.evolve(
            parsed,
            process=process,
            population=population,
            steps=steps,
            seed=seed,
            turns=turns,
            noise=noise,
            game=payoffs,
            intensity=intensity,
        )
    except ValueError as exc:
        raise InputError(f"{_source(scenario)}: {exc}") from None
    hist = result.history()
    last = hist.iloc[-1]
    click.echo(
        f"{process} process of {len(parsed)} strategies"
        + (f", population {population}" if process == "moran" else "")
        + f", {int(last['step'])} steps, seed {seed}"
    )
    total = float(sum(last[c] for c in hist.columns if c != "step"))
    for col in hist.columns:
        if col != "step":
            click.echo(
                f"  {col[:28]:<28} {hist.iloc[0][col] / total:>7.1%} -> {last[col] / total:>7.1%}"
            )
    table = None
    if fixation:
        table = _fixation_table(result, population, fixation, seed, intensity)
        click.echo(
            f"fixation of one mutant among {population - 1} residents ({fixation} runs each; "
            f"neutral: {1 / population:.4f}):"
        )
        for row in table.itertuples(index=False):
            click.echo(
                f"  {row.mutant[:24]:<24} in {row.resident[:24]:<24} {row.probability:.4f} "
                f"[{row.lo:.4f}, {row.hi:.4f}]"
            )
    if out_dir is not None:
        extra = None
        if table is not None:
            extra = {"fixation.csv": table.to_csv(index=False, lineterminator="\n")}
        written = _write(result, out_dir, extra, rows=len(hist), table="history.csv")
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


def _fixation_table(result, population, runs, seed, intensity):
    """Fixation probability of one mutant of each strategy among each other, by simulation."""
    import numpy as np
    import pandas as pd

    from sim.models import games as g

    rows = []
    names = list(result.names)
    for i, mutant in enumerate(names):
        for j, resident in enumerate(names):
            if i == j:
                continue
            sub = np.random.SeedSequence(seed, spawn_key=(i, j)).generate_state(1)[0]
            p, (lo, hi) = g.fixation_probability(
                result.payoff, i, j, population, runs, int(sub), intensity
            )
            rows.append(
                {"mutant": mutant, "resident": resident, "probability": p, "lo": lo, "hi": hi,
                 "neutral": 1.0 / population, "runs": runs}
            )  # fmt: skip
    return pd.DataFrame(rows)


@click.command("play")
@click.argument("scenario", required=False)
@click.option("--turns", type=click.IntRange(1, 1_000_000), default=None, help="Turns per dyad.")
@click.option(
    "--noise",
    type=click.FloatRange(0, 1),
    callback=_finite,
    default=None,
    help="Probability that an action flips (default: [game] noise).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Root seed; dyad d's generator is spawned from it with key d.",
)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder for the files.")
@set_option("Change a field first (repeatable), e.g. game.strategies.RUS=grudger.")
@protects_inputs
def play_cmd(scenario, turns, noise, seed, out, overrides) -> None:
    """Play the repeated games of SCENARIO's [game] dyads, turn by turn.

    Each dyad plays its own game with its parties' strategies. Writes moves.csv
    (dyad, turn, actor, opponent, action, payoff), summary.json (per dyad: totals,
    payoff per turn, cooperation, the first defection) and moves.png.
    """
    from sim.abm.games import play

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    if sc.game is None or not sc.game.dyads:
        raise InputError(
            f"{resolve(scenario)}: game.dyads: expected a [game] section with dyads "
            "(who plays whom); see scenarios/README.md"
        )
    from sim.scenario.limits import check_play

    for field, message in check_play(sc, turns) if turns is not None else ():
        raise InputError(f"{resolve(scenario)}: {field} {turns}: {message}")
    result = play(sc, turns, noise, seed)
    click.echo(f"{sc.name}: repeated games, seed {seed}, noise {result.noise:g}")
    for d in result.summary()["dyads"]:
        a, b = d["actors"]
        click.echo(
            f"  {a} ({d['strategies'][a]}) - {b} ({d['strategies'][b]}), {d['game']}, "
            f"{d['turns']} turns: cooperation {d['cooperation'][a]:.0%} / "
            f"{d['cooperation'][b]:.0%}, payoff per turn {d['payoff_per_turn'][a]:.2f} / "
            f"{d['payoff_per_turn'][b]:.2f}"
        )
    if out_dir is not None:
        rows = 2 * sum(d["turns"] for d in result.summary()["dyads"])
        written = _write(result, out_dir, rows=rows, table="moves.csv")
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")
