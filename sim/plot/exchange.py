"""Figures of the exchange model (``--model exchange``): a round's exchanges as a network
between the actors, the externalities by actor, and an ensemble's final expected outcomes.
:data:`FIGURES` names them for `sim.plot.FIGURES`; the positions by round are the runs'
`sim.plot.runs.positions`."""

from __future__ import annotations

import numpy as np

from sim.plot._base import MAX_LABELLED, _kept, _label, _note, _showing, plt, returned

MAX_EDGES = 60
"""The most exchanges drawn (by gain) in the network; the others are counted in a note."""


def _exchange(result, what: str):
    t = result.trajectory
    if getattr(t, "ex_int", None) is None:
        raise ValueError(
            f"the {what} figure needs a run of the exchange model; model {result.model}"
        )
    return t


def network(result, ax=None):
    """The exchanges of the last round that had any, as a network between the actors
    (actors on a circle, one edge per exchange, labelled with the two issues traded, wider
    for a larger gain); at most 60 exchanges, those of largest gain."""
    t = _exchange(result, "exchanges")
    sc = result.scenario
    ids = sc.actor_ids
    issues = sc.issue_ids
    n = len(ids)
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.0, 8.0))
    fig = ax.figure
    rounds = t.ex_int[:, 0]
    shown = int(rounds.max()) if rounds.size else 0
    rows = np.flatnonzero(rounds == shown) if shown else np.zeros(0, dtype=np.int64)
    if rows.size > MAX_EDGES:
        order = np.argsort(-t.ex_float[rows, 2], kind="stable")[:MAX_EDGES]
        _note(ax, _showing(MAX_EDGES, rows.size, "exchanges (largest gains)"))
        rows = rows[np.sort(order)]
    angle = 2 * np.pi * np.arange(n) / max(n, 1)
    xy = np.column_stack([np.cos(angle), np.sin(angle)])
    gains = t.ex_float[rows, 2] if rows.size else np.zeros(0)
    top = float(gains.max()) if gains.size and gains.max() > 0 else 1.0
    for k, r in enumerate(rows):
        a, b = t.ex_int[r, 1], t.ex_int[r, 2]
        p, q = t.ex_int[r, 3], t.ex_int[r, 4]
        ax.plot(xy[[a, b], 0], xy[[a, b], 1], color="tab:blue", alpha=0.6,
                lw=0.8 + 3.0 * gains[k] / top)  # fmt: skip
        mid = (xy[a] + xy[b]) / 2
        if rows.size <= 25:
            ax.text(mid[0], mid[1], f"{_label(issues[q], 14)} / {_label(issues[p], 14)}",
                    fontsize=6, ha="center", va="center", color="0.25")  # fmt: skip
    kept = _kept(n, sc.arrays().capability if n > MAX_LABELLED else None)
    ax.scatter(xy[:, 0], xy[:, 1], s=40, color="tab:orange", zorder=3)
    for i in kept:
        ax.text(1.1 * xy[i, 0], 1.1 * xy[i, 1], _label(ids[i], 24), fontsize=8,
                ha="center", va="center")  # fmt: skip
    if len(kept) < n:
        _note(ax, _showing(len(kept), n, "actors by name"))
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    what = f"round {shown}, {rows.size} exchanges" if shown else "no exchanges"
    ax.set_title(f"{_label(sc.name)}: exchange, {what}", fontsize=10)
    fig.tight_layout()
    return fig


def externalities(result, ax=None):
    """Each actor's externalities summed over the issue pairs, by round (the pair's own
    exchanges count their gain, as decide reports)."""
    t = _exchange(result, "externalities")
    sc = result.scenario
    ids = sc.actor_ids
    e = t.externalities.sum(axis=2) if t.externalities.size else np.zeros((0, len(ids)))
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 5.0))
    fig = ax.figure
    kept = _kept(len(ids), sc.arrays().capability if len(ids) > MAX_LABELLED else None)
    cmap = plt.get_cmap("tab20")
    rounds = np.arange(1, e.shape[0] + 1)
    for j, i in enumerate(kept):
        ax.plot(rounds, e[:, i], marker="o", ms=3, lw=1.2, color=cmap(j % 20),
                label=_label(ids[i], 30))  # fmt: skip
    if len(kept) < len(ids):
        _note(ax, _showing(len(kept), len(ids), "actors"))
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("round")
    ax.set_ylabel("externalities (sum over issue pairs)")
    ax.grid(alpha=0.3)
    if kept:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(f"{_label(sc.name)}: exchange, externalities by actor", fontsize=10)
    fig.tight_layout()
    return fig


def distribution(result, ax=None):
    """An ensemble's final expected outcome per issue: a histogram per issue (at most 12
    issues) with the unperturbed run's outcome."""
    sc = result.scenario
    ids = list(sc.issue_ids)[:12]
    if ax is None:
        cols = min(3, len(ids))
        rows = -(-len(ids) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.0 * cols, 3.0 * rows), squeeze=False)
        axes = axes.reshape(-1)
    else:
        fig = ax.figure
        axes = np.array([ax] * len(ids))
    for k, iid in enumerate(ids):
        a = axes[k]
        a.hist(result.runs[f"{iid}.outcome"], bins=20, alpha=0.7, color="tab:blue")
        a.axvline(result.baseline[iid]["outcome"], color="k", lw=1.2)
        a.set_title(_label(iid, 40), fontsize=9)
    for a in axes[len(ids) :]:
        a.axis("off")
    if len(sc.issue_ids) > len(ids):
        _note(fig, _showing(len(ids), len(sc.issue_ids), "issues"))
    fig.suptitle(f"{_label(sc.name)}: exchange, final expected outcome", fontsize=10)
    fig.tight_layout()
    return fig


FIGURES = {
    "exchange_network": returned(network),
    "exchange_externalities": returned(externalities),
    "exchange_distribution": returned(distribution),
}
"""The figures of the exchange model, by the name its ``outputs()`` gives."""
