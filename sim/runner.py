"""Ensembles: many perturbed runs, in chunks, on threads, processes or a cluster.

Seeds are fixed before any work is scheduled (``sim.uncertainty.run_seeds``); a
chunk of runs is perturbed from its own seeds and run by one parallel kernel, so
the results are the same bits whatever runs them. With an output folder every
chunk is written atomically as it finishes, beside a manifest; an interrupted
ensemble resumes where it stopped and ends with the same ``runs.parquet``.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.kernels.eum import STOP_CONVERGED, STOP_NAMES
from sim.models import MODELS
from sim.scenario import Scenario, ScenarioArrays, load_scenario
from sim.uncertainty import Spreads, perturb, run_seeds, spreads

DEFAULT_CHUNK = 1000

KERNEL_LOCK = threading.Lock()
"""One parallel kernel at a time per process: numba's workqueue threading layer aborts
when two threads launch parallel kernels at once (a thread pool, a dask worker with
several threads). The kernel itself already uses every core it is given."""
MANIFEST = "manifest.json"
CHUNKS = "chunks"


class ManifestMismatch(ValueError):
    """The output folder holds another ensemble; resuming into it would mix results."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during an ensemble; ``done`` of ``total`` chunks are safely on disk."""

    def __init__(self, done: int, total: int, out: Path | None):
        super().__init__()
        self.done, self.total, self.out = done, total, out


@dataclass(frozen=True)
class Plan:
    """Everything that determines an ensemble's results (and nothing that does not)."""

    scenario: Scenario
    model: str
    runs: int
    seed: int
    rounds: int
    spreads: Spreads
    chunk_size: int

    @property
    def n_chunks(self) -> int:
        return (self.runs + self.chunk_size - 1) // self.chunk_size

    def chunk_bounds(self, index: int) -> tuple[int, int]:
        start = index * self.chunk_size
        return start, min(self.runs, start + self.chunk_size)

    def scenario_hash(self) -> str:
        text = json.dumps(self.scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def options_hash(self) -> str:
        # not chunk_size: it does not change the results (runs.parquet carries this hash);
        # the manifest records chunk_size on its own, so a resume still checks it
        h = hashlib.sha256()
        h.update(json.dumps([self.model, self.runs, self.seed, self.rounds]).encode())
        for a in (self.spreads.position_sd, self.spreads.salience_sd, self.spreads.capability_cv):
            h.update(np.ascontiguousarray(a, dtype="<f8").tobytes())
        return h.hexdigest()

    def manifest(self) -> dict:
        from sim import __version__

        return {
            "format": 1,
            "kind": "ensemble",
            "scenario": self.scenario.name,
            "model": self.model,
            "root_seed": self.seed,
            "runs": self.runs,
            "chunk_size": self.chunk_size,
            "rounds": self.rounds,
            "scenario_hash": self.scenario_hash(),
            "options_hash": self.options_hash(),
            "sim_version": __version__,
        }


def make_plan(
    scenario,
    runs: int,
    seed: int,
    model: str | None = None,
    rounds: int | None = None,
    position_sd: float | None = None,
    salience_sd: float | None = None,
    capability_cv: float | None = None,
    chunk_size: int | None = None,
    overrides=None,
) -> Plan:
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, overrides)
    model = model or scenario.model.kind
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of: {', '.join(MODELS)}")
    if int(runs) < 1:
        raise ValueError(f"runs: expected at least 1, got {runs}")
    if int(seed) < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed}")
    for name, v in (
        ("position_sd", position_sd),
        ("salience_sd", salience_sd),
        ("capability_cv", capability_cv),
    ):
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise ValueError(f"{name}: expected a finite number >= 0, got {v}")
    if model == "crisis" and scenario.crisis is None:
        raise ValueError(f"{scenario.name}: the crisis model needs a [crisis] section")
    rounds = scenario.model.rounds if rounds is None else int(rounds)
    if model != "eum":
        rounds = 0
    size = int(chunk_size or min(DEFAULT_CHUNK, int(runs)))
    if size < 1:
        raise ValueError(f"chunk_size: expected at least 1, got {chunk_size}")
    return Plan(
        scenario=scenario,
        model=model,
        runs=int(runs),
        seed=int(seed),
        rounds=rounds,
        spreads=spreads(scenario, position_sd, salience_sd, capability_cv),
        chunk_size=size,
    )


