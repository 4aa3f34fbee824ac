"""Figures of the bargaining models, from plain data so that they need no model run:
the crisis bargaining range, alternating offers round by round, the Nash bargaining
zone of agreement."""

from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from sim.plot._base import (
    MAX_LABELLED,
    MAX_MESSAGE,
    MAX_PANELS,
    _label,
    _note,
    _showing,
    plt,
)

_CHALLENGER = "tab:blue"
_DEFENDER = "tab:orange"
_RANGE = "tab:green"
_OFFER = "tab:red"
_NEGOTIATED = "tab:purple"
_NAME = 30  # characters of a party's name in a title, a label or the legend
_MAX_ZONE_ROWS = 150  # rows of the zone figure (parties and issue headings) at most


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
    return _label(name, _NAME) if name == role else f"{_label(name, _NAME)} ({role})"


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
    top.text(
        0.01, 0.03, f"all to {_label(defender, _NAME)}", fontsize=7, color="dimgrey", ha="left"
    )
    top.text(
        0.99, 0.03, f"all to {_label(challenger, _NAME)}", fontsize=7, color="dimgrey", ha="right"
    )

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
        f"share x of the pie to {_label(challenger, _NAME)} ({_label(defender, _NAME)} gets 1 − x)",
        fontsize=8,
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
                    label=f"{_label(defender, _NAME)}'s expected utility")  # fmt: skip
        if offer is not None:
            bottom.axvline(offer, color=_OFFER, ls="--", lw=1.2, gid="offer_line",
                           label=f"offer x* = {offer:.2f}")  # fmt: skip
        bottom.set_ylim(min(0.0, float(u.min())) - 0.05, max(1.0, float(u.max())) + 0.08)
        bottom.set_xlabel(f"offer x (share to {_label(challenger, _NAME)})", fontsize=8)
        bottom.set_ylabel("probability / utility (pie shares)", fontsize=8)
        bottom.set_title(
            f"{_label(challenger, _NAME)}'s cost of war is private, uniform on [{a:.2f}, {b:.2f}]",
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
    title = f"Alternating offers: {_label(name_a, _NAME)} vs {_label(name_b, _NAME)}"
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
        labels.append(f"value to {_label(name, _NAME)}")
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
                labels.append(f"{_label(name, _NAME)}'s reservation {rv:.2f}")
            else:
                handles.append(Line2D([], [], ls="none", marker="x", color=colour))
                why = "no acceptable point" if rv > 1 else "any offer acceptable"
                labels.append(f"{_label(name, _NAME)}: {why} (reservation {rv:g})")
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

    every_party = list(dict.fromkeys(ranges["party"]))
    parties = every_party[:MAX_LABELLED]
    if len(parties) < len(every_party):
        ranges = ranges[ranges["party"].isin(parties)]
    cmap = plt.get_cmap("tab20" if len(parties) > 10 else "tab10")
    colour = {name: cmap(i % cmap.N) for i, name in enumerate(parties)}
    by_issue = {iid: ranges[ranges["issue"] == iid] for iid in ids}
    every_issue, ids, n_rows = ids, [], 0.0
    for iid in every_issue:  # as many blocks of rows as fit the figure's height
        need = len(by_issue[iid]) + 1 + (0.8 if ids else 0.0)
        if ids and (len(ids) == MAX_PANELS or n_rows + need > _MAX_ZONE_ROWS):
            break
        ids.append(iid)
        n_rows += need
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
            tick_labels.append(_label(row.party, 28))
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
        tick_labels.append(_label(name if not _isna(name) else iid, 28))
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
        head += "\n" + textwrap.fill(_label(message, MAX_MESSAGE), 100 if own else 70)
    ax.set_title(head, fontsize=10, color="black" if reached else "firebrick", loc="center")
    ax.set_xlabel("positions normalised to each issue's scale (ends written beside it)",
                  fontsize=7, color="dimgrey", labelpad=18)  # fmt: skip
    if len(ids) < len(every_issue):
        _note(fig if own else ax, _showing(len(ids), len(every_issue), "issues"))
    if len(parties) < len(every_party):
        _note(fig if own else ax, _showing(len(parties), len(every_party), "parties"))
    if own:
        fig.tight_layout()
    return fig


def _isna(value) -> bool:
    try:
        return value is None or bool(np.isnan(float(value)))
    except (TypeError, ValueError):
        return False
