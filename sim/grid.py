"""Sweeps: a grid over named scenario fields, each point an ensemble; a tidy table out.

A parameter is a ``--set`` path with a grid ``START:STOP:NUM``, the values of
``numpy.linspace(START, STOP, NUM)`` (whole numbers for integer fields such as
``model.rounds``). With several parameters the grid is their product, the first
parameter varying slowest. Every point is validated like a file before any work
starts, then runs an ensemble with the *same* root seed (common random numbers:
the runs at every point draw the same noise, so differences between points come
from the parameter, not from sampling). With an output folder each finished point
is saved atomically in the folder's state folder ``.sim/points/`` and recorded (its
index, parameter values and SHA-256) in ``.sim/manifest.json``; an interrupted sweep
resumes where it stopped, recomputes any point whose file does not match its record,
and ends with the same ``sweep.parquet``.

Sweeps run the models that say they are ``sweepable`` (`sim.models.MODELS`), an
ensemble at every point; each model gives the rows of its points (the forecasting
models a row per point per issue, the crisis model a row per point with the
probability of war and its 95% interval).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import sys
import types
import typing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel

from sim import __version__, distributed, experiment
from sim.experiment import check_spreads
from sim.models import MODELS
from sim.outputs import OutputDir
from sim.progress import Progress
from sim.results.base import Figure
from sim.runner import (
    FORMAT,
    MAX_WORKERS,
    Interrupted,
    ResumeState,
    check_integer,
    check_interrupt,
    deferred_interrupts,
    init_worker,
    make_plan,
    parquet_metadata,
)
from sim.save import write
from sim.scenario import Scenario, ScenarioError, load_scenario, resolve
from sim.scenario.export import toml_value
from sim.scenario.load import validate_raw
from sim.scenario.overrides import apply_overrides

POINTS = "points"
"""The folder of point files, in the output folder's ``.sim/``."""
MAX_POINTS = 100_000
EXAMPLE = "e.g. actors.RUS.salience.enlargement=0.2:1.0:5"


class SweepError(ValueError):
    """A bad ``--param`` or a grid point that makes the scenario invalid."""


@dataclass(frozen=True)
class Param:
    """One swept field: its ``--set`` path and its grid values."""

    path: str
    start: float
    stop: float
    num: int
    values: tuple


