"""sim backtest: forecasts of every model scored against recorded outcomes."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli._common import InputError, _out_dir


@click.command("backtest")
@click.argument("dataset")
@click.option(
    "--models",
    "models",
    default=None,
    metavar="M1,M2,...",
    help="Models to score, each NAME or NAME[param=value,...] (e.g. eum,"
    "compromise[salience_power=2],eum[rounds=3]); default: every model that gives a point "
    "forecast on the data. The compromise baseline is always scored.",
)
@click.option(
    "--capability",
    type=click.Choice(["file", "equal"]),
    default="file",
    show_default=True,
    help="Capabilities from the data (a DEU file's second row) or equal for every actor.",
)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="Root seed of the bootstrap, the folds and the war ensembles.")  # fmt: skip
@click.option(
    "--folds",
    type=click.IntRange(2, 1000),
    default=None,
    help="Also report K-fold cross-validated scores by case (proposal) for the models "
    "with parameters to fit.",
)
@click.option(
    "--war-runs",
    type=click.IntRange(10, 1_000_000),
    default=1000,
    show_default=True,
    help="Runs of the ensemble that gives a model's P(war) on a case with a recorded war.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for forecasts.csv, scores.csv, summary.json, errors.png, calibration.png.",
)
def backtest_cmd(dataset, models, capability, seed, folds, war_runs, out) -> None:
    """Score every model's forecasts on DATASET against what happened.

    DATASET is a DEU-format file (one issue per row, with the recorded outcome in `out`),
    a scenario file with an [outcome] section, or a folder of them (`sim backtest
    scenarios/` scores every shipped case with an outcome). The table printed is
    scores.csv, best model first: MAE with its 95% bootstrap interval over issues, RMSE,
    median absolute error, the share within 10 points and the share of issues where the
    model beats the compromise baseline.
    """
    from sim.backtesting import BacktestError, backtest
    from sim.outputs import write_files
    from sim.save import files

    out_dir = _out_dir(out)
    try:
        result = backtest(
            dataset, models=models, capability=capability, seed=seed, folds=folds,
            war_runs=war_runs,
        )  # fmt: skip
    except BacktestError as exc:
        raise InputError(str(exc)) from None
    for line in result.lines():
        click.echo(line)
    if out_dir is not None:
        inputs = [Path(f["path"]) for f in result.summary()["files"]]
        written = write_files(out_dir, files(result), inputs=inputs)
        click.echo(f"wrote {', '.join(p.name for p in written)} to {out_dir}")
