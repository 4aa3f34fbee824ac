"""Result objects: tidy tables, summaries, files (written atomically) and notebook display."""

from __future__ import annotations

import html
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.kernels.eum import EVENT_NAMES
from sim.models.trajectory import Trajectory, baseline_forecasts, forecast
from sim.scenario import Scenario


# ---- atomic files ----------------------------------------------------------------
def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def figure_bytes(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


# ---- one run ---------------------------------------------------------------------
@dataclass(frozen=True)
class RunResult:
    """One run of a model on a scenario.

    Attributes
    ----------
    scenario : Scenario
    model : str
        ``"eum"``, ``"compromise"`` or ``"median"``.
    trajectory : Trajectory
        Positions per round, events, how the run stopped.
    round_limit : int
    source : str
        Where the scenario came from (a file path or a shipped name).
    overrides : tuple of str
        The ``path=value`` counterfactuals applied.
    """

    scenario: Scenario
    model: str
    trajectory: Trajectory
    round_limit: int
    source: str = ""
    overrides: tuple[str, ...] = field(default_factory=tuple)

    # ---- scalars
    @property
    def rounds(self) -> int:
        return self.trajectory.rounds

    @property
    def stopped(self) -> str:
        return self.trajectory.stopped

    @property
    def cycle_length(self) -> int:
        return self.trajectory.cycle_length

    # ---- tables
    def forecast(self) -> pd.DataFrame:
        """Per issue: initial and final compromise and weighted median (final: mean over a cycle)."""
        arrays = self.scenario.arrays()
        comp0, med0 = baseline_forecasts(
            arrays.capability, arrays.salience, self.trajectory.positions[0]
        )
        comp, med = forecast(arrays.capability, arrays.salience, self.trajectory)
        return pd.DataFrame(
            {
                "issue": list(arrays.issue_ids),
                "initial_compromise": comp0,
                "initial_median": med0,
                "compromise": comp,
                "median": med,
            }
        ).set_index("issue")

    def trajectories(self) -> pd.DataFrame:
        """Tidy positions: columns ``round, issue, actor, position``; round 0 is the start."""
        pos = self.trajectory.positions
        R, m, n = pos.shape
        issues = np.array(self.scenario.issue_ids, dtype=object)
        actors = np.array(self.scenario.actor_ids, dtype=object)
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(R), m * n),
                "issue": np.tile(np.repeat(issues, n), R),
                "actor": np.tile(actors, R * m),
                "position": pos.reshape(-1),
            }
        )

    def offers_sent(self) -> np.ndarray:
        """(rounds, m, n) int64: how many offers (challenges) each actor made in each round.

        Actor i challenges j when its expected utility of doing so is positive and j
        stands elsewhere (``sim.kernels.eum.actor_decision``); recomputed from each
        round's starting positions with the same kernel the run used.
        """
        from sim.models.eum import expected_utility_matrix

        t = self.trajectory
        R, m, n = t.events.shape
        out = np.zeros((R, m, n), dtype=np.int64)
        if self.model != "eum":
            return out
        arrays = self.scenario.arrays()
        for r in range(R):
            for k in range(m):
                x = t.positions[r, k]
                EU, *_ = expected_utility_matrix(arrays, k, x)
                out[r, k] = ((EU > 0.0) & (x[None, :] != x[:, None])).sum(axis=1)
        return out

    def events(self) -> pd.DataFrame:
        """Tidy events, one row per actor per issue per round: ``round, issue, actor,
        offers_sent, event, offer_from, clipped`` (the offer taken, if any, and whether a
        red line clipped the move)."""
        t = self.trajectory
        R, m, n = t.events.shape
        issues = np.array(self.scenario.issue_ids, dtype=object)
        actors = np.array(self.scenario.actor_ids, dtype=object)
        names = np.array(EVENT_NAMES, dtype=object)
        senders = t.senders.reshape(-1)
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(1, R + 1), m * n),
                "issue": np.tile(np.repeat(issues, n), R),
                "actor": np.tile(actors, R * m),
                "offers_sent": self.offers_sent().reshape(-1),
                "event": names[t.events.reshape(-1)] if R else np.array([], dtype=object),
                "offer_from": np.where(senders >= 0, actors[np.maximum(senders, 0)], "")
                if R
                else np.array([], dtype=object),
                "clipped": t.clipped.reshape(-1),
            }
        )

    def summary(self) -> dict:
        """What ``summary.json`` holds."""
        from sim import __version__

        fc = self.forecast()
        arrays = self.scenario.arrays()
        risk = self.scenario.payoffs.risk
        return {
            "scenario": self.scenario.name,
            "source": self.source,
            "model": self.model,
            "rounds": self.rounds,
            "round_limit": self.round_limit,
            "stopped": self.stopped,
            "cycle_length": self.cycle_length,
            "forecast": {
                iid: {"compromise": float(row.compromise), "median": float(row["median"])}
                for iid, row in fc.iterrows()
            },
            "initial": {
                iid: {
                    "compromise": float(row.initial_compromise),
                    "median": float(row.initial_median),
                }
                for iid, row in fc.iterrows()
            },
            "parameters": {
                "Q": arrays.Q,
                "T": arrays.T,
                "risk": dict(risk) if isinstance(risk, dict) else risk,
            },
            "overrides": list(self.overrides),
            "actors": list(self.scenario.actor_ids),
            "issues": list(self.scenario.issue_ids),
            "sim_version": __version__,
        }

    # ---- files
    def write(self, out: str | Path, focus: str | None = None) -> list[Path]:
        """Write ``rounds.csv``, ``events.csv``, ``summary.json``, ``positions.png`` and,
        for the expected-utility model, ``quadrant.png`` from ``focus``'s view, each atomically."""
        from sim import plot

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_atomic(
                out / "rounds.csv",
                self.trajectories().to_csv(index=False, float_format="%.17g", lineterminator="\n"),
            ),
            write_atomic(
                out / "summary.json", json.dumps(self.summary(), indent=2, allow_nan=False) + "\n"
            ),
        ]
        if self.model == "eum":
            written.append(
                write_atomic(
                    out / "events.csv", self.events().to_csv(index=False, lineterminator="\n")
                )
            )
        fig = plot.positions(self)
        written.append(write_atomic(out / "positions.png", figure_bytes(fig)))
        plot.close(fig)
        if self.model == "eum":
            fig = plot.quadrant(self, focus or self.scenario.actor_ids[0])
            written.append(write_atomic(out / "quadrant.png", figure_bytes(fig)))
            plot.close(fig)
        return written

    # ---- display
    def plot(self, issue: str | None = None, ax=None):
        """Positions by round with the forecast marked (see :func:`sim.plot.positions`)."""
        from sim import plot

        return plot.positions(self, issue=issue, ax=ax)

    def plot_quadrant(self, focus: str | None = None, issue: str | None = None, ax=None):
        from sim import plot

        return plot.quadrant(self, focus or self.scenario.actor_ids[0], issue=issue, ax=ax)

    def __repr__(self) -> str:
        return (
            f"RunResult({self.scenario.name!r}, model={self.model!r}, rounds={self.rounds}, "
            f"stopped={self.stopped!r})"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>{html.escape(self.scenario.name)}</b>: model {html.escape(self.model)}, "
            f"{self.rounds} rounds, stopped: {html.escape(self.stopped)}</p>"
        )
        return head + self.forecast().to_html(float_format=lambda v: f"{v:.2f}")


