"""Crisis bargaining with force as the outside option, on a scenario's `[crisis]`: the
challenger fights when the war is worth more to it than the negotiated outcome (Nash
bargaining, alternating offers or the status quo); the defender's best offer when the
challenger's cost of war is private.

Fearon's closed forms are in :mod:`sim.models.fearon`; the war on a scenario (sides,
``p``, offers within the red lines) in :mod:`sim.models.war`.
"""

from __future__ import annotations

import dataclasses
import html
import math
from dataclasses import dataclass

import numpy as np

from sim.models.agreement import FIRST, PARTIES, STRATEGIES, WEIGHTS
from sim.models.bargain import (
    Bargain,
    alternating,
    check_strategies,
    crisis_lines,
    nash,
    party_ids,
    strategy_map,
)
from sim.models.base import Model, distribution_stats, parameter, wilson_interval
from sim.models.parties import default_parties, war
from sim.models.war import crisis, defender_offer, offer_limits
from sim.uncertainty import perturb

COLUMNS = ("p", "cost", "war_value", "offer", "status_quo_share", "p_war_believed", "war")
"""An ensemble's per-run columns beside ``run`` and ``seed``."""
WAR_COLUMNS = (
    "p_war", "p_war_lo", "p_war_hi", "p_war_believed", "p_mean", "war_value_mean",
    "share_with_offer", "runs",
)  # fmt: skip
"""A sweep's columns after the parameters: one row per grid point."""


def _finite(v):
    """``v`` with every non-finite float as None (point files are strict JSON)."""
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass(frozen=True)
class Params:
    """Parameters of the crisis model."""

    negotiation: str | None = parameter(
        None,
        help="The outcome the challenger weighs against war (default: [crisis] negotiation).",
        choices=("nbs", "alternating", "status_quo"),
    )
    parties: str | tuple[str, ...] | None = PARTIES
    strategies: tuple[str, ...] | dict = STRATEGIES
    first: str | None = FIRST
    weights: str | None = WEIGHTS


