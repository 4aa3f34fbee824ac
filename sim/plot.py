"""Figures. Every matplotlib import of the package lives here.

Functions take a result and an optional ``ax`` and return the figure; they never
call ``show()``.
"""

from __future__ import annotations

import math

import matplotlib

if matplotlib.get_backend().lower() not in ("agg",) and not matplotlib.is_interactive():
    # files from the command line need no screen; notebooks set their own backend first
    import os

    if not os.environ.get("DISPLAY") and "ipykernel" not in os.environ.get("MPLBACKEND", ""):
        matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def close(fig) -> None:
    plt.close(fig)


def _issue_index(result, issue):
    ids = list(result.scenario.issue_ids)
    if issue is None:
        return 0
    if issue not in ids:
        raise ValueError(f"unknown issue {issue!r}; expected one of: {', '.join(ids)}")
    return ids.index(issue)


def _positions_panel(ax, result, k, fc, show_legend):
    sc = result.scenario
    pos = result.trajectory.positions
    rounds = np.arange(pos.shape[0])
    cmap = plt.get_cmap("tab20")
    for i, aid in enumerate(sc.actor_ids):
        ax.plot(rounds, pos[:, k, i], marker="o", ms=3, lw=1.4, color=cmap(i % 20), label=aid)
    issue = sc.issues[k]
    row = fc.iloc[k]
    ax.axhline(row["compromise"], color="black", ls="--", lw=1.2, label="forecast: compromise")
    ax.axhline(row["median"], color="black", ls=":", lw=1.5, label="forecast: median")
    lo, hi = issue.scale
    pad = 0.04 * (hi - lo)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0, max(1, pos.shape[0] - 1))
    ax.set_title(issue.name or issue.id, fontsize=10)
    ax.set_xlabel("round")
    if issue.low or issue.high:
        ax.set_ylabel(f"{lo:g}: {_short(issue.low)}\n{hi:g}: {_short(issue.high)}", fontsize=7)
    else:
        ax.set_ylabel("position")
    ax.grid(alpha=0.3)
    if show_legend:
        ax.legend(fontsize=7, ncol=2, loc="best")


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def positions(result, issue: str | None = None, ax=None):
    """Positions by round for each issue, with the final compromise and median marked.

    With ``ax`` (or ``issue``), one issue is drawn; otherwise a grid of all issues.
    """
    fc = result.forecast()
    if ax is not None or issue is not None:
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4.5))
        k = _issue_index(result, issue)
        _positions_panel(ax, result, k, fc, show_legend=True)
        return ax.figure
    m = len(result.scenario.issues)
    cols = min(3, m)
    rows = math.ceil(m / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols + 1.8, 3.6 * rows), squeeze=False)
    for k in range(rows * cols):
        a = axes[k // cols][k % cols]
        if k < m:
            _positions_panel(a, result, k, fc, show_legend=False)
        else:
            a.set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False
    )
    stop = f"stopped: {result.stopped}" + (
        f" (cycle of {result.cycle_length})" if result.stopped == "cycle" else ""
    )
    fig.suptitle(
        f"{result.scenario.name}: {result.model}, {result.rounds} rounds, {stop}", fontsize=11
    )
    fig.tight_layout()
    return fig


