"""What the bargaining models share: parameters, the crisis layer, ensembles of agreements.

A bargaining model's outcome is a `sim.models.bargain.Bargain`: a record of the
agreement (reached or not, the outcome per issue, each party's utility) and, when the
scenario has a `[crisis]` section, how the war compares with that outcome.
"""

from __future__ import annotations

import dataclasses
import html
import math

import numpy as np

from sim.models.bargain import Bargain, crisis_lines
from sim.models.base import Model, distribution_stats, parameter, wilson_interval
from sim.models.parties import default_parties
from sim.models.war import crisis as war_crisis
from sim.uncertainty import perturb

PARTIES = parameter(
    None,
    help="Actor or bloc ids that bargain, e.g. RUS,NATO (default: the scenario's "
    "[bargaining] parties).",
    metavar="A,B,...",
)
WEIGHTS = parameter(
    None,
    help="Symmetric (equal) or asymmetric (capability) weights (default: [bargaining] weights).",
    choices=("equal", "capability"),
)
STRATEGIES = parameter(
    (),
    help="A party's strategy: hard_line, boulware, linear, conceder, tit_for_tat, "
    "time_based:EXPONENT or tit_for_tat:FACTOR (repeatable).",
    metavar="PARTY=NAME",
    multiple=True,
    flag="--strategy",
)
FIRST = parameter(None, help="Who proposes first.", metavar="PARTY")


