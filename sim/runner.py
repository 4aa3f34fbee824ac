"""Ensembles: many perturbed runs, in chunks, on threads, processes or a cluster.

Seeds are fixed before any work is scheduled (``sim.uncertainty.run_seeds``); a
chunk of runs is perturbed from its own seeds and run by one parallel kernel, so
the results are the same bits whatever runs them. With an output folder every
chunk is written atomically to the folder's own state folder ``.sim/chunks/`` as it
finishes, and recorded (rows, run ids, SHA-256) in ``.sim/manifest.json``; an
interrupted ensemble resumes where it stopped, recomputes any chunk whose file does
not match its record, and ends with the same ``runs.parquet``.

Ctrl-C is deferred while an ensemble works in the main thread (`deferred_interrupts`):
it is recorded, and acted on between chunks, never inside a kernel (or its first-call
compilation) or a file write.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import numbers
import os
import signal
import stat
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.models import MODELS, get
from sim.outputs import OutputDir, OutputError, describe_os_error
from sim.progress import Progress
from sim.save import parquet_bytes
from sim.scenario import Scenario, ScenarioArrays, load_scenario
from sim.uncertainty import Spreads, run_seeds, spreads

DEFAULT_CHUNK = 1000

MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
"""The records of units finished since the manifest was last written whole."""
"""The resume manifest, in the output folder's state folder ``.sim/``."""
CHUNKS = "chunks"
"""The folder of chunk files, in ``.sim/``."""
FORMAT = 2
"""The manifest's format (1 kept its files beside the results; 2 keeps them in ``.sim/``)."""

# the ranges of the integer arguments, as on the command line
MAX_RUNS = 100_000_000
MAX_SEED = 2**63 - 1
MAX_ROUNDS = 10_000
MAX_CHUNK = 10_000_000
MAX_WORKERS = 1024
MAX_TRAJECTORIES = 100_000


def check_integer(name: str, value, lo: int, hi: int, none: bool = False) -> int | None:
    """``value`` as an int in ``[lo, hi]``: a `TypeError` for anything but an integer (a
    bool, a float such as 1.5 or 10.0 and a string such as "10" are refused), a
    `ValueError` out of range; None passes when ``none``."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {value!r} ({type(value).__name__})")
    v = int(value)
    if not lo <= v <= hi:
        raise ValueError(f"{name}: expected an integer in [{lo}, {hi}], got {v}")
    return v


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
        return {
            "format": FORMAT,
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
    elif overrides:  # as sim.run: not applied silently to a scenario already loaded
        raise ValueError("overrides apply to a scenario loaded by name or path; got a Scenario")
    model = model or scenario.model.kind
    spec = get(model)
    runs = check_integer("runs", runs, 1, MAX_RUNS)
    seed = check_integer("seed", seed, 0, MAX_SEED)
    rounds = check_integer("rounds", rounds, 0, MAX_ROUNDS, none=True)
    chunk_size = check_integer("chunk_size", chunk_size, 1, MAX_CHUNK, none=True)
    for name, v in (
        ("position_sd", position_sd),
        ("salience_sd", salience_sd),
        ("capability_cv", capability_cv),
    ):
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise ValueError(f"{name}: expected a finite number >= 0, got {v}")
    spec.check(scenario, spec.Params(), None)
    rounds = spec.ensemble_rounds(scenario, rounds)
    size = chunk_size if chunk_size is not None else min(DEFAULT_CHUNK, runs)
    return Plan(
        scenario=scenario,
        model=model,
        runs=runs,
        seed=seed,
        rounds=rounds,
        spreads=spreads(scenario, position_sd, salience_sd, capability_cv),
        chunk_size=size,
    )


# ---- one chunk (runs in any process) ---------------------------------------------------
def _chunk_task(
    model: str,
    scenario: Scenario,
    arrays: ScenarioArrays,
    sp: Spreads,
    seeds: np.ndarray,
    rounds: int,
) -> dict:
    """Perturb and run one chunk; the unit of work sent to threads, processes or a cluster:
    the model's per-run columns (`sim.models.base.Model.batch`)."""
    return MODELS[model].batch(scenario, arrays, sp, seeds, rounds)


def init_worker(threads: int) -> None:
    """Set up a worker process: its share of numba threads; Ctrl-C is the parent's to handle."""
    import signal

    import numba

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def _chunk_table(plan: Plan, index: int, out: dict) -> pa.Table:
    """A chunk's runs as a table: ``run``, ``seed`` and the model's columns, in its order."""
    start, stop = plan.chunk_bounds(index)
    cols = {
        "run": pa.array(np.arange(start, stop, dtype=np.int64)),
        "seed": pa.array(run_seeds(plan.seed, start, stop)),
    }
    for name, values in out.items():
        cols[name] = pa.array(values)
    return pa.table(cols)


