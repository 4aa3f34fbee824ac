"""What a round-by-round model run produces, whichever driver ran it."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from sim.kernels.baselines import compromise, powered_forecasts, weighted_median, weights
from sim.kernels.ensemble import run_chunk
from sim.kernels.eum import PROCEDURE_NAMES, STOP_CONVERGED, STOP_NAMES, final_forecast
from sim.models.base import KERNEL_LOCK, PERCENTILES, Model, distribution_stats
from sim.scenario import ScenarioArrays
from sim.uncertainty import Spreads, perturb

KINDS = ("compromise", "median")
"""The two forecasts of a run's final state."""
STATS = ("mean", "std", *(f"p{p}" for p in PERCENTILES))
"""The statistics a sweep keeps of each forecast over a point's runs."""
REFERENCES = ("position", "status_quo")
"""Reference points of the expected-utility model's status-quo utility Usq: each actor's own
position (DESIGN 5.2) or the issue's status quo."""
PROCEDURES = PROCEDURE_NAMES
"""Procedures of the expected-utility model's round: ``design`` (DESIGN 5.2) or
``scholz_program`` (Scholz's program, docs/ec_replication.md)."""
DEFAULT_POWERS = (1.0, 1.0)
"""The baselines' (capability, salience) exponents of ``w = c^b s^a``: ``w = c s``."""


def reference_points(arrays: ScenarioArrays, reference: str = "position") -> np.ndarray:
    """The kernels' ``sq`` (m,) for ``reference``: NaN (own position) on every issue, or the
    issues' status quos (NaN, so own position, on an issue without one)."""
    if reference not in REFERENCES:
        raise ValueError(f"reference: expected one of: {', '.join(REFERENCES)}; got {reference!r}")
    m = arrays.position.shape[0]
    if reference == "position":
        return np.full(m, np.nan)
    return np.ascontiguousarray(arrays.status_quo, dtype=np.float64).copy()


def procedure_code(procedure: str = "design") -> int:
    """The kernels' ``procedure`` code of a `PROCEDURES` name."""
    if procedure not in PROCEDURES:
        raise ValueError(f"procedure: expected one of: {', '.join(PROCEDURES)}; got {procedure!r}")
    return PROCEDURES.index(procedure)


@dataclass(frozen=True)
class Trajectory:
    """Positions per round and what happened.

    Attributes
    ----------
    positions : (rounds + 1, m, n) float64
        Round 0 holds the initial positions.
    events, senders : (rounds, m, n) int64
        Each actor's event in each round (see ``sim.kernels.eum.EVENT_NAMES``) and
        the actor whose offer it took (-1: none).
    clipped : (rounds, m, n) bool
        Where a red line clipped a move.
    stopped : str
        ``"limit"``, ``"converged"`` or ``"cycle"``.
    cycle_length : int
        Rounds in the repeating cycle (1 when converged, 0 at the limit).
    expected_utility : (rounds + 1, m, n, n) float64 or None
        The expected-utility model's round-start ``EU[i, j]`` (i's expected utility of
        challenging j) from each round's starting positions, recorded by the run for the
        quadrant chart and the offers sent; None for models without it.
    risk : (rounds + 1, m, n) float64 or None
        The risk exponents the expected-utility model used at each round's start.
    powers : (float, float)
        The exponents (b, a) of the forecast's weights ``c^b s^a`` (the baselines'
        ``capability_power`` and ``salience_power``; ``(1, 1)``: ``c s``).
    """

    positions: np.ndarray
    events: np.ndarray
    senders: np.ndarray
    clipped: np.ndarray
    stopped: str
    cycle_length: int
    expected_utility: np.ndarray | None = None
    risk: np.ndarray | None = None
    powers: tuple[float, float] = DEFAULT_POWERS

    @property
    def rounds(self) -> int:
        return self.positions.shape[0] - 1

    @classmethod
    def from_kernel(cls, history, events, senders, clipped, rounds, stop, cycle_length):
        return cls(
            positions=np.ascontiguousarray(history[: rounds + 1]),
            events=np.ascontiguousarray(events[:rounds]),
            senders=np.ascontiguousarray(senders[:rounds]),
            clipped=np.ascontiguousarray(clipped[:rounds]),
            stopped=STOP_NAMES[stop],
            cycle_length=int(cycle_length),
        )

    def final_states(self) -> np.ndarray:
        """The states the forecast averages over: the cycle's, else the last one. (c, m, n)"""
        if self.stopped == "cycle":
            return self.positions[-self.cycle_length :]
        return self.positions[-1:]