# ---- parameters ---------------------------------------------------------------------
def _options(tp) -> list:
    """The plain types a (possibly Annotated or union) annotation allows."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [o for a in typing.get_args(tp) for o in _options(a)]
    return [tp]


def integer_field(path: str) -> bool:
    """Whether the scenario field at ``path`` takes whole numbers only (e.g. ``model.rounds``)."""
    nodes = [Scenario]
    for part in path.split("."):
        following = []
        for tp in (o for node in nodes for o in _options(node)):
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                if part in tp.model_fields:
                    following.append(tp.model_fields[part].annotation)
            elif typing.get_origin(tp) is dict:  # an id: actors.RUS, salience.enlargement
                following.append(typing.get_args(tp)[1])
            elif typing.get_origin(tp) is tuple:  # issues, addressed by id
                following.append(typing.get_args(tp)[0])
        nodes = following
    leaves = [o for node in nodes for o in _options(node)]
    return int in leaves and float not in leaves


def parse_param(path: str, grid) -> Param:
    """``grid`` is ``(start, stop, num)`` or the text ``"START:STOP:NUM"``."""
    if not isinstance(path, str):
        raise SweepError(f"--param {path!r}: expected a field path (text), {EXAMPLE}")
    if not isinstance(grid, str | list | tuple):
        raise SweepError(f"--param {path}: expected (START, STOP, NUM) or 'START:STOP:NUM', "
                         f"got {grid!r}")  # fmt: skip
    spec = f"--param {path}={grid if isinstance(grid, str) else ':'.join(map(str, grid))}"
    parts = grid.split(":") if isinstance(grid, str) else list(grid)
    if not path or len(parts) != 3:
        raise SweepError(f"{spec}: expected PATH=START:STOP:NUM, {EXAMPLE}")
    if any(isinstance(x, bool) for x in parts):
        raise SweepError(f"{spec}: expected numbers in START:STOP:NUM, not true or false")
    try:
        start, stop = float(parts[0]), float(parts[1])
        num_f = float(parts[2])
    except (TypeError, ValueError, OverflowError):
        raise SweepError(f"{spec}: expected numbers in START:STOP:NUM, {EXAMPLE}") from None
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise SweepError(f"{spec}: expected finite START and STOP")
    if not (math.isfinite(num_f) and num_f == int(num_f) and num_f >= 1):
        raise SweepError(f"{spec}: expected NUM to be a whole number >= 1, got {parts[2]}")
    num = int(num_f)
    if num > MAX_POINTS:
        raise SweepError(f"{spec}: expected NUM <= {MAX_POINTS}, got {num}")
    grid_values = np.linspace(start, stop, num)
    if integer_field(path):
        whole = np.round(grid_values)
        off = np.abs(grid_values - whole) > 1e-9 * np.maximum(1.0, np.abs(whole))
        if off.any():
            raise SweepError(
                f"{spec}: {path} takes whole numbers, but the grid holds "
                f"{grid_values[off][0]:g}; choose START, STOP and NUM so that the steps are whole"
            )
        values = tuple(int(v) for v in whole)
    else:
        values = tuple(float(v) for v in grid_values)
    if len(set(values)) < len(values):
        raise SweepError(
            f"{spec}: expected {num} distinct values, but the grid repeats one; "
            "give NUM 1 for a single value, or a STOP further from START"
        )
    return Param(path, start, stop, num, values)


def parse_params(params) -> tuple[Param, ...]:
    """``{path: (start, stop, num) or "START:STOP:NUM"}`` or ``["PATH=START:STOP:NUM", ...]``."""
    if isinstance(params, dict):
        items = list(params.items())
    else:
        items = []
        for text in params or ():
            path, sep, grid = str(text).partition("=")
            if not sep:
                raise SweepError(f"--param {text}: expected PATH=START:STOP:NUM, {EXAMPLE}")
            items.append((path.strip(), grid.strip()))
    if not items:
        raise SweepError(f"expected at least one --param PATH=START:STOP:NUM, {EXAMPLE}")
    out = tuple(parse_param(path, grid) for path, grid in items)
    seen = [p.path for p in out]
    for path in seen:
        if seen.count(path) > 1:
            raise SweepError(f"--param {path}: given more than once; expected one grid per field")
    if math.prod(p.num for p in out) > MAX_POINTS:
        raise SweepError(f"--param: the grid has more than {MAX_POINTS} points")
    return out


def _assign(path: str, value) -> str:
    return f"{path}={value}" if isinstance(value, int) else f"{path}={float(value)!r}"


# ---- validating the grid ------------------------------------------------------------------
def _loader(scenario, fixed: list[str]):
    """(source, load) where ``load(extra)`` builds the scenario with fixed and extra changes."""
    if isinstance(scenario, Scenario):
        source, raw = scenario.name, scenario.model_dump(mode="json")
        return source, lambda extra: validate_raw(
            apply_overrides(raw, fixed + extra, source), source
        )
    source = str(resolve(scenario))
    return source, lambda extra: load_scenario(scenario, fixed + extra)


def _line(source: str, assigned, exc: ScenarioError) -> str:
    """One line per bad value (or per bad path: the same for every value)."""
    path_error = any(q.startswith("--set ") for q, _ in exc.problems)
    where = ", ".join(f"--param {p.path}" + ("" if path_error else f"={v:g}") for p, v in assigned)
    what = "; ".join(f"{q.removeprefix('--set ')}: {m}" if q else m for q, m in exc.problems)
    return f"{source}: {where}: {what}"


def _check_grid(params, grid, load, source) -> list:
    """Every point's scenario, or a `SweepError` naming each bad value and its field."""
    lines = []
    if len(params) > 1:  # name the parameter at fault where one value alone is bad
        for p in params:
            for v in p.values:
                try:
                    load([_assign(p.path, v)])
                except ScenarioError as exc:
                    lines.append(_line(source, [(p, v)], exc))
    scenarios = []
    for point in grid if not lines else ():
        assigned = list(zip(params, point, strict=True))
        try:
            scenarios.append(load([_assign(p.path, v) for p, v in assigned]))
        except ScenarioError as exc:
            lines.append(_line(source, assigned, exc))
    lines = list(dict.fromkeys(lines))
    if lines:
        more = f"\n... and {len(lines) - 20} more" if len(lines) > 20 else ""
        raise SweepError("\n".join(lines[:20]) + more)
    return scenarios


