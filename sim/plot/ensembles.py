"""Figures of an ensemble: the distribution of forecasts, kept trajectories, war in a
crisis ensemble and agreements in a bargaining ensemble."""

from __future__ import annotations

import numpy as np

from sim.plot._base import (
    MAX_LABELLED,
    MAX_PANEL_TEXT,
    _issue_panels,
    _kept,
    _label,
    _names,
    _note,
    _showing,
    plt,
)

#: Lines an ensemble's trajectory figure draws at most (kept runs times actors times panels).
MAX_LINES = 2_000


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
        a.set_title(_label(iss.name or iid, MAX_PANEL_TEXT), fontsize=10)
        a.set_xlabel("forecast")
        a.set_ylabel("runs")
    axes[0].legend(fontsize=7)
    if ax is None:
        fig.suptitle(
            f"{_label(sc.name)}: {result.n_runs} runs of {result.model}, "
            f"root seed {result.root_seed}",
            fontsize=11,
        )
        fig.tight_layout()
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
    n = len(sc.actor_ids)
    kept = _kept(n, sc.arrays().capability if n > MAX_LABELLED else None)
    actors = [sc.actor_ids[i] for i in kept]
    colour = {aid: cmap(j % 20) for j, aid in enumerate(actors)}
    every = sorted(traj["run"].unique())
    runs = every[: max(1, MAX_LINES // (len(actors) * len(chosen)))]
    alpha = max(0.08, min(0.8, 3.0 / len(runs)))
    for a, iid in zip(axes, chosen, strict=False):
        part = traj[traj["issue"] == iid]
        groups = dict(iter(part.groupby(["run", "actor"], sort=False)))
        for run in runs:
            for aid in actors:
                rows_ = groups[(run, aid)]
                a.plot(rows_["round"], rows_["position"], color=colour[aid], lw=0.9, alpha=alpha,
                       label=_label(aid) if run == runs[0] else None)  # fmt: skip
        lo, hi = sc.issue(iid).scale
        a.set_ylim(lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo))
        a.set_title(_label(sc.issue(iid).name or iid, MAX_PANEL_TEXT), fontsize=10)
        a.set_xlabel("round")
        a.set_ylabel("position")
        a.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False
    )
    where = fig if ax is None else ax
    if len(actors) < n:
        _note(where, _showing(len(actors), n, "actors"))
    if len(runs) < len(every):
        _note(where, _showing(len(runs), len(every), "kept runs"))
    if ax is None:
        fig.suptitle(f"{_label(sc.name)}: trajectories of {len(runs)} perturbed runs", fontsize=11)
        fig.tight_layout()
    return fig


def war_distribution(result, ax=None):
    """A crisis ensemble: the challenger's war value ``p - c_C`` in the runs that ended
    in war and in peace, with the share of war and its 95% interval."""
    runs = result.runs
    s = result.summary()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
    else:
        fig = ax.figure
    value = runs["war_value"].to_numpy(dtype=float)
    war = runs["war"].to_numpy(dtype=bool)
    bins = np.linspace(min(value.min(), 0.0), max(value.max(), 1.0), 41)
    ax.hist(value[~war], bins=bins, color="#2a9d8f", alpha=0.75, label="peace")
    ax.hist(value[war], bins=bins, color="#c0392b", alpha=0.75, label="war")
    sq = runs["status_quo_share"].to_numpy(dtype=float)
    ax.axvline(float(np.mean(sq)), color="0.3", ls=":", label="status quo share (mean)")
    offers = runs["offer"].to_numpy(dtype=float)
    if np.isfinite(offers).any():
        ax.axvline(float(np.nanmean(offers)), color="#6a3d9a", ls="--", label="offer (mean)")
    lo, hi = s["p_war_interval"]
    c = _label(s["challenger"])
    ax.set_xlabel(f"{c}'s war value p - c (share of the stakes)")
    ax.set_ylabel("runs")
    ax.set_title(
        f"{_label(result.scenario.name)}\nP(war) = {s['p_war']:.3f} "
        f"[{lo:.3f}, {hi:.3f}] over {s['runs']} runs",
        fontsize=10,
    )
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def agreement_distribution(result, issue: str | None = None, ax=None):
    """A bargaining ensemble: per issue, the outcomes of the runs that reached agreement,
    with the share of runs that did and its 95% interval in the title."""
    runs = result.runs
    s = result.summary()
    agree = runs["agreement"].to_numpy(dtype=bool)
    fig, axes, chosen = _issue_panels(result.scenario, issue, ax)
    for a, iid in zip(axes, chosen, strict=True):
        iss = result.scenario.issue(iid)
        lo, hi = iss.scale
        v = runs[f"{iid}.outcome"].to_numpy(dtype=float)[agree]
        if v.size:
            a.hist(v, bins=np.linspace(lo, hi, 41), color="tab:green", alpha=0.8)
        else:
            a.text(0.5, 0.5, "no run reached agreement", ha="center", va="center",
                   transform=a.transAxes, color="0.4")  # fmt: skip
        if iss.status_quo is not None:
            a.axvline(iss.status_quo, color="0.3", ls=":", label="status quo")
            a.legend(fontsize=7, frameon=False)
        a.set_xlim(lo, hi)
        a.set_title(_label(iss.name or iid, MAX_PANEL_TEXT), fontsize=10)
        a.set_xlabel("agreed outcome", fontsize=8)
        a.set_ylabel("runs")
    lo_, hi_ = s["p_agreement_interval"]
    if ax is None:
        fig.suptitle(
            f"{_label(result.scenario.name)}: {result.model}, {_names(s['parties'])}\n"
            f"P(agreement) = {s['p_agreement']:.3f} [{lo_:.3f}, {hi_:.3f}] over {s['runs']} runs",
            fontsize=10,
        )
        fig.tight_layout()
    return fig
