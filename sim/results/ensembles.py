"""An ensemble of perturbed runs: per-run outcomes, their summaries (forecasts, crisis,
bargaining) and files."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.results._files import figure_bytes
from sim.scenario import Scenario

PERCENTILES = (5, 25, 50, 75, 95)


def distribution_stats(values) -> dict | None:
    """Mean, standard deviation (0 for one value) and the PERCENTILES of ``values``;
    None when there are none."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return None
    out = {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if v.size > 1 else 0.0}
    for p, q in zip(PERCENTILES, np.percentile(v, PERCENTILES), strict=True):
        out[f"p{p}"] = float(q)
    return out


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

    def summary(self) -> dict:
        """What ``summary.json`` holds: distribution of each forecast, stop shares, seeds."""
        from sim import __version__

        runs = self.runs
        if self.model == "crisis":
            return self._crisis_summary(runs)
        if self.model in ("nbs", "alternating"):
            return self._bargain_summary(runs)
        stopped = runs["stopped"].to_numpy()
        per_issue = {}
        for iid in self.scenario.issue_ids:
            per_issue[iid] = {}
            for kind in ("compromise", "median"):
                stats = distribution_stats(runs[f"{iid}.{kind}"])
                stats["unperturbed"] = self.baseline[iid][kind]
                per_issue[iid][kind] = stats
        return {
            "scenario": self.scenario.name,
            "model": self.model,
            "runs": self.n_runs,
            "root_seed": self.root_seed,
            "round_limit": int(self.metadata.get("sim.round_limit", 0)),
            "share_converged": float(np.mean(stopped == "converged")),
            "share_cycle": float(np.mean(stopped == "cycle")),
            "share_limit": float(np.mean(stopped == "limit")),
            "mean_rounds": float(runs["rounds"].mean()),
            "uncertainty": json.loads(self.metadata.get("sim.uncertainty", "{}")),
            "forecast": per_issue,
            "scenario_hash": self.metadata["sim.scenario_hash"],
            "sim_version": __version__,
        }

    def _bargain_summary(self, runs: pd.DataFrame) -> dict:
        from sim import __version__
        from sim.models.war import wilson_interval

        agree = runs["agreement"].to_numpy(dtype=bool)
        k, n = int(agree.sum()), len(agree)
        lo, hi = wilson_interval(k, n)
        nominal = self.baseline["bargain"]

        stats = distribution_stats
        out = {
            "scenario": self.scenario.name,
            "model": self.model,
            "runs": n,
            "root_seed": self.root_seed,
            "parties": nominal["parties"],
            "p_agreement": k / n,
            "p_agreement_interval": [lo, hi],
            "confidence": 0.95,
            "interval_method": "Wilson score",
            "outcome": {
                iid: stats(runs[f"{iid}.outcome"].to_numpy()[agree])
                for iid in self.scenario.issue_ids
            },
            "utilities": {
                pid: stats(runs[f"utility.{pid}"].to_numpy()[agree]) for pid in nominal["parties"]
            },
        }
        if self.model == "alternating":
            rounds = runs["round"].to_numpy()[agree]
            out["round"] = stats(rounds)
        out.update(
            unperturbed={
                "agreement": nominal["agreement"],
                "message": nominal.get("message"),
            },
            uncertainty=json.loads(self.metadata.get("sim.uncertainty", "{}")),
            scenario_hash=self.metadata["sim.scenario_hash"],
            sim_version=__version__,
        )
        return out

    def _crisis_summary(self, runs: pd.DataFrame) -> dict:
        from sim import __version__
        from sim.models.war import wilson_interval

        war = runs["war"].to_numpy(dtype=bool)
        k, n = int(war.sum()), len(war)
        lo, hi = wilson_interval(k, n)
        nominal = self.baseline["crisis"]
        fearon = nominal.get("fearon")

        stats = distribution_stats
        offers = runs["offer"].to_numpy(dtype=np.float64)
        has_offer = ~np.isnan(offers)
        return {
            "scenario": self.scenario.name,
            "model": self.model,
            "runs": n,
            "root_seed": self.root_seed,
            "p_war": k / n,
            "p_war_interval": [lo, hi],
            "confidence": 0.95,
            "interval_method": "Wilson score",
            "war_runs": k,
            "p_war_believed": float(runs["p_war_believed"].mean()),
            "p": stats(runs["p"]),
            "war_value": stats(runs["war_value"]),
            "share_with_offer": float(has_offer.mean()),
            "offer": stats(offers[has_offer]) if has_offer.any() else None,
            "unperturbed": {
                "p": nominal["p"],
                "bargaining_range": nominal["bargaining_range"],
                "p_war": None if fearon is None else fearon["with_red_lines"]["p_war"],
                "p_war_without_red_lines": None if fearon is None else fearon["p_war"],
                "offer_without_red_lines": None if fearon is None else fearon["offer"],
            },
            "challenger": nominal["challenger"],
            "defender": nominal["defender"],
            "uncertainty": json.loads(self.metadata.get("sim.uncertainty", "{}")),
            "scenario_hash": self.metadata["sim.scenario_hash"],
            "sim_version": __version__,
        }

    def plot(self, issue: str | None = None, ax=None):
        """Distribution of the forecasts per issue, the unperturbed forecast marked
        (crisis: the challenger's war value in war and peace runs)."""
        from sim import plot

        if self.model == "crisis":
            return plot.war_distribution(self, ax=ax)
        if self.model in ("nbs", "alternating"):
            return plot.agreement_distribution(self, issue=issue, ax=ax)
        return plot.distribution(self, issue=issue, ax=ax)

    def plot_trajectories(self, issue: str | None = None, ax=None):
        """Trajectories of the runs kept with ``trajectories=K``."""
        from sim import plot

        return plot.ensemble_trajectories(self, issue=issue, ax=ax)

    def __repr__(self) -> str:
        return (
            f"EnsembleResult({self.scenario.name!r}, model={self.model!r}, runs={self.n_runs}, "
            f"root_seed={self.root_seed})"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        if self.model in ("nbs", "alternating"):
            lo, hi = s["p_agreement_interval"]
            return (
                f"<p><b>{html.escape(self.scenario.name)}</b>: {html.escape(self.model)} ensemble "
                f"of {self.n_runs} runs (root seed {self.root_seed}): P(agreement) = "
                f"{s['p_agreement']:.3f} [{lo:.3f}, {hi:.3f}] (95%)</p>"
            )
        if self.model == "crisis":
            lo, hi = s["p_war_interval"]
            return (
                f"<p><b>{html.escape(self.scenario.name)}</b>: crisis ensemble of {self.n_runs} "
                f"runs (root seed {self.root_seed}): P(war) = {s['p_war']:.3f} "
                f"[{lo:.3f}, {hi:.3f}] (95%), mean p = {s['p']['mean']:.3f}</p>"
            )
        rows = []
        for iid, kinds in s["forecast"].items():
            c, m = kinds["compromise"], kinds["median"]
            rows.append(
                f"<tr><th>{html.escape(iid)}</th><td>{c['mean']:.2f}</td><td>{c['p5']:.2f} - {c['p95']:.2f}</td>"
                f"<td>{m['mean']:.2f}</td><td>{m['p5']:.2f} - {m['p95']:.2f}</td>"
                f"<td>{c['unperturbed']:.2f} / {m['unperturbed']:.2f}</td></tr>"
            )
        return (
            f"<p><b>{html.escape(self.scenario.name)}</b>: ensemble of {self.n_runs} runs "
            f"(model {html.escape(self.model)}, root seed {self.root_seed}); "
            f"converged {s['share_converged']:.0%}, cycles {s['share_cycle']:.0%}</p>"
            "<table><tr><th>issue</th><th>compromise: mean</th><th>5-95%</th>"
            "<th>median: mean</th><th>5-95%</th><th>unperturbed</th></tr>"
            + "".join(rows)
            + "</table>"
        )

    def write(self, out: str | Path) -> list[Path]:
        """Write ``runs.parquet``, ``summary.json``, ``distribution.png`` (and
        ``trajectories.parquet`` and ``trajectories.png`` when kept) into the folder
        ``out``: every file is made in memory first, then all are written together
        (`sim.outputs.OutputDir.write`), so a failure leaves the folder as it was."""
        from sim import plot
        from sim.outputs import OutputDir
        from sim.runner import parquet_bytes

        files = {
            "runs.parquet": parquet_bytes(self.table, self.metadata),
            "summary.json": json.dumps(self.summary(), indent=2, allow_nan=False) + "\n",
        }
        if self.trajectories is not None:
            import pyarrow as pa

            files["trajectories.parquet"] = parquet_bytes(
                pa.Table.from_pandas(self.trajectories, preserve_index=False)
            )
        fig = self.plot()
        try:
            files["distribution.png"] = figure_bytes(fig)
        finally:
            plot.close(fig)
        if self.trajectories is not None and not self.trajectories.empty:
            fig = plot.ensemble_trajectories(self)
            try:
                files["trajectories.png"] = figure_bytes(fig)
            finally:
                plot.close(fig)
        with OutputDir(out) as od:
            return od.write(files)