def baseline_forecasts(capability, salience, positions):
    """Compromise and weighted median per issue of one state.

    Parameters
    ----------
    capability : (n,) float64
    salience, positions : (m, n) float64

    Returns
    -------
    (compromise, median) : two (m,) float64 arrays
    """
    m, n = positions.shape
    comp = np.empty(m)
    med = np.empty(m)
    w = np.empty(n)
    for k in range(m):
        weights(capability, salience[k], w)
        x = np.ascontiguousarray(positions[k])
        comp[k] = compromise(x, w)
        med[k] = weighted_median(x, w)
    return comp, med


def powered(capability, salience, positions, powers) -> tuple[np.ndarray, np.ndarray]:
    """Compromise and weighted median per issue of one state (m, n) with weights
    ``c^b s^a``, ``powers = (b, a)``; at (1, 1) the kernels' ``c s`` path."""
    if tuple(powers) == DEFAULT_POWERS:
        return baseline_forecasts(capability, salience, positions)
    m, n = positions.shape
    comp, med = np.empty((1, m)), np.empty((1, m))
    powered_forecasts(
        np.ascontiguousarray(positions, dtype=np.float64).reshape(1, m, n),
        np.ascontiguousarray(capability, dtype=np.float64).reshape(1, n),
        np.ascontiguousarray(salience, dtype=np.float64).reshape(1, m, n),
        float(powers[0]),
        float(powers[1]),
        comp,
        med,
    )
    return comp[0], med[0]


def initial_forecast(capability, salience, trajectory: Trajectory):
    """The baselines of the run's initial positions, with the run's weights."""
    return powered(capability, salience, trajectory.positions[0], trajectory.powers)


def forecast(capability, salience, trajectory: Trajectory):
    """The run's forecast per issue: the baselines of the final state, averaged over a cycle.

    Computed by the same kernel as ensembles (``sim.kernels.eum.final_forecast``), so a
    single run and the same run inside an ensemble give the same bits.
    """
    if tuple(trajectory.powers) != DEFAULT_POWERS:
        states = trajectory.final_states()
        pairs = [powered(capability, salience, x, trajectory.powers) for x in states]
        return (
            np.mean([p[0] for p in pairs], axis=0),
            np.mean([p[1] for p in pairs], axis=0),
        )
    positions = np.ascontiguousarray(trajectory.positions, dtype=np.float64)
    m, n = positions.shape[1:]
    comp, med = np.empty(m), np.empty(m)
    final_forecast(
        positions,
        trajectory.rounds,
        STOP_NAMES.index(trajectory.stopped),
        trajectory.cycle_length,
        np.ascontiguousarray(capability, dtype=np.float64),
        np.ascontiguousarray(salience, dtype=np.float64),
        np.empty(n),
        comp,
        med,
    )
    return comp, med


def static_trajectory(arrays: ScenarioArrays) -> Trajectory:
    """A zero-round run: round 0 only, reported as converged (the baselines' run)."""
    m, n = arrays.position.shape
    return Trajectory(
        positions=arrays.position.reshape(1, m, n).copy(),
        events=np.zeros((0, m, n), dtype=np.int64),
        senders=np.zeros((0, m, n), dtype=np.int64),
        clipped=np.zeros((0, m, n), dtype=np.bool_),
        stopped="converged",
        cycle_length=1,
    )


