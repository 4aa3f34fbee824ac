"""Figures of one run of the spatial model of politics (``--model smp``): the actors' paths
in the plane of two issues, and each actor's probability of winning by state.
:data:`FIGURES` names them for `sim.plot.FIGURES`; the positions by state are the runs'
`sim.plot.runs.positions`."""

from __future__ import annotations

import numpy as np

from sim.plot._base import (
    MAX_LABELLED,
    MAX_PANEL_TEXT,
    _choices,
    _kept,
    _label,
    _note,
    _showing,
    plt,
    returned,
)


def _smp(result, what: str):
    t = result.trajectory
    if getattr(t, "probabilities", None) is None:
        raise ValueError(f"the {what} figure needs a run of the smp model; model {result.model}")
    return t


def _dims(result, dims) -> tuple[int, int]:
    """The two issue indices of the plane: ``dims`` ("A,B" or a pair of ids), else the
    run's own (``--dims``), else the first two issues."""
    ids = list(result.scenario.issue_ids)
    if len(ids) < 2:
        raise ValueError("the paths figure needs two issues; the scenario has one")
    if dims is None:
        own = tuple(getattr(result.trajectory, "dims", ()) or ())
        return (own[0], own[1]) if len(own) == 2 else (0, 1)
    parts = [s.strip() for s in dims.split(",")] if isinstance(dims, str) else list(dims)
    if len(parts) != 2:
        raise ValueError(f"dims: expected two issue ids as A,B, got {_label(str(dims))!r}")
    for s in parts:
        if s not in ids:
            raise ValueError(f"dims: unknown issue {_label(s)!r}; expected one of: {_choices(ids)}")
    if parts[0] == parts[1]:
        raise ValueError(f"dims: expected two different issues, got {_label(parts[0])!r} twice")
    return ids.index(parts[0]), ids.index(parts[1])


def _axis_label(issue) -> str:
    lo, hi = issue.scale
    name = _label(issue.name or issue.id, MAX_PANEL_TEXT)
    if issue.low or issue.high:
        return f"{name}\n{lo:g}: {_label(issue.low, 30)}, {hi:g}: {_label(issue.high, 30)}"
    return name


def _kept_actors(result) -> list[int]:
    n = len(result.scenario.actor_ids)
    return _kept(n, result.scenario.arrays().capability if n > MAX_LABELLED else None)


def paths(result, dims=None, ax=None):
    """Each actor's path over the states in the plane of two issues (``dims``: "A,B";
    default the run's ``--dims``, else the first two issues): a circle at its start, a
    square at its end; the final compromise (x) and probability-weighted position (*).
    Beyond 40 actors the most capable 40 are drawn by name and the others in grey."""
    t = _smp(result, "paths")
    a, b = _dims(result, dims)
    sc = result.scenario
    pos = t.positions
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 6.5))
    fig = ax.figure
    kept = _kept_actors(result)
    cmap = plt.get_cmap("tab20")
    ids = sc.actor_ids
    rest = [i for i in range(len(ids)) if i not in set(kept)]
    for i in rest:
        ax.plot(pos[:, a, i], pos[:, b, i], color="0.7", lw=0.8, gid="other_actors")
    for j, i in enumerate(kept):
        color = cmap(j % 20)
        ax.plot(pos[:, a, i], pos[:, b, i], marker=".", ms=4, lw=1.3, color=color,
                label=_label(ids[i], 30))  # fmt: skip
        ax.plot(pos[0, a, i], pos[0, b, i], "o", ms=6, mfc="none", color=color)
        ax.plot(pos[-1, a, i], pos[-1, b, i], "s", ms=5, color=color)
    fc = result.forecast()
    ax.plot(fc["compromise"].iloc[a], fc["compromise"].iloc[b], "x", ms=10, mew=2.2,
            color="black", label="forecast: compromise")  # fmt: skip
    ax.plot(fc["probability"].iloc[a], fc["probability"].iloc[b], "*", ms=13, color="black",
            label="forecast: probability-weighted")  # fmt: skip
    for k, set_lim, set_label in ((a, ax.set_xlim, ax.set_xlabel), (b, ax.set_ylim, ax.set_ylabel)):
        lo, hi = sc.issues[k].scale
        pad = 0.04 * (hi - lo)
        set_lim(lo - pad, hi + pad)
        set_label(_axis_label(sc.issues[k]), fontsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    states = pos.shape[0]
    ax.set_title(
        f"{_label(sc.name)}: smp, paths over {states} states (o start, square end)", fontsize=10
    )
    if rest:
        _note(ax, _showing(len(kept), len(ids), "actors by name") + " (the others in grey)")
    fig.tight_layout()
    return fig


def probabilities(result, ax=None):
    """Each actor's probability of winning in each state (KTAB's: actors on one position
    share its probability). Beyond 40 actors the most capable 40 are drawn by name and
    the others as a grey band."""
    t = _smp(result, "probabilities")
    sc = result.scenario
    p = t.probabilities
    states = np.arange(p.shape[0])
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 5.0))
    fig = ax.figure
    kept = _kept_actors(result)
    cmap = plt.get_cmap("tab20")
    ids = sc.actor_ids
    for j, i in enumerate(kept):
        ax.plot(states, p[:, i], marker="o", ms=3, lw=1.3, color=cmap(j % 20),
                label=_label(ids[i], 30))  # fmt: skip
    rest = np.setdiff1d(np.arange(len(ids)), kept)
    if rest.size:
        ax.fill_between(states, p[:, rest].min(axis=1), p[:, rest].max(axis=1), color="0.6",
                        alpha=0.35, lw=0, gid="other_actors",
                        label=f"the other {rest.size} actors (range)")  # fmt: skip
        _note(ax, _showing(len(kept), len(ids), "actors by name"))
    ax.set_xlim(0, max(1, p.shape[0] - 1))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("state (round)")
    ax.set_ylabel("probability of winning")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(
        f"{_label(sc.name)}: smp, probability of winning by state, stopped: {t.stopped}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


FIGURES = {
    "smp_paths": returned(paths),
    "smp_probabilities": returned(probabilities),
}
"""The figures of a run of the smp model, by the name its ``outputs()`` gives."""
