"""The probabilistic Condorcet election as a forecaster (KTAB's ``scalarPCE``/``pDist``).

On each issue alone, the candidates are the actors' own positions (mapped to [0, 1] by the
issue's scale; positions closer than 0.001 there are one candidate). Every actor votes in
every pairwise contest by the voting rule ``vote_rule`` with its utility ``(1 - d)(1 + d r)``
of a position at distance d (KTAB's SMP on one dimension, where salience cancels out of the
distance), its risk attitude r inferred from a first, risk-neutral election
(``risk_range``); ``victory`` turns the coalitions into pairwise victory probabilities and
``pce`` into each candidate's probability of winning. The forecasts per issue are the
probability-weighted position (``mean``) and the most likely position (``mode``).

Nobody moves: a run is the zero-round trajectory of the baselines (its compromise and
median), which also carries the election (`CondorcetTrajectory`); ensembles report the
baselines and the election's two forecasts. See docs/condorcet.md.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass

import numpy as np

from sim.kernels.pce import PCE_NAMES, RISK_NAMES, RULE_NAMES, VICTORY_NAMES, elections
from sim.models.base import KERNEL_LOCK, distribution_stats, parameter
from sim.models.compromise import Static
from sim.models.trajectory import (
    Trajectory,
    forecast_batch,
    forecast_pair_lines,
    static_trajectory,
)
from sim.uncertainty import perturb

WEIGHTS = ("capability", "influence")
"""An actor's vote weight: its capability (KTAB's ``pDist``) or capability times salience."""
KINDS = ("mean", "mode")
"""The election's two forecasts per issue."""


@dataclass(frozen=True)
class Params:
    """Parameters of the probabilistic Condorcet election (KTAB's names and defaults)."""

    vote_rule: str = parameter(
        "Prop",
        help="Voting rule of each actor in each pairwise contest (KTAB's VotingRule).",
        choices=RULE_NAMES,
    )
    victory: str = parameter(
        "Linear",
        help="Victory-probability model of two coalitions' strengths (KTAB's VPModel).",
        choices=VICTORY_NAMES,
    )
    pce: str = parameter(
        "Conditional",
        help="From pairwise victory probabilities to each position's probability of "
        "winning (KTAB's PCEModel).",
        choices=PCE_NAMES,
    )
    risk_range: str = parameter(
        "Mid",
        help="Range of the risk attitudes inferred from a risk-neutral election (KTAB's "
        "BigRRange); Neutral: every actor risk neutral.",
        choices=RISK_NAMES,
    )
    vote_weight: str = parameter(
        "capability",
        help="An actor's vote weight: capability (as KTAB's election of positions) or "
        "influence (capability times salience on the issue).",
        choices=WEIGHTS,
    )


@dataclass(frozen=True)
class CondorcetTrajectory(Trajectory):
    """A zero-round trajectory with the election of its positions.

    ``probability`` (m, n): the probability that actor j's position wins issue i;
    ``mean``, ``mode`` (m,): the forecasts on each issue's scale; ``settings``: the
    parameters' values, in `Params` order."""

    probability: np.ndarray | None = None
    mean: np.ndarray | None = None
    mode: np.ndarray | None = None
    settings: tuple[str, ...] = ()

    def extra_forecasts(self) -> dict:
        """The election's forecasts per issue, as columns of the run's forecast table."""
        return {"mean": self.mean, "mode": self.mode}


def _codes(params) -> tuple[int, int, int, int]:
    p = Params() if params is None else params
    return (
        RULE_NAMES.index(p.vote_rule),
        VICTORY_NAMES.index(p.victory),
        PCE_NAMES.index(p.pce),
        RISK_NAMES.index(p.risk_range),
    )


def _unit(position, lo, hi) -> np.ndarray:
    """Positions (..., m, n) on [0, 1] by the issues' scales (m,)."""
    x = (np.asarray(position, dtype=np.float64) - lo[:, None]) / (hi - lo)[:, None]
    return np.ascontiguousarray(np.clip(x, 0.0, 1.0))


def _weights(capability, salience, how: str) -> np.ndarray:
    """Vote weights (..., m, n) from capability (..., n) and salience (..., m, n)."""
    c = np.asarray(capability, dtype=np.float64)[..., None, :]
    s = np.asarray(salience, dtype=np.float64)
    w = c * s if how == "influence" else np.broadcast_to(c, s.shape)
    return np.ascontiguousarray(w, dtype=np.float64)


