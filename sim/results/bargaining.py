"""One run of a bargaining model: Nash bargaining, alternating offers or crisis."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs import write_files
from sim.results._files import figure_bytes, source_inputs
from sim.scenario import Scenario

BARGAINING_MODELS = ("nbs", "alternating", "crisis")


@dataclass(frozen=True)
class BargainResult:
    """One run of a bargaining model: ``"nbs"``, ``"alternating"`` or ``"crisis"``.

    Attributes
    ----------
    scenario : Scenario
    model : str
    record : dict
        The model's record (see :mod:`sim.models.bargain`): for ``nbs`` the zone of
        agreement and the agreement; for ``alternating`` also the round; for
        ``crisis`` the sides, ``p``, the bargaining range, the offers and the war.
    crisis : dict or None
        The crisis layer: how the scenario's `[crisis]` war compares with this
        model's outcome (the ``crisis`` model's own record for that model).
    rounds : pandas.DataFrame or None
        Alternating offers: one row per round.
    source, overrides
        Where the scenario came from and the counterfactuals applied.
    """

    scenario: Scenario
    model: str
    record: dict
    crisis: dict | None = None
    rounds: pd.DataFrame | None = None
    source: str = ""
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def agreement(self) -> dict:
        """``{"reached", "outcome", "utilities"}`` of the negotiation."""
        if self.model == "crisis":
            neg = self.record["negotiation"]
            return {
                "reached": neg["reached"],
                "outcome": neg["outcome"] if neg["reached"] else None,
            }
        return self.record["agreement"]

    @property
    def war(self) -> bool | None:
        """Whether the challenger prefers war to the negotiated outcome (None without `[crisis]`)."""
        if self.model == "crisis":
            return bool(self.record["war"])
        return None if self.crisis is None else bool(self.crisis["war"])

    def summary(self) -> dict:
        """What ``summary.json`` holds."""
        from sim import __version__

        out = {
            "scenario": self.scenario.name,
            "source": self.source,
            "model": self.model,
            "utility": self.scenario.payoffs.utility,
        }
        if self.model == "crisis":
            rec = self.record
            fearon = rec.get("fearon")
            out["agreement"] = {
                "reached": rec["negotiation"]["reached"],
                "outcome": rec["negotiation"]["outcome"] if rec["negotiation"]["reached"] else None,
                "model": rec["negotiation"]["model"],
            }
            out["war"] = rec["war"]
            out["p"] = rec["p"]
            out["bargaining_range"] = rec["bargaining_range"]
            out["p_war"] = (
                fearon["with_red_lines"]["p_war"] if fearon is not None else float(rec["war"])
            )
            out["crisis"] = rec
        else:
            out.update(self.record)
            if self.crisis is not None:
                out["crisis"] = self.crisis
                out["war"] = self.crisis["war"]
        out.update(
            overrides=list(self.overrides),
            actors=list(self.scenario.actor_ids),
            issues=list(self.scenario.issue_ids),
            sim_version=__version__,
        )
        return out

    def plot(self, ax=None):
        """The model's figure: the zone of agreement, the offers, or the bargaining range."""
        from sim import plot

        if self.model == "nbs":
            return self._zone_figure(ax)
        if self.model == "alternating":
            res = self.record["reservation"]
            return plot.offers(
                self.rounds,
                tuple(self.record["parties"]),
                reservations=(
                    math.inf
                    if res[self.record["parties"][0]] is None
                    else res[self.record["parties"][0]],
                    math.inf
                    if res[self.record["parties"][1]] is None
                    else res[self.record["parties"][1]],
                ),
                ax=ax,
            )
        return self.plot_bargaining_range(ax=ax)

    def plot_bargaining_range(self, ax=None):
        """The crisis bargaining range ``[p - c_C, p + c_D]``, the offer and P(war)."""
        from sim import plot

        rec = self.record if self.model == "crisis" else self.crisis
        if rec is None:
            raise ValueError(f"{self.scenario.name}: the scenario has no [crisis] section")
        c, d = rec["challenger"], rec["defender"]
        fearon = rec.get("fearon")
        offer = p_war = cost_range = None
        if fearon is not None:
            cost_range = tuple(fearon["cost_range"])
            bound = fearon["with_red_lines"]
            offer = bound["offer"] if bound["offer"] is not None else None
            p_war = bound["p_war"]
        share = rec["negotiation"]["share"]
        return plot.bargaining_range(
            rec["p"],
            rec["cost"][c],
            rec["cost"][d],
            offer=offer,
            p_war=p_war,
            cost_range=cost_range if ax is None else None,
            # a status quo worse than losing the war is a share below 0: drawn at the end
            negotiated=None if share is None else min(max(share, 0.0), 1.0),
            challenger=c,
            defender=d,
            ax=ax,
        )

    def _zone_figure(self, ax=None):
        from sim import plot
        from sim.models.parties import parties

        rec = self.record
        pt = parties(self.scenario, rec["parties"])
        arrays = self.scenario.arrays()
        zone = rec["zone_of_agreement"]
        issues = pd.DataFrame(
            {
                "scale_lo": arrays.scale_lo,
                "scale_hi": arrays.scale_hi,
                "zone_lo": [
                    np.nan if zone[i]["empty"] else zone[i]["lo"] for i in arrays.issue_ids
                ],
                "zone_hi": [
                    np.nan if zone[i]["empty"] else zone[i]["hi"] for i in arrays.issue_ids
                ],
            },
            index=pd.Index(arrays.issue_ids, name="issue"),
        )
        ranges = pd.DataFrame(
            [
                {
                    "issue": iid,
                    "party": pid,
                    "lo": pt.lo[i, k],
                    "hi": pt.hi[i, k],
                    "ideal": pt.ideal[i, k],
                }
                for k, iid in enumerate(arrays.issue_ids)
                for i, pid in enumerate(pt.ids)
            ]
        )
        sq = {
            iid: float(arrays.status_quo[k])
            for k, iid in enumerate(arrays.issue_ids)
            if not np.isnan(arrays.status_quo[k])
        }
        agreement = rec["agreement"]
        return plot.zone(
            issues,
            ranges,
            outcome=agreement["outcome"],
            status_quo=sq,
            reached=agreement["reached"],
            message=rec.get("message"),
            ax=ax,
        )

    def write(self, out: str | Path) -> list[Path]:
        """Write ``summary.json`` and the figures (``agreement.png``, ``offers.png`` and
        ``offers.csv``, ``bargaining_range.png``), made in memory first and then written
        together, each atomically, into a folder sim owns (see :mod:`sim.outputs`)."""
        from sim import plot

        files = {"summary.json": json.dumps(self.summary(), indent=2, allow_nan=False) + "\n"}
        if self.model == "alternating":
            files["offers.csv"] = self.rounds.to_csv(
                index=False, float_format="%.17g", lineterminator="\n"
            )
        figures = []
        if self.model == "nbs":
            figures.append(("agreement.png", self._zone_figure))
        if self.model == "alternating":
            figures.append(("offers.png", self.plot))
        if self.model == "crisis" or self.crisis is not None:
            figures.append(("bargaining_range.png", self.plot_bargaining_range))
        for name, make in figures:
            fig = make()
            try:
                files[name] = figure_bytes(fig)
            finally:
                plot.close(fig)
        return write_files(out, files, inputs=source_inputs(self.source))

    def __repr__(self) -> str:
        extra = "" if self.war is None else f", war={self.war}"
        return (
            f"BargainResult({self.scenario.name!r}, model={self.model!r}, "
            f"agreement={self.agreement['reached']}{extra})"
        )

    def _repr_html_(self) -> str:
        a = self.agreement
        head = (
            f"<p><b>{html.escape(self.scenario.name)}</b>: model {html.escape(self.model)}; "
            f"agreement: {'yes' if a['reached'] else 'no'}"
            + ("" if self.war is None else f"; war: {'yes' if self.war else 'no'}")
            + "</p>"
        )
        msg = self.record.get("message")
        if msg:
            head += f"<p>{html.escape(msg)}</p>"
        if a["reached"] and a.get("outcome"):
            rows = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{v:.2f}</td></tr>"
                for k, v in a["outcome"].items()
            )
            head += f"<table><tr><th>issue</th><th>outcome</th></tr>{rows}</table>"
        return head