def forecast_batch(
    issue_ids,
    arrays: ScenarioArrays,
    sp: Spreads,
    seeds: np.ndarray,
    rounds: int,
    static: bool,
    reference: str = "position",
    powers: tuple[float, float] = DEFAULT_POWERS,
    procedure: str = "design",
) -> dict:
    """Perturbed runs of the expected-utility kernel (``rounds`` 0 and ``static`` for the
    baselines), one per seed: ``rounds, stopped, cycle_length`` and per issue
    ``ISSUE.compromise`` and ``ISSUE.median``, the run's final forecast.

    ``reference``: the reference point of Usq (`REFERENCES`). ``powers``: the baselines'
    exponents (b, a) of ``w = c^b s^a`` (with ``static``; the default is ``c s``).
    ``procedure``: the round's procedure (`PROCEDURES`)."""
    code = procedure_code(procedure)
    X, S, C = perturb(arrays, sp, seeds)
    R = len(seeds)
    m = X.shape[1]
    comp, med = np.empty((R, m)), np.empty((R, m))
    n_rounds = np.empty(R, dtype=np.int64)
    stop = np.empty(R, dtype=np.int64)
    cycle = np.empty(R, dtype=np.int64)
    if static and tuple(powers) != DEFAULT_POWERS:
        powered_forecasts(X, C, S, float(powers[0]), float(powers[1]), comp, med)
        n_rounds[:] = 0
    else:
        SQ = np.ascontiguousarray(np.broadcast_to(reference_points(arrays, reference), (R, m)))
        with KERNEL_LOCK:
            run_chunk(
                X, C, S, arrays.width, SQ, code, arrays.risk, float(arrays.Q), float(arrays.T),
                np.ascontiguousarray(arrays.red_lo), np.ascontiguousarray(arrays.red_hi),
                int(rounds), comp, med, n_rounds, stop, cycle,
            )  # fmt: skip
    if static:
        stop[:] = STOP_CONVERGED
        cycle[:] = 1
    cols = {
        "rounds": n_rounds,
        "stopped": np.array([STOP_NAMES[s] for s in stop], dtype=object),
        "cycle_length": cycle,
    }
    for k, iid in enumerate(issue_ids):
        cols[f"{iid}.compromise"] = np.ascontiguousarray(comp[:, k])
        cols[f"{iid}.median"] = np.ascontiguousarray(med[:, k])
    return cols


def _batch_key(a: ScenarioArrays, rounds: int) -> tuple:
    """Problems that share this key run in one kernel call: the same shape and the same
    arrays the kernel takes once for a whole chunk."""
    return (
        a.position.shape,
        int(rounds),
        float(a.Q),
        float(a.T),
        a.width.tobytes(),
        a.risk.tobytes(),
        np.ascontiguousarray(a.red_lo).tobytes(),
        np.ascontiguousarray(a.red_hi).tobytes(),
    )