# ---- files ------------------------------------------------------------------------------
# ---- Ctrl-C, deferred ---------------------------------------------------------------------
class _InterruptState:
    depth = 0  # nesting of deferred_interrupts() in the main thread
    pending = False  # a Ctrl-C arrived and is not acted on yet


_interrupts = _InterruptState()


def _record_interrupt(signum, frame) -> None:
    if not _interrupts.pending:
        _interrupts.pending = True
        try:
            sys.stderr.write("interrupt: stopping after the current step\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


@contextlib.contextmanager
def deferred_interrupts():
    """Record Ctrl-C instead of raising it, while sim works in the main thread.

    A KeyboardInterrupt raised inside a numba kernel's first-call compilation or cache
    load (a ctypes callback) can crash the interpreter, and one raised inside a write
    leaves work half done; so SIGINT only sets a flag, and `check_interrupt` raises
    KeyboardInterrupt at safe points (between chunks, grid points, runs). The previous
    handler is restored on exit, and a Ctrl-C still pending then is raised. Nested use
    shares the outer one; in other threads (where signals cannot be handled) and where
    SIGINT is ignored it does nothing.
    """
    st = _interrupts
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if st.depth:
        st.depth += 1
        try:
            yield
        finally:
            st.depth -= 1
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        yield
        return
    st.pending = False
    signal.signal(signal.SIGINT, _record_interrupt)
    st.depth = 1
    try:
        yield
    finally:
        st.depth = 0
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
        pending, st.pending = st.pending, False
    if pending:
        raise KeyboardInterrupt


def check_interrupt() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C arrived while interrupts were deferred."""
    if _interrupts.pending:
        _interrupts.pending = False
        raise KeyboardInterrupt


# ---- resume state in .sim/ ---------------------------------------------------------------
def _note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ResumeState:
    """The resume state of an ensemble or a sweep in an output folder's ``.sim/``.

    ``.sim/manifest.json`` holds what determines the results (``manifest``, compared key
    by key on resume: another ensemble or sweep is refused with `ManifestMismatch`) and,
    under ``finished``, one record per finished unit (a chunk or a grid point): its file
    (relative to ``.sim/``), its size and SHA-256, and the ids it holds. Each unit's record
    is appended, as it finishes, to ``.sim/journal.jsonl``; opening the folder again folds
    the journal into the manifest, which is written whole and atomically. Files are verified before they are used: see
    `read_unit`. ``folder`` is where the units' files live (``chunks`` or ``points``).
    """

    FOLDERS = {CHUNKS: ("chunk-", ".parquet"), "points": ("point-", ".json")}

    def __init__(self, od: OutputDir, manifest: dict, folder: str):
        self.od = od
        self.manifest = manifest
        self.folder = folder
        self.finished: dict[int, dict] = {}
        self.path = od.state_path(MANIFEST)

    # opening: refuse another ensemble, or unit files without a manifest
    def open(self) -> dict[int, dict]:
        """Check the folder, write the manifest; the records of the finished units."""
        kind = self.manifest["kind"]
        found = self._read()
        if found is None:
            self._refuse_orphans()
            found = {}
        else:
            if not isinstance(found, dict) or found.get("kind", "ensemble") != kind:
                raise ManifestMismatch(
                    f"{self.path}: the folder holds no {kind}; choose another --out"
                )
            keys = [k for k in self.manifest if found.get(k) != self.manifest[k]]
            if keys:
                raise ManifestMismatch(
                    f"{self.path}: the folder holds another {kind} (differs in "
                    f"{', '.join(keys)}); use the same command to resume it, or choose "
                    "another --out"
                )
        folder = self.od.state_path(self.folder)
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise OutputError(
                f"{self.od.label}: cannot read {folder}: {describe_os_error(exc)}"
            ) from None
        if st is not None and not stat.S_ISDIR(st.st_mode):
            raise OutputError(
                f"{self.od.label}: {folder} exists and is not a folder; sim keeps its "
                f"{self.folder} files there: remove it or choose another --out"
            )
        records = found.get("finished")
        self.finished = {}
        if isinstance(records, dict):
            for key, entry in records.items():
                if isinstance(key, str) and key.isdigit() and isinstance(entry, dict):
                    self.finished[int(key)] = entry
        if found:
            self.finished.update(self._journal())
        self.save()
        return dict(self.finished)

    def _journal(self) -> dict[int, dict]:
        """The records appended since the manifest was last written whole; a line that
        is not a whole record (a write cut short) is skipped: its unit is recomputed."""
        try:
            text = self.od.state_path(JOURNAL).read_bytes().decode("utf-8", "replace")
        except OSError:
            return {}
        out: dict[int, dict] = {}
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            index = entry.pop("unit", None)
            if isinstance(index, int) and not isinstance(index, bool) and index >= 0:
                out[index] = entry
        return out

    def _read(self):
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ManifestMismatch(
                f"{self.path}: cannot read the manifest: {describe_os_error(exc)}"
            ) from None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ManifestMismatch(
                f"{self.path}: unreadable manifest ({exc}); remove the folder or choose "
                "another --out"
            ) from None

    def _refuse_orphans(self) -> None:
        for name, (prefix, suffix) in self.FOLDERS.items():
            folder = self.od.state_path(name)
            try:
                held = sorted(
                    p.name
                    for p in folder.iterdir()
                    if p.name.startswith(prefix) and p.name.endswith(suffix)
                )
            except OSError:
                continue
            if held:
                raise ManifestMismatch(
                    f"{folder}: holds {name} files ({held[0]}"
                    f"{f' and {len(held) - 1} more' if len(held) > 1 else ''}) but "
                    f"{self.path} is missing, so sim cannot tell which work they belong to; "
                    f"remove {folder} to start afresh, or choose another --out"
                )

    def compact(self) -> None:
        """Fold the journal into the manifest on the way out of an interrupted run (a run
        killed before it could do so leaves the journal, which the next run reads)."""
        try:
            self.save()
        except (OSError, ValueError):
            pass

    def save(self) -> None:
        """Write the manifest whole, with every record, and start a new journal."""
        record = dict(self.manifest)
        record["finished"] = {str(i): self.finished[i] for i in sorted(self.finished)}
        self.od.write_state(MANIFEST, json.dumps(record, indent=1) + "\n")
        self.od.remove_state(JOURNAL)

    # units
    def read_unit(self, index: int, ids: dict) -> tuple[bytes | None, str | None]:
        """The bytes of unit ``index`` if its record holds ``ids`` and its file matches the
        record (size and SHA-256); else None and the reason."""
        entry = self.finished.get(index)
        if entry is None:
            return None, None
        if any(entry.get(k) != v for k, v in ids.items()):
            return None, "its record in the manifest does not match this work"
        rel = entry.get("file")
        if not isinstance(rel, str) or rel != self.rel(index):
            return None, "its record in the manifest names another file"
        path = self.od.state_path(rel)
        try:
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                return None, f"{path} is not a regular file"
            data = path.read_bytes()
        except FileNotFoundError:
            return None, f"its file {path} is missing"
        except OSError as exc:
            return None, f"its file {path} cannot be read ({describe_os_error(exc)})"
        if len(data) != entry.get("size"):
            return None, f"its file {path} does not match the manifest (truncated or changed)"
        if _sha256(data) != entry.get("sha256"):
            return None, f"its file {path} does not match the manifest (another file's bytes)"
        return data, None

    def rel(self, index: int) -> str:
        if self.folder == CHUNKS:
            return f"{CHUNKS}/chunk-{index:06d}.parquet"
        return f"{self.folder}/point-{index:06d}.json"

    def drop(self, index: int) -> None:
        """Forget unit ``index`` (its file is recomputed and written again)."""
        self.finished.pop(index, None)

    def record(self, index: int, payload: bytes, ids: dict) -> None:
        """Write unit ``index``'s file, then append its record to the manifest's journal."""
        rel = self.rel(index)
        self.od.write_state(rel, payload)
        entry = {"file": rel, "size": len(payload), "sha256": _sha256(payload), **ids}
        self.finished[index] = entry
        # one line per unit, not the whole manifest again: the cost of a record does not
        # grow with the number of units already finished
        self.od.append_state(JOURNAL, json.dumps({"unit": index, **entry}))

    def clear(self) -> None:
        """Once the results hold every unit: forget them in the manifest (kept, so the
        folder still says what it holds), then remove the files it recorded and their
        folder if that is left empty."""
        recorded = sorted(self.finished)
        self.finished = {}
        self.save()
        for i in recorded:
            self.od.remove_state(self.rel(i))
        self.od.remove_state_dir(self.folder)


def _chunk_ids(plan: Plan, index: int) -> dict:
    start, stop = plan.chunk_bounds(index)
    return {"rows": stop - start, "first_run": start, "last_run": stop - 1}


def _read_chunk(plan: Plan, index: int, data: bytes) -> tuple[pa.Table | None, str | None]:
    """The table in a chunk file's bytes, if it holds the chunk's runs; else the reason."""
    start, stop = plan.chunk_bounds(index)
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception:  # any malformed bytes: the chunk is recomputed
        return None, "its file is not readable Parquet"
    try:
        run = table.column("run").to_numpy()
        seed = table.column("seed").to_numpy()
    except (KeyError, ValueError, pa.ArrowException):
        return None, "its file lacks the run and seed columns"
    if (
        table.num_rows != stop - start
        or not np.array_equal(run, np.arange(start, stop))
        or not np.array_equal(seed, run_seeds(plan.seed, start, stop))
    ):
        return None, f"its file does not hold runs {start}-{stop - 1} of this ensemble"
    return table, None


def load_chunks(state: ResumeState, plan: Plan) -> dict[int, pa.Table]:
    """The verified finished chunks; every other recorded chunk is dropped, with a note."""
    tables = {}
    for i in sorted(state.finished):
        if i >= plan.n_chunks:
            state.drop(i)
            continue
        data, why = state.read_unit(i, _chunk_ids(plan, i))
        table = None
        if data is not None:
            table, why = _read_chunk(plan, i, data)
        if table is None:
            _note(f"recomputing chunk {i}: {why}")
            state.drop(i)
        else:
            tables[i] = table
    state.save()
    return tables


# ---- the runner ---------------------------------------------------------------------------
def execute(
    plan: Plan,
    out: OutputDir | str | Path | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> pa.Table:
    """Run every chunk of ``plan`` and return the runs table, in run order.

    With ``out`` (an open `OutputDir`, or a folder), finished chunks are written
    atomically to ``.sim/chunks/`` and recorded in ``.sim/manifest.json``; when the same
    plan runs again, the chunks whose files match their records are read back and the
    others recomputed. A folder holding another plan raises `ManifestMismatch`. Ctrl-C
    raises `Interrupted` after the finished chunks are safe.
    """
    if out is not None and not isinstance(out, OutputDir):
        with OutputDir(out) as od:
            return execute(plan, od, executor, workers, progress)
    with deferred_interrupts():
        return _execute(plan, out, executor, workers, progress)


def _execute(plan, od, executor, workers, progress) -> pa.Table:
    tables: dict[int, pa.Table] = {}
    state = None
    if od is not None:
        state = ResumeState(od, plan.manifest(), CHUNKS)
        state.open()
        tables = load_chunks(state, plan)
    todo = [i for i in range(plan.n_chunks) if i not in tables]
    bar = Progress(plan.runs, f"ensemble of {plan.runs}", enabled=progress)
    bar.update(sum(t.num_rows for t in tables.values()))
    arrays = plan.scenario.arrays()

    def finish(i: int, result: dict) -> None:
        table = _chunk_table(plan, i, result)
        if state is not None:
            state.record(i, parquet_bytes(table), _chunk_ids(plan, i))
        tables[i] = table
        bar.update(table.num_rows)

    def args(i: int):
        start, stop = plan.chunk_bounds(i)
        seeds = run_seeds(plan.seed, start, stop)
        return (plan.model, plan.scenario, arrays, plan.spreads, seeds, plan.rounds)

    own_pool = None
    try:
        check_interrupt()
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
                check_interrupt()
        else:
            futures = {executor.submit(_chunk_task, *args(i)): i for i in todo}
            try:
                waiting = set(futures)
                while waiting:
                    # a short wait, so that a Ctrl-C is acted on while chunks run elsewhere
                    done, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
                    for fut in sorted(done, key=futures.__getitem__):
                        finish(futures[fut], fut.result())
                    check_interrupt()
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    except KeyboardInterrupt:
        bar.close()
        if state is not None:
            state.compact()
        raise Interrupted(len(tables), plan.n_chunks, od.path if od else None) from None
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
    table = pa.concat_tables([tables[i] for i in range(plan.n_chunks)]).combine_chunks()
    return table


def finish_files(od: OutputDir, plan: Plan) -> None:
    """Once ``runs.parquet`` holds every chunk: remove the chunk files sim recorded (and
    ``.sim/chunks`` if that leaves it empty); the manifest stays, with no chunks."""
    state = ResumeState(od, plan.manifest(), CHUNKS)
    state.open()
    state.clear()


def parquet_metadata(plan: Plan) -> dict:
    import numba

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