# ---- one chunk (runs in any process) ---------------------------------------------------
def _chunk_task(
    arrays: ScenarioArrays,
    sp: Spreads,
    seeds: np.ndarray,
    rounds: int,
    static: bool,
    scenario: Scenario | None = None,
    model: str = "eum",
) -> dict:
    """Perturb and run one chunk; the unit of work sent to threads, processes or a cluster.

    ``scenario`` is given for the bargaining models, which run in Python per run.
    """
    if scenario is not None and model == "crisis":
        return crisis_chunk(scenario, arrays, sp, seeds)
    if scenario is not None:
        return bargain_chunk(scenario, arrays, sp, seeds, model)
    from sim.kernels.ensemble import run_chunk

    X, S, C = perturb(arrays, sp, seeds)
    R = len(seeds)
    m = X.shape[1]
    comp, med = np.empty((R, m)), np.empty((R, m))
    n_rounds = np.empty(R, dtype=np.int64)
    stop = np.empty(R, dtype=np.int64)
    cycle = np.empty(R, dtype=np.int64)
    with KERNEL_LOCK:
        run_chunk(
            X, C, S, arrays.width, arrays.risk, float(arrays.Q), float(arrays.T),
            np.ascontiguousarray(arrays.red_lo), np.ascontiguousarray(arrays.red_hi),
            int(rounds), comp, med, n_rounds, stop, cycle,
        )  # fmt: skip
    if static:
        stop[:] = STOP_CONVERGED
        cycle[:] = 1
    return {"compromise": comp, "median": med, "rounds": n_rounds, "stop": stop, "cycle": cycle}


CRISIS_COLUMNS = ("p", "cost", "war_value", "offer", "status_quo_share", "p_war_believed", "war")


def crisis_chunk(sc: Scenario, arrays: ScenarioArrays, sp: Spreads, seeds: np.ndarray) -> dict:
    """Crisis runs: perturbed capabilities, positions and saliences, and the challenger's
    private cost of war drawn uniform on ``[crisis] cost_range`` (fixed without one).

    In each run the defender makes its best offer within the red lines
    (:func:`sim.models.bargain.defender_offer`, knowing ``p`` but only the range of the
    cost), and the challenger fights when the war is worth more to it than both that
    offer (if its red lines let it accept it) and the status quo.
    """
    import dataclasses
    import math

    from sim.models.parties import war
    from sim.models.war import defender_offer, offer_limits

    X, S, C, z = perturb(arrays, sp, seeds, extra=1)
    cr = sc.crisis
    R = len(seeds)
    if cr.cost_range is not None:
        a, b = cr.cost_range
        u = 0.5 * np.array([math.erfc(-v / math.sqrt(2.0)) for v in z[:, 0]])
        cost = a + (b - a) * u
    else:
        cost = np.full(R, float(cr.cost[cr.challenger]))
    out = {name: np.empty(R) for name in CRISIS_COLUMNS}
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
    return {"crisis": out}


