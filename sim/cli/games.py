"""sim tournament, sim evolve and sim play: repeated 2x2 games."""

from __future__ import annotations

import dataclasses

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
from sim.games import GAME_COMMANDS, options_of
from sim.scenario import resolve

_OUT = {
    "game": "Folder for the tables and figures.",
    "play": "Folder for the files.",
}
_SET = {
    "game": "Change a field of the scenario first (repeatable), as for sim run.",
    "play": "Change a field first (repeatable), e.g. game.strategies.RUS=grudger.",
}


def _option(name: str, default, opt):
    """The click option of one parameter field."""
    kwargs = {"default": default, "help": opt.help}
    if opt.choices is not None:
        kwargs["type"] = click.Choice(opt.choices)
    elif opt.type is int and (opt.lo is not None or opt.hi is not None):
        kwargs["type"] = click.IntRange(opt.lo, opt.hi)
    elif opt.type is float:
        kwargs["type"] = click.FloatRange(opt.lo, opt.hi, min_open=opt.open, max_open=opt.open)
        kwargs["callback"] = _finite
    if opt.metavar is not None:
        kwargs["metavar"] = opt.metavar
    if opt.show_default:
        kwargs["show_default"] = True
    return click.option(opt.flag or "--" + name.replace("_", "-"), name, **kwargs)


def _options(command: str, files: str):
    """The options of ``command`` made from its parameters, in field order, with ``--out``
    and ``--set`` after ``--seed``."""
    params = GAME_COMMANDS[command].Params
    defaults = {f.name: f.default for f in dataclasses.fields(params)}
    made = []
    for name, opt in options_of(params).items():
        made.append(_option(name, defaults[name], opt))
        if name == "seed":
            made.append(
                click.option(
                    "--out", type=click.Path(file_okay=False), default=None, help=_OUT[files]
                )
            )
            made.append(set_option(_SET[files]))
    return _stack(*made)


def _game_setup(scenario, strategies, turns, noise, game, overrides):
    """Strategies, payoffs, turns and noise from the options, else the scenario's [game]."""
    from sim.models.games import GAMES
    from sim.models.strategies import parse_strategy
    from sim.scenario.game_strategies import GAME_STRATEGIES

    sc = None
    if scenario is not None or strategies is None or overrides:
        sc = _load(scenario, overrides)
    section = sc.game if sc is not None else None
    source = resolve(scenario) if sc is not None else "--strategies"
    if strategies is None:
        if section is None or not section.strategies:
            raise InputError(
                f"{source}: --strategies: expected a comma-separated list of strategies "
                f"({', '.join(GAME_STRATEGIES)}) or a scenario with a [game] section"
            )
        names = list(dict.fromkeys(section.strategies.values()))
    else:
        names = [t.strip() for t in strategies.split(",") if t.strip()]
    try:
        parsed = [parse_strategy(n) for n in names]
    except ValueError as exc:
        raise InputError(f"--strategies {strategies or ','.join(names)}: {exc}") from None
    labels = [p.label for p in parsed]
    if len(set(labels)) != len(labels):
        raise InputError(f"--strategies {strategies}: a strategy is listed twice")
    if len(parsed) < 2:
        raise InputError(f"--strategies {strategies}: expected at least two strategies")
    if game is not None:
        if game not in GAMES:
            raise InputError(f"--game {game}: unknown game; expected one of: {', '.join(GAMES)}")
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
@_options("tournament", "game")
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
    from sim.models.games import MAX_TURNS

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
        result = GAME_COMMANDS["tournament"].run(
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
        cut = result.cut_matches()
        if cut:
            click.echo(
                f"{cut:,} of {result.matches():,} matches were cut at the cap of "
                f"{MAX_TURNS:,} turns"
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


LONG_TABLE = 1_000_000
"""Rows of a table from which writing it is announced (about a second per million rows)."""


def _write(result, out_dir, rows=0, table=""):
    from sim.save import write

    if rows >= LONG_TABLE:
        click.echo(f"writing {table} of {rows:,} rows to {out_dir} ...", err=True)
    try:
        return write(result, out_dir)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot write: {exc.strerror}; expected a writable folder"
        ) from None


@click.command("evolve")
@click.argument("scenario", required=False)
@_options("evolve", "game")
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
        result = GAME_COMMANDS["evolve"].run(
            parsed,
            process=process,
            population=population,
            steps=steps,
            seed=seed,
            turns=turns,
            noise=noise,
            game=payoffs,
            intensity=intensity,
            fixation=fixation,
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
    table = result.fixation
    if table is not None:
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
        written = _write(result, out_dir, rows=len(hist), table="history.csv")
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


@click.command("play")
@click.argument("scenario", required=False)
@_options("play", "play")
@protects_inputs
def play_cmd(scenario, turns, noise, seed, out, overrides) -> None:
    """Play the repeated games of SCENARIO's [game] dyads, turn by turn.

    Each dyad plays its own game with its parties' strategies. Writes moves.csv
    (dyad, turn, actor, opponent, action, payoff), summary.json (per dyad: totals,
    payoff per turn, cooperation, the first defection) and moves.png.
    """
    from sim.scenario.limits import check_play

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    if sc.game is None or not sc.game.dyads:
        raise InputError(
            f"{resolve(scenario)}: game.dyads: expected a [game] section with dyads "
            "(who plays whom); see scenarios/README.md"
        )
    for field, message in check_play(sc, turns) if turns is not None else ():
        raise InputError(f"{resolve(scenario)}: {field} {turns}: {message}")
    result = GAME_COMMANDS["play"].run(sc, turns, noise, seed)
    click.echo(f"{sc.name}: repeated games, seed {seed}, noise {result.noise:g}")
    dyads = result.dyads()
    for d in dyads:
        a, b = d["actors"]
        click.echo(
            f"  {a} ({d['strategies'][a]}) - {b} ({d['strategies'][b]}), {d['game']}, "
            f"{d['turns']} turns: cooperation {d['cooperation'][a]:.0%} / "
            f"{d['cooperation'][b]:.0%}, payoff per turn {d['payoff_per_turn'][a]:.2f} / "
            f"{d['payoff_per_turn'][b]:.2f}"
        )
    if out_dir is not None:
        rows = 2 * sum(d["turns"] for d in dyads)
        written = _write(result, out_dir, rows=rows, table="moves.csv")
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")
