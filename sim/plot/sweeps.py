"""Figures of a sweep: forecasts against one parameter or over two, and P(war) for a
crisis sweep."""

from __future__ import annotations

import math

import numpy as np

from sim.plot._base import MAX_PANEL_TEXT, _issue_panels, _label, plt


def _sweep_panels(result, issue, ax, n_params: int, what: str):
    """The issues to draw and one axes per issue (a grid of panels unless ``ax`` is given)."""
    if len(result.params) != n_params:
        raise ValueError(
            f"{what} needs a sweep over {n_params} parameter(s); this one has {len(result.params)}"
        )
    return _issue_panels(result.scenario, issue, ax, size=(4.8, 3.6))


def _kind(result) -> str:
    """The forecast a sweep's figures draw: the model's ``sweep_kind`` (the exchange
    model's outcome), else the compromise."""
    return getattr(getattr(result, "spec", None), "sweep_kind", "compromise")


def _sweep_title(fig, result, ax) -> None:
    if ax is None:
        fig.suptitle(
            f"{_label(result.scenario.name)}: {result.model}, {result.runs} runs per point, "
            f"root seed {result.root_seed} at every point",
            fontsize=11,
        )
        fig.tight_layout()


def sweep_lines(result, issue: str | None = None, ax=None):
    """A one-parameter sweep: per issue, the mean compromise forecast against the
    parameter with its 5-95% and 25-75% bands, and the mean weighted median dotted."""
    fig, axes, chosen = _sweep_panels(result, issue, ax, 1, "sweep_lines")
    path = result.params[0].path
    kind = _kind(result)
    for a, iid in zip(axes, chosen, strict=True):
        rows = result.table[result.table["issue"] == iid].sort_values(path)
        x = rows[path].to_numpy(dtype=float)
        a.fill_between(
            x, rows[f"{kind}_p5"], rows[f"{kind}_p95"], color="tab:blue", alpha=0.15,
            lw=0, label=f"{kind} 5-95%",
        )  # fmt: skip
        a.fill_between(
            x, rows[f"{kind}_p25"], rows[f"{kind}_p75"], color="tab:blue", alpha=0.3,
            lw=0, label=f"{kind} 25-75%",
        )  # fmt: skip
        mean = rows[f"{kind}_mean"]
        a.plot(x, mean, color="tab:blue", marker="o", ms=3, label=f"{kind} (mean)")
        if "median_mean" in rows.columns:
            a.plot(x, rows["median_mean"], color="tab:orange", ls=":", lw=1.6,
                   label="median (mean)")  # fmt: skip
        iss = result.scenario.issue(iid)
        lo, hi = iss.scale
        pad = 0.04 * (hi - lo)
        a.set_ylim(lo - pad, hi + pad)
        a.set_title(_label(iss.name or iid, MAX_PANEL_TEXT), fontsize=10)
        a.set_xlabel(_label(path), fontsize=8)
        a.set_ylabel("forecast")
        a.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    _sweep_title(fig, result, ax)
    return fig


def _ticks(a, axis: str, values) -> None:
    step = max(1, math.ceil(len(values) / 8))
    idx = list(range(0, len(values), step))
    labels = [f"{values[i]:g}" for i in idx]
    if axis == "x":
        a.set_xticks(idx, labels, fontsize=7, rotation=45 if len(idx) > 4 else 0)
    else:
        a.set_yticks(idx, labels, fontsize=7)


def sweep_heatmap(result, issue: str | None = None, ax=None, stat: str | None = None):
    """A two-parameter sweep: per issue, a heatmap of ``stat`` (the mean of the model's
    main forecast by default: the compromise, the exchange model's outcome), the first
    parameter up the side, the second along the bottom."""
    if stat is None:
        stat = f"{_kind(result)}_mean"
    fig, axes, chosen = _sweep_panels(result, issue, ax, 2, "sweep_heatmap")
    if stat not in result.table.columns:
        raise ValueError(f"unknown statistic {stat!r}; expected a column of the sweep table")
    p1, p2 = result.params
    for a, iid in zip(axes, chosen, strict=True):
        rows = result.table[result.table["issue"] == iid]
        grid = rows.pivot(index=p1.path, columns=p2.path, values=stat)
        grid = grid.reindex(index=list(p1.values), columns=list(p2.values)).to_numpy(dtype=float)
        im = a.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        fig.colorbar(im, ax=a, fraction=0.05, pad=0.03).ax.tick_params(labelsize=7)
        if grid.size <= 144:
            mid = np.nanmean(grid)
            for (r, c), v in np.ndenumerate(grid):
                a.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=6,
                       color="black" if v > mid else "white")  # fmt: skip
        _ticks(a, "x", p2.values)
        _ticks(a, "y", p1.values)
        a.set_xlabel(_label(p2.path), fontsize=8)
        a.set_ylabel(_label(p1.path), fontsize=8)
        iss = result.scenario.issue(iid)
        a.set_title(
            f"{_label(iss.name or iid, MAX_PANEL_TEXT)}: {_label(stat.replace('_', ' '), 30)}",
            fontsize=9,
        )
    _sweep_title(fig, result, ax)
    return fig