def elect(X, C, S, lo, hi, params=None):
    """The elections of R problems of one shape: positions ``X`` (R, m, n) on the scales
    ``lo``, ``hi`` (m,), capabilities ``C`` (R, n), saliences ``S`` (R, m, n).

    Returns ``(mean, mode, probability)``: (R, m) on the issues' scales and (R, m, n)."""
    p = Params() if params is None else params
    rule, victory, pce, risk = _codes(p)
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    X01 = _unit(X, lo, hi)
    W = _weights(C, S, p.vote_weight)
    R, m, n = X01.shape
    mean, mode = np.empty((R, m)), np.empty((R, m))
    prob = np.empty((R, m, n))
    with KERNEL_LOCK:
        elections(rule, victory, pce, risk, X01, W, mean, mode, prob)
    width = hi - lo
    return lo + mean * width, lo + mode * width, prob


class Condorcet(Static):
    """KTAB's probabilistic Condorcet election over the actors' positions, issue by issue."""

    name = "condorcet"
    summary = (
        "Probabilistic Condorcet election among the actors' positions on each issue "
        "(KTAB): the probability-weighted and the most likely position"
    )
    citation = (
        "Efird, B., Lester, L., Wise, B. P.: An Introduction to the KAPSARC Toolkit for "
        "Behavioral Analysis (KTAB), KAPSARC (KTAB's KBase::Model::scalarPCE, MIT license); "
        "Wise, B. P.: Markov Voting with Incentives in KTAB; Abdollahian, M., Baranick, M., "
        "Efird, B., Kugler, J. (2006). Senturion: a predictive political simulation model. "
        "NDU CTNSP."
    )
    Params = Params
    forecast_kinds = KINDS
    fit_grid = {"vote_rule": RULE_NAMES, "victory": VICTORY_NAMES}

    def run(self, scenario, params=None, rounds=None, **how) -> Trajectory:
        """The initial positions and their election with ``params``."""
        p = Params() if params is None else params
        a = scenario.arrays()
        mean, mode, prob = elect(
            a.position[None], a.capability[None], a.salience[None], a.scale_lo, a.scale_hi, p
        )
        base = static_trajectory(a)
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(Trajectory)}
        return CondorcetTrajectory(
            **fields,
            probability=prob[0],
            mean=mean[0],
            mode=mode[0],
            settings=tuple(str(getattr(p, f.name)) for f in dataclasses.fields(Params)),
        )

    def batch(self, scenario, arrays, spreads, seeds, rounds, params=None):
        """The baselines' columns and, per issue, ``ISSUE.mean`` and ``ISSUE.mode``."""
        cols = forecast_batch(scenario.issue_ids, arrays, spreads, seeds, 0, static=True)
        X, S, C = perturb(arrays, spreads, seeds)
        mean, mode, _ = elect(X, C, S, arrays.scale_lo, arrays.scale_hi, params)
        for k, iid in enumerate(scenario.issue_ids):
            cols[f"{iid}.mean"] = np.ascontiguousarray(mean[:, k])
            cols[f"{iid}.mode"] = np.ascontiguousarray(mode[:, k])
        return cols

    def nominal(self, scenario, rounds: int, params=None) -> dict:
        base = super().nominal(scenario, rounds)
        a = scenario.arrays()
        mean, mode, _ = elect(
            a.position[None], a.capability[None], a.salience[None], a.scale_lo, a.scale_hi, params
        )
        for k, iid in enumerate(scenario.issue_ids):
            base[iid] |= {"mean": float(mean[0, k]), "mode": float(mode[0, k])}
        return base

    def point_forecasts(self, problems, params, rounds=None) -> list[dict]:
        """The election's mean and mode per issue of each problem's initial positions;
        problems of one shape and scale in one kernel call."""
        groups: dict[tuple, list[int]] = {}
        for k, a in enumerate(problems):
            key = (a.position.shape, a.scale_lo.tobytes(), a.scale_hi.tobytes())
            groups.setdefault(key, []).append(k)
        out: list = [None] * len(problems)
        for members in groups.values():
            first = problems[members[0]]
            X = np.stack([problems[k].position for k in members])
            C = np.stack([problems[k].capability for k in members])
            S = np.stack([problems[k].salience for k in members])
            mean, mode, _ = elect(X, C, S, first.scale_lo, first.scale_hi, params)
            for row, k in enumerate(members):
                out[k] = {"mean": mean[row].copy(), "mode": mode[row].copy()}
        return out

    # ---- views
    def run_extra(self, result) -> dict:
        """``summary.json``'s ``election``: the parameters, and per issue the forecasts and
        each actor's probability that its position wins."""
        t = result.trajectory
        names = [f.name for f in dataclasses.fields(Params)]
        actors = result.scenario.actor_ids
        return {
            "election": {
                "parameters": dict(zip(names, t.settings, strict=False)),
                "forecast": {
                    iid: {"mean": float(t.mean[k]), "mode": float(t.mode[k])}
                    for k, iid in enumerate(result.scenario.issue_ids)
                },
                "probability": {
                    iid: {a: float(t.probability[k, j]) for j, a in enumerate(actors)}
                    for k, iid in enumerate(result.scenario.issue_ids)
                },
            }
        }

    def table(self, result, name: str):
        """``election.csv``: ``issue,actor,position,probability`` (each actor's position and
        its probability of winning the issue's election)."""
        import pandas as pd  # only when the table is written: importing models stays light

        if name != "election":
            return super().table(result, name)
        t = result.trajectory
        sc = result.scenario
        m, n = t.probability.shape
        return pd.DataFrame(
            {
                "issue": np.repeat(np.array(sc.issue_ids, dtype=object), n),
                "actor": np.tile(np.array(sc.actor_ids, dtype=object), m),
                "position": t.positions[0].reshape(-1),
                "probability": t.probability.reshape(-1),
            }
        )

    def outputs(self, result) -> list:
        """Beside ``rounds.csv`` and ``summary.json``: ``election.csv`` and the positions."""
        return [("table", "election.csv", "election"), *super().outputs(result)]

    def lines(self, result) -> list[str]:
        """The baselines of the positions and the election's two forecasts per issue."""
        t = result.trajectory
        fc = result.forecast()
        sc = result.scenario
        lines = [f"{sc.name}: model {self.name}, {len(sc.actors)} actors, {len(sc.issues)} issues"]
        header = (
            f"{'issue':<16} {'compromise':>10} {'median':>8}   {'election: mean':>14} {'mode':>8}"
        )
        lines += [header, "-" * len(header)]
        for k, (iid, row) in enumerate(fc.iterrows()):
            lines.append(
                f"{iid[:16]:<16} {row.compromise:>10.2f} {row['median']:>8.2f}   "
                f"{t.mean[k]:>14.2f} {t.mode[k]:>8.2f}"
            )
        lines.append(self.stop_line(result))
        return lines

    def stop_line(self, result) -> str:
        settings = getattr(result.trajectory, "settings", ())
        names = [f.name for f in dataclasses.fields(Params)]
        said = ", ".join(f"{n} {v}" for n, v in zip(names, settings, strict=False))
        return f"probabilistic Condorcet election of the positions ({said}): no rounds"

    def ensemble_summary(self, result) -> dict:
        s = super().ensemble_summary(result)
        for iid in result.scenario.issue_ids:
            for kind in KINDS:
                stats = distribution_stats(result.runs[f"{iid}.{kind}"])
                stats["unperturbed"] = result.baseline[iid][kind]
                s["forecast"][iid][kind] = stats
        return s

    def ensemble_lines(self, result, s: dict) -> list[str]:
        pair = forecast_pair_lines(s["forecast"], ("mean", "mode"), ("election mean", "mode: mean"))
        return [*super().ensemble_lines(result, s), "", *pair]

    def ensemble_html(self, result, s: dict) -> str:
        rows = []
        for iid, kinds in s["forecast"].items():
            c, m = kinds["mean"], kinds["mode"]
            rows.append(
                f"<tr><th>{html.escape(iid)}</th><td>{c['mean']:.2f}</td>"
                f"<td>{c['p5']:.2f} - {c['p95']:.2f}</td>"
                f"<td>{m['mean']:.2f}</td><td>{m['p5']:.2f} - {m['p95']:.2f}</td></tr>"
            )
        return (
            super().ensemble_html(result, s)
            + "<table><tr><th>issue</th><th>election mean: mean</th><th>5-95%</th>"
            "<th>mode: mean</th><th>5-95%</th></tr>" + "".join(rows) + "</table>"
        )


MODEL = Condorcet()
