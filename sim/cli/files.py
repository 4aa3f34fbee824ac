"""sim validate, sim list and sim import: scenario files."""

from __future__ import annotations

import hashlib
import json
import re
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
    """Convert SOURCE (a classic expected-utility CSV, JSON or TOML) into a TOML scenario.

    With --out, the file starts with a comment that says sim wrote it and holds a checksum
    of the rest: sim replaces a file only if that comment is there and the checksum still
    matches (an edited or foreign file is refused), and never replaces SOURCE itself.
    """
    from sim.outputs import write_single
    from sim.scenario import resolve
    from sim.scenario.export import to_toml

    sc = _load(source)
    text = to_toml(sc)
    if out is None:
        click.echo(text, nl=False)
        return
    target = Path(out)
    write_single(target, import_header(source, text) + text, inputs=[resolve(source)], owned=_owned)
    click.echo(f"wrote {target} ({sc.counts()})")


_HEADER = "# Written by sim import from {source}; sha256 of the lines below: {digest}\n"
_HEADER_RE = re.compile(
    r"^# Written by sim import from .*; sha256 of the lines below: ([0-9a-f]{64})\n"
)


def import_header(source: str, body: str) -> str:
    """The first line of a file ``sim import`` writes: its source and a checksum of ``body``."""
    name = json.dumps(str(source))[1:-1].replace("\x7f", "\\u007f")
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return _HEADER.format(source=name, digest=digest)


def _owned(existing: bytes) -> bool:
    """Whether ``existing`` is a file ``sim import`` wrote and nobody has changed since."""
    head, sep, rest = existing.partition(b"\n")
    m = _HEADER_RE.match(head.decode("utf-8", "replace") + "\n") if sep else None
    return m is not None and hashlib.sha256(rest).hexdigest() == m.group(1)
