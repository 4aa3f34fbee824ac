"""The command line: parses, calls the library, writes files. No modelling logic here.

Exit codes: 0 success, 1 failure, 2 bad usage or bad input, 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.models import MODELS
from sim.scenario import ScenarioError, load_scenario, resolve, shipped_scenarios


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
def run_cmd(scenario, model, rounds, out, overrides, focus) -> None:
    """Run a model on SCENARIO (a shipped name or a .toml/.csv/.json path)."""
    from sim.experiment import run

    out_dir = _out_dir(out)
    sc = _load(scenario, overrides)
    if focus is not None and focus not in sc.actors:
        raise InputError(
            f"{resolve(scenario)}: --focus {focus}: unknown actor; "
            f"expected one of: {', '.join(sc.actors)}"
        )
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