def _war_sweep(result, ax, n_params: int, what: str, size):
    """(figure, axes) for a crisis sweep over ``n_params`` parameters."""
    if "p_war" not in result.table.columns:
        raise ValueError(f"{what} needs a sweep of P(war); this one runs {result.model}")
    if len(result.params) != n_params:
        raise ValueError(
            f"{what} needs a sweep over {n_params} parameter(s); this one has {len(result.params)}"
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    return ax.figure, ax


def _war_title(fig, result, ax) -> None:
    if ax is None:
        fig.suptitle(
            f"{_label(result.scenario.name)}: crisis, {result.runs} runs per point, "
            f"root seed {result.root_seed} at every point",
            fontsize=10,
        )
        fig.tight_layout()


def sweep_war_lines(result, ax=None):
    """A one-parameter crisis sweep: P(war) against the parameter with its Wilson 95%
    interval as a band, and the defender's believed P(war) (mean over runs) dashed."""
    fig, a = _war_sweep(result, ax, 1, "sweep_war_lines", (6.4, 4.0))
    path = result.params[0].path
    rows = result.table.sort_values(path)
    x = rows[path].to_numpy(dtype=float)
    a.fill_between(
        x, rows["p_war_lo"], rows["p_war_hi"], color="#c0392b", alpha=0.2, lw=0,
        label="95% interval (Wilson)",
    )  # fmt: skip
    a.plot(x, rows["p_war"], color="#c0392b", marker="o", ms=3, label="P(war): share of runs")
    a.plot(
        x, rows["p_war_believed"], color="0.3", ls="--", lw=1.4,
        label="P(war) the defender believes (mean)",
    )  # fmt: skip
    a.set_ylim(-0.03, 1.03)
    a.set_xlabel(_label(path), fontsize=9)
    a.set_ylabel("probability of war")
    a.grid(alpha=0.3)
    a.legend(fontsize=7, frameon=False)
    _war_title(fig, result, ax)
    return fig


def sweep_war_heatmap(result, ax=None, stat: str = "p_war"):
    """A two-parameter crisis sweep: a heatmap of P(war) (or another column, ``stat``)
    with the values written in the cells, the first parameter up the side."""
    fig, a = _war_sweep(result, ax, 2, "sweep_war_heatmap", (6.8, 4.8))
    if stat not in result.table.columns:
        raise ValueError(f"unknown statistic {stat!r}; expected a column of the sweep table")
    p1, p2 = result.params
    grid = result.table.pivot(index=p1.path, columns=p2.path, values=stat)
    grid = grid.reindex(index=list(p1.values), columns=list(p2.values)).to_numpy(dtype=float)
    unit = stat.startswith("p_war") or stat in ("p_mean", "share_with_offer")
    lo, hi = (0.0, 1.0) if unit else (np.nanmin(grid), np.nanmax(grid))
    im = a.imshow(grid, origin="lower", aspect="auto", cmap="viridis", vmin=lo, vmax=hi)
    label = "P(war)" if stat == "p_war" else _label(stat.replace("_", " "))
    bar = fig.colorbar(im, ax=a, fraction=0.05, pad=0.03)
    bar.ax.tick_params(labelsize=7)
    bar.set_label(label, fontsize=8)
    size = 7 if grid.size <= 64 else 6 if grid.size <= 144 else 5 if grid.size <= 400 else 0
    if size:
        mid = 0.5 * (lo + hi)
        for (r, c), v in np.ndenumerate(grid):
            a.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=size,
                   color="black" if v > mid else "white")  # fmt: skip
    _ticks(a, "x", p2.values)
    _ticks(a, "y", p1.values)
    a.set_xlabel(_label(p2.path), fontsize=8)
    a.set_ylabel(_label(p1.path), fontsize=8)
    a.set_title(label, fontsize=9)
    _war_title(fig, result, ax)
    return fig