class AgreementModel(Model):
    """A model that looks for a deal between parties (Nash bargaining, alternating offers);
    the crisis layer is added when the scenario has a `[crisis]` section."""

    ensemble_figure = "agreement_distribution"
    figure = "zone"
    figure_file = "agreement.png"
    forecast_kinds = ("agreement",)

    def scenario_forecasts(self, scenario, params, rounds=None) -> dict:
        """The agreement on each issue (NaN everywhere when the parties reach none)."""
        record, _ = self.negotiate(scenario, params, rounds, table=False)
        agreement = record["agreement"]
        outcome = agreement["outcome"] if agreement["reached"] else None
        return {
            "agreement": {
                iid: math.nan if outcome is None else float(outcome[iid])
                for iid in scenario.issue_ids
            }
        }

    def parties_count(self, scenario) -> int:
        named = scenario.bargaining.parties
        return len(named) if named else len(default_parties(scenario, self.name))

    def negotiate(self, scenario, params, rounds, arrays=None, table=True):
        """The record of the negotiation and, for alternating offers, its rows."""
        raise NotImplementedError

    def run(self, scenario, params=None, rounds=None, **how) -> Bargain:
        params = params if params is not None else self.Params()
        record, rows = self.negotiate(scenario, params, rounds)
        layer = None
        if scenario.crisis is not None:
            layer = war_crisis(scenario, self.name, negotiated=record)
        return Bargain(record, layer, rows)

    # ---- one run, as data
    def agreement(self, record: dict) -> dict:
        return record["agreement"]

    def crisis_record(self, record: dict, layer: dict | None) -> dict | None:
        return layer

    def war(self, record: dict, layer: dict | None) -> bool | None:
        return None if layer is None else bool(layer["war"])

    def run_summary(self, result) -> dict:
        out = dict(result.record)
        if result.crisis is not None:
            out["crisis"] = result.crisis
            out["war"] = result.crisis["war"]
        return out

    def outputs(self, result) -> list:
        """``(file name, kind)`` of a run's files beside ``summary.json``: ``("table", name)``
        for the rounds table, ``("figure", name)`` for a `sim.plot.FIGURES` entry."""
        out = [("figure", self.figure_file, self.figure)]
        if result.crisis is not None:
            out.append(("figure", "bargaining_range.png", "bargaining_range"))
        return out

    def lines(self, result) -> list[str]:
        rec = result.record
        lines = [f"{result.scenario.name}: model {self.name}"]
        ps = list(rec["parties"])
        more = f" and {len(ps) - 20} more" if len(ps) > 20 else ""
        lines.append(f"parties: {', '.join(ps[:20])}{more}")
        lines += self.zone_lines(rec)
        a = rec["agreement"]
        if a["reached"]:
            lines.append(f"agreement{self.when(rec)}:")
            for iid, x in a["outcome"].items():
                lines.append(f"  {iid:<16} {x:8.2f}")
            lines.append(
                "utilities: " + ", ".join(f"{p} {u:.3f}" for p, u in a["utilities"].items())
            )
        else:
            lines.append(rec.get("message", "no agreement"))
        if result.crisis is not None:
            lines += crisis_lines(result.crisis)
        return lines

    def zone_lines(self, record: dict) -> list[str]:
        return []

    def when(self, record: dict) -> str:
        return ""

    # ---- ensembles
    def batch(self, scenario, arrays, spreads, seeds, rounds):
        """Each run's agreement on perturbed inputs between the default parties: whether
        they agree, the round, the outcome per issue and each party's utility (NaN
        without agreement)."""
        X, S, C = perturb(arrays, spreads, seeds)
        R = len(seeds)
        ids = default_parties(scenario, self.name)
        m = len(arrays.issue_ids)
        agree = np.zeros(R, dtype=bool)
        rnd = np.full(R, -1, dtype=np.int64)
        outcome = np.full((R, m), np.nan)
        util = np.full((R, len(ids)), np.nan)
        params = dataclasses.replace(self.Params(), parties=tuple(ids))
        for r in range(R):
            arr = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
            rec, _ = self.negotiate(scenario, params, None, arrays=arr, table=False)
            rnd[r] = -1 if rec.get("round") is None else rec["round"]
            a = rec["agreement"]
            if a["reached"]:
                agree[r] = True
                outcome[r] = [a["outcome"][i] for i in arrays.issue_ids]
                util[r] = [a["utilities"][p] for p in ids]
        cols = {"agreement": agree, "round": rnd}
        for k, iid in enumerate(scenario.issue_ids):
            cols[f"{iid}.outcome"] = np.ascontiguousarray(outcome[:, k])
        for i, pid in enumerate(ids):
            cols[f"utility.{pid}"] = np.ascontiguousarray(util[:, i])
        return cols

    def nominal(self, scenario, rounds: int) -> dict:
        record, _ = self.negotiate(scenario, self.Params(), None, table=False)
        return {"bargain": record}

    def ensemble_summary(self, result) -> dict:
        runs = result.runs
        agree = runs["agreement"].to_numpy(dtype=bool)
        k, n = int(agree.sum()), len(agree)
        lo, hi = wilson_interval(k, n)
        nominal = result.baseline["bargain"]
        stats = distribution_stats
        out = {
            "scenario": result.scenario.name,
            "model": self.name,
            "runs": n,
            "root_seed": result.root_seed,
            "parties": nominal["parties"],
            "p_agreement": k / n,
            "p_agreement_interval": [lo, hi],
            "confidence": 0.95,
            "interval_method": "Wilson score",
            "outcome": {
                iid: stats(runs[f"{iid}.outcome"].to_numpy()[agree])
                for iid in result.scenario.issue_ids
            },
            "utilities": {
                pid: stats(runs[f"utility.{pid}"].to_numpy()[agree]) for pid in nominal["parties"]
            },
        }
        out.update(self.round_stats(runs, agree))
        out.update(
            unperturbed={
                "agreement": nominal["agreement"],
                "message": nominal.get("message"),
            },
            uncertainty=result.uncertainty,
            scenario_hash=result.metadata["sim.scenario_hash"],
        )
        return out

    def round_stats(self, runs, agree) -> dict:
        return {}

    def ensemble_lines(self, result, s: dict) -> list[str]:
        lo, hi = s["p_agreement_interval"]
        lines = [
            f"{result.scenario.name}: {s['runs']} runs of {s['model']} between "
            f"{', '.join(s['parties'])}, root seed {s['root_seed']}",
            f"P(agreement) = {s['p_agreement']:.3f}, 95% interval [{lo:.3f}, {hi:.3f}]",
        ]
        if s.get("round"):
            lines.append(f"agreement round: mean {s['round']['mean']:.1f}")
        header = f"{'issue':<16} {'agreed: mean':>12} {'5%':>7} {'95%':>7}"
        lines += [header, "-" * len(header)]
        for iid, st in s["outcome"].items():
            if st is None:
                lines.append(f"{iid[:16]:<16} {'-':>12}")
            else:
                lines.append(
                    f"{iid[:16]:<16} {st['mean']:>12.2f} {st['p5']:>7.2f} {st['p95']:>7.2f}"
                )
        return lines

    def ensemble_html(self, result, s: dict) -> str:
        lo, hi = s["p_agreement_interval"]
        return (
            f"<p><b>{html.escape(result.scenario.name)}</b>: {html.escape(self.name)} ensemble "
            f"of {result.n_runs} runs (root seed {result.root_seed}): P(agreement) = "
            f"{s['p_agreement']:.3f} [{lo:.3f}, {hi:.3f}] (95%)</p>"
        )
