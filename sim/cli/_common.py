"""What the commands share: bad input as exit code 2, loading a scenario, the
--out folder, the finite-number callback and the decorator that bundles options."""

from __future__ import annotations

import math
from pathlib import Path

import click

from sim.scenario import ScenarioError, load_scenario


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


class InputError(click.ClickException):
    """Bad input: printed without a traceback, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        from sim.text import printable  # escapes what would drive the terminal

        click.echo(printable(self.format_message()), err=True)


def _load(scenario, overrides=()):
    try:
        return load_scenario(scenario, list(overrides))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None


def _out_dir(out: str | None) -> Path | None:
    """The --out folder, checked before any work is done (see :func:`sim.outputs.check_folder`)."""
    if out is None:
        return None
    from sim.outputs import OutputError, check_folder

    try:
        return check_folder(out)
    except OutputError as exc:
        raise InputError(str(exc)) from None


def protects_inputs(func):
    """Run a command with its SCENARIO file protected: no output of the command may be
    written over it (see :func:`sim.outputs.protecting`)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from sim.outputs import protecting
        from sim.scenario import resolve

        paths = []
        scenario = kwargs.get("scenario")
        try:
            path = resolve(scenario)
            if path.is_file():
                paths.append(path)
        except (OSError, ValueError):
            pass
        with protecting(paths):
            return func(*args, **kwargs)

    return wrapper


def set_option(help: str):
    """The ``--set PATH=VALUE`` option (repeatable), collected as ``overrides``."""
    return click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=help)