# ---- files --------------------------------------------------------------------------------
def _table(params, grid, issues, points, model: str) -> pd.DataFrame:
    """The sweep's table: the model's rows of every point, after the parameter columns."""
    spec = MODELS[model]
    rows = []
    for point, summary in zip(grid, points, strict=True):
        values = {p.path: v for p, v in zip(params, point, strict=True)}
        rows += spec.sweep_rows(values, summary, issues)
    columns, types_ = spec.sweep_columns()
    if columns is not None:
        columns = [p.path for p in params] + list(columns)
    return pd.DataFrame(rows, columns=columns).astype(_param_types(params) | types_)


def _param_types(params) -> dict:
    return {p.path: "int64" if isinstance(p.values[0], int) else "float64" for p in params}


# ---- the result ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SweepResult:
    """A grid of ensembles.

    Attributes
    ----------
    scenario : Scenario
        The scenario with the fixed changes, before the grid.
    model : str
    params : tuple of Param
        The swept fields (``path``, ``values``), the first varying slowest.
    table : pandas.DataFrame
        One row per grid point per issue: the parameter values (columns named by
        their paths), ``issue``, ``compromise_mean, compromise_std, compromise_p5 ..
        compromise_p95``, the same for ``median``, ``share_converged`` and ``runs``.
        For the crisis model one row per grid point: the parameter values, ``p_war``
        (the share of runs that end in war), ``p_war_lo, p_war_hi`` (its Wilson 95%
        interval), ``p_war_believed`` (the defender's P(war), mean over runs),
        ``p_mean`` (the challenger's mean chance to win), ``war_value_mean`` (mean
        ``p - c`` of the challenger), ``share_with_offer`` and ``runs``.
    metadata : dict
        Root seed, hashes, grid and versions (stored in ``sweep.parquet``).
    """

    scenario: Scenario
    model: str
    params: tuple
    table: pd.DataFrame
    metadata: dict

    @property
    def n_points(self) -> int:
        return math.prod(p.num for p in self.params)

    @property
    def runs(self) -> int:
        return int(self.metadata["sim.runs"])

    @property
    def root_seed(self) -> int:
        return int(self.metadata["sim.root_seed"])

    @property
    def spec(self):
        """The model (see `sim.models.MODELS`)."""
        return MODELS[self.model]

    def lines(self, limit: int = 40) -> list[str]:
        """The sweep as lines of text, as ``sim sweep`` prints it (at most ``limit`` points)."""
        return self.spec.sweep_lines(self, limit)

    def outputs(self) -> list:
        """The files of the sweep (see `sim.save`): ``sweep.parquet`` (its metadata in the
        schema) and, for one or two parameters, ``sweep.png``: one parameter, the mean
        forecast with 5-95% and 25-75% bands, or P(war) with its 95% interval; two,
        heatmaps."""
        table = pa.Table.from_pandas(self.table, preserve_index=False)
        table = table.replace_schema_metadata({k: str(v) for k, v in self.metadata.items()})
        out = [("sweep.parquet", table)]
        if len(self.params) <= 2:
            out.append(("sweep.png", Figure(self.spec.sweep_figure(len(self.params)))))
        return out

    def __repr__(self) -> str:
        grid = ", ".join(f"{p.path}: {p.num}" for p in self.params)
        return (
            f"SweepResult({self.scenario.name!r}, model={self.model!r}, grid={{{grid}}}, "
            f"points={self.n_points}, runs={self.runs}, root_seed={self.root_seed})"
        )

    def _repr_html_(self) -> str:
        return self.spec.sweep_html(self)


