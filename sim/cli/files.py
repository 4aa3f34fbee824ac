"""sim validate, sim list and sim import: scenario files."""

from __future__ import annotations

import hashlib
import json
import os
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
    type=click.Path(),
    default=None,
    help="TOML file to write (default: print to the terminal); for a DEU file, the folder "
    "to write one TOML scenario per proposal into.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "deu"]),
    default="auto",
    show_default=True,
    help="SOURCE's format: auto (a DEU file is recognised from its header, or a .tsv name) or deu.",
)
@click.option(
    "--capability",
    type=click.Choice(["file", "equal"]),
    default=None,
    help="DEU files: each actor's capability from the file's capability row (file, the "
    "default) or 1 for every actor (equal).",
)
def import_cmd(source, out, fmt, capability) -> None:
    """Convert SOURCE (an expected-utility, KTAB or decide CSV, KTAB XML, JSON, TOML or DEU file) to TOML.

    With --out, each file starts with a comment that says sim wrote it and holds a checksum
    of the rest: sim replaces a file only if that comment is there and the checksum still
    matches (an edited or foreign file is refused), and never replaces SOURCE itself.

    A KTAB file (its CSV, recognised by a first line name,description,numActors,numDims,
    or its XML) becomes one scenario, each dimension an issue on [0, 100]; the XML's
    model parameters are kept in [scenario] notes.

    A decide-exchange-model input file (.txt, .csv or .tsv, recognised by its #A and #D
    rows) becomes one scenario, each #P an issue on its #M bounds (default [0, 100]).

    A DEU file (tab-separated, one EU legislative issue a row, as the DEU III dataset)
    becomes one scenario per proposal, written as PROPOSAL.toml into the folder --out
    names, all files at once (a file there that sim did not write is refused, and then
    nothing is written); without --out, the proposals are listed.
    """
    from sim.scenario.decide import is_decide
    from sim.scenario.deu import is_deu

    path = Path(source)
    deu_name = path.suffix.lower() == ".tsv" and not is_decide(path)
    if fmt == "deu" or (fmt == "auto" and (deu_name or is_deu(path))):
        _import_deu(source, out, capability or "file")
        return
    if capability is not None:
        raise InputError(
            f"--capability applies to DEU files; {source} is not one (use --format deu "
            "for a DEU file whose header is not recognised)"
        )
    from sim.outputs import write_single
    from sim.scenario import resolve
    from sim.scenario.export import to_toml

    if out is not None and Path(out).is_dir():
        raise click.BadParameter(
            f"{out!r} is a folder; expected a TOML file to write (a folder is --out for a "
            "DEU file)",
            param_hint="'--out'",
        )
    sc = _load(source)
    text = to_toml(sc)
    if out is None:
        click.echo(text, nl=False)
        return
    target = Path(out)
    write_single(target, import_header(source, text) + text, inputs=[resolve(source)], owned=_owned)
    click.echo(f"wrote {target} ({sc.counts()})")


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _file_names(cases: list[str]) -> dict[str, str]:
    """A safe, distinct file name ``CASE.toml`` for each case (other characters become
    ``_``, no leading dot, at most 100 characters; names alike but for case get ``_2``...)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for case in cases:
        stem = _UNSAFE.sub("_", case).lstrip(".")[:100] or "case"
        got, k = stem, 1
        while got.lower() in taken:
            k += 1
            got = f"{stem}_{k}"
        taken.add(got.lower())
        names[case] = f"{got}.toml"
    return names


def _import_deu(source: str, out: str | None, capability: str) -> None:
    """``sim import`` of a DEU file: one TOML scenario per proposal into the folder ``out``."""
    from sim.outputs import STATE, OutputError, check_folder, write_files
    from sim.scenario import validate_raw
    from sim.scenario.deu import deu_cases, read_deu
    from sim.scenario.export import to_toml
    from sim.text import printable

    if out is not None and Path(out).suffix.lower() == ".toml" and not Path(out).is_dir():
        raise InputError(
            f"--out {out}: a DEU file becomes one scenario per proposal; expected a folder "
            "to write them into"
        )
    data = read_deu(source, capability=capability)
    folder = check_folder(out) if out is not None else None
    cases, skipped = deu_cases(data)
    names = _file_names([case for case, _ in cases])
    files: dict[str, str] = {}
    counts: dict[str, str] = {}
    for case, raw in cases:
        sc = validate_raw(raw, f"{source} (proposal {case})")
        text = to_toml(sc)
        files[names[case]] = import_header(source, text) + text
        counts[case] = sc.counts()
    left = ""
    if skipped:
        left += f"; skipped {len(skipped)} proposals: " + "; ".join(
            f"{case} ({reason})" for case, reason in skipped
        )
    if data.skipped:
        left += f"; {len(data.skipped)} rows cannot be forecast: " + "; ".join(
            f"{issue} ({reason})" for _, issue, reason in data.skipped
        )
    if folder is None:
        for case, _ in cases:
            click.echo(printable(f"{case}: {counts[case]}"))
        click.echo(
            printable(
                f"{source}: {len(data.issues)} issues in {len(cases)} proposals{left}; "
                "--out DIR writes one scenario per proposal"
            )
        )
        return
    if not files:
        raise InputError(f"{source}: no proposal to write{left}")
    if folder.is_dir() and not (folder / STATE).exists():
        # a folder sim has never written into: any file of the same name is not sim's
        for name in files:
            if os.path.lexists(folder / name):
                raise OutputError(
                    f"--out {folder}: {name} exists and was not written by sim; sim does not "
                    "replace it: move it away or choose another --out"
                )
    write_files(folder, files, inputs=[Path(source)])
    plural = "" if len(files) == 1 else "s"
    click.echo(printable(f"wrote {len(files)} scenario{plural} to {folder}{left}"))


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
