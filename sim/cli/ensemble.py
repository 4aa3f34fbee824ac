"""sim ensemble and sim sweep: perturbed runs of a scenario, at one point or over a grid."""

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
from sim.models import MODELS
from sim.scenario import ScenarioError, resolve

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


@click.command("ensemble")
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
@set_option("Change a field before running (repeatable), as for sim run.")
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
@protects_inputs
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
    from sim.outputs import OutputError
    from sim.runner import Interrupted, ManifestMismatch

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    spec = MODELS[model or sc.model.kind]
    for section in spec.requires:
        if getattr(sc, section, None) is None:
            raise InputError(
                f"{resolve(scenario)}: {section}: the {spec.name} model needs a [{section}] "
                "section; see scenarios/README.md"
            )
    if trajectories and not spec.keeps_trajectories:
        keep = [name for name, m in MODELS.items() if m.keeps_trajectories]
        raise InputError(f"--trajectories: positions by round exist for {', '.join(keep)} only")
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
    except (ManifestMismatch, OutputError, SchedulerError) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        if out_dir is None:
            raise
        raise _os_error(out_dir, exc) from None
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
        names = ", ".join(name for name, _ in result.outputs())
        click.echo(f"wrote {names} to {out_dir}")


def _os_error(out_dir, exc: OSError) -> InputError:
    """A file-system error under --out as bad input: the path and the reason."""
    from sim.outputs import describe_os_error

    where = f" ({exc.filename})" if exc.filename else ""
    return InputError(
        f"--out {out_dir}: cannot write{where}: {describe_os_error(exc)}; "
        "expected a writable folder"
    )


def _print_ensemble(result) -> None:
    for line in result.lines():
        click.echo(line)


@click.command("sweep")
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
@set_option("Change a field before the grid is applied (repeatable), as for sim run.")
@_spread_options
@_execution_options
@click.option("--quiet", is_flag=True, help="No progress output.")
@protects_inputs
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
    from sim.outputs import OutputError
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
    except (SweepError, ScenarioError, ManifestMismatch, OutputError, SchedulerError) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        if out_dir is None:
            raise
        raise _os_error(out_dir, exc) from None
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
        names = ", ".join(name for name, _ in result.outputs())
        click.echo(f"wrote {names} to {out_dir}")


def _print_sweep(result, limit: int = 40) -> None:
    for line in result.lines(limit):
        click.echo(line)
