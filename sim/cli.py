"""The command line: parses, calls the library, writes files. No modelling logic here.

Exit codes: 0 success, 1 failure, 2 bad usage or bad input, 130 interrupted.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from sim.models import MODELS
from sim.scenario import ScenarioError, load_scenario, resolve, shipped_scenarios


def _finite(ctx, param, value):
    """Reject nan and inf where a finite number is expected."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"expected a finite number, got {value}")
    return value


def _stack(*decorators):
    """Several click options as one decorator, in the order given."""

    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


_spread_options = _stack(
    click.option(
        "--position-sd",
        type=click.FloatRange(0, None),
        callback=_finite,
        default=None,
        help="Position noise in scale units (replaces [uncertainty] position_sd).",
    ),
    click.option(
        "--salience-sd",
        type=click.FloatRange(0, None),
        callback=_finite,
        default=None,
        help="Salience noise (replaces [uncertainty] salience_sd).",
    ),
    click.option(
        "--capability-cv",
        type=click.FloatRange(0, None),
        callback=_finite,
        default=None,
        help="Capability spread as a coefficient of variation (replaces [uncertainty] capability_cv).",
    ),
)
_execution_options = _stack(
    click.option(
        "--workers",
        type=click.IntRange(1, 1024),
        default=None,
        help="Run chunks in K processes (spawned), or K workers with --scheduler local.",
    ),
    click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Run chunks on a dask.distributed scheduler; 'local' starts one on 127.0.0.1.",
    ),
)


