"""sim validate, sim list and sim import: scenario files."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli._common import InputError, _load
from sim.scenario import ScenarioError, load_scenario, shipped_scenarios


@click.command("validate")
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
        click.echo(f"{f}: ok ({sc.counts()})")
    if bad:
        raise InputError("\n".join(bad))


@click.command("list")
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
            info = f"{sc.name} ({sc.counts()})"
        except ScenarioError as exc:
            info = f"invalid: {exc.problems[0][1]}"
        click.echo(f"{name:<{width}}  {info}")


@click.command("import")
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
    click.echo(f"wrote {target} ({sc.counts()})")
