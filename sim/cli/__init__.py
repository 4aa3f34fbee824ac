"""The command line: parses, calls the library, writes files. No modelling logic here.

Exit codes: 0 success, 1 failure, 2 bad usage or bad input, 130 interrupted.

The group and ``main`` live here; the commands in the modules beside it:
``run`` (sim run), ``ensemble`` (sim ensemble, sim sweep), ``games`` (sim
tournament, sim evolve, sim play), ``explore`` (sim explore), ``files`` (sim validate, sim list, sim
import) and ``models`` (sim models); ``_common`` holds what they share.

A command's module is imported when the command runs (or shows its own help), never
for ``sim --help``, which lists the commands from :data:`COMMANDS`: so the commands that
compute nothing start without numpy, numba, pandas, mesa or matplotlib.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["COMMANDS", "InputError", "cli", "main"]

COMMANDS: dict[str, tuple[str, str, str]] = {
    "backtest": (
        "sim.cli.backtest",
        "backtest_cmd",
        "Score every model's forecasts on DATASET against what happened.",
    ),
    "ensemble": (
        "sim.cli.ensemble",
        "ensemble_cmd",
        "Run RUNS perturbed copies of SCENARIO and report the distribution of forecasts.",
    ),
    "evolve": (
        "sim.cli.games",
        "evolve_cmd",
        "Evolve a population of strategies by their payoffs against each other.",
    ),
    "explore": (
        "sim.cli.explore",
        "explore_cmd",
        "Serve a page to explore SCENARIO: step the negotiation round by round, move an",
    ),
    "import": (
        "sim.cli.files",
        "import_cmd",
        "Convert SOURCE (an expected-utility, KTAB or decide CSV, KTAB XML, JSON, TOML or DEU file) "
        "to TOML.",
    ),
    "list": ("sim.cli.files", "list_cmd", "List the scenarios that ship with sim."),
    "models": (
        "sim.cli.models",
        "models_cmd",
        "List the models: summary, the scenario sections each needs, and its parameters.",
    ),
    "play": (
        "sim.cli.games",
        "play_cmd",
        "Play the repeated games of SCENARIO's [game] dyads, turn by turn.",
    ),
    "run": (
        "sim.cli.run",
        "run_cmd",
        "Run a model on SCENARIO (a shipped name or a .toml, .json, .csv or KTAB .xml path).",
    ),
    "sweep": (
        "sim.cli.ensemble",
        "sweep_cmd",
        "Run an ensemble of RUNS at every point of a grid over fields of SCENARIO.",
    ),
    "tournament": (
        "sim.cli.games",
        "tournament_cmd",
        "Play a round-robin tournament of repeated 2x2 games and rank the strategies.",
    ),
    "validate": (
        "sim.cli.files",
        "validate_cmd",
        "Check scenario FILES and say what is wrong; exit 2 if any is bad.",
    ),
}
"""Command name -> (module, attribute, the first line of its help), for ``sim --help``."""


class _Group(click.Group):
    """The command group: commands load from :data:`COMMANDS` when first resolved. An output
    path sim refuses (``sim.outputs.OutputError``) or a scenario a model cannot take
    (``ScenarioError``) is bad input, exit 2 with its message, whichever command meets it."""

    def list_commands(self, ctx) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx, cmd_name: str):
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            module, attribute, _ = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx, formatter) -> None:
        # as click's, from the table for the commands not loaded yet (it imports none)
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                command = click.Command(name, help=COMMANDS[name][2])
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in rows])

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # imported here, once something failed: a command that needs neither loads neither
            from sim.outputs import OutputError
            from sim.scenario import ScenarioError

            if not isinstance(exc, (OutputError, ScenarioError)):
                raise
            from sim.cli._common import InputError

            raise InputError(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sim", prog_name="sim")
def cli() -> None:
    """sim: negotiation game-theory simulator.

    Describe a negotiation as a scenario file (actors, issues, positions, salience,
    capability, red lines) and run models on it. With no scenario, commands use
    the shipped NATO-Russia Council, January 2022 case.
    """


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


def __getattr__(name: str):
    # InputError lives with what the commands share; importing it loads the scenarios
    if name == "InputError":
        from sim.cli._common import InputError

        return InputError
    raise AttributeError(f"module 'sim.cli' has no attribute {name!r}")