# ---- the runner ---------------------------------------------------------------------------
def sweep(
    scenario: Scenario | str | Path | None = None,
    params=None,
    runs: int = 1000,
    seed: int = 0,
    model: str | None = None,
    position_sd: float | None = None,
    salience_sd: float | None = None,
    capability_cv: float | None = None,
    overrides: list[str] | dict | None = None,
    out: str | Path | None = None,
    executor=None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run an ensemble at every point of a grid over scenario fields.

    ``params`` maps ``--set`` paths to grids ``(start, stop, num)`` (or
    ``"START:STOP:NUM"``), the values of ``numpy.linspace``; ``overrides`` are
    ``path=value`` changes applied before the grid. Every point is validated
    first (`SweepError` names the parameter and the field), then runs
    ``sim.ensemble`` with the same ``seed``: common random numbers, so the
    differences between points come from the parameter, not from noise. With
    ``out``, finished points are saved in ``out/.sim/points/`` (recorded in
    ``out/.sim/manifest.json``) and an interrupted sweep resumes; the folder, locked
    for the whole sweep, ends with ``sweep.parquet`` and ``sweep.png``. A bad
    scheduler, parameter or change is refused before the folder is touched.

    ``model`` is a sweepable model (the scenario's ``[model] kind`` by default;
    `SweepError` otherwise). With ``"crisis"`` the table has one row per point: the
    probability of war, its 95% interval and the means of
    `sim.models.crisis.WAR_COLUMNS`.

    Examples
    --------
    >>> import sim
    >>> res = sim.sweep("ec_example_scholz2011", {"model.Q": (0.5, 1.0, 2)}, runs=20,
    ...                 seed=1, position_sd=5, progress=False)
    >>> res.table.shape[0]
    2
    """

    workers = check_integer("workers", workers, 1, MAX_WORKERS, none=True)
    grid_params = parse_params(params)
    if isinstance(overrides, dict):
        fixed = [f"{k}={toml_value(v)}" for k, v in overrides.items()]
    else:
        fixed = list(overrides or ())
    source, load = _loader(scenario, fixed)
    base = load([])
    spreads = dict(position_sd=position_sd, salience_sd=salience_sd, capability_cv=capability_cv)

    check_spreads(**spreads)
    base_plan = _plan(base, runs, seed, model, spreads)
    grid = list(itertools.product(*(p.values for p in grid_params)))
    scenarios = _check_grid(grid_params, grid, load, source)
    plans = [_plan(sc, runs, seed, base_plan.model, spreads) for sc in scenarios]
    sweep_hash = hashlib.sha256()
    for plan in plans:
        sweep_hash.update(f"{plan.scenario_hash()}:{plan.options_hash()}\n".encode())
    grid_json = [
        {"path": p.path, "start": p.start, "stop": p.stop, "num": p.num} for p in grid_params
    ]

    manifest = {
        "format": FORMAT,
        "kind": "sweep",
        "scenario": base.name,
        "model": base_plan.model,
        "root_seed": base_plan.seed,
        "runs": base_plan.runs,
        "params": grid_json,
        "overrides": fixed,
        "points": len(grid),
        "scenario_hash": base_plan.scenario_hash(),
        "sweep_hash": sweep_hash.hexdigest(),
        "sim_version": __version__,
    }
    points: dict[int, dict] = {}
    with contextlib.ExitStack() as stack:
        # the executor first: a scheduler that is wrong or out of reach leaves no folder
        if executor is None and scheduler is not None:
            check = getattr(distributed, "check_scheduler", None)
            if check is not None:
                check(scheduler)
            executor = stack.enter_context(distributed.dask_executor(scheduler, workers))
        elif executor is None and workers and workers > 1:
            import multiprocessing

            import numba

            executor = stack.enter_context(
                ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(max(1, numba.config.NUMBA_NUM_THREADS // workers),),
                )
            )
        od = stack.enter_context(OutputDir(out)) if out is not None else None
        stack.enter_context(deferred_interrupts())
        state = None
        if od is not None:
            state = ResumeState(od, manifest, POINTS)
            state.open()
            points = _load_points(state, grid_params, grid, base.issue_ids, plans)
        bar = Progress(len(grid), f"sweep of {len(grid)} points", unit="point", enabled=progress)
        bar.update(len(points))
        try:
            _run_points(grid_params, grid, plans, points, state, executor, bar, spreads)
            table = _table(
                grid_params,
                grid,
                base.issue_ids,
                [points[i] for i in range(len(grid))],
                base_plan.model,
            )
            metadata = parquet_metadata(base_plan)
            del metadata["sim.options_hash"]
            metadata.update(
                {
                    "sim.params": json.dumps(grid_json),
                    "sim.overrides": json.dumps(fixed),
                    "sim.spreads": json.dumps(spreads),
                    "sim.sweep_hash": manifest["sweep_hash"],
                }
            )
            result = SweepResult(base, base_plan.model, grid_params, table, metadata)
            if od is not None:
                check_interrupt()  # the last safe point before the files are written
                write(result, od.path)  # the point files stay: the same sweep again is quick
        except KeyboardInterrupt:
            if state is not None:
                state.compact()
            raise Interrupted(len(points), len(grid), od.path if od else None) from None
        finally:
            bar.close()
    return result


def _plan(scenario: Scenario, runs, seed, model, spreads):
    """The ensemble plan of one point, or a `SweepError` for a model sweeps do not run."""
    kind = model or scenario.model.kind
    SWEEP_MODELS = [name for name, spec in MODELS.items() if spec.sweepable]
    if kind not in SWEEP_MODELS:
        raise SweepError(
            f"model {kind!r}: sweeps support the models {', '.join(SWEEP_MODELS[:-1])} and "
            f"{SWEEP_MODELS[-1]} (an ensemble at every grid point); run {kind} with sim run, "
            "with --set for each value"
        )
    try:
        return make_plan(scenario, runs, seed, kind, **spreads)
    except ValueError as exc:
        raise SweepError(str(exc)) from None


def _point_ids(params, grid, index: int) -> dict:
    return {"index": index, "values": {p.path: v for p, v in zip(params, grid[index], strict=True)}}


def _point_problem(point, params, grid, index, issues, plan) -> str | None:
    """Why a point read back cannot stand for grid point ``index`` (None if it can)."""
    if not isinstance(point, dict):
        return "its file holds no point"
    ids = _point_ids(params, grid, index)
    if point.get("index") != index or point.get("values") != ids["values"]:
        return "its file holds another grid point"
    if point.get("runs") != plan.runs:
        return f"its file holds {point.get('runs')!r} runs, not {plan.runs}"
    try:  # every value the table reads, of the right kind
        _table(params, [grid[index]], issues, [point], plan.model)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return "its file lacks values of the point's summary"
    return None


def _load_points(state, params, grid, issues, plans) -> dict[int, dict]:
    """The verified finished points; every other recorded point is dropped, with a note."""
    points = {}
    for i in sorted(state.finished):
        if i >= len(grid):
            state.drop(i)
            continue
        data, why = state.read_unit(i, {**_point_ids(params, grid, i), "runs": plans[i].runs})
        if data is not None:
            try:
                point = json.loads(data)
            except ValueError:
                point, why = None, "its file is not JSON"
            else:
                why = _point_problem(point, params, grid, i, issues, plans[i])
        if why is None and data is not None:
            points[i] = point
        else:
            print(f"recomputing grid point {i}: {why}", file=sys.stderr, flush=True)
            state.drop(i)
    state.save()
    return points


def _run_points(params, grid, plans, points, state, executor, bar, spreads) -> None:
    for i, plan in enumerate(plans):
        if i in points:
            continue
        res = experiment.ensemble(
            plan.scenario, runs=plan.runs, seed=plan.seed, model=plan.model, **spreads,
            executor=executor, progress=False,
        )  # fmt: skip
        s = res.summary()
        point = _point_ids(params, grid, i) | MODELS[plan.model].sweep_point(s)
        if state is not None:
            text = json.dumps(point, indent=1, allow_nan=False) + "\n"
            state.record(i, text.encode(), {**_point_ids(params, grid, i), "runs": plan.runs})
        points[i] = point
        bar.update(1)
        check_interrupt()
