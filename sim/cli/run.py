"""sim run: one model on a scenario. The model-specific options are generated from the
models' parameters (`sim.models.MODELS`), so a new model's options appear here by itself."""

from __future__ import annotations

import click

from sim.cli._common import InputError, _out_dir, protects_inputs, set_option
from sim.models import MODELS
from sim.models.base import MAX_ROUNDS, options_of
from sim.scenario import resolve


def _model_options() -> dict[str, tuple[object, list[str]]]:
    """``{parameter: (Option, [models that take it])}`` over every registered model."""
    seen: dict[str, tuple[object, list[str]]] = {}
    for spec in MODELS.values():
        for name, opt in options_of(spec.Params).items():
            if name in seen:
                seen[name][1].append(spec.name)
            else:
                seen[name] = (opt, [spec.name])
    return seen


OPTIONS = _model_options()


def _flag(name: str, opt) -> str:
    return opt.flag or "--" + name.replace("_", "-")


def _with_model_options(func):
    for name, (opt, models) in reversed(OPTIONS.items()):
        kwargs = {
            "default": None,
            "metavar": opt.metavar,
            "help": f"{', '.join(models)}: {opt.help}",
        }
        if opt.choices is not None:
            kwargs["type"] = click.Choice(opt.choices)
            kwargs.pop("metavar")
        elif opt.lo is not None or opt.hi is not None:
            kwargs["type"] = float
        if opt.multiple:
            kwargs["multiple"] = True
            kwargs.pop("default")
        func = click.option(_flag(name, opt), name, **kwargs)(func)
    return func


@click.command("run")
@click.argument("scenario", required=False)
@click.option(
    "--model",
    "model",
    type=click.Choice(list(MODELS)),
    default=None,
    help="Model to run (default: the scenario's [model] kind; see sim models).",
)
@click.option(
    "--rounds",
    type=click.IntRange(0, MAX_ROUNDS),
    default=None,
    help="Round limit (default: the scenario's [model] rounds); for alternating offers "
    "the deadline.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for rounds.csv, summary.json and figures.",
)
@set_option("Change a field before running, e.g. actors.RUS.position.enlargement=50 (repeatable).")
@_with_model_options
@protects_inputs
def run_cmd(scenario, model, rounds, out, overrides, **given) -> None:
    """Run a model on SCENARIO (a shipped name or a .toml, .json, .csv or KTAB .xml path).

    eum, compromise and median move actors' positions; nbs (Nash bargaining),
    alternating (alternating offers between two parties) and crisis (force as the
    outside option, from the scenario's [crisis]) look for a deal and for war.
    `sim models` lists every model and its options.
    """
    from sim.experiment import run
    from sim.save import write
    from sim.scenario import load_scenario

    out_dir = _out_dir(out)
    source = resolve(scenario)
    given = {k: v for k, v in given.items() if v is not None and v != ()}
    sc = load_scenario(scenario, list(overrides))  # read once: the model and its deadline
    kind = model or sc.model.kind
    spec = MODELS[kind]
    taken = options_of(spec.Params)
    foreign = [name for name in given if name not in taken]
    if foreign:
        flags = " and ".join(_flag(n, OPTIONS[n][0]) for n in foreign)
        owners = sorted({m for n in foreign for m in OPTIONS[n][1]}, key=list(MODELS).index)
        raise InputError(
            f"{flags}: {'an option' if len(foreign) == 1 else 'options'} of "
            f"{', '.join(owners)}; the model is {kind} (see sim models)"
        )
    try:
        params = spec.params(**given)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: {exc}") from None
    if rounds is not None and rounds < 1 and spec.uses_deadline(sc, params):
        raise InputError(
            f"--rounds {rounds}: alternating offers need a deadline of at least 1 round"
        )
    try:
        result = run(
            scenario, model=kind, rounds=rounds, overrides=list(overrides), params=given,
            source_path=source,
        )  # fmt: skip
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: {exc}") from None
    for line in result.lines():
        click.echo(line)
    if out_dir is not None:
        figure_options = {k: v for k, v in given.items() if taken[k].figure}
        written = write(result, out_dir, **figure_options)
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")
