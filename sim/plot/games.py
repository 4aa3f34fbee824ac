"""Figures of repeated games (the results of :mod:`sim.results.games`): a tournament's
ranking and payoff matrix, a population's evolution and the scenario's dyads played turn
by turn. :data:`FIGURES` names them for `sim.plot.FIGURES`."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from sim.plot._base import (
    MAX_LABELLED,
    MAX_PANELS,
    _kept,
    _label,
    _note,
    _showing,
    plt,
    returned,
)

#: Strategies a payoff heatmap shows at most (the best by mean score).
MAX_MATRIX = 30


def _ranked(result) -> np.ndarray:
    """Strategy indices by mean score per repetition, best first, ties by name."""
    mean = result.repetition_scores().mean(axis=0)
    return np.array(sorted(range(len(result.names)), key=lambda k: (-mean[k], result.names[k])))


def tournament_ranking(result, ax=None):
    """A tournament: each strategy's score in every repetition (its total payoff against
    the others, self-play left out) as dots, with its range, interquartile range and
    mean; one row per strategy, the best mean on top."""
    scores = result.repetition_scores()
    order = _ranked(result)
    every = len(order)
    order = order[:MAX_LABELLED]
    n = len(order)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(7.2, 1.4 + 0.42 * n))
    else:
        fig = ax.figure
    cmap = plt.get_cmap("tab10")
    jitter = np.linspace(-0.18, 0.18, scores.shape[0]) if scores.shape[0] > 1 else np.zeros(1)
    for row, k in enumerate(order):
        y = n - 1 - row
        s = scores[:, k]
        q1, q3 = np.percentile(s, [25, 75])
        c = cmap(row % 10)
        ax.plot([s.min(), s.max()], [y, y], color=c, lw=1.0, zorder=1)
        ax.plot([q1, q3], [y, y], color=c, lw=6, alpha=0.45, solid_capstyle="butt", zorder=2)
        ax.scatter(s, y + jitter, s=10, color=c, alpha=0.7, lw=0, zorder=3)
        ax.plot([s.mean()], [y], ls="none", marker="D", ms=6, color="black", zorder=4,
                gid=f"mean:{result.names[k]}")  # fmt: skip
    ax.set_yticks(range(n), [_label(result.names[k]) for k in order[::-1]], fontsize=8)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("score per repetition (total payoff against the other strategies)")
    ax.grid(axis="x", alpha=0.3)
    length = f"{result.turns} turns" if result.turns is not None else f"w = {result.continuation:g}"
    ax.set_title(
        f"{_label(result.game)}: {length}, {result.repetitions} repetitions, "
        f"noise {result.noise:g}\n(diamond: mean; bar: middle half; line: range)",
        fontsize=10,
    )
    if n < every:
        _note(fig if own else ax, _showing(n, every, "strategies (the best)"))
    if own:
        fig.tight_layout()
    return fig


def payoff_heatmap(result, ax=None):
    """A tournament: the mean payoff per turn of each row strategy against each column
    strategy, written in the cells (the diagonal is self-play)."""
    matrix = result.payoff_matrix().to_numpy(dtype=float)
    every = len(result.names)
    keep = np.arange(every)
    if every > MAX_MATRIX:
        keep = np.sort(_ranked(result)[:MAX_MATRIX])
        matrix = matrix[np.ix_(keep, keep)]
    names = [_label(result.names[k], 30) for k in keep]
    n = len(names)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(2.8 + 0.62 * n, 2.2 + 0.55 * n))
    else:
        fig = ax.figure
    im = ax.imshow(matrix, cmap="viridis", aspect="auto")
    bar = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03)
    bar.set_label("mean payoff per turn", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if n <= 20:
        lo, hi = float(matrix.min()), float(matrix.max())
        mid = 0.5 * (lo + hi)
        for (r, c), v in np.ndenumerate(matrix):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=7 if n <= 10 else 5,
                    color="black" if v > mid else "white")  # fmt: skip
    ax.set_xticks(range(n), names, fontsize=7, rotation=40, ha="right")
    ax.set_yticks(range(n), names, fontsize=7)
    ax.set_xlabel("against (column)", fontsize=8)
    ax.set_ylabel("strategy (row): its payoff", fontsize=8)
    ax.set_title(f"{_label(result.game)}: payoff per turn of the row strategy", fontsize=10)
    if n < every:
        _note(fig if own else ax, _showing(n, every, "strategies (the best)"))
    if own:
        fig.tight_layout()
    return fig


def evolution(result, ax=None):
    """An evolution result: the shares of the strategies over the steps, stacked; a
    Moran run's fixation step is marked."""
    shares = result.shares()
    steps = np.arange(shares.shape[0])
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(8, 4.2))
    else:
        fig = ax.figure
    n = shares.shape[1]
    cmap = plt.get_cmap("tab20" if n > 10 else "tab10")
    named = set(_kept(n, shares.max(axis=0) if n > MAX_LABELLED else None))
    labels = [_label(x) if k in named else "_nolegend_" for k, x in enumerate(result.names)]
    ax.stackplot(steps, shares.T, labels=labels,
                 colors=[cmap(k % cmap.N) for k in range(n)], alpha=0.85)  # fmt: skip
    if len(named) < n:
        _note(fig if own else ax, _showing(len(named), n, "strategies in the legend"))
    fixed_at = getattr(result, "fixation_step", None)
    title = "replicator dynamics" if result.process == "replicator" else "Moran process"
    if result.process == "moran":
        title += f", population {int(result.states[0].sum())}, intensity {result.intensity:g}"
    if fixed_at is not None:
        ax.axvline(fixed_at, color="black", ls=":", lw=1.0, gid="fixation")
        title += f": {_label(result.fixed)} fixed at step {fixed_at}"
    ax.set_xlim(0, max(1, steps[-1]))
    ax.set_ylim(0, 1)
    ax.set_xlabel("generation" if result.process == "replicator" else "step")
    ax.set_ylabel("share of the population")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    if own:
        fig.tight_layout()
    return fig


