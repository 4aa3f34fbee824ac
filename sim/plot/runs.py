"""Figures of one expected-utility run: positions by round, the quadrant chart."""

from __future__ import annotations

import numpy as np

from sim.plot._base import (
    MAX_LABELLED,
    MAX_PANEL_TEXT,
    _choices,
    _issue_panels,
    _kept,
    _label,
    _note,
    _showing,
    plt,
)

_MAX_POINT_NAMES = 24  # points of a quadrant panel named at most


def _issue_index(result, issue):
    ids = list(result.scenario.issue_ids)
    if issue is None:
        return 0
    if issue not in ids:
        raise ValueError(f"unknown issue {_label(issue)!r}; expected one of: {_choices(ids)}")
    return ids.index(issue)


def _positions_panel(ax, result, k, fc, show_legend, kept):
    sc = result.scenario
    pos = result.trajectory.positions
    rounds = np.arange(pos.shape[0])
    cmap = plt.get_cmap("tab20")
    ids = sc.actor_ids
    for j, i in enumerate(kept):
        ax.plot(rounds, pos[:, k, i], marker="o", ms=3, lw=1.4, color=cmap(j % 20),
                label=_label(ids[i]))  # fmt: skip
    rest = np.setdiff1d(np.arange(len(ids)), kept)
    if rest.size:
        ax.fill_between(rounds, pos[:, k, rest].min(axis=1), pos[:, k, rest].max(axis=1),
                        color="0.6", alpha=0.35, lw=0, gid="other_actors",
                        label=f"the other {rest.size} actors (range)")  # fmt: skip
    issue = sc.issues[k]
    row = fc.iloc[k]
    ax.axhline(row["compromise"], color="black", ls="--", lw=1.2, label="forecast: compromise")
    ax.axhline(row["median"], color="black", ls=":", lw=1.5, label="forecast: median")
    lo, hi = issue.scale
    pad = 0.04 * (hi - lo)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlim(0, max(1, pos.shape[0] - 1))
    ax.set_title(_label(issue.name or issue.id, MAX_PANEL_TEXT), fontsize=10)
    ax.set_xlabel("round")
    if issue.low or issue.high:
        ax.set_ylabel(
            f"{lo:g}: {_label(issue.low, 34)}\n{hi:g}: {_label(issue.high, 34)}", fontsize=7
        )
    else:
        ax.set_ylabel("position")
    ax.grid(alpha=0.3)
    if show_legend:
        ax.legend(fontsize=7, ncol=2, loc="best")


def _by_capability(sc) -> list[int]:
    """The actors drawn by name: all of a small scenario, else the most capable."""
    n = len(sc.actor_ids)
    return _kept(n, sc.arrays().capability if n > MAX_LABELLED else None)


def positions(result, issue: str | None = None, ax=None):
    """Positions by round for each issue, with the final compromise and median marked.

    With ``ax`` (or ``issue``), one issue is drawn; otherwise a grid of all issues (at
    most 24). Beyond 40 actors the most capable 40 are drawn by name and the others as
    a grey band.
    """
    fc = result.forecast()
    sc = result.scenario
    kept = _by_capability(sc)
    n = len(sc.actor_ids)
    if ax is not None or issue is not None:
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4.5))
        k = _issue_index(result, issue)
        _positions_panel(ax, result, k, fc, show_legend=True, kept=kept)
        if len(kept) < n:
            _note(ax, _showing(len(kept), n, "actors by name"))
        return ax.figure
    fig, axes, chosen = _issue_panels(sc, None, None, size=(4.6, 3.6), legend_space=1.8,
                                      hide=True)  # fmt: skip
    ids = list(sc.issue_ids)
    for a, iid in zip(axes, chosen, strict=True):
        _positions_panel(a, result, ids.index(iid), fc, show_legend=False, kept=kept)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False
    )
    if len(kept) < n:
        _note(fig, _showing(len(kept), n, "actors by name"))
    stop = f"stopped: {result.stopped}" + (
        f" (cycle of {result.cycle_length})" if result.stopped == "cycle" else ""
    )
    fig.suptitle(f"{_label(sc.name)}: {result.model}, {result.rounds} rounds, {stop}", fontsize=11)
    fig.tight_layout()
    return fig


def quadrant(result, focus: str, issue: str | None = None, ax=None, round: int = 0):
    """The expected-utility quadrant chart from ``focus``'s view at the start of ``round``.

    Each other actor j is a point at (EU of focus challenging j, EU of j challenging
    focus). Top right: both expect to gain (conflict); bottom left: neither (status
    quo); the other two: one side gives way, by compromise above the diagonal
    ``y = -x`` and by capitulation beyond it. Beyond 24 other actors only the most
    capable 24 points are named.
    """
    sc = result.scenario
    eu = result.trajectory.expected_utility
    if eu is None:
        raise ValueError(
            f"the quadrant chart needs the expected utilities a run of the eum model records; "
            f"model {result.model} has none"
        )
    ids = list(sc.actor_ids)
    if focus not in ids:
        raise ValueError(f"unknown actor {_label(focus)!r}; expected one of: {_choices(ids)}")
    f = ids.index(focus)
    arrays = sc.arrays()
    if issue is not None or ax is not None:
        k0 = _issue_index(result, issue)
        fig, axes, chosen = _issue_panels(sc, sc.issue_ids[k0], ax, size=(4.4, 4.2))
    else:
        fig, axes, chosen = _issue_panels(sc, None, None, size=(4.4, 4.2), hide=True)
    others = [j for j in range(len(ids)) if j != f]
    named = set(_kept(len(others), arrays.capability[others], limit=_MAX_POINT_NAMES))
    who = _label(focus, 20)
    at = min(round, result.rounds)
    for a, iid in zip(axes, chosen, strict=True):
        k = sc.issue_ids.index(iid)
        EU = eu[at, k]
        xs = np.array([EU[f, j] for j in others])
        ys = np.array([EU[j, f] for j in others])
        lim = max(0.1, float(np.max(np.abs(np.concatenate([xs, ys])))) * 1.15)
        a.axhline(0, color="grey", lw=0.8)
        a.axvline(0, color="grey", lw=0.8)
        a.plot([-lim, lim], [lim, -lim], color="grey", lw=0.6, ls=":")
        a.scatter(xs, ys, s=18, color="tab:blue", zorder=3)
        for m, (x, y, j) in enumerate(zip(xs, ys, others, strict=True)):
            if m in named:
                a.annotate(_label(ids[j], 16), (x, y), fontsize=7, xytext=(3, 3),
                           textcoords="offset points")  # fmt: skip
        a.set_xlim(-lim, lim)
        a.set_ylim(-lim, lim)
        a.set_aspect("equal")
        for tx, ty, label in (
            (0.97, 0.97, "conflict"),
            (0.03, 0.03, "status quo"),
            (0.03, 0.97, f"{who} gives way"),
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
        a.set_title(_label(sc.issue(iid).name or iid, MAX_PANEL_TEXT), fontsize=10)
        a.set_xlabel(f"EU of {who} challenging the other", fontsize=8)
        a.set_ylabel(f"EU of the other challenging {who}", fontsize=8)
    if len(named) < len(others):
        _note(fig if ax is None else ax, _showing(len(named), len(others), "actors by name"))
    if ax is None:
        fig.suptitle(
            f"{_label(sc.name)}: expected utilities from {who}'s view, round {round}", fontsize=11
        )
        fig.tight_layout()
    return fig