class InputError(click.ClickException):
    """Bad input: printed without a traceback, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def _load(scenario, overrides=()):
    try:
        return load_scenario(scenario, list(overrides))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None


def _out_dir(out: str | None) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    try:
        if path.exists() and not path.is_dir():
            raise InputError(
                f"--out {out}: exists and is not a folder; expected a folder to write into"
            )
    except OSError as exc:
        raise InputError(f"--out {out}: {exc.strerror}; expected a folder to write into") from None
    return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sim", prog_name="sim")
def cli() -> None:
    """sim: negotiation game-theory simulator.

    Describe a negotiation as a scenario file (actors, issues, positions, salience,
    capability, red lines) and run models on it. With no scenario, commands use
    the shipped NATO-Russia Council, January 2022 case.
    """


@cli.command("run")
@click.argument("scenario", required=False)
@click.option(
    "--model",
    "model",
    type=click.Choice(MODELS),
    default=None,
    help="Model to run (default: the scenario's [model] kind).",
)
@click.option(
    "--rounds",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Round limit (default: the scenario's [model] rounds).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for rounds.csv, summary.json and figures.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Change a field before running, e.g. actors.RUS.position.enlargement=50 (repeatable).",
)
@click.option(
    "--focus",
    default=None,
    metavar="ACTOR",
    help="Actor whose view the quadrant chart shows (default: the first actor).",
)
@click.option(
    "--parties",
    default=None,
    metavar="A,B,...",
    help="Bargaining models: actor or bloc ids that bargain, e.g. RUS,NATO "
    "(default: the scenario's [bargaining] parties).",
)
@click.option(
    "--strategy",
    "strategies",
    multiple=True,
    metavar="PARTY=NAME",
    help="Alternating offers: a party's strategy: hard_line, boulware, linear, conceder, "
    "tit_for_tat, time_based:EXPONENT or tit_for_tat:FACTOR (repeatable).",
)
@click.option(
    "--first", default=None, metavar="PARTY", help="Alternating offers: who proposes first."
)
@click.option(
    "--weights",
    type=click.Choice(("equal", "capability")),
    default=None,
    help="Nash bargaining: symmetric (equal) or asymmetric (capability) weights.",
)
@click.option(
    "--negotiation",
    type=click.Choice(("nbs", "alternating", "status_quo")),
    default=None,
    help="Crisis: the outcome the challenger weighs against war (default: [crisis] negotiation).",
)
def run_cmd(
    scenario, model, rounds, out, overrides, focus, parties, strategies, first, weights, negotiation
) -> None:
    """Run a model on SCENARIO (a shipped name or a .toml/.csv/.json path).

    eum, compromise and median move actors' positions; nbs (Nash bargaining),
    alternating (alternating offers between two parties) and crisis (force as the
    outside option, from the scenario's [crisis]) look for a deal and for war.
    """
    from sim.experiment import run

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    source = resolve(scenario)
    if focus is not None and focus not in sc.actors:
        raise InputError(
            f"{source}: --focus {focus}: unknown actor; expected one of: {', '.join(sc.actors)}"
        )
    kind = model or sc.model.kind
    given = [
        name
        for name, value in (
            ("--parties", parties),
            ("--strategy", strategies),
            ("--first", first),
            ("--weights", weights),
            ("--negotiation", negotiation),
        )
        if value
    ]
    if given and kind not in ("nbs", "alternating", "crisis"):
        raise InputError(
            f"{' and '.join(given)}: options of the bargaining models; "
            f"expected --model nbs, alternating or crisis (the model is {kind})"
        )
    if focus is not None and kind in ("nbs", "alternating", "crisis"):
        raise InputError(
            f"--focus: an option of the eum model's quadrant chart (the model is {kind})"
        )
    if kind in ("nbs", "alternating", "crisis"):
        _run_bargain(sc, source, kind, rounds, out_dir, overrides, parties, strategies, first,
                     weights, negotiation)  # fmt: skip
        return
    result = run(sc, model=model, rounds=rounds)
    result = type(result)(
        sc,
        result.model,
        result.trajectory,
        result.round_limit,
        source=str(resolve(scenario)),
        overrides=tuple(overrides),
    )
    _print_run(result)
    if out_dir is not None:
        try:
            written = result.write(out_dir, focus=focus)
        except OSError as exc:
            raise InputError(
                f"--out {out_dir}: cannot write: {exc.strerror}; expected a writable folder"
            ) from None
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


def _party_list(sc, source, text: str | None, kind: str):
    if text is None:
        return None
    ids = [p.strip() for p in text.split(",") if p.strip()]
    known = list(sc.actors) + list(sc.blocs)
    for pid in ids:
        if pid not in known:
            raise InputError(
                f"{source}: --parties {text}: unknown actor or bloc {pid!r}; "
                f"expected ids from: {', '.join(known)}"
            )
    if len(set(ids)) != len(ids) or len(ids) < 2:
        raise InputError(f"{source}: --parties {text}: expected at least two different ids")
    if kind == "alternating" and len(ids) != 2:
        raise InputError(f"{source}: --parties {text}: alternating offers takes exactly two")
    return ids


def _strategy_map(source, items) -> dict:
    from sim.scenario.schema import STRATEGY_PRESETS, Strategy

    out = {}
    for item in items:
        pid, sep, spec = item.partition("=")
        name, _, param = spec.partition(":")
        pid, name, param = pid.strip(), name.strip(), param.strip()
        presets = ", ".join(STRATEGY_PRESETS)
        if not sep or not pid or not name:
            raise InputError(f"--strategy {item}: expected PARTY=NAME, NAME one of: {presets}")
        if not param:
            if name not in STRATEGY_PRESETS:
                raise InputError(
                    f"--strategy {item}: unknown strategy {name!r}; expected one of: {presets}, "
                    "time_based:EXPONENT, tit_for_tat:FACTOR"
                )
            out[pid] = name
            continue
        try:
            value = float(param)
        except ValueError:
            value = math.nan
        if name == "time_based" and math.isfinite(value) and value > 0:
            out[pid] = Strategy(kind="time_based", exponent=value)
        elif name == "tit_for_tat" and math.isfinite(value) and 0 <= value <= 10:
            out[pid] = Strategy(kind="tit_for_tat", factor=value)
        else:
            raise InputError(
                f"--strategy {item}: expected time_based:EXPONENT with EXPONENT > 0 "
                "or tit_for_tat:FACTOR with FACTOR in [0, 10]"
            )
    return out


def _run_bargain(
    sc, source, kind, rounds, out_dir, overrides, parties, strategies, first, weights, negotiation
):
    from sim.experiment import run

    ids = _party_list(sc, source, parties, kind)
    strat = _strategy_map(source, strategies)
    if kind == "crisis" and sc.crisis is None:
        raise InputError(
            f"{source}: crisis: the crisis model needs a [crisis] section "
            "(challenger, defender, contested, cost); see scenarios/README.md"
        )
    from sim.models.parties import default_parties

    who = ids or default_parties(sc, "alternating")
    for pid in strat:
        if pid not in who:
            raise InputError(
                f"--strategy {pid}=...: {pid!r} is not a party; expected one of: {', '.join(who)}"
            )
    if first is not None and first not in who:
        raise InputError(f"--first {first}: expected one of the parties: {', '.join(who)}")
    try:
        result = run(
            sc,
            model=kind,
            rounds=rounds,
            parties=ids,
            strategies=strat,
            first=first,
            weights=weights,
            negotiation=negotiation,
        )
    except ValueError as exc:
        raise InputError(f"{source}: {exc}") from None
    result = type(result)(
        sc, result.model, result.record, result.crisis, result.rounds,
        source=str(source), overrides=tuple(overrides),
    )  # fmt: skip
    _print_bargain(result)
    if out_dir is not None:
        try:
            written = result.write(out_dir)
        except OSError as exc:
            raise InputError(
                f"--out {out_dir}: cannot write: {exc.strerror}; expected a writable folder"
            ) from None
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


def _print_bargain(result) -> None:
    sc, rec = result.scenario, result.record
    click.echo(f"{sc.name}: model {result.model}")
    if result.model in ("nbs", "alternating"):
        click.echo(f"parties: {', '.join(rec['parties'])}")
        if result.model == "nbs":
            for iid, z in rec["zone_of_agreement"].items():
                zone = (
                    f"empty ({', '.join(z['parties'])})"
                    if z["empty"]
                    else f"[{z['lo']:g}, {z['hi']:g}]"
                )
                click.echo(f"  zone of agreement on {iid}: {zone}")
        a = rec["agreement"]
        if a["reached"]:
            when = f" in round {rec['round']}" if result.model == "alternating" else ""
            click.echo(f"agreement{when}:")
            for iid, x in a["outcome"].items():
                click.echo(f"  {iid:<16} {x:8.2f}")
            click.echo("utilities: " + ", ".join(f"{p} {u:.3f}" for p, u in a["utilities"].items()))
        else:
            click.echo(rec.get("message", "no agreement"))
    cr = rec if result.model == "crisis" else result.crisis
    if cr is not None:
        c, d = cr["challenger"], cr["defender"]
        lo, hi = cr["bargaining_range"]
        click.echo(
            f"crisis: {c} against {d}; P({c} wins) = {cr['p']:.3f}; "
            f"bargaining range [{lo:.3f}, {hi:.3f}] ({c}'s share)"
        )
        neg = cr["negotiation"]
        what = "the negotiated outcome" if neg["reached"] else "the status quo (no agreement)"
        share = "n/a" if neg["share"] is None else f"{neg['share']:.3f}"
        click.echo(
            f"  war is worth {cr['war_value_share'][c]:.3f} to {c}; {what} ({neg['model']}) "
            f"{share}: {'war' if cr['war'] else 'no war'}"
        )
        f = cr.get("fearon")
        if f is not None:
            click.echo(
                f"  {d}'s optimal offer with {c}'s cost private on [{f['cost_range'][0]:g}, "
                f"{f['cost_range'][1]:g}]: {f['offer']:.3f}, P(war) = {f['p_war']:.3f}"
            )
            b = f["with_red_lines"]
            offer = (
                "no offer both sides' red lines allow"
                if b["offer"] is None
                else (f"offer {b['offer']:.3f}")
            )
            click.echo(f"  within the red lines: {offer}, P(war) = {b['p_war']:.3f}")


def _print_run(result) -> None:
    fc = result.forecast()
    sc = result.scenario
    click.echo(f"{sc.name}: model {result.model}, {len(sc.actors)} actors, {len(sc.issues)} issues")
    header = (
        f"{'issue':<16} {'start: comp.':>12} {'median':>8}   {'forecast: comp.':>15} {'median':>8}"
    )
    click.echo(header)
    click.echo("-" * len(header))
    for iid, row in fc.iterrows():
        click.echo(
            f"{iid[:16]:<16} {row.initial_compromise:>12.2f} {row.initial_median:>8.2f}   "
            f"{row.compromise:>15.2f} {row['median']:>8.2f}"
        )
    how = {
        "limit": f"stopped at the round limit after {result.rounds} rounds",
        "converged": f"converged: nobody moved in round {result.rounds}",
        "cycle": f"cycle of {result.cycle_length} rounds found at round {result.rounds}; "
        "the forecast is the mean over the cycle",
    }[result.stopped]
    if result.model != "eum":
        how = "static baseline: no rounds"
    click.echo(how)


@cli.command("ensemble")
@click.argument("scenario", required=False)
@click.option(
    "--runs",
    type=click.IntRange(1, 100_000_000),
    default=1000,
    show_default=True,
    help="Number of perturbed runs.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Root seed; each run's seed is spawned from it.",
)
@click.option(
    "--model",
    "model",
    type=click.Choice(MODELS),
    default=None,
    help="Model to run (default: the scenario's [model] kind).",
)
@click.option("--rounds", type=click.IntRange(0, 10_000), default=None, help="Round limit per run.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for runs.parquet, summary.json, distribution.png; resumable.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Change a field before running (repeatable), as for sim run.",
)
@_spread_options
@_execution_options
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Runs per chunk (the unit written to disk and resumed).",
)
@click.option(
    "--trajectories",
    type=click.IntRange(0, 100_000),
    default=0,
    help="Keep the full trajectories of the first K runs (trajectories.parquet).",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
def ensemble_cmd(
    scenario,
    runs,
    seed,
    model,
    rounds,
    out,
    overrides,
    position_sd,
    salience_sd,
    capability_cv,
    workers,
    scheduler,
    chunk_size,
    trajectories,
    quiet,
) -> None:
    """Run RUNS perturbed copies of SCENARIO and report the distribution of forecasts."""
    from sim.distributed import SchedulerError
    from sim.experiment import ensemble
    from sim.runner import Interrupted, ManifestMismatch

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    if (model or sc.model.kind) == "crisis" and sc.crisis is None:
        raise InputError(
            f"{resolve(scenario)}: crisis: the crisis model needs a [crisis] section "
            "(challenger, defender, contested, cost); see scenarios/README.md"
        )
    if trajectories and (model or sc.model.kind) in ("nbs", "alternating", "crisis"):
        raise InputError(
            "--trajectories: positions by round exist for eum, compromise and median only"
        )
    try:
        result = ensemble(
            sc,
            runs=runs,
            seed=seed,
            model=model,
            rounds=rounds,
            position_sd=position_sd,
            salience_sd=salience_sd,
            capability_cv=capability_cv,
            out=out_dir,
            workers=workers,
            scheduler=scheduler,
            chunk_size=chunk_size,
            trajectories=trajectories,
            progress=not quiet,
        )
    except ManifestMismatch as exc:
        raise InputError(str(exc)) from None
    except SchedulerError as exc:
        raise InputError(str(exc)) from None
    except Interrupted as exc:
        if exc.out is not None:
            click.echo(
                f"interrupted: {exc.done} of {exc.total} chunks are saved in {exc.out}; "
                "run the same command again to resume",
                err=True,
            )
        raise
    _print_ensemble(result)
    if out_dir is not None:
        extra = ", trajectories.parquet, trajectories.png" if trajectories else ""
        click.echo(f"wrote runs.parquet, summary.json, distribution.png{extra} to {out_dir}")


def _print_ensemble(result) -> None:
    s = result.summary()
    if result.model in ("nbs", "alternating"):
        lo, hi = s["p_agreement_interval"]
        click.echo(
            f"{result.scenario.name}: {s['runs']} runs of {s['model']} between "
            f"{', '.join(s['parties'])}, root seed {s['root_seed']}"
        )
        click.echo(f"P(agreement) = {s['p_agreement']:.3f}, 95% interval [{lo:.3f}, {hi:.3f}]")
        if s.get("round"):
            click.echo(f"agreement round: mean {s['round']['mean']:.1f}")
        header = f"{'issue':<16} {'agreed: mean':>12} {'5%':>7} {'95%':>7}"
        click.echo(header)
        click.echo("-" * len(header))
        for iid, st in s["outcome"].items():
            if st is None:
                click.echo(f"{iid[:16]:<16} {'-':>12}")
            else:
                click.echo(f"{iid[:16]:<16} {st['mean']:>12.2f} {st['p5']:>7.2f} {st['p95']:>7.2f}")
        return
    if result.model == "crisis":
        lo, hi = s["p_war_interval"]
        c, d = s["challenger"], s["defender"]
        click.echo(
            f"{result.scenario.name}: {s['runs']} crisis runs, root seed {s['root_seed']}; "
            f"{c} against {d}"
        )
        click.echo(f"P(war) = {s['p_war']:.3f}, 95% interval [{lo:.3f}, {hi:.3f}] (Wilson)")
        click.echo(
            f"P({c} wins): mean {s['p']['mean']:.3f}, 5-95% {s['p']['p5']:.3f} - {s['p']['p95']:.3f}; "
            f"runs with an offer both sides' red lines allow: {s['share_with_offer']:.1%}"
        )
        u = s["unperturbed"]
        if u["p_war"] is not None:
            click.echo(
                f"unperturbed, closed form: P(war) = {u['p_war']:.3f} within the red lines, "
                f"{u['p_war_without_red_lines']:.3f} without them"
            )
        return
    click.echo(
        f"{result.scenario.name}: {s['runs']} runs of {s['model']}, root seed {s['root_seed']}; "
        f"converged {s['share_converged']:.1%}, cycle {s['share_cycle']:.1%}, "
        f"round limit {s['share_limit']:.1%}"
    )
    header = f"{'issue':<16} {'compromise: mean':>16} {'5%':>7} {'95%':>7}   {'median: mean':>12} {'5%':>7} {'95%':>7}"
    click.echo(header)
    click.echo("-" * len(header))
    for iid, f in s["forecast"].items():
        c, m = f["compromise"], f["median"]
        click.echo(
            f"{iid[:16]:<16} {c['mean']:>16.2f} {c['p5']:>7.2f} {c['p95']:>7.2f}   "
            f"{m['mean']:>12.2f} {m['p5']:>7.2f} {m['p95']:>7.2f}"
        )


@cli.command("sweep")
@click.argument("scenario", required=False)
@click.option(
    "--param",
    "params",
    multiple=True,
    required=True,
    metavar="PATH=START:STOP:NUM",
    help="A field to sweep (a --set path) over numpy.linspace(START, STOP, NUM), "
    "e.g. actors.RUS.salience.enlargement=0.2:1.0:5 (repeatable: the grid is the product).",
)
@click.option(
    "--runs",
    type=click.IntRange(1, 100_000_000),
    default=1000,
    show_default=True,
    help="Perturbed runs per grid point.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Root seed, the same at every grid point (common random numbers).",
)
@click.option(
    "--model",
    "model",
    type=click.Choice(MODELS),
    default=None,
    help="Model to run (default: the scenario's [model] kind).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for sweep.parquet and sweep.png; resumable.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Change a field before the grid is applied (repeatable), as for sim run.",
)
@_spread_options
@_execution_options
@click.option("--quiet", is_flag=True, help="No progress output.")
def sweep_cmd(
    scenario,
    params,
    runs,
    seed,
    model,
    out,
    overrides,
    position_sd,
    salience_sd,
    capability_cv,
    workers,
    scheduler,
    quiet,
) -> None:
    """Run an ensemble of RUNS at every point of a grid over fields of SCENARIO.

    Every grid point uses the same root seed (common random numbers): the runs at
    each point draw the same noise, so differences between points come from the
    parameter, not from sampling. All points are checked before any work starts.
    Writes a tidy table (a row per point per issue: the parameter values, the
    mean, std and 5/25/50/75/95% of the compromise and median forecasts, the share
    of converged runs, the number of runs) and a figure: lines with bands for one
    parameter, heatmaps for two. With --model crisis the table has a row per point
    with P(war), its 95% interval and the mean probability of victory, and the
    figure shows P(war) against the parameters.
    """
    from sim.distributed import SchedulerError
    from sim.grid import SweepError, sweep
    from sim.runner import Interrupted, ManifestMismatch

    out_dir = _out_dir(out)
    try:
        result = sweep(
            scenario,
            params=list(params),
            runs=runs,
            seed=seed,
            model=model,
            position_sd=position_sd,
            salience_sd=salience_sd,
            capability_cv=capability_cv,
            overrides=list(overrides),
            out=out_dir,
            workers=workers,
            scheduler=scheduler,
            progress=not quiet,
        )
    except (SweepError, ScenarioError, ManifestMismatch) as exc:
        raise InputError(str(exc)) from None
    except SchedulerError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        if out_dir is None:
            raise
        raise InputError(
            f"--out {out_dir}: cannot write: {exc.strerror or exc}; expected a writable folder"
        ) from None
    except Interrupted as exc:
        if exc.out is not None:
            click.echo(
                f"interrupted: {exc.done} of {exc.total} grid points are saved in {exc.out}; "
                "run the same command again to resume",
                err=True,
            )
        raise
    _print_sweep(result)
    if out_dir is not None:
        files = "sweep.parquet, sweep.png" if len(result.params) <= 2 else "sweep.parquet"
        click.echo(f"wrote {files} to {out_dir}")


def _print_sweep(result, limit: int = 40) -> None:
    if result.model == "crisis":
        from sim.grid import war_lines

        for line in war_lines(result, limit):
            click.echo(line)
        return
    paths = [p.path for p in result.params]
    issues = list(result.scenario.issue_ids)
    click.echo(
        f"{result.scenario.name}: sweep of {result.n_points} points, {result.runs} runs of "
        f"{result.model} each, root seed {result.root_seed} at every point"
    )
    click.echo("mean compromise forecast per issue:")
    wide = result.table.pivot(index=paths, columns="issue", values="compromise_mean")[issues]
    widths = [max(10, len(p)) for p in paths]
    header = " ".join(f"{p:>{w}}" for p, w in zip(paths, widths, strict=True))
    header += "".join(f" {i[:11]:>11}" for i in issues)
    click.echo(header)
    click.echo("-" * len(header))
    for n, (key, row) in enumerate(wide.iterrows()):
        if n == limit:
            click.echo(f"... {len(wide) - limit} more points in the table")
            break
        key = key if isinstance(key, tuple) else (key,)
        line = " ".join(f"{v:>{w}g}" for v, w in zip(key, widths, strict=True))
        click.echo(line + "".join(f" {v:>11.2f}" for v in row))


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
    click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="PATH=VALUE",
        help="Change a field of the scenario first (repeatable), as for sim run.",
    ),
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
        if hasattr(payoffs, "model_dump"):
            payoffs = payoffs.model_dump()
    else:
        payoffs = "prisoners_dilemma"
    turns = turns if turns is not None else (section.turns if section is not None else 200)
    noise = noise if noise is not None else (section.noise if section is not None else 0.0)
    reps = section.repetitions if section is not None else 10
    return parsed, payoffs, turns, noise, reps


@cli.command("tournament")
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
    help="Instead of --turns: each match goes on after every turn with this probability.",
)
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

    out_dir = _out_dir(out)
    parsed, payoffs, turns, noise, reps = _game_setup(
        scenario, strategies, turns, noise, game, overrides
    )
    result = g.tournament(
        parsed,
        turns=turns,
        repetitions=repetitions or reps,
        seed=seed,
        noise=noise,
        game=payoffs,
        continuation=continuation,
    )
    scores = result.scores()
    click.echo(
        f"round robin of {len(parsed)} strategies, {result.repetitions} repetitions, "
        + (f"continuation {continuation}" if continuation else f"{turns} turns")
        + f", noise {noise:g}, seed {seed}"
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


def _write(result, out_dir):
    try:
        return result.write(out_dir)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot write: {exc.strerror}; expected a writable folder"
        ) from None


@cli.command("evolve")
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
    help="Moran: population size, split evenly among the strategies at the start.",
)
@click.option(
    "--steps",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Steps (default: 100 times the population for Moran, 1000 for replicator).",
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
        written = _write(result, out_dir)
        if table is not None:
            from sim.results import write_atomic

            text = table.to_csv(index=False, lineterminator="\n")
            written.append(write_atomic(out_dir / "fixation.csv", text))
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


@cli.command("play")
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
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="PATH=VALUE",
    help="Change a field first (repeatable), e.g. game.strategies.RUS=grudger.",
)
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
        written = _write(result, out_dir)
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")


@cli.command("validate")
@click.argument("files", nargs=-1, required=True)
def validate_cmd(files) -> None:
    """Check scenario FILES and say what is wrong; exit 2 if any is bad."""
    bad = []
    for f in files:
        try:
            sc = load_scenario(f)
        except ScenarioError as exc:
            bad.append(str(exc))
            continue
        click.echo(
            f"{f}: ok ({len(sc.actors)} actors, {len(sc.issues)} issues, {len(sc.blocs)} blocs)"
        )
    if bad:
        raise InputError("\n".join(bad))


@cli.command("list")
def list_cmd() -> None:
    """List the scenarios that ship with sim."""
    shipped = shipped_scenarios()
    if not shipped:
        click.echo("no shipped scenarios found")
        return
    width = max(len(n) for n in shipped)
    for name, path in shipped.items():
        try:
            sc = load_scenario(path)
            info = f"{sc.name} ({len(sc.actors)} actors, {len(sc.issues)} issues)"
        except ScenarioError as exc:
            info = f"invalid: {exc.problems[0][1]}"
        click.echo(f"{name:<{width}}  {info}")


@cli.command("import")
@click.argument("source")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML file to write (default: print to the terminal).",
)
def import_cmd(source, out) -> None:
    """Convert SOURCE (a classic expected-utility CSV, JSON or TOML) into a TOML scenario."""
    from sim.results import write_atomic
    from sim.scenario.export import to_toml

    sc = _load(source)
    text = to_toml(sc)
    if out is None:
        click.echo(text, nl=False)
        return
    target = Path(out)
    if not target.parent.is_dir():
        raise InputError(f"--out {out}: folder {target.parent} does not exist")
    try:
        write_atomic(target, text)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    click.echo(f"wrote {target} ({len(sc.actors)} actors, {len(sc.issues)} issues)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sim`` console script: 0 ok, 1 failure, 2 bad input, 130 interrupted."""
    try:
        rv = cli.main(args=argv, prog_name="sim", standalone_mode=False)
    except click.exceptions.Abort:
        # click turns Ctrl-C into Abort; an interrupted command exits 130
        click.echo("interrupted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