def batched_forecasts(
    problems, rounds: int | None, reference: str = "position", procedure: str = "design"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each problem's final (compromise, median) per issue from the expected-utility kernel,
    problems of one shape (and shared arrays) batched as the runs of one ensemble chunk.

    ``rounds``: the round limit (None: each problem's own); a run stopped at the limit
    forecasts from the state after that round. ``reference``: the reference point of Usq
    (`REFERENCES`; each problem's own status quo, which need not be shared). ``procedure``:
    the round's procedure (`PROCEDURES`).

    Each run writes only its own rows, so a problem's forecast is the same bits alone or
    in a batch, and the same as a single run's (`forecast`).
    """
    code = procedure_code(procedure)
    groups: dict[tuple, list[int]] = {}
    for k, a in enumerate(problems):
        r = a.rounds if rounds is None else int(rounds)
        groups.setdefault(_batch_key(a, r), []).append(k)
    out: list = [None] * len(problems)
    for key, members in groups.items():
        first = problems[members[0]]
        r = key[1]
        X = np.ascontiguousarray(np.stack([problems[k].position for k in members]))
        S = np.ascontiguousarray(np.stack([problems[k].salience for k in members]))
        C = np.ascontiguousarray(np.stack([problems[k].capability for k in members]))
        SQ = np.ascontiguousarray(
            np.stack([reference_points(problems[k], reference) for k in members])
        )
        R, m = X.shape[:2]
        comp, med = np.empty((R, m)), np.empty((R, m))
        n_rounds = np.empty(R, dtype=np.int64)
        stop = np.empty(R, dtype=np.int64)
        cycle = np.empty(R, dtype=np.int64)
        with KERNEL_LOCK:
            run_chunk(
                X, C, S, np.ascontiguousarray(first.width), SQ, code,
                np.ascontiguousarray(first.risk), float(first.Q), float(first.T),
                np.ascontiguousarray(first.red_lo), np.ascontiguousarray(first.red_hi),
                r, comp, med, n_rounds, stop, cycle,
            )  # fmt: skip
        for row, k in enumerate(members):
            out[k] = (comp[row].copy(), med[row].copy())
    return out


def forecast_pair_lines(forecast: dict, kinds: tuple[str, str], labels: tuple[str, str]):
    """An ensemble's two forecasts per issue as a table of text lines: each one's mean and
    5-95% range (``forecast[issue][kind]`` holds ``mean``, ``p5``, ``p95``)."""
    header = (
        f"{'issue':<16} {labels[0]:>16} {'5%':>7} {'95%':>7}   {labels[1]:>12} {'5%':>7} {'95%':>7}"
    )
    lines = [header, "-" * len(header)]
    for iid, f in forecast.items():
        c, m = f[kinds[0]], f[kinds[1]]
        lines.append(
            f"{iid[:16]:<16} {c['mean']:>16.2f} {c['p5']:>7.2f} {c['p95']:>7.2f}   "
            f"{m['mean']:>12.2f} {m['p5']:>7.2f} {m['p95']:>7.2f}"
        )
    return lines


class ForecastSweeps:
    """`sim sweep` for a model whose ensemble summary holds, per issue, the statistics of
    its forecasts ``sweep_kinds``: one row per grid point per issue with ``KIND_STAT``
    columns; the text, page and figures show ``sweep_kind`` (named ``sweep_label``)."""

    sweepable = True
    sweep_kinds: tuple[str, ...] = KINDS
    sweep_kind = "compromise"
    sweep_label = "compromise forecast"

    def sweep_point(self, s: dict) -> dict:
        """What a grid point keeps of its ensemble's summary (enough to rebuild its rows)."""
        return {
            "runs": s["runs"],
            "share_converged": s["share_converged"],
            "forecast": {
                iid: {kind: {st: f[kind][st] for st in STATS} for kind in self.sweep_kinds}
                for iid, f in s["forecast"].items()
            },
        }

    def sweep_rows(self, values: dict, point: dict, issues) -> list[dict]:
        """A point's rows of ``sweep.parquet``: per issue, each forecast's statistics."""
        rows = []
        for iid in issues:
            f = point["forecast"][iid]
            rows.append(
                values
                | {"issue": iid}
                | {f"{kind}_{st}": float(f[kind][st]) for kind in self.sweep_kinds for st in STATS}
                | {"share_converged": float(point["share_converged"])}
                | {"runs": int(point["runs"])}
            )
        return rows

    def sweep_columns(self) -> tuple[tuple[str, ...] | None, dict]:
        """The table's columns after the parameters (None: as the rows give them) and
        their types."""
        return None, {"runs": "int64"}

    def sweep_figure(self, n_params: int, issue: str | None = None) -> str:
        return "sweep_lines" if n_params == 1 else "sweep_heatmap"

    def _sweep_wide(self, result):
        paths = [p.path for p in result.params]
        wide = result.table.pivot(index=paths, columns="issue", values=f"{self.sweep_kind}_mean")
        return paths, wide[list(result.scenario.issue_ids)]

    def sweep_lines(self, result, limit: int = 40) -> list[str]:
        paths, wide = self._sweep_wide(result)
        lines = [
            f"{result.scenario.name}: sweep of {result.n_points} points, {result.runs} runs of "
            f"{result.model} each, root seed {result.root_seed} at every point",
            f"mean {self.sweep_label} per issue:",
        ]
        widths = [max(10, len(p)) for p in paths]
        header = " ".join(f"{p:>{w}}" for p, w in zip(paths, widths, strict=True))
        header += "".join(f" {i[:11]:>11}" for i in wide.columns)
        lines += [header, "-" * len(header)]
        for n, (key, row) in enumerate(wide.iterrows()):
            if n == limit:
                lines.append(f"... {len(wide) - limit} more points in the table")
                break
            key = key if isinstance(key, tuple) else (key,)
            line = " ".join(f"{v:>{w}g}" for v, w in zip(key, widths, strict=True))
            lines.append(line + "".join(f" {v:>11.2f}" for v in row))
        return lines

    def sweep_html(self, result) -> str:
        _, wide = self._sweep_wide(result)  # to_html escapes the names
        return (
            f"<p><b>{html.escape(result.scenario.name)}</b>: sweep of {result.n_points} points "
            f"(model {html.escape(self.name)}, {result.runs} runs each, same root seed "
            f"{result.root_seed} at every point); mean {self.sweep_label} per issue</p>"
            + wide.to_html(float_format=lambda v: f"{v:.2f}")
        )


class PositionModel(ForecastSweeps, Model):
    """A model that moves (or keeps) positions: its outcome is a `Trajectory`, its
    forecast the compromise and weighted median of the final state."""

    ensemble_figure = "distribution"
    keeps_trajectories = True
    forecast_kinds = KINDS
    arrays_forecasts = True

    def point_forecasts(self, problems, params, rounds=None) -> list[dict]:
        """The final compromise and median per issue of each problem's run."""
        return [
            dict(zip(self.forecast_kinds, pair, strict=True))
            for pair in batched_forecasts(problems, rounds)
        ]

    def trajectory(self, arrays: ScenarioArrays, rounds: int) -> Trajectory:
        """A perturbed run's trajectory (positions), for the runs an ensemble keeps."""
        raise NotImplementedError

    def nominal(self, scenario, rounds: int) -> dict:
        arrays = scenario.arrays()
        comp, med = forecast(arrays.capability, arrays.salience, self.trajectory(arrays, rounds))
        return {
            iid: {"compromise": float(comp[k]), "median": float(med[k])}
            for k, iid in enumerate(scenario.issue_ids)
        }

    def ensemble_summary(self, result) -> dict:
        """An ensemble's summary: each forecast's distribution, the stop shares, the seeds."""
        runs = result.runs
        stopped = runs["stopped"].to_numpy()
        per_issue = {}
        for iid in result.scenario.issue_ids:
            per_issue[iid] = {}
            for kind in ("compromise", "median"):
                stats = distribution_stats(runs[f"{iid}.{kind}"])
                stats["unperturbed"] = result.baseline[iid][kind]
                per_issue[iid][kind] = stats
        return {
            "scenario": result.scenario.name,
            "model": self.name,
            "runs": result.n_runs,
            "root_seed": result.root_seed,
            "round_limit": int(result.metadata.get("sim.round_limit", 0)),
            "share_converged": float(np.mean(stopped == "converged")),
            "share_cycle": float(np.mean(stopped == "cycle")),
            "share_limit": float(np.mean(stopped == "limit")),
            "mean_rounds": float(runs["rounds"].mean()),
            "uncertainty": result.uncertainty,
            "forecast": per_issue,
            "scenario_hash": result.metadata["sim.scenario_hash"],
        }

    def ensemble_lines(self, result, s: dict) -> list[str]:
        lines = [
            f"{result.scenario.name}: {s['runs']} runs of {s['model']}, root seed "
            f"{s['root_seed']}; converged {s['share_converged']:.1%}, cycle "
            f"{s['share_cycle']:.1%}, round limit {s['share_limit']:.1%}"
        ]
        return lines + forecast_pair_lines(
            s["forecast"], ("compromise", "median"), ("compromise: mean", "median: mean")
        )

    def ensemble_html(self, result, s: dict) -> str:
        rows = []
        for iid, kinds in s["forecast"].items():
            c, m = kinds["compromise"], kinds["median"]
            rows.append(
                f"<tr><th>{html.escape(iid)}</th><td>{c['mean']:.2f}</td>"
                f"<td>{c['p5']:.2f} - {c['p95']:.2f}</td>"
                f"<td>{m['mean']:.2f}</td><td>{m['p5']:.2f} - {m['p95']:.2f}</td>"
                f"<td>{c['unperturbed']:.2f} / {m['unperturbed']:.2f}</td></tr>"
            )
        return (
            f"<p><b>{html.escape(result.scenario.name)}</b>: ensemble of {result.n_runs} runs "
            f"(model {html.escape(self.name)}, root seed {result.root_seed}); "
            f"converged {s['share_converged']:.0%}, cycles {s['share_cycle']:.0%}</p>"
            "<table><tr><th>issue</th><th>compromise: mean</th><th>5-95%</th>"
            "<th>median: mean</th><th>5-95%</th><th>unperturbed</th></tr>"
            + "".join(rows)
            + "</table>"
        )

    def lines(self, result) -> list[str]:
        """A run on the terminal: the forecast per issue at the start and the end."""
        fc = result.forecast()
        sc = result.scenario
        lines = [f"{sc.name}: model {self.name}, {len(sc.actors)} actors, {len(sc.issues)} issues"]
        header = (
            f"{'issue':<16} {'start: comp.':>12} {'median':>8}   "
            f"{'forecast: comp.':>15} {'median':>8}"
        )
        lines += [header, "-" * len(header)]
        for iid, row in fc.iterrows():
            lines.append(
                f"{iid[:16]:<16} {row.initial_compromise:>12.2f} {row.initial_median:>8.2f}   "
                f"{row.compromise:>15.2f} {row['median']:>8.2f}"
            )
        lines.append(self.stop_line(result))
        return lines

    def stop_line(self, result) -> str:
        return "static baseline: no rounds"

    def outputs(self, result) -> list:
        """A run's files beside ``rounds.csv`` and ``summary.json``."""
        return [("figure", "positions.png", "positions")]