class Crisis(Model):
    gives_war = True
    name = "crisis"
    summary = "Crisis bargaining with war as the outside option; the defender's optimal offer"
    citation = (
        "Fearon, J. D. (1995). Rationalist explanations for war. International "
        "Organization 49(3); Powell (1999), In the Shadow of Power."
    )
    requires = ("crisis",)
    Params = Params
    ensemble_figure = "war_distribution"

    def negotiation(self, scenario, params) -> str:
        return params.negotiation or scenario.crisis.negotiation

    def uses_deadline(self, scenario, params) -> bool:
        return scenario.crisis is not None and self.negotiation(scenario, params) == "alternating"

    def check(self, scenario, params, rounds) -> None:
        super().check(scenario, params, rounds)
        ids = party_ids(scenario, params.parties)
        who = ids or default_parties(scenario, "alternating")
        check_strategies(who, strategy_map(params.strategies), params.first)

    def parties_count(self, scenario) -> int:
        named = scenario.bargaining.parties
        return len(named) if named else 2

    def run(self, scenario, params=None, rounds=None, **how) -> Bargain:
        params = params if params is not None else self.Params()
        sc = scenario
        ids = party_ids(sc, params.parties)
        kind = self.negotiation(sc, params)
        negotiated = None
        rows = None
        if kind == "nbs":
            negotiated = nash(sc, ids, params.weights)
        elif kind == "alternating":
            negotiated, rows = alternating(
                sc, ids or (sc.crisis.challenger, sc.crisis.defender),
                strategy_map(params.strategies), params.first, rounds,
            )  # fmt: skip
        record = crisis(sc, kind, negotiated=negotiated)
        if negotiated is not None:
            record["negotiation"]["record"] = negotiated
        return Bargain(record, None, rows)

    # ---- one run, as data
    def agreement(self, record: dict) -> dict:
        neg = record["negotiation"]
        return {"reached": neg["reached"], "outcome": neg["outcome"] if neg["reached"] else None}

    def crisis_record(self, record: dict, layer: dict | None) -> dict:
        return record

    def war(self, record: dict, layer: dict | None) -> bool:
        return bool(record["war"])

    def run_summary(self, result) -> dict:
        rec = result.record
        fearon = rec.get("fearon")
        return {
            "agreement": {
                "reached": rec["negotiation"]["reached"],
                "outcome": rec["negotiation"]["outcome"] if rec["negotiation"]["reached"] else None,
                "model": rec["negotiation"]["model"],
            },
            "war": rec["war"],
            "p": rec["p"],
            "bargaining_range": rec["bargaining_range"],
            "p_war": fearon["with_red_lines"]["p_war"] if fearon is not None else float(rec["war"]),
            "crisis": rec,
        }

    def outputs(self, result) -> list:
        return [("figure", "bargaining_range.png", "bargaining_range")]

    def lines(self, result) -> list[str]:
        return [f"{result.scenario.name}: model {self.name}", *crisis_lines(result.record)]

    # ---- ensembles
    def batch(self, scenario, arrays, spreads, seeds, rounds):
        """Perturbed capabilities, positions and saliences, and the challenger's private
        cost of war drawn uniform on ``[crisis] cost_range`` (fixed without one).

        In each run the defender makes its best offer within the red lines
        (:func:`sim.models.war.defender_offer`, knowing ``p`` but only the range of the
        cost), and the challenger fights when the war is worth more to it than both that
        offer (if its red lines let it accept it) and the status quo.
        """
        sc = scenario
        X, S, C, z = perturb(arrays, spreads, seeds, extra=1)
        cr = sc.crisis
        R = len(seeds)
        if cr.cost_range is not None:
            a, b = cr.cost_range
            u = 0.5 * np.array([math.erfc(-v / math.sqrt(2.0)) for v in z[:, 0]])
            cost = a + (b - a) * u
        else:
            cost = np.full(R, float(cr.cost[cr.challenger]))
        out = {name: np.empty(R) for name in COLUMNS}
        for r in range(R):
            arr = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
            w = war(sc, arr, cost[r])
            feasible, accept_min = offer_limits(w, sc, arr)
            sq = w.share(w.sides.status_quo[0])
            best = defender_offer(w, cr.cost_range, feasible, accept_min, sq)
            offer = math.nan if best["offer"] is None else best["offer"]
            value = w.p - cost[r]
            keep = sq if math.isnan(offer) else max(offer, sq)
            out["p"][r] = w.p
            out["cost"][r] = cost[r]
            out["war_value"][r] = value
            out["offer"][r] = offer
            out["status_quo_share"][r] = sq
            out["p_war_believed"][r] = best["p_war"]
            out["war"][r] = float(value > keep)
        out["war"] = out["war"].astype(bool)
        return out

    def nominal(self, scenario, rounds: int) -> dict:
        return {"crisis": crisis(scenario, "status_quo")}

    def uncertainty(self, scenario, spread: dict) -> dict:
        cost_range = scenario.crisis.cost_range
        return {**spread, "cost_range": None if cost_range is None else list(cost_range)}

    def ensemble_summary(self, result) -> dict:
        runs = result.runs
        war_ = runs["war"].to_numpy(dtype=bool)
        k, n = int(war_.sum()), len(war_)
        lo, hi = wilson_interval(k, n)
        nominal = result.baseline["crisis"]
        fearon = nominal.get("fearon")
        stats = distribution_stats
        offers = runs["offer"].to_numpy(dtype=np.float64)
        has_offer = ~np.isnan(offers)
        return {
            "scenario": result.scenario.name,
            "model": self.name,
            "runs": n,
            "root_seed": result.root_seed,
            "p_war": k / n,
            "p_war_interval": [lo, hi],
            "confidence": 0.95,
            "interval_method": "Wilson score",
            "war_runs": k,
            "p_war_believed": float(runs["p_war_believed"].mean()),
            "p": stats(runs["p"]),
            "war_value": stats(runs["war_value"]),
            "share_with_offer": float(has_offer.mean()),
            "offer": stats(offers[has_offer]) if has_offer.any() else None,
            "unperturbed": {
                "p": nominal["p"],
                "bargaining_range": nominal["bargaining_range"],
                "p_war": None if fearon is None else fearon["with_red_lines"]["p_war"],
                "p_war_without_red_lines": None if fearon is None else fearon["p_war"],
                "offer_without_red_lines": None if fearon is None else fearon["offer"],
            },
            "challenger": nominal["challenger"],
            "defender": nominal["defender"],
            "uncertainty": result.uncertainty,
            "scenario_hash": result.metadata["sim.scenario_hash"],
        }

    def ensemble_lines(self, result, s: dict) -> list[str]:
        lo, hi = s["p_war_interval"]
        c, d = s["challenger"], s["defender"]
        lines = [
            f"{result.scenario.name}: {s['runs']} crisis runs, root seed {s['root_seed']}; "
            f"{c} against {d}",
            f"P(war) = {s['p_war']:.3f}, 95% interval [{lo:.3f}, {hi:.3f}] (Wilson)",
            f"P({c} wins): mean {s['p']['mean']:.3f}, 5-95% {s['p']['p5']:.3f} - "
            f"{s['p']['p95']:.3f}; runs with an offer both sides' red lines allow: "
            f"{s['share_with_offer']:.1%}",
        ]
        u = s["unperturbed"]
        if u["p_war"] is not None:
            lines.append(
                f"unperturbed, closed form: P(war) = {u['p_war']:.3f} within the red lines, "
                f"{u['p_war_without_red_lines']:.3f} without them"
            )
        return lines

    def ensemble_html(self, result, s: dict) -> str:
        lo, hi = s["p_war_interval"]
        return (
            f"<p><b>{html.escape(result.scenario.name)}</b>: crisis ensemble of {result.n_runs} "
            f"runs (root seed {result.root_seed}): P(war) = {s['p_war']:.3f} "
            f"[{lo:.3f}, {hi:.3f}] (95%), mean p = {s['p']['mean']:.3f}</p>"
        )

    # ---- sweeps: one row per grid point
    sweepable = True

    def sweep_point(self, s: dict) -> dict:
        keys = (
            "runs", "p_war", "p_war_interval", "war_runs", "p_war_believed", "p", "war_value",
            "share_with_offer", "offer", "unperturbed",
        )  # fmt: skip
        return {k: _finite(s[k]) for k in keys}

    def sweep_rows(self, values: dict, point: dict, issues) -> list[dict]:
        lo, hi = point["p_war_interval"]
        return [
            values
            | {
                "p_war": float(point["p_war"]),
                "p_war_lo": float(lo),
                "p_war_hi": float(hi),
                "p_war_believed": float(point["p_war_believed"]),
                "p_mean": float(point["p"]["mean"]),
                "war_value_mean": float(point["war_value"]["mean"]),
                "share_with_offer": float(point["share_with_offer"]),
                "runs": int(point["runs"]),
            }
        ]

    def sweep_columns(self):
        return WAR_COLUMNS, {c: "float64" for c in WAR_COLUMNS} | {"runs": "int64"}

    def sweep_figure(self, n_params: int, issue: str | None = None) -> str:
        if issue is not None:
            raise ValueError("a crisis sweep has one P(war) per point, not one per issue")
        return "sweep_war_lines" if n_params == 1 else "sweep_war_heatmap"

    def sweep_lines(self, result, limit: int = 40) -> list[str]:
        """A crisis sweep as text lines: P(war) with its 95% interval at each grid point."""
        paths = [p.path for p in result.params]
        lines = [
            f"{result.scenario.name}: sweep of {result.n_points} points, {result.runs} runs of "
            f"{result.model} each, root seed {result.root_seed} at every point",
            "P(war) with its 95% interval (Wilson) per point:",
        ]
        widths = [max(10, len(p)) for p in paths]
        header = " ".join(f"{p:>{w}}" for p, w in zip(paths, widths, strict=True))
        header += f" {'P(war)':>7} {'95% interval':>16} {'believed':>9} {'mean p':>7}"
        lines += [header, "-" * len(header)]
        t = result.table
        for n, row in enumerate(t.itertuples(index=False)):
            if n == limit:
                lines.append(f"... {len(t) - limit} more points in the table")
                break
            key = row[: len(paths)]
            r = dict(zip(t.columns, row, strict=True))
            interval = f"[{r['p_war_lo']:.3f}, {r['p_war_hi']:.3f}]"
            lines.append(
                " ".join(f"{v:>{w}g}" for v, w in zip(key, widths, strict=True))
                + f" {r['p_war']:>7.3f} {interval:>16} {r['p_war_believed']:>9.3f}"
                f" {r['p_mean']:>7.3f}"
            )
        return lines

    def sweep_html(self, result) -> str:
        paths = [p.path for p in result.params]
        cols = ["p_war", "p_war_lo", "p_war_hi", "p_war_believed", "p_mean"]
        return (
            f"<p><b>{html.escape(result.scenario.name)}</b>: crisis sweep of {result.n_points} "
            f"points ({result.runs} runs each, same root seed {result.root_seed} at every "
            "point); P(war) with its 95% interval (Wilson)</p>"
            + result.table.set_index(paths)[cols].to_html(float_format=lambda v: f"{v:.3f}")
        )


MODEL = Crisis()
