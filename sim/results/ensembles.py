"""An ensemble of perturbed runs: per-run outcomes and their summary (forecasts, crisis,
bargaining), as data."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from sim import __version__
from sim.models import MODELS
from sim.results.base import Figure
from sim.scenario import Scenario


@dataclass(frozen=True)
class EnsembleResult:
    """Per-run outcomes of an ensemble of perturbed runs.

    Attributes
    ----------
    scenario : Scenario
    model : str
    table : pyarrow.Table
        One row per run: ``run, seed, rounds, stopped, cycle_length`` and per issue
        ``ISSUE.compromise`` and ``ISSUE.median``, the run's final forecast.
    metadata : dict
        Root seed, run count, hashes and versions (stored in ``runs.parquet``).
    baseline : dict
        The unperturbed run's forecast, ``{issue: {"compromise": x, "median": y}}``.
    trajectories : pandas.DataFrame or None
        ``run, round, issue, actor, position`` of the first runs, when kept.
    """

    scenario: Scenario
    model: str
    table: object
    metadata: dict
    baseline: dict
    trajectories: pd.DataFrame | None = None

    @property
    def runs(self) -> pd.DataFrame:
        """The per-run table as a DataFrame."""
        return self.table.to_pandas()

    @property
    def n_runs(self) -> int:
        return self.table.num_rows

    @property
    def root_seed(self) -> int:
        return int(self.metadata["sim.root_seed"])

    @property
    def spec(self):
        """The model (see `sim.models.MODELS`)."""
        return MODELS[self.model]

    @property
    def uncertainty(self) -> dict:
        """The spreads the runs were drawn from (``sim.uncertainty`` in the metadata)."""
        return json.loads(self.metadata.get("sim.uncertainty", "{}"))

    def summary(self) -> dict:
        """What ``summary.json`` holds: distribution of each outcome, shares, seeds."""
        return {**self.spec.ensemble_summary(self), "sim_version": __version__}

    def lines(self) -> list[str]:
        """The ensemble as lines of text, as ``sim ensemble`` prints it."""
        return self.spec.ensemble_lines(self, self.summary())

    def __repr__(self) -> str:
        return (
            f"EnsembleResult({self.scenario.name!r}, model={self.model!r}, runs={self.n_runs}, "
            f"root_seed={self.root_seed})"
        )

    def _repr_html_(self) -> str:
        return self.spec.ensemble_html(self, self.summary())

    def outputs(self) -> list:
        """The files of the ensemble (see `sim.save`): ``runs.parquet`` (its metadata in
        the schema), ``summary.json``, ``distribution.png`` and, when trajectories were
        kept, ``trajectories.parquet`` and ``trajectories.png``."""
        table = self.table.replace_schema_metadata({k: str(v) for k, v in self.metadata.items()})
        out = [
            ("runs.parquet", table),
            ("summary.json", self.summary()),
            ("distribution.png", Figure(self.spec.ensemble_figure)),
        ]
        if self.trajectories is not None:
            out.append(
                (
                    "trajectories.parquet",
                    pa.Table.from_pandas(self.trajectories, preserve_index=False),
                )
            )
        if self.trajectories is not None and not self.trajectories.empty:
            out.append(("trajectories.png", Figure("ensemble_trajectories")))
        return out
