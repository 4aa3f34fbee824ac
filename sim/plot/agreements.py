"""A bargaining run's figures, read from its result: the zone of agreement (Nash
bargaining), the offers by round (alternating offers) and the crisis bargaining range."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.models.parties import parties
from sim.plot.bargaining import bargaining_range, offers, zone


def run_zone(result, ax=None):
    """Nash bargaining: each party's acceptable range per issue, the zone and the outcome."""
    rec = result.record
    pt = parties(result.scenario, rec["parties"])
    arrays = result.scenario.arrays()
    zone_of = rec["zone_of_agreement"]
    issues = pd.DataFrame(
        {
            "scale_lo": arrays.scale_lo,
            "scale_hi": arrays.scale_hi,
            "zone_lo": [
                np.nan if zone_of[i]["empty"] else zone_of[i]["lo"] for i in arrays.issue_ids
            ],
            "zone_hi": [
                np.nan if zone_of[i]["empty"] else zone_of[i]["hi"] for i in arrays.issue_ids
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
    return zone(
        issues,
        ranges,
        outcome=agreement["outcome"],
        status_quo=sq,
        reached=agreement["reached"],
        message=rec.get("message"),
        ax=ax,
    )


def run_offers(result, ax=None):
    """Alternating offers: each round's offer as the two parties' shares."""
    rec = result.record
    res = rec["reservation"]
    a, b = rec["parties"]
    return offers(
        result.rounds,
        (a, b),
        reservations=(
            math.inf if res[a] is None else res[a],
            math.inf if res[b] is None else res[b],
        ),
        ax=ax,
    )


def run_bargaining_range(result, ax=None):
    """The crisis bargaining range ``[p - c_C, p + c_D]``, the offer and P(war)."""
    rec = result.war_record
    if rec is None:
        raise ValueError(f"{result.scenario.name}: the scenario has no [crisis] section")
    c, d = rec["challenger"], rec["defender"]
    fearon = rec.get("fearon")
    offer = p_war = cost_range = None
    if fearon is not None:
        cost_range = tuple(fearon["cost_range"])
        bound = fearon["with_red_lines"]
        offer = bound["offer"] if bound["offer"] is not None else None
        p_war = bound["p_war"]
    share = rec["negotiation"]["share"]
    return bargaining_range(
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
