"""Figures of one expected-utility run: positions by round, the quadrant chart."""

from __future__ import annotations

import math

import numpy as np

from sim.plot._base import _short, plt


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
