"""Figures of the exchange model (``--model exchange``): each round's exchanges as a network
between the actors, the externalities by actor, and an ensemble's final expected outcomes.
:data:`FIGURES` names them for `sim.plot.FIGURES`; the positions by round are the runs'
`sim.plot.runs.positions`."""

from __future__ import annotations

import numbers

import numpy as np

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

MAX_EDGES = 60
"""The most exchanges one panel of the network draws (by gain); the others are counted in a
note."""
MAX_EDGE_LABELS = 8
"""The most edges of one panel labelled with the issues traded (those of largest gain)."""


def _exchange(result, what: str):
    t = result.trajectory
    if getattr(t, "ex_int", None) is None:
        raise ValueError(
            f"the {what} figure needs a run of the exchange model; model {result.model}"
        )
    return t


def _spans(values) -> str:
    """Whole numbers as ranges: ``[2, 3, 4, 7]`` is ``"2-4, 7"``."""
    values = sorted(int(v) for v in values)
    parts = []
    start = prev = values[0]
    for v in values[1:] + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(parts)


def _panel_rounds(rounds) -> list[int]:
    """The rounds that get a panel: every round with exchanges, or, when there are more than
    :data:`MAX_PANELS`, the first ``MAX_PANELS - 1`` and the last."""
    if len(rounds) <= MAX_PANELS:
        return list(rounds)
    return list(rounds[: MAX_PANELS - 1]) + [rounds[-1]]


def _capability(t, sc):
    """The capabilities of who traded (the parties' when blocs trade as one)."""
    return t.party_capability if t.party_capability is not None else sc.arrays().capability


def _draw_round(ax, t, sc, shown: int, top: float) -> None:
    """One round's exchanges on ``ax``: the actors on a circle, one edge per pair of actors
    that traded (as wide as the pair's total gain), labelled near each end with the issues
    that actor gave way on."""
    ids = t.party_ids(sc)  # the actors, or the parties when blocs trade as one
    issues = sc.issue_ids
    n = len(ids)
    rows = np.flatnonzero(t.ex_int[:, 0] == shown)
    total = rows.size
    if rows.size > MAX_EDGES:
        order = np.argsort(-t.ex_float[rows, 2], kind="stable")[:MAX_EDGES]
        _note(ax, _showing(MAX_EDGES, rows.size, "exchanges (largest gains)"))
        rows = rows[np.sort(order)]
    # one edge per pair of actors; per end, the issues that actor moved on (input order)
    edges: dict[tuple[int, int], dict] = {}
    for r in rows:
        a, b = int(t.ex_int[r, 1]), int(t.ex_int[r, 2])
        p, q = int(t.ex_int[r, 3]), int(t.ex_int[r, 4])  # a (side i) moves on q, b on p
        key = (min(a, b), max(a, b))
        edge = edges.setdefault(key, {"gain": 0.0, key[0]: [], key[1]: []})
        edge["gain"] += float(t.ex_float[r, 2])
        for actor, issue in ((a, q), (b, p)):
            if issue not in edge[actor]:
                edge[actor].append(issue)
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    xy = np.column_stack([np.cos(angle), np.sin(angle)])
    ranked = sorted(edges, key=lambda k: (-edges[k]["gain"], k))
    labelled = set(ranked[:MAX_EDGE_LABELS])
    for key in sorted(edges):
        a, b = key
        ax.plot(xy[[a, b], 0], xy[[a, b], 1], color="tab:blue", alpha=0.55,
                lw=0.6 + 3.0 * edges[key]["gain"] / top, zorder=1)  # fmt: skip
        if key not in labelled:
            continue
        for near, far in ((a, b), (b, a)):
            where = 0.7 * xy[near] + 0.3 * xy[far]
            text = ", ".join(_label(issues[d], 12) for d in edges[key][near][:2])
            if len(edges[key][near]) > 2:
                text += f" +{len(edges[key][near]) - 2}"
            ax.text(where[0], where[1], text, fontsize=5.5, ha="center", va="center",
                    color="0.2", zorder=4,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.7})  # fmt: skip
    if len(edges) > len(labelled):
        _note(ax, f"issues on the {len(labelled)} edges of largest gain of {len(edges)}")
    kept = _kept(n, _capability(t, sc) if n > MAX_LABELLED else None)
    traded = {a for key in edges for a in key}
    colours = ["tab:orange" if i in traded else "0.75" for i in range(n)]
    ax.scatter(xy[:, 0], xy[:, 1], s=36, color=colours, zorder=3)
    for i in kept:
        ax.text(1.16 * xy[i, 0], 1.16 * xy[i, 1], _label(ids[i], 24), fontsize=7,
                ha="center", va="center")  # fmt: skip
    if len(kept) < n:
        _note(ax, _showing(len(kept), n, "actors by name"))
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"round {shown}: {total} exchanges", fontsize=9)


