"""Figures of a backtest: the distribution of absolute errors per model, and forecast
against outcome per model."""

from __future__ import annotations

import math

import numpy as np

from sim.plot._base import MAX_PANELS, _label, _note, _showing, plt


def _scored(result) -> tuple[list[str], dict]:
    """The models with scored issues, best first, and each one's rows with an outcome."""
    names = [m for m, n in zip(result.scores["model"], result.scores["n"], strict=True) if n > 0]
    f = result.forecasts
    f = f[~f["error"].isna()]
    return names, {m: f[f["model"] == m] for m in names}


def backtest_errors(result, ax=None):
    """Absolute errors per model (points of a 0-100 scale), best model first: per model
    the 5-95% range (line), the 25-75% range (bar) and the median (tick), with the MAE and
    its 95% bootstrap interval in red."""
    names, rows = _scored(result)
    shown = names[: 3 * MAX_PANELS]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.36 * max(len(shown), 1)))
    else:
        fig = ax.figure
    if not shown:
        ax.text(0.5, 0.5, "no forecast could be scored", ha="center", va="center")
        ax.set_axis_off()
        return fig
    scores = result.scores.set_index("model")
    data = []
    for m in shown:
        data.append(rows[m]["error"].to_numpy(dtype=float))
    y = np.arange(len(shown))[::-1]
    for yy, e in zip(y, data, strict=True):
        # a box without matplotlib's boxplot (whose arguments change between versions)
        p5, p25, p50, p75, p95 = np.percentile(e, [5, 25, 50, 75, 95])
        ax.plot([p5, p95], [yy, yy], color="tab:blue", lw=1)
        ax.plot([p25, p75], [yy, yy], color="tab:blue", lw=7, alpha=0.45, solid_capstyle="butt")
        ax.plot([p50, p50], [yy - 0.3, yy + 0.3], color="tab:blue", lw=1.5)
    ax.scatter([scores.loc[m, "mae"] for m in shown], y, marker="D", color="tab:red", s=18,
               zorder=3, label="mean (MAE)")  # fmt: skip
    for yy, m in zip(y, shown, strict=True):
        lo, hi = scores.loc[m, "mae_low"], scores.loc[m, "mae_high"]
        ax.plot([lo, hi], [yy, yy], color="tab:red", lw=2.5, alpha=0.6)
    ax.set_yticks(y, [_label(m) for m in shown], fontsize=8)
    ax.set_xlabel("absolute error (points of a 0-100 scale)")
    ax.axvline(10, color="0.5", ls=":", lw=1)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    s = result.summary_data
    ax.set_title(
        f"{_label(str(s['dataset']))}: {s['issues_scored']} issues; red: MAE and its 95% "
        "bootstrap interval",
        fontsize=9,
    )
    if len(shown) < len(names):
        _note(ax, _showing(len(shown), len(names), "models"))
    fig.tight_layout()
    return fig


def backtest_calibration(result, ax=None):
    """Forecast against recorded outcome, one panel per model (best first), with the
    diagonal of a perfect forecast."""
    names, rows = _scored(result)
    shown = names[:MAX_PANELS]
    if ax is not None:
        axes = [ax]
        shown = shown[:1]
        fig = ax.figure
    else:
        k = max(len(shown), 1)
        cols = min(4, k)
        nrows = math.ceil(k / cols)
        fig, grid = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.1 * nrows), squeeze=False)
        axes = list(grid.ravel())
        for a in axes[k:]:
            a.set_axis_off()
    if not shown:
        axes[0].text(0.5, 0.5, "no forecast could be scored", ha="center", va="center")
        axes[0].set_axis_off()
        return fig
    scores = result.scores.set_index("model")
    for a, m in zip(axes, shown, strict=False):
        r = rows[m]
        a.scatter(r["outcome"], r["forecast"], s=8, alpha=0.5, color="tab:blue")
        lo = float(min(r["outcome"].min(), r["forecast"].min(), 0.0))
        hi = float(max(r["outcome"].max(), r["forecast"].max(), 100.0))
        a.plot([lo, hi], [lo, hi], color="0.4", lw=1, ls="--")
        a.set_xlim(lo, hi)
        a.set_ylim(lo, hi)
        a.set_aspect("equal")
        a.set_title(f"{_label(m, 40)}: MAE {scores.loc[m, 'mae']:.1f}", fontsize=9)
        a.set_xlabel("outcome", fontsize=8)
        a.set_ylabel("forecast", fontsize=8)
        a.grid(alpha=0.3)
    if ax is None:
        if len(shown) < len(names):
            _note(fig, _showing(len(shown), len(names), "models"))
        fig.tight_layout()
    return fig
