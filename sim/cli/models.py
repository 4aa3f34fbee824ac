"""sim models: every registered model, what it needs and the parameters it takes."""

from __future__ import annotations

import click


def _default(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


@click.command("models")
def models_cmd() -> None:
    """List the models: summary, the scenario sections each needs, and its parameters."""
    from sim.models import MODELS
    from sim.models.base import options_of

    for spec in MODELS.values():
        needs = ", ".join(f"[{s}]" for s in spec.requires) or "actors and issues only"
        click.echo(f"{spec.name}: {spec.summary}")
        click.echo(f"  needs: {needs}")
        click.echo(f"  cites: {spec.citation}")
        rows = spec.describe()
        if not rows:
            click.echo("  parameters: none (--rounds and --set apply to every model)")
        for row, opt in zip(rows, options_of(spec.Params).values(), strict=True):
            flag = opt.flag or "--" + row["name"].replace("_", "-")
            click.echo(
                f"  {flag:<14} default {_default(row['default']):<6} range {row['range']}: "
                f"{row['help']}"
            )
        click.echo("")