def repeated_moves(result, ax=None):
    """The scenario's dyads turn by turn: one band per dyad, a row per party,
    green for cooperation and red for defection."""
    specs, actions = result.specs[:MAX_PANELS], result.actions[:MAX_PANELS]
    n = len(specs)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 0.9 + 0.75 * n))
    else:
        fig = ax.figure
    cmap = ListedColormap(["#2a9d8f", "#c0392b"])
    labels, ticks = [], []
    for k, (spec, acts) in enumerate(zip(specs, actions, strict=True)):
        top = 3 * k
        if acts.shape[0]:
            ax.imshow(
                acts.T, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest",
                extent=(-0.5, acts.shape[0] - 0.5, top + 2, top),
            )  # fmt: skip
        for side in range(2):
            share = float(np.mean(acts[:, side] == 0)) if acts.shape[0] else float("nan")
            labels.append(
                f"{_label(spec.actors[side], 30)} ({_label(spec.strategies[side].label, 30)}) "
                f"{share:.0%} C"
            )
            ticks.append(top + side + 0.5)
        ax.text(
            1.0, top + 1, f" {_label(spec.game)}", transform=ax.get_yaxis_transform(),
            va="center", ha="left", fontsize=8, color="0.3",
        )  # fmt: skip
    ax.set_ylim(3 * n - 1, 0)
    turns = max((a.shape[0] for a in actions), default=1)
    ax.set_xlim(-0.5, turns - 0.5)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("turn")
    ax.set_title(
        f"{_label(result.scenario.name)}: repeated games (green: cooperate, red: defect)",
        fontsize=10,
    )
    if n < len(result.specs):
        _note(ax, _showing(n, len(result.specs), "dyads"))
    fig.tight_layout()
    return fig


FIGURES = {
    "ranking": returned(tournament_ranking),
    "payoff_matrix": returned(payoff_heatmap),
    "evolution": returned(evolution),
    "moves": returned(repeated_moves),
}
"""The figures of the repeated games' results, by the name their ``outputs()`` give."""