def bargain_chunk(
    sc: Scenario, arrays: ScenarioArrays, sp: Spreads, seeds: np.ndarray, model: str
) -> dict:
    """Nash bargaining or alternating offers on each run's perturbed inputs, between the
    scenario's `[bargaining]` parties: whether they agree, the round, the outcome per
    issue and each party's utility (NaN without agreement)."""
    import dataclasses

    from sim.models.bargain import alternating, nash
    from sim.models.parties import default_parties

    X, S, C = perturb(arrays, sp, seeds)
    R = len(seeds)
    ids = default_parties(sc, model)
    m = len(arrays.issue_ids)
    agree = np.zeros(R, dtype=bool)
    rnd = np.full(R, -1, dtype=np.int64)
    outcome = np.full((R, m), np.nan)
    util = np.full((R, len(ids)), np.nan)
    for r in range(R):
        arr = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
        if model == "nbs":
            rec = nash(sc, ids, arrays=arr)
        else:
            rec, _ = alternating(sc, ids, arrays=arr, table=False)
            rnd[r] = -1 if rec["round"] is None else rec["round"]
        a = rec["agreement"]
        if a["reached"]:
            agree[r] = True
            outcome[r] = [a["outcome"][i] for i in arrays.issue_ids]
            util[r] = [a["utilities"][p] for p in ids]
    return {"bargain": {"agreement": agree, "round": rnd, "outcome": outcome, "utility": util}}


def init_worker(threads: int) -> None:
    """Set up a worker process: its share of numba threads; Ctrl-C is the parent's to handle."""
    import signal

    import numba

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def _chunk_table(plan: Plan, index: int, out: dict) -> pa.Table:
    start, stop = plan.chunk_bounds(index)
    seeds = run_seeds(plan.seed, start, stop)
    if "bargain" in out:
        b = out["bargain"]
        cols = {
            "run": pa.array(np.arange(start, stop, dtype=np.int64)),
            "seed": pa.array(seeds),
            "agreement": pa.array(b["agreement"]),
            "round": pa.array(b["round"]),
        }
        for k, iid in enumerate(plan.scenario.issue_ids):
            cols[f"{iid}.outcome"] = pa.array(np.ascontiguousarray(b["outcome"][:, k]))
        from sim.models.parties import default_parties

        for i, pid in enumerate(default_parties(plan.scenario, plan.model)):
            cols[f"utility.{pid}"] = pa.array(np.ascontiguousarray(b["utility"][:, i]))
        return pa.table(cols)
    if "crisis" in out:
        cols = {"run": pa.array(np.arange(start, stop, dtype=np.int64)), "seed": pa.array(seeds)}
        for name in CRISIS_COLUMNS:
            v = out["crisis"][name]
            cols[name] = pa.array(v.astype(bool) if name == "war" else v)
        return pa.table(cols)
    cols = {
        "run": pa.array(np.arange(start, stop, dtype=np.int64)),
        "seed": pa.array(seeds),
        "rounds": pa.array(out["rounds"]),
        "stopped": pa.array([STOP_NAMES[s] for s in out["stop"]], type=pa.string()),
        "cycle_length": pa.array(out["cycle"]),
    }
    for k, iid in enumerate(plan.scenario.issue_ids):
        cols[f"{iid}.compromise"] = pa.array(np.ascontiguousarray(out["compromise"][:, k]))
        cols[f"{iid}.median"] = pa.array(np.ascontiguousarray(out["median"][:, k]))
    return pa.table(cols)


