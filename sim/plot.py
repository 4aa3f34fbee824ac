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

import textwrap  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


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


def _war_sweep(result, ax, n_params: int, what: str, size):
    """(figure, axes) for a crisis sweep over ``n_params`` parameters."""
    if result.model != "crisis":
        raise ValueError(f"{what} needs a crisis sweep; this one runs {result.model}")
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
            f"{_plain(result.scenario.name)}: crisis, {result.runs} runs per point, "
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
    a.set_xlabel(_plain(path), fontsize=9)
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
    label = "P(war)" if stat == "p_war" else stat.replace("_", " ")
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
    a.set_xlabel(_plain(p2.path), fontsize=8)
    a.set_ylabel(_plain(p1.path), fontsize=8)
    a.set_title(label, fontsize=9)
    _war_title(fig, result, ax)
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


# ---- bargaining (plain data in, so the figures need no model run) ---------------------------
_CHALLENGER = "tab:blue"
_DEFENDER = "tab:orange"
_RANGE = "tab:green"
_OFFER = "tab:red"
_NEGOTIATED = "tab:purple"


def _plain(text) -> str:
    """User text (a name, a message) as literal matplotlib text: a ``$`` never starts mathtext."""
    return str(text).replace("$", r"\$")


def _real(name: str, value, lo: float | None = None, hi: float | None = None) -> float:
    """``value`` as a finite float within [lo, hi]; ValueError naming ``name`` otherwise."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        if lo is not None and hi is not None:
            raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {value!r}")
        raise ValueError(f"{name} must be >= {lo:g}, got {value!r}")
    return v


def _role(name: str, role: str) -> str:
    return _plain(name) if name == role else f"{_plain(name)} ({role})"


def _side_label(ax, x, y, text, color) -> None:
    """A label beside the point (x, y) in data units, to its right unless near the right end."""
    right = x <= 0.72
    ax.annotate(
        text, (x, y), xytext=(7 if right else -7, 0), textcoords="offset points",
        ha="left" if right else "right", va="center", fontsize=8, color=color,
        bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none", alpha=0.8),
    )  # fmt: skip


def bargaining_range(
    p,
    cost_challenger,
    cost_defender,
    *,
    offer=None,
    p_war=None,
    cost_range=None,
    negotiated=None,
    challenger: str = "challenger",
    defender: str = "defender",
    ax=None,
):
    """Crisis bargaining on the pie [0, 1], ``x`` the challenger's share.

    Shades the bargaining range ``[p - c_C, p + c_D]`` (clipped to the pie; the labels
    give the true ends) and marks ``p`` (the expected outcome of war), the defender's
    ``offer``, the ``negotiated`` share and ``P(war)`` when given. With ``cost_range=(a, b)``
    (the challenger's private cost of war, uniform on [a, b]) and no ``ax``, a second panel
    shows ``P(war | offer x) = 1 - F(x)``, ``F(x) = clip((b - p + x) / (b - a), 0, 1)``,
    and the defender's expected utility ``F(x) (1 - x) + (1 - F(x)) (1 - p - c_D)``.
    With ``ax``, only the first panel is drawn, on it.
    """
    p = _real("p", p, 0.0, 1.0)
    cc = _real("cost_challenger", cost_challenger, 0.0)
    cd = _real("cost_defender", cost_defender, 0.0)
    if offer is not None:
        offer = _real("offer", offer, 0.0, 1.0)
    if p_war is not None:
        p_war = _real("p_war", p_war, 0.0, 1.0)
    if negotiated is not None:
        negotiated = _real("negotiated", negotiated, 0.0, 1.0)
    if cost_range is not None:
        try:
            a, b = cost_range
        except (TypeError, ValueError):
            raise ValueError(f"cost_range must be a pair (a, b), got {cost_range!r}") from None
        a = _real("cost_range[0]", a, 0.0)
        b = _real("cost_range[1]", b, 0.0)
        if b <= a:
            raise ValueError(f"cost_range must have a < b, got {cost_range!r}")

    second = cost_range is not None and ax is None
    if ax is not None:
        fig, top = ax.figure, ax
    elif second:
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(7.5, 5.8), sharex=True, gridspec_kw={"height_ratios": [1, 1.25]}
        )
    else:
        fig, top = plt.subplots(figsize=(7.5, 2.9))

    lo, hi = p - cc, p + cd
    lo_c, hi_c = min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)
    band_lo, band_hi = 0.12, 0.78
    top.add_patch(
        Rectangle(
            (lo_c, band_lo), hi_c - lo_c, band_hi - band_lo, fc=_RANGE, alpha=0.25, lw=0,
            gid="bargaining_range", label="bargaining range",
        )
    )  # fmt: skip
    for x in (0.0, 1.0):
        top.axvline(x, color="grey", lw=0.8)
    top.text(0.01, 0.03, f"all to {_plain(defender)}", fontsize=7, color="dimgrey", ha="left")
    top.text(0.99, 0.03, f"all to {_plain(challenger)}", fontsize=7, color="dimgrey", ha="right")

    # the true ends of the range, beside the clipped shading
    lo_text = f"{'← ' if lo < 0 else ''}p − c_C = {lo:.2f}"
    hi_text = f"p + c_D = {hi:.2f}{' →' if hi > 1 else ''}"
    lo_inside = lo_c < 0.18
    hi_inside = hi_c > 0.82
    hi_y = 0.81
    if lo_inside != hi_inside and hi_c - lo_c < 0.16:
        hi_y = 0.89  # the two labels would run into each other
    end_style = dict(fontsize=8, color="darkgreen", va="bottom")
    top.text(lo_c, 0.81, lo_text, ha="left" if lo_inside else "right", gid="range_lo", **end_style)
    top.text(hi_c, hi_y, hi_text, ha="right" if hi_inside else "left", gid="range_hi", **end_style)

    top.plot([p, p], [band_lo, band_hi], color="black", lw=1.4)
    top.plot([p], [0.25], marker="o", color="black", ls="none", gid="p")
    _side_label(top, p, 0.25, f"p = {p:.2f}  (expected war outcome)", "black")
    if offer is not None:
        top.plot([offer, offer], [band_lo, band_hi], color=_OFFER, lw=1.2, ls="--")
        top.plot([offer], [0.45], marker="v", ms=8, color=_OFFER, ls="none", gid="offer")
        _side_label(top, offer, 0.45, f"offer x* = {offer:.2f}", _OFFER)
    if negotiated is not None:
        top.plot([negotiated, negotiated], [band_lo, band_hi], color=_NEGOTIATED, lw=1.2, ls=":")
        top.plot([negotiated], [0.65], marker="D", ms=6, color=_NEGOTIATED, ls="none",
                 gid="negotiated")  # fmt: skip
        _side_label(top, negotiated, 0.65, f"negotiated {negotiated:.2f}", _NEGOTIATED)
    if p_war is not None:
        left = (lo_c + hi_c) / 2 > 0.5  # the corner away from the range
        top.text(
            0.01 if left else 0.99, 0.98, f"P(war) = {p_war:.2f}", transform=top.transAxes,
            ha="left" if left else "right", va="top", fontsize=9, fontweight="bold",
            color="firebrick" if p_war > 0 else "darkgreen", gid="p_war",
        )  # fmt: skip
    top.set_xlim(-0.03, 1.03)
    top.set_ylim(0, 1)
    top.set_yticks([])
    for side in ("left", "right", "top"):
        top.spines[side].set_visible(False)
    top.set_xlabel(
        f"share x of the pie to {_plain(challenger)} ({_plain(defender)} gets 1 − x)", fontsize=8
    )
    top.tick_params(labelbottom=True)
    top.set_title(
        f"Crisis bargaining: {_role(challenger, 'challenger')} vs {_role(defender, 'defender')}",
        fontsize=10,
    )

    if second:
        x = np.union1d(np.linspace(0.0, 1.0, 401), np.clip([p - b, p - a], 0.0, 1.0))
        f = np.clip((b - p + x) / (b - a), 0.0, 1.0)
        war = 1.0 - f
        u = f * (1.0 - x) + (1.0 - f) * (1.0 - p - cd)
        bottom.axvspan(lo_c, hi_c, color=_RANGE, alpha=0.12, lw=0)
        bottom.plot(x, war, color="black", lw=1.6, label="P(war | offer x)", gid="war_curve")
        bottom.plot(x, u, color=_DEFENDER, lw=1.6, gid="utility_curve",
                    label=f"{_plain(defender)}'s expected utility")  # fmt: skip
        if offer is not None:
            bottom.axvline(offer, color=_OFFER, ls="--", lw=1.2, gid="offer_line",
                           label=f"offer x* = {offer:.2f}")  # fmt: skip
        bottom.set_ylim(min(0.0, float(u.min())) - 0.05, max(1.0, float(u.max())) + 0.08)
        bottom.set_xlabel(f"offer x (share to {_plain(challenger)})", fontsize=8)
        bottom.set_ylabel("probability / utility (pie shares)", fontsize=8)
        bottom.set_title(
            f"{_plain(challenger)}'s cost of war is private, uniform on [{a:.2f}, {b:.2f}]",
            fontsize=9,
        )
        bottom.grid(alpha=0.3)
        bottom.legend(fontsize=7, loc="best")
    if ax is None:
        fig.tight_layout()
    return fig


def offers(rounds, parties, *, reservations=None, ax=None):
    """Alternating offers round by round: each offer's value to either party.

    ``rounds`` has columns ``round``, ``proposer`` (one of ``parties``), ``value_a``,
    ``value_b`` (the offer's normalised value to the first and the second party) and
    ``accepted``. A filled marker is the proposer's own value; the accepted offer is
    starred, or the figure says "breakdown". ``reservations=(r_a, r_b)`` are drawn as
    dashed lines; a reservation above 1 (no acceptable point) is only named in the legend.
    """
    try:
        name_a, name_b = parties
    except (TypeError, ValueError):
        raise ValueError(f"parties must be a pair of names, got {parties!r}") from None
    if name_a == name_b:
        raise ValueError(f"parties must be two different names, got {parties!r}")
    res = None
    if reservations is not None:
        try:
            res = [float(r) for r in reservations]
        except (TypeError, ValueError):
            raise ValueError(
                f"reservations must be a pair of numbers, got {reservations!r}"
            ) from None
        if len(res) != 2 or any(math.isnan(r) for r in res):
            raise ValueError(f"reservations must be a pair of numbers, got {reservations!r}")
    if len(rounds):
        missing = [
            c for c in ("round", "proposer", "value_a", "value_b", "accepted") if c not in rounds
        ]
        if missing:
            raise ValueError(f"rounds lacks column(s): {', '.join(missing)}")
        stray = sorted({str(v) for v in rounds["proposer"] if v not in (name_a, name_b)})
        if stray:
            raise ValueError(f"proposer must be {name_a!r} or {name_b!r}, got {', '.join(stray)}")
        if rounds["accepted"].astype(bool).sum() > 1:
            got = list(rounds.loc[rounds["accepted"].astype(bool), "round"])
            raise ValueError(f"more than one accepted offer (rounds {got})")
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4))
        own = True
    else:
        fig, own = ax.figure, False
    title = f"Alternating offers: {_plain(name_a)} vs {_plain(name_b)}"
    if len(rounds) == 0:
        ax.text(0.5, 0.5, "no offers", transform=ax.transAxes, ha="center", va="center",
                fontsize=11, color="dimgrey", gid="no_offers")  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
        if own:
            fig.tight_layout()
        return fig
    t = rounds.sort_values("round", kind="stable")
    r = t["round"].to_numpy(dtype=int)
    accepted = t["accepted"].to_numpy(dtype=bool)
    ms = 6 if len(r) <= 40 else 3
    handles, labels = [], []
    tops = []
    for col, name, colour, marker in (
        ("value_a", name_a, _CHALLENGER, "o"),
        ("value_b", name_b, _DEFENDER, "s"),
    ):
        v = t[col].to_numpy(dtype=float)
        tops.append(np.nanmax(v) if np.isfinite(v).any() else 1.0)
        line = ax.plot(r, v, color=colour, lw=1.5, marker=marker, ms=ms, mfc="white",
                       mec=colour, gid=col, zorder=2)[0]  # fmt: skip
        mine = (t["proposer"] == name).to_numpy()
        ax.plot(r[mine], v[mine], ls="none", marker=marker, ms=ms, color=colour,
                gid=f"proposed_{col[-1]}", zorder=3)  # fmt: skip
        handles.append(line)
        labels.append(f"value to {_plain(name)}")
    handles.append(Line2D([], [], ls="none", marker="o", color="dimgrey", ms=6))
    labels.append("filled: that party proposed")
    if res is not None:
        for name, colour, rv, key in (
            (name_a, _CHALLENGER, res[0], "a"),
            (name_b, _DEFENDER, res[1], "b"),
        ):
            if 0.0 <= rv <= 1.0:
                handles.append(ax.axhline(rv, color=colour, ls="--", lw=1.1, alpha=0.8,
                                          gid=f"reservation_{key}"))  # fmt: skip
                labels.append(f"{_plain(name)}'s reservation {rv:.2f}")
            else:
                handles.append(Line2D([], [], ls="none", marker="x", color=colour))
                why = "no acceptable point" if rv > 1 else "any offer acceptable"
                labels.append(f"{_plain(name)}: {why} (reservation {rv:g})")
    y_top = max(1.0, *tops)
    strip = y_top + 0.1 * max(1.0, y_top)
    if accepted.any():
        i = int(np.flatnonzero(accepted)[0])
        ra = int(r[i])
        va, vb = float(t["value_a"].iloc[i]), float(t["value_b"].iloc[i])
        star = ax.plot([ra, ra], [va, vb], ls="none", marker="*", ms=16, color="gold",
                       mec="black", mew=0.8, gid="agreement", zorder=4)[0]  # fmt: skip
        handles.append(star)
        labels.append("accepted offer")
        ax.axvline(ra, color="grey", lw=0.8, ls=":", zorder=1)
        where = (ra - r.min()) / max(1, r.max() - r.min())
        ha = "left" if where < 0.25 else ("right" if where > 0.75 else "center")
        ax.text(ra, strip, f"agreement at round {ra}", ha=ha, va="center", fontsize=9,
                color="black", gid="outcome_note")  # fmt: skip
        title += f": agreement at round {ra}"
    else:
        ax.text(r.max(), strip, f"breakdown: no offer accepted in {len(r)} rounds", ha="right",
                va="center", fontsize=9, color="firebrick", gid="outcome_note")  # fmt: skip
        title += ": breakdown"
    ax.set_ylim(-0.04, strip + 0.08 * max(1.0, y_top))
    ax.set_yticks(np.linspace(0.0, 1.0, 6))
    ax.set_xlim(r.min() - 0.5, r.max() + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("round")
    ax.set_ylabel("value of the offer (normalised)", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    if own:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7,
                  frameon=False)  # fmt: skip
        fig.tight_layout()
    else:
        ax.legend(handles, labels, loc="best", fontsize=7)
    return fig


def zone(issues, ranges, *, outcome=None, status_quo=None, reached=None, message=None, ax=None):
    """Nash bargaining per issue: each party's acceptable range and ideal, and the zone.

    ``issues`` is indexed by issue id with ``scale_lo``, ``scale_hi``, ``zone_lo`` and
    ``zone_hi`` (NaN when the zone on that issue is empty); ``ranges`` has ``issue``,
    ``party``, ``lo``, ``hi`` and ``ideal``. One block of rows per issue, top to bottom,
    positions normalised to each issue's scale (its ends written beside it): each party's
    range as a line with its ideal as a dot, the zone shaded green (an empty zone marked
    red), ``outcome`` and ``status_quo`` (dicts issue -> value) as a black diamond and a
    grey square. A range end given as NaN is open, drawn to the scale's end.
    ``reached`` defaults to: an outcome is given and no zone is empty.
    """
    need = ["scale_lo", "scale_hi", "zone_lo", "zone_hi"]
    missing = [c for c in need if c not in issues.columns]
    if missing:
        raise ValueError(f"issues lacks column(s): {', '.join(missing)}")
    missing = [c for c in ("issue", "party", "lo", "hi", "ideal") if c not in ranges.columns]
    if missing:
        raise ValueError(f"ranges lacks column(s): {', '.join(missing)}")
    ids = list(issues.index)
    if not ids:
        raise ValueError("issues is empty")
    stray = sorted({str(i) for i in ranges["issue"] if i not in ids})
    if stray:
        raise ValueError(f"ranges names unknown issue(s): {', '.join(stray)}")
    for what, given in (("outcome", outcome), ("status_quo", status_quo)):
        unknown = [str(k) for k in (given or {}) if k not in ids]
        if unknown:
            raise ValueError(f"{what} names unknown issue(s): {', '.join(unknown)}")
    outcome, status_quo = outcome or {}, status_quo or {}
    scales = {}
    for iid in ids:
        lo = _real(f"scale_lo of issue {iid}", issues.at[iid, "scale_lo"])
        hi = _real(f"scale_hi of issue {iid}", issues.at[iid, "scale_hi"])
        if hi <= lo:
            raise ValueError(f"issue {iid}: scale_hi must exceed scale_lo, got [{lo:g}, {hi:g}]")
        scales[iid] = (lo, hi)
    empty = {
        iid: bool(_isna(issues.at[iid, "zone_lo"]) or _isna(issues.at[iid, "zone_hi"]))
        for iid in ids
    }
    if reached is None:
        reached = bool(outcome) and not any(empty.values())

    parties = list(dict.fromkeys(ranges["party"]))
    cmap = plt.get_cmap("tab20" if len(parties) > 10 else "tab10")
    colour = {name: cmap(i % cmap.N) for i, name in enumerate(parties)}
    by_issue = {iid: ranges[ranges["issue"] == iid] for iid in ids}
    n_rows = sum(len(by_issue[iid]) + 1 for iid in ids) + 0.8 * (len(ids) - 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, max(3.2, 1.7 + 0.19 * n_rows)))
        own = True
    else:
        fig, own = ax.figure, False

    ticks, tick_labels, issue_ticks = [], [], []
    y = 0.0
    for iid in ids:
        lo, hi = scales[iid]

        def norm(v, lo=lo, hi=hi):
            return (float(v) - lo) / (hi - lo)

        rows = by_issue[iid]
        n = len(rows)
        top, bottom = y - 0.5, y + n + 0.5
        if empty[iid]:
            ax.add_patch(Rectangle((0, top), 1, bottom - top, fc="red", alpha=0.08, lw=0,
                                       gid=f"empty:{iid}"))  # fmt: skip
            # on the side of the row away from the status quo / outcome markers
            marks = [norm(v) for v in (status_quo.get(iid), outcome.get(iid)) if not _isna(v)]
            right = not marks or float(np.mean(marks)) < 0.5
            ax.text(0.98 if right else 0.02, y, "empty: no zone of agreement",
                    ha="right" if right else "left", va="center", fontsize=8, color="firebrick",
                    fontweight="bold", gid=f"empty_note:{iid}")  # fmt: skip
        else:
            z0, z1 = norm(issues.at[iid, "zone_lo"]), norm(issues.at[iid, "zone_hi"])
            ax.add_patch(Rectangle(
                (z0, top), z1 - z0, bottom - top, fc=(*to_rgb(_RANGE), 0.22),
                ec=(*to_rgb(_RANGE), 0.8), lw=0.8, gid=f"zone:{iid}",
            ))  # fmt: skip
        for x in (0.0, 1.0):
            ax.plot([x, x], [top, bottom], color="grey", lw=0.7, zorder=1)
        ax.text(-0.015, y, f"{lo:g}", ha="right", va="center", fontsize=7, color="dimgrey")
        ax.text(1.015, y, f"{hi:g}", ha="left", va="center", fontsize=7, color="dimgrey")
        for j, row in enumerate(rows.itertuples(index=False)):
            yj = y + 1 + j
            c = colour[row.party]
            a = 0.0 if _isna(row.lo) else norm(row.lo)
            b = 1.0 if _isna(row.hi) else norm(row.hi)
            ax.plot([a, b], [yj, yj], color=c, lw=1.6, marker="|", ms=6, zorder=2,
                    gid=f"range:{iid}:{row.party}")  # fmt: skip
            if not _isna(row.ideal):
                ax.plot([norm(row.ideal)], [yj], ls="none", marker="o", ms=5, color=c,
                        mec="white", mew=0.6, zorder=3, gid=f"ideal:{iid}:{row.party}")  # fmt: skip
            ticks.append(yj)
            tick_labels.append(_short(_plain(row.party), 28))
        sq = status_quo.get(iid)
        if sq is not None and not _isna(sq):
            ax.plot([norm(sq)] * 2, [y, bottom - 0.5], color="grey", lw=0.8, ls=":", zorder=1)
            ax.plot([norm(sq)], [y], ls="none", marker="s", ms=6, color="grey", zorder=4,
                    gid=f"status_quo:{iid}")  # fmt: skip
        out = outcome.get(iid)
        if out is not None and not _isna(out):
            ax.plot([norm(out)] * 2, [y, bottom - 0.5], color="black", lw=0.8, ls=":", zorder=1)
            ax.plot([norm(out)], [y], ls="none", marker="D", ms=7, color="black", zorder=5,
                    gid=f"outcome:{iid}")  # fmt: skip
            ax.annotate(f"{float(out):.3g}", (norm(out), y), xytext=(6, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=7)  # fmt: skip
        issue_ticks.append(len(ticks))
        ticks.append(y)
        name = issues.at[iid, "name"] if "name" in issues.columns else iid
        tick_labels.append(_short(_plain(name if not _isna(name) else iid), 28))
        y = bottom + 1.3

    ax.set_yticks(ticks, tick_labels, fontsize=6.5 if len(parties) > 8 else 7.5)
    labels = ax.get_yticklabels()
    for k, iid in zip(issue_ticks, ids, strict=True):
        labels[k].set_fontweight("bold")
        labels[k].set_fontsize(8.5)
        if empty[iid]:
            labels[k].set_color("firebrick")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(y - 1.3 + 0.2, -0.9)
    ax.set_xlim(-0.1, 1.1)
    ax.set_xticks([])
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)

    handles = [
        Line2D([], [], color="dimgrey", lw=1.6, marker="|", ms=6),
        Line2D([], [], ls="none", marker="o", ms=5, color="dimgrey"),
    ]
    labels = ["acceptable range", "ideal point"]
    if not all(empty.values()):
        handles.append(Patch(fc=_RANGE, alpha=0.3))
        labels.append("zone of agreement")
    if any(empty.values()):
        handles.append(Patch(fc="red", alpha=0.15))
        labels.append("empty zone")
    if outcome:
        handles.append(Line2D([], [], ls="none", marker="D", ms=6, color="black"))
        labels.append("outcome")
    if status_quo:
        handles.append(Line2D([], [], ls="none", marker="s", ms=6, color="grey"))
        labels.append("status quo")
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
              fontsize=7, frameon=False, handlelength=1.6, columnspacing=1.2)  # fmt: skip
    head = "Nash bargaining: agreement" if reached else "Nash bargaining: no zone of agreement"
    if message:
        head += "\n" + textwrap.fill(_plain(message), 100 if own else 70)
    ax.set_title(head, fontsize=10, color="black" if reached else "firebrick", loc="center")
    ax.set_xlabel("positions normalised to each issue's scale (ends written beside it)",
                  fontsize=7, color="dimgrey", labelpad=18)  # fmt: skip
    if own:
        fig.tight_layout()
    return fig


def _isna(value) -> bool:
    try:
        return value is None or bool(np.isnan(float(value)))
    except (TypeError, ValueError):
        return False


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
    c = _plain(s["challenger"])
    ax.set_xlabel(f"{c}'s war value p - c (share of the stakes)")
    ax.set_ylabel("runs")
    ax.set_title(
        f"{_plain(result.scenario.name)}\nP(war) = {s['p_war']:.3f} "
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
        a.set_title(_plain(iss.name or iid), fontsize=10)
        a.set_xlabel("agreed outcome", fontsize=8)
        a.set_ylabel("runs")
    lo_, hi_ = s["p_agreement_interval"]
    if ax is None:
        fig.suptitle(
            f"{_plain(result.scenario.name)}: {result.model}, {', '.join(map(_plain, s['parties']))}\n"
            f"P(agreement) = {s['p_agreement']:.3f} [{lo_:.3f}, {hi_:.3f}] over {s['runs']} runs",
            fontsize=10,
        )
        fig.tight_layout()
    return fig


# ---- iterated games: tournaments and evolution (sim.models.games) ----------------------------
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
    ax.set_yticks(range(n), [_plain(result.names[k]) for k in order[::-1]], fontsize=8)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("score per repetition (total payoff against the other strategies)")
    ax.grid(axis="x", alpha=0.3)
    length = f"{result.turns} turns" if result.turns is not None else f"w = {result.continuation:g}"
    ax.set_title(
        f"{_plain(result.game)}: {length}, {result.repetitions} repetitions, "
        f"noise {result.noise:g}\n(diamond: mean; bar: middle half; line: range)",
        fontsize=10,
    )
    if own:
        fig.tight_layout()
    return fig


def payoff_heatmap(result, ax=None):
    """A tournament: the mean payoff per turn of each row strategy against each column
    strategy, written in the cells (the diagonal is self-play)."""
    matrix = result.payoff_matrix().to_numpy(dtype=float)
    names = [_plain(x) for x in result.names]
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
    ax.set_title(f"{_plain(result.game)}: payoff per turn of the row strategy", fontsize=10)
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
    ax.stackplot(steps, shares.T, labels=[_plain(x) for x in result.names],
                 colors=[cmap(k % cmap.N) for k in range(n)], alpha=0.85)  # fmt: skip
    fixed_at = getattr(result, "fixation_step", None)
    title = "replicator dynamics" if result.process == "replicator" else "Moran process"
    if result.process == "moran":
        title += f", population {int(result.states[0].sum())}, intensity {result.intensity:g}"
    if fixed_at is not None:
        ax.axvline(fixed_at, color="black", ls=":", lw=1.0, gid="fixation")
        title += f": {_plain(result.fixed)} fixed at step {fixed_at}"
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
    from matplotlib.colors import ListedColormap

    specs, actions = result.specs, result.actions
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
                f"{_plain(spec.actors[side])} ({_plain(spec.strategies[side].label)}) {share:.0%} C"
            )
            ticks.append(top + side + 0.5)
        ax.text(
            1.0, top + 1, f" {_plain(spec.game)}", transform=ax.get_yaxis_transform(),
            va="center", ha="left", fontsize=8, color="0.3",
        )  # fmt: skip
    ax.set_ylim(3 * n - 1, 0)
    turns = max((a.shape[0] for a in actions), default=1)
    ax.set_xlim(-0.5, turns - 0.5)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("turn")
    ax.set_title(
        f"{_plain(result.scenario.name)}: repeated games (green: cooperate, red: defect)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
