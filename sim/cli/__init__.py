"""The command line: parses, calls the library, writes files. No modelling logic here.

Exit codes: 0 success, 1 failure, 2 bad usage or bad input, 130 interrupted.

The group and ``main`` live here; the commands in the modules beside it:
``run`` (sim run), ``ensemble`` (sim ensemble, sim sweep), ``games`` (sim
tournament, sim evolve, sim play), ``explore`` (sim explore) and ``files`` (sim validate, sim list, sim
import); ``_common`` holds what they share.
"""

from __future__ import annotations

import click

from sim.cli._common import InputError
from sim.cli.ensemble import ensemble_cmd, sweep_cmd
from sim.cli.explore import explore_cmd
from sim.cli.files import import_cmd, list_cmd, validate_cmd
from sim.cli.games import evolve_cmd, play_cmd, tournament_cmd
from sim.cli.run import run_cmd

__all__ = ["InputError", "cli", "main"]


class _Group(click.Group):
    """The command group: an output path sim refuses (``sim.outputs.OutputError``) or a
    scenario a model cannot take (``ScenarioError``) is bad input, exit 2 with its message,
    whichever command meets it."""

    def invoke(self, ctx):
        from sim.outputs import OutputError
        from sim.scenario import ScenarioError

        try:
            return super().invoke(ctx)
        except (OutputError, ScenarioError) as exc:
            raise InputError(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sim", prog_name="sim")
def cli() -> None:
    """sim: negotiation game-theory simulator.

    Describe a negotiation as a scenario file (actors, issues, positions, salience,
    capability, red lines) and run models on it. With no scenario, commands use
    the shipped NATO-Russia Council, January 2022 case.
    """


for _command in (
    run_cmd,
    ensemble_cmd,
    sweep_cmd,
    tournament_cmd,
    evolve_cmd,
    play_cmd,
    explore_cmd,
    validate_cmd,
    list_cmd,
    import_cmd,
):
    cli.add_command(_command)
del _command


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