def scenario_html(sc: Scenario) -> str:
    """A compact HTML view of a scenario: actors by issue (position / salience)."""
    rows = []
    for aid, actor in sc.actors.items():
        cells = "".join(
            f"<td>{actor.position[i]:g} / {actor.salience[i]:.2f}</td>" for i in sc.issue_ids
        )
        rows.append(
            f"<tr><th>{html.escape(aid)}</th><td>{html.escape(actor.name)}</td>"
            f"<td>{actor.capability:g}</td>{cells}</tr>"
        )
    head = "".join(f"<th>{html.escape(i)}</th>" for i in sc.issue_ids)
    blocs = "".join(
        f"<li>{html.escape(bid)} ({html.escape(b.rule)}): {html.escape(', '.join(b.members))}</li>"
        for bid, b in sc.blocs.items()
    )
    return (
        f"<p><b>{html.escape(sc.name)}</b>: {len(sc.actors)} actors, {len(sc.issues)} issues "
        "(cells: position / salience)</p>"
        f"<table><tr><th>id</th><th>name</th><th>capability</th>{head}</tr>{''.join(rows)}</table>"
        + (f"<p>Blocs:</p><ul>{blocs}</ul>" if blocs else "")
    )


# ---- an ensemble -------------------------------------------------------------------
PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class EnsembleResult:
    """Per-run outcomes of an ensemble of perturbed runs.

    Attributes
    ----------
    scenario : Scenario
    model : str
    table : pyarrow.Table
        One row per run: ``run, seed, rounds, stopped, cycle_length`` and per issue
        ``ISSUE.compromise`` and ``ISSUE.median``, the run's final forecast.
    metadata : dict
        Root seed, run count, hashes and versions (stored in ``runs.parquet``).
    baseline : dict
        The unperturbed run's forecast, ``{issue: {"compromise": x, "median": y}}``.
    trajectories : pandas.DataFrame or None
        ``run, round, issue, actor, position`` of the first runs, when kept.
    """

    scenario: Scenario
    model: str
    table: object
    metadata: dict
    baseline: dict
    trajectories: pd.DataFrame | None = None

    @property
    def runs(self) -> pd.DataFrame:
        """The per-run table as a DataFrame."""
        return self.table.to_pandas()

    @property
    def n_runs(self) -> int:
        return self.table.num_rows

    @property
    def root_seed(self) -> int:
        return int(self.metadata["sim.root_seed"])

    def summary(self) -> dict:
        """What ``summary.json`` holds: distribution of each forecast, stop shares, seeds."""
        from sim import __version__

        runs = self.runs
        if self.model == "crisis":
            return self._crisis_summary(runs)
        if self.model in ("nbs", "alternating"):
            return self._bargain_summary(runs)
        stopped = runs["stopped"].to_numpy()
        per_issue = {}
        for iid in self.scenario.issue_ids:
            per_issue[iid] = {}
            for kind in ("compromise", "median"):
                v = runs[f"{iid}.{kind}"].to_numpy(dtype=np.float64)
                stats = {
                    "mean": float(np.mean(v)),
                    "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                }
                for p, q in zip(PERCENTILES, np.percentile(v, PERCENTILES), strict=True):
                    stats[f"p{p}"] = float(q)
                stats["unperturbed"] = self.baseline[iid][kind]
                per_issue[iid][kind] = stats
        return {
            "scenario": self.scenario.name,
            "model": self.model,
            "runs": self.n_runs,
            "root_seed": self.root_seed,
            "round_limit": int(self.metadata.get("sim.round_limit", 0)),
            "share_converged": float(np.mean(stopped == "converged")),
            "share_cycle": float(np.mean(stopped == "cycle")),
            "share_limit": float(np.mean(stopped == "limit")),
            "mean_rounds": float(runs["rounds"].mean()),
            "uncertainty": json.loads(self.metadata.get("sim.uncertainty", "{}")),
            "forecast": per_issue,
            "scenario_hash": self.metadata["sim.scenario_hash"],
            "sim_version": __version__,
        }

    def _bargain_summary(self, runs: pd.DataFrame) -> dict:
        from sim import __version__
        from sim.models.bargain import wilson_interval

        agree = runs["agreement"].to_numpy(dtype=bool)
        k, n = int(agree.sum()), len(agree)
        lo, hi = wilson_interval(k, n)
        nominal = self.baseline["bargain"]

        def stats(v):
            v = np.asarray(v, dtype=np.float64)
            if v.size == 0:
                return None
            out = {
                "mean": float(np.mean(v)),
                "std": float(np.std(v, ddof=1)) if v.size > 1 else 0.0,
            }
            for p, q in zip(PERCENTILES, np.percentile(v, PERCENTILES), strict=True):
                out[f"p{p}"] = float(q)
            return out

        out = {
            "scenario": self.scenario.name,
            "model": self.model,
            "runs": n,
            "root_seed": self.root_seed,
            "parties": nominal["parties"],
            "p_agreement": k / n,
            "p_agreement_interval": [lo, hi],
            "confidence": 0.95,
            "interval_method": "Wilson score",
            "outcome": {
                iid: stats(runs[f"{iid}.outcome"].to_numpy()[agree])
                for iid in self.scenario.issue_ids
            },
            "utilities": {
                pid: stats(runs[f"utility.{pid}"].to_numpy()[agree]) for pid in nominal["parties"]
            },
        }
        if self.model == "alternating":
            rounds = runs["round"].to_numpy()[agree]
            out["round"] = stats(rounds)
        out.update(
            unperturbed={
                "agreement": nominal["agreement"],
                "message": nominal.get("message"),
            },
            uncertainty=json.loads(self.metadata.get("sim.uncertainty", "{}")),
            scenario_hash=self.metadata["sim.scenario_hash"],
            sim_version=__version__,
        )
        return out

    def _crisis_summary(self, runs: pd.DataFrame) -> dict:
        from sim import __version__
        from sim.models.bargain import wilson_interval

        war = runs["war"].to_numpy(dtype=bool)
        k, n = int(war.sum()), len(war)
        lo, hi = wilson_interval(k, n)
        nominal = self.baseline["crisis"]
        fearon = nominal.get("fearon")

        def stats(v):
            v = np.asarray(v, dtype=np.float64)
            out = {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if n > 1 else 0.0}
            for p, q in zip(PERCENTILES, np.percentile(v, PERCENTILES), strict=True):
                out[f"p{p}"] = float(q)
            return out

        offers = runs["offer"].to_numpy(dtype=np.float64)
        has_offer = ~np.isnan(offers)
        return {
            "scenario": self.scenario.name,
            "model": self.model,
            "runs": n,
            "root_seed": self.root_seed,
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
            "uncertainty": json.loads(self.metadata.get("sim.uncertainty", "{}")),
            "scenario_hash": self.metadata["sim.scenario_hash"],
            "sim_version": __version__,
        }

    def plot(self, issue: str | None = None, ax=None):
        """Distribution of the forecasts per issue, the unperturbed forecast marked
        (crisis: the challenger's war value in war and peace runs)."""
        from sim import plot

        if self.model == "crisis":
            return plot.war_distribution(self, ax=ax)
        if self.model in ("nbs", "alternating"):
            return plot.agreement_distribution(self, issue=issue, ax=ax)
        return plot.distribution(self, issue=issue, ax=ax)

    def plot_trajectories(self, issue: str | None = None, ax=None):
        """Trajectories of the runs kept with ``trajectories=K``."""
        from sim import plot

        return plot.ensemble_trajectories(self, issue=issue, ax=ax)

    def __repr__(self) -> str:
        return (
            f"EnsembleResult({self.scenario.name!r}, model={self.model!r}, runs={self.n_runs}, "
            f"root_seed={self.root_seed})"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        if self.model in ("nbs", "alternating"):
            lo, hi = s["p_agreement_interval"]
            return (
                f"<p><b>{html.escape(self.scenario.name)}</b>: {html.escape(self.model)} ensemble "
                f"of {self.n_runs} runs (root seed {self.root_seed}): P(agreement) = "
                f"{s['p_agreement']:.3f} [{lo:.3f}, {hi:.3f}] (95%)</p>"
            )
        if self.model == "crisis":
            lo, hi = s["p_war_interval"]
            return (
                f"<p><b>{html.escape(self.scenario.name)}</b>: crisis ensemble of {self.n_runs} "
                f"runs (root seed {self.root_seed}): P(war) = {s['p_war']:.3f} "
                f"[{lo:.3f}, {hi:.3f}] (95%), mean p = {s['p']['mean']:.3f}</p>"
            )
        rows = []
        for iid, kinds in s["forecast"].items():
            c, m = kinds["compromise"], kinds["median"]
            rows.append(
                f"<tr><th>{html.escape(iid)}</th><td>{c['mean']:.2f}</td><td>{c['p5']:.2f} - {c['p95']:.2f}</td>"
                f"<td>{m['mean']:.2f}</td><td>{m['p5']:.2f} - {m['p95']:.2f}</td>"
                f"<td>{c['unperturbed']:.2f} / {m['unperturbed']:.2f}</td></tr>"
            )
        return (
            f"<p><b>{html.escape(self.scenario.name)}</b>: ensemble of {self.n_runs} runs "
            f"(model {html.escape(self.model)}, root seed {self.root_seed}); "
            f"converged {s['share_converged']:.0%}, cycles {s['share_cycle']:.0%}</p>"
            "<table><tr><th>issue</th><th>compromise: mean</th><th>5-95%</th>"
            "<th>median: mean</th><th>5-95%</th><th>unperturbed</th></tr>"
            + "".join(rows)
            + "</table>"
        )

    def write(self, out: str | Path) -> list[Path]:
        """Write ``runs.parquet``, ``summary.json``, ``distribution.png`` (and
        ``trajectories.parquet`` and ``trajectories.png`` when kept), each atomically."""
        from sim import plot
        from sim.runner import parquet_bytes

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_atomic(out / "runs.parquet", parquet_bytes(self.table, self.metadata)),
            write_atomic(
                out / "summary.json", json.dumps(self.summary(), indent=2, allow_nan=False) + "\n"
            ),
        ]
        if self.trajectories is not None:
            import pyarrow as pa

            written.append(
                write_atomic(
                    out / "trajectories.parquet",
                    parquet_bytes(pa.Table.from_pandas(self.trajectories, preserve_index=False)),
                )
            )
        fig = self.plot()
        written.append(write_atomic(out / "distribution.png", figure_bytes(fig)))
        plot.close(fig)
        if self.trajectories is not None and not self.trajectories.empty:
            fig = plot.ensemble_trajectories(self)
            written.append(write_atomic(out / "trajectories.png", figure_bytes(fig)))
            plot.close(fig)
        return written


# ---- a bargaining run --------------------------------------------------------------
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
        return plot.bargaining_range(
            rec["p"],
            rec["cost"][c],
            rec["cost"][d],
            offer=offer,
            p_war=p_war,
            cost_range=cost_range if ax is None else None,
            negotiated=rec["negotiation"]["share"],
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
        ``offers.csv``, ``bargaining_range.png``), each atomically."""
        from sim import plot

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [
            write_atomic(
                out / "summary.json", json.dumps(self.summary(), indent=2, allow_nan=False) + "\n"
            )
        ]
        if self.model == "alternating":
            written.append(
                write_atomic(
                    out / "offers.csv",
                    self.rounds.to_csv(index=False, float_format="%.17g", lineterminator="\n"),
                )
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
            written.append(write_atomic(out / name, figure_bytes(fig)))
            plot.close(fig)
        return written

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