def quadrant(result, focus: str, issue: str | None = None, ax=None, round: int = 0):
    """The expected-utility quadrant chart from ``focus``'s view at the start of ``round``.

    Each other actor j is a point at (EU of focus challenging j, EU of j challenging
    focus). Top right: both expect to gain (conflict); bottom left: neither (status
    quo); the other two: one side gives way, by compromise above the diagonal
    ``y = -x`` and by capitulation beyond it.
    """
    from sim.models.eum import expected_utility_matrix

    sc = result.scenario
    ids = list(sc.actor_ids)
    if focus not in ids:
        raise ValueError(f"unknown actor {focus!r}; expected one of: {', '.join(ids)}")
    f = ids.index(focus)
    arrays = sc.arrays()
    issues = (
        [_issue_index(result, issue)]
        if (issue is not None or ax is not None)
        else range(len(sc.issues))
    )
    issues = list(issues)
    if ax is not None:
        fig, axes = ax.figure, [ax]
    else:
        cols = min(3, len(issues))
        rows = math.ceil(len(issues) / cols)
        fig, grid = plt.subplots(rows, cols, figsize=(4.4 * cols, 4.2 * rows), squeeze=False)
        axes = [grid[k // cols][k % cols] for k in range(rows * cols)]
        for a in axes[len(issues) :]:
            a.set_visible(False)
    pos = result.trajectory.positions[min(round, result.rounds)]
    for a, k in zip(axes, issues, strict=False):
        EU, _, _, _ = expected_utility_matrix(arrays, k, pos[k])
        xs = np.array([EU[f, j] for j in range(len(ids)) if j != f])
        ys = np.array([EU[j, f] for j in range(len(ids)) if j != f])
        lim = max(0.1, float(np.max(np.abs(np.concatenate([xs, ys])))) * 1.15)
        a.axhline(0, color="grey", lw=0.8)
        a.axvline(0, color="grey", lw=0.8)
        a.plot([-lim, lim], [lim, -lim], color="grey", lw=0.6, ls=":")
        a.scatter(xs, ys, s=18, color="tab:blue", zorder=3)
        for x, y, name in zip(xs, ys, [j for j in ids if j != focus], strict=True):
            a.annotate(name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        a.set_xlim(-lim, lim)
        a.set_ylim(-lim, lim)
        a.set_aspect("equal")
        for tx, ty, label in (
            (0.97, 0.97, "conflict"),
            (0.03, 0.03, "status quo"),
            (0.03, 0.97, f"{focus} gives way"),
            (0.97, 0.03, "other gives way"),
        ):
            a.text(
                tx,
                ty,
                label,
                transform=a.transAxes,
                fontsize=7,
                color="dimgrey",
                ha="right" if tx > 0.5 else "left",
                va="top" if ty > 0.5 else "bottom",
            )
        a.set_title(sc.issues[k].name or sc.issues[k].id, fontsize=10)
        a.set_xlabel(f"EU of {focus} challenging the other", fontsize=8)
        a.set_ylabel(f"EU of the other challenging {focus}", fontsize=8)
    if ax is None:
        fig.suptitle(
            f"{sc.name}: expected utilities from {focus}'s view, round {round}", fontsize=11
        )
        fig.tight_layout()
    return fig


def _issue_panels(sc, issue, ax, size=(4.6, 3.4), legend_space: float = 0.0):
    """(figure, axes, issue ids): one panel per issue, or the one issue (first by default) on ``ax``."""
    ids = list(sc.issue_ids)
    if issue is not None and issue not in ids:
        raise ValueError(f"unknown issue {issue!r}; expected one of: {', '.join(ids)}")
    chosen = [issue or ids[0]] if (issue is not None or ax is not None) else ids
    if ax is not None:
        return ax.figure, [ax], chosen
    cols = min(3, len(chosen))
    rows = math.ceil(len(chosen) / cols)
    width, height = size
    fig, grid = plt.subplots(
        rows, cols, figsize=(width * cols + legend_space, height * rows), squeeze=False
    )
    axes = [grid[k // cols][k % cols] for k in range(rows * cols)]
    for a in axes[len(chosen) :]:
        a.remove()
    return fig, axes[: len(chosen)], chosen


def distribution(result, issue: str | None = None, ax=None):
    """Per issue, the distribution of an ensemble's forecasts, the unperturbed forecast marked."""
    sc = result.scenario
    runs = result.runs
    fig, axes, chosen = _issue_panels(sc, issue, ax)
    for a, iid in zip(axes, chosen, strict=False):
        iss = sc.issue(iid)
        lo, hi = iss.scale
        bins = np.linspace(lo, hi, 41)
        a.hist(
            runs[f"{iid}.compromise"], bins=bins, alpha=0.6, color="tab:blue", label="compromise"
        )
        a.hist(runs[f"{iid}.median"], bins=bins, alpha=0.5, color="tab:orange", label="median")
        a.axvline(
            result.baseline[iid]["compromise"],
            color="tab:blue",
            ls="--",
            lw=1.5,
            label="unperturbed compromise",
        )
        a.axvline(
            result.baseline[iid]["median"],
            color="tab:orange",
            ls=":",
            lw=1.8,
            label="unperturbed median",
        )
        a.set_xlim(lo, hi)
        a.set_title(iss.name or iid, fontsize=10)
        a.set_xlabel("forecast")
        a.set_ylabel("runs")
    axes[0].legend(fontsize=7)
    if ax is None:
        fig.suptitle(
            f"{sc.name}: {result.n_runs} runs of {result.model}, root seed {result.root_seed}",
            fontsize=11,
        )
        fig.tight_layout()
    return fig


# ---- sweeps -------------------------------------------------------------------------------
def _sweep_panels(result, issue, ax, n_params: int, what: str):
    """The issues to draw and one axes per issue (a grid of panels unless ``ax`` is given)."""
    if len(result.params) != n_params:
        raise ValueError(
            f"{what} needs a sweep over {n_params} parameter(s); this one has {len(result.params)}"
        )
    return _issue_panels(result.scenario, issue, ax, size=(4.8, 3.6))


def _sweep_title(fig, result, ax) -> None:
    if ax is None:
        fig.suptitle(
            f"{result.scenario.name}: {result.model}, {result.runs} runs per point, "
            f"root seed {result.root_seed} at every point",
            fontsize=11,
        )
        fig.tight_layout()


def sweep_lines(result, issue: str | None = None, ax=None):
    """A one-parameter sweep: per issue, the mean compromise forecast against the
    parameter with its 5-95% and 25-75% bands, and the mean weighted median dotted."""
    fig, axes, chosen = _sweep_panels(result, issue, ax, 1, "sweep_lines")
    path = result.params[0].path
    for a, iid in zip(axes, chosen, strict=True):
        rows = result.table[result.table["issue"] == iid].sort_values(path)
        x = rows[path].to_numpy(dtype=float)
        a.fill_between(
            x, rows["compromise_p5"], rows["compromise_p95"], color="tab:blue", alpha=0.15,
            lw=0, label="compromise 5-95%",
        )  # fmt: skip
        a.fill_between(
            x, rows["compromise_p25"], rows["compromise_p75"], color="tab:blue", alpha=0.3,
            lw=0, label="compromise 25-75%",
        )  # fmt: skip
        mean = rows["compromise_mean"]
        a.plot(x, mean, color="tab:blue", marker="o", ms=3, label="compromise (mean)")
        a.plot(x, rows["median_mean"], color="tab:orange", ls=":", lw=1.6, label="median (mean)")
        iss = result.scenario.issue(iid)
        lo, hi = iss.scale
        pad = 0.04 * (hi - lo)
        a.set_ylim(lo - pad, hi + pad)
        a.set_title(iss.name or iid, fontsize=10)
        a.set_xlabel(path, fontsize=8)
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


def sweep_heatmap(result, issue: str | None = None, ax=None, stat: str = "compromise_mean"):
    """A two-parameter sweep: per issue, a heatmap of ``stat`` (the mean compromise
    forecast by default), the first parameter up the side, the second along the bottom."""
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
        a.set_xlabel(p2.path, fontsize=8)
        a.set_ylabel(p1.path, fontsize=8)
        iss = result.scenario.issue(iid)
        a.set_title(f"{iss.name or iid}: {stat.replace('_', ' ')}", fontsize=9)
    _sweep_title(fig, result, ax)
    return fig


def ensemble_trajectories(result, issue: str | None = None, ax=None):
    """Positions by round in the runs whose trajectories an ensemble kept (``trajectories=K``).

    One faint line per actor per kept run; per issue a panel, or one issue on ``ax``.
    """
    traj = result.trajectories
    if traj is None or traj.empty:
        raise ValueError("this ensemble kept no trajectories; run it with trajectories=K")
    sc = result.scenario
    fig, axes, chosen = _issue_panels(sc, issue, ax, legend_space=1.8)
    cmap = plt.get_cmap("tab20")
    colour = {aid: cmap(i % 20) for i, aid in enumerate(sc.actor_ids)}
    runs = sorted(traj["run"].unique())
    alpha = max(0.08, min(0.8, 3.0 / len(runs)))
    for a, iid in zip(axes, chosen, strict=False):
        part = traj[traj["issue"] == iid]
        groups = dict(iter(part.groupby(["run", "actor"], sort=False)))
        for run in runs:
            for aid in sc.actor_ids:
                rows_ = groups[(run, aid)]
                a.plot(rows_["round"], rows_["position"], color=colour[aid], lw=0.9, alpha=alpha,
                       label=aid if run == runs[0] else None)  # fmt: skip
        lo, hi = sc.issue(iid).scale
        a.set_ylim(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))
        a.set_title(sc.issue(iid).name or iid, fontsize=10)
        a.set_xlabel("round")
        a.set_ylabel("position")
        a.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False
    )
    if ax is None:
        fig.suptitle(f"{sc.name}: trajectories of {len(runs)} perturbed runs", fontsize=11)
        fig.tight_layout()
    return fig
