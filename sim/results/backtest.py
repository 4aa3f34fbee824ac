"""A backtest: every model's forecasts against the recorded outcomes, and their scores."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.results.base import Figure


def _num(v, spec: str = ".2f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


@dataclass(frozen=True)
class BacktestResult:
    """Forecasts and scores of a backtest (see `sim.backtesting`).

    Attributes
    ----------
    forecasts : pandas.DataFrame
        ``case, issue, model, forecast, outcome, error``: one row per issue and forecast
        (forecast and outcome on the issue's scale, ``error`` the absolute error in points
        of a 0-100 scale; NaN where there is no outcome or no forecast).
    scores : pandas.DataFrame
        ``model, n, mae, mae_low, mae_high, rmse, median_abs_error, hit_rate,
        better_than_compromise``, best model first.
    summary_data : dict
        What ``summary.json`` holds.
    folds : pandas.DataFrame or None
        ``fold, model, chosen, train_mae, test_mae, n_test`` of a cross-validated backtest.
    war : pandas.DataFrame
        ``case, model, p_war, war, brier, runs``: each probability of war against what
        followed.
    source : str
        The dataset's path.
    """

    forecasts: pd.DataFrame
    scores: pd.DataFrame
    summary_data: dict
    folds: pd.DataFrame | None
    war: pd.DataFrame
    source: str

    def summary(self) -> dict:
        """What ``summary.json`` holds: the dataset and its SHA-256, the models, what was
        scored and skipped, the scores, the paired differences from the compromise
        baseline, cross-validated scores and Brier scores."""
        return self.summary_data

    def lines(self) -> list[str]:
        """The scores as the terminal shows them, best model first."""
        s = self.summary_data
        lines = [
            f"{s['dataset']}: {s['issues_scored']} of {s['issues']} issues scored "
            f"({s['cases']} cases), capability {s['capability']}, seed {s['seed']}"
        ]
        w = min(max([len(m) for m in self.scores["model"]] + [10]), 60)
        header = (
            f"{'model':<{w}} {'n':>4} {'MAE':>6} {'95% interval':>15} {'RMSE':>6} "
            f"{'median':>6} {'hit':>5} {'better':>6}"
        )
        lines += [header, "-" * len(header)]
        for r in self.scores.itertuples(index=False):
            interval = f"[{_num(r.mae_low, '.1f')}, {_num(r.mae_high, '.1f')}]"
            lines.append(
                f"{r.model[:w]:<{w}} {r.n:>4} {_num(r.mae):>6} {interval:>15} "
                f"{_num(r.rmse):>6} {_num(r.median_abs_error):>6} "
                f"{_num(r.hit_rate, '.0%'):>5} {_num(r.better_than_compromise, '.0%'):>6}"
            )
        lines.append(
            "hit: within 10 points of 0-100; better: share of issues with a smaller error "
            "than the compromise baseline"
        )
        paired = s["paired_difference_from_compromise"]
        counts = dict(zip(self.scores["model"], self.scores["n"], strict=True))
        full = counts.get("compromise", 0)
        for name, d in paired.items():
            if name != "compromise" and 0 < d["n"] < full:
                mine = self.scores.set_index("model").loc[name, "mae"]
                lines.append(
                    f"{name} forecasts {d['n']} of {full} issues; on those the compromise "
                    f"baseline's MAE is {mine - d['mae_difference']:.2f} (paired difference "
                    f"{d['mae_difference']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}])"
                )
        worse = [n for n, d in paired.items() if n != "compromise" and d["low"] > 0]
        if worse:
            lines.append(
                "worse than the compromise baseline (paired 95% interval above 0): "
                + ", ".join(worse[:8])
                + (f" and {len(worse) - 8} more" if len(worse) > 8 else "")
            )
        for name, cv in s["cross_validation"].items():
            lines.append(
                f"{cv['folds']}-fold cross-validated {name} (fitted: {', '.join(cv['grid'])}): "
                f"MAE {cv['mae']:.2f} [{cv['mae_low']:.2f}, {cv['mae_high']:.2f}]"
            )
        for name, b in s["war"]["brier"].items():
            lines.append(f"P(war) of {name}: Brier score {b['brier']:.3f} on {b['cases']} cases")
        if s["issues_skipped"]:
            lines.append(f"{s['issues_skipped']} issues not scored (see summary.json: skipped)")
        if s["files_skipped"]:
            names = ", ".join(Path(d["source"]).name for d in s["files_skipped"][:6])
            lines.append(f"files without a recorded outcome, not scored: {names}")
        return lines

    def __repr__(self) -> str:
        s = self.summary_data
        return (
            f"BacktestResult({s['dataset']!r}, models={len(s['models'])}, "
            f"issues_scored={s['issues_scored']})"
        )

    def _repr_html_(self) -> str:
        s = self.summary_data
        return (
            f"<p><b>{html.escape(str(s['dataset']))}</b>: {s['issues_scored']} of "
            f"{s['issues']} issues scored, seed {s['seed']}</p>"
            + self.scores.to_html(index=False, float_format=lambda v: f"{v:.3f}")
        )

    def outputs(self) -> list:
        """``forecasts.csv``, ``scores.csv``, ``summary.json``, ``errors.png``,
        ``calibration.png``, and ``folds.csv`` / ``war.csv`` when there are any."""
        out = [
            ("forecasts.csv", self.forecasts),
            ("scores.csv", self.scores),
            ("summary.json", self.summary_data),
            ("errors.png", Figure("backtest_errors")),
            ("calibration.png", Figure("backtest_calibration")),
        ]
        if self.folds is not None:
            out.append(("folds.csv", self.folds))
        if not self.war.empty:
            out.append(("war.csv", self.war))
        return out