def network(result, ax=None, round: int | None = None):
    """Each round's exchanges as a network between the actors, one panel per round that had
    any (at most 12: past that the first 11 and the last, the others named in a note).

    In a panel the actors sit on a circle (grey: no exchange that round); an edge joins two
    actors that traded, as wide as their total gain that round (on one scale for all
    panels), and the edges of largest gain (at most 8 a panel) carry near each end the
    issues that actor gave way on; at most 60 exchanges a panel, those of largest gain.
    ``round`` draws that round alone; on ``ax`` one round is drawn (``round``, else the last
    with exchanges)."""
    t = _exchange(result, "exchanges")
    sc = result.scenario
    with_ex = sorted(int(r) for r in np.unique(t.ex_int[:, 0])) if t.ex_int.size else []
    if round is not None:
        if isinstance(round, bool) or not isinstance(round, numbers.Integral):
            raise TypeError(f"round: expected a whole number, got {round!r}")
        if int(round) not in with_ex:
            listed = _spans(with_ex) if with_ex else "none"
            raise ValueError(f"round {round}: no exchanges; rounds with exchanges: {listed}")
        shown = [int(round)]
    elif ax is not None:
        shown = with_ex[-1:]
    else:
        shown = _panel_rounds(with_ex)
    gains = t.ex_float[:, 2] if t.ex_int.size else np.zeros(0)
    top = 1.0
    if shown:
        # the largest total gain of a pair of actors in one drawn round: one width scale
        totals = {}
        for r in np.flatnonzero(np.isin(t.ex_int[:, 0], shown)):
            a, b = int(t.ex_int[r, 1]), int(t.ex_int[r, 2])
            key = (int(t.ex_int[r, 0]), min(a, b), max(a, b))
            totals[key] = totals.get(key, 0.0) + float(gains[r])
        top = max(max(totals.values()), 0.0) or 1.0
    if ax is not None:
        fig = ax.figure
        axes = [ax]
    else:
        cols = min(3, max(len(shown), 1))
        rows = max(-(-len(shown) // cols), 1)
        fig, grid = plt.subplots(rows, cols, figsize=(4.4 * cols, 4.4 * rows + 0.5),
                                 squeeze=False)  # fmt: skip
        axes = list(grid.reshape(-1))
        for extra in axes[max(len(shown), 1) :]:
            extra.remove()
        axes = axes[: max(len(shown), 1)]
    for a, r in zip(axes, shown, strict=False):
        _draw_round(a, t, sc, r, top)
    if not shown:
        axes[0].axis("off")
        axes[0].text(0.5, 0.5, "no exchanges", ha="center", va="center",
                     transform=axes[0].transAxes)  # fmt: skip
    left_out = [r for r in with_ex if r not in shown]
    if ax is None and left_out:
        _note(fig, _showing(len(shown), len(with_ex), "rounds with exchanges")
              + f"; rounds {_spans(left_out)} left out")  # fmt: skip
    title = f"{_label(sc.name)}: exchange, "
    if ax is not None:
        count = int((t.ex_int[:, 0] == shown[0]).sum()) if shown else 0
        what = f"round {shown[0]}, {count} exchanges" if shown else "no exchanges"
        axes[0].set_title(title + what, fontsize=10)
    else:
        what = (f"exchanges in {len(with_ex)} of {t.rounds} rounds" if with_ex
                else f"no exchanges in {t.rounds} rounds")  # fmt: skip
        fig.suptitle(title + what + "\nat each end of an edge: the issues that actor gave way on; "
                     "width: the pair's gain", fontsize=10)  # fmt: skip
    if ax is None:
        # leave the two-line title its 0.6 inch above the panels
        fig.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - 0.6 / fig.get_size_inches()[1]))
    else:
        fig.tight_layout()
    return fig


def externalities(result, ax=None):
    """Each actor's externalities summed over the issue pairs, by round (the pair's own
    exchanges count their gain, as decide reports)."""
    t = _exchange(result, "externalities")
    sc = result.scenario
    ids = t.party_ids(sc)
    e = t.externalities.sum(axis=2) if t.externalities.size else np.zeros((0, len(ids)))
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 5.0))
    fig = ax.figure
    kept = _kept(len(ids), _capability(t, sc) if len(ids) > MAX_LABELLED else None)
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