# ---- files ------------------------------------------------------------------------------
def parquet_bytes(table: pa.Table, metadata: dict | None = None) -> bytes:
    """A table as Parquet bytes: same table and metadata, same bytes (no timestamps)."""
    if metadata:
        table = table.replace_schema_metadata({k: str(v) for k, v in metadata.items()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=1 << 20)
    return sink.getvalue().to_pybytes()


def check_manifest(out: Path, manifest: dict) -> None:
    """Refuse to resume into a folder whose manifest describes other work.

    ``manifest["kind"]`` says what the folder holds (``"ensemble"`` or ``"sweep"``).
    """
    kind = manifest.get("kind", "ensemble")
    path = out / MANIFEST
    if not path.exists():
        return
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ManifestMismatch(
            f"{path}: unreadable manifest ({exc}); remove the folder or choose another --out"
        ) from None
    if not isinstance(found, dict) or found.get("kind", "ensemble") != kind:
        raise ManifestMismatch(f"{path}: the folder holds no {kind}; choose another --out")
    keys = [k for k in manifest if found.get(k) != manifest[k]]
    if keys:
        raise ManifestMismatch(
            f"{path}: the folder holds another {kind} (differs in {', '.join(keys)}); "
            "use the same command to resume it, or choose another --out"
        )


def _chunk_path(out: Path, index: int) -> Path:
    return out / CHUNKS / f"chunk-{index:06d}.parquet"


# ---- the runner ---------------------------------------------------------------------------
def execute(
    plan: Plan,
    out: str | Path | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> pa.Table:
    """Run every chunk of ``plan`` and return the runs table, in run order.

    With ``out``, finished chunks are written atomically to ``out/chunks/`` beside a
    manifest and skipped when the same plan runs again; a folder holding another
    plan raises `ManifestMismatch`. Ctrl-C raises `Interrupted` after the finished
    chunks are safe.
    """
    from sim.progress import Progress
    from sim.results import write_atomic

    out = Path(out) if out is not None else None
    manifest = plan.manifest()
    tables: dict[int, pa.Table] = {}
    if out is not None:
        check_manifest(out, manifest)
        (out / CHUNKS).mkdir(parents=True, exist_ok=True)
        write_atomic(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
        for i in range(plan.n_chunks):
            p = _chunk_path(out, i)
            if p.exists():
                tables[i] = pq.read_table(p)
    todo = [i for i in range(plan.n_chunks) if i not in tables]
    bar = Progress(plan.runs, f"ensemble of {plan.runs}", enabled=progress)
    bar.update(sum(t.num_rows for t in tables.values()))
    arrays = plan.scenario.arrays()
    static = plan.model != "eum"

    def finish(i: int, result: dict) -> None:
        table = _chunk_table(plan, i, result)
        if out is not None:
            write_atomic(_chunk_path(out, i), parquet_bytes(table))
        tables[i] = table
        bar.update(table.num_rows)

    def args(i: int):
        start, stop = plan.chunk_bounds(i)
        seeds = run_seeds(plan.seed, start, stop)
        bargaining = plan.model in ("nbs", "alternating", "crisis")
        extra = (plan.scenario, plan.model) if bargaining else ()
        return (arrays, plan.spreads, seeds, plan.rounds, static, *extra)

    own_pool = None
    try:
        if executor is None and workers and workers > 1:
            import numba

            threads = max(1, numba.config.NUMBA_NUM_THREADS // workers)
            own_pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
                initargs=(threads,),
            )
            executor = own_pool
        if executor is None:
            for i in todo:
                finish(i, _chunk_task(*args(i)))
        else:
            futures = {executor.submit(_chunk_task, *args(i)): i for i in todo}
            try:
                for fut in as_completed(futures):
                    finish(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    except KeyboardInterrupt:
        bar.close()
        raise Interrupted(len(tables), plan.n_chunks, out) from None
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
    table = pa.concat_tables([tables[i] for i in range(plan.n_chunks)]).combine_chunks()
    return table


def finish_files(out: Path) -> None:
    """Remove the chunk files once ``runs.parquet`` holds them all."""
    shutil.rmtree(out / CHUNKS, ignore_errors=True)


def parquet_metadata(plan: Plan) -> dict:
    import numba

    from sim import __version__

    return {
        "sim.root_seed": plan.seed,
        "sim.runs": plan.runs,
        "sim.model": plan.model,
        "sim.scenario": plan.scenario.name,
        "sim.scenario_hash": plan.scenario_hash(),
        "sim.options_hash": plan.options_hash(),
        "sim.versions": json.dumps(
            {
                "sim": __version__,
                "numpy": np.__version__,
                "numba": numba.__version__,
                "pyarrow": pa.__version__,
            }
        ),
    }


def cpu_count() -> int:
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )
