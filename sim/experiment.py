"""Running models: one run now; ensembles and sweeps build on the same kernels.

Every model is reached through the registry `sim.models.MODELS`: its parameters, its
checks and its run; nothing here knows a model by name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import numbers
from pathlib import Path

import numpy as np
import pandas as pd

from sim import distributed
from sim.abm import agents_for
from sim.models import MODELS, get
from sim.models.bargain import Bargain
from sim.models.base import MAX_ROUNDS
from sim.outputs import OutputDir
from sim.progress import Progress
from sim.results import BargainResult, EnsembleResult, RunResult
from sim.runner import (
    MAX_TRAJECTORIES,
    MAX_WORKERS,
    Interrupted,
    check_integer,
    check_interrupt,
    deferred_interrupts,
    execute,
    finish_files,
    make_plan,
    parquet_metadata,
)
from sim.save import write
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.export import toml_value
from sim.scenario.limits import check_size
from sim.uncertainty import perturb, run_seeds

DRIVERS = ("abm", "kernel")
LONG_RUN = 2e8
"""actors^3 x issues x rounds from which a run shows its progress (the expected-utility
round costs O(n^3) per issue: about a few seconds of work on a laptop)."""


def run(
    scenario: Scenario | str | Path | None = None,
    model: str | None = None,
    rounds: int | None = None,
    overrides: list[str] | dict | None = None,
    driver: str = "abm",
    parties: list[str] | tuple[str, ...] | None = None,
    strategies: dict | None = None,
    first: str | None = None,
    weights: str | None = None,
    negotiation: str | None = None,
    progress: bool | None = None,
    params: dict | None = None,
    source_path: str | Path | None = None,
) -> RunResult | BargainResult:
    """Run one model on one scenario.

    Parameters
    ----------
    scenario
        A `Scenario`, a shipped scenario's name, a path, or None for the default.
    model
        ``"eum"``, ``"compromise"``, ``"median"`` (a `RunResult`) or one of the bargaining
        models ``"nbs"``, ``"alternating"``, ``"crisis"`` (a `BargainResult`); the
        scenario's ``[model] kind`` by default.
    rounds
        Round limit; the scenario's ``[model] rounds`` by default. For alternating
        offers, the deadline (the scenario's ``[bargaining] deadline`` by default).
    overrides
        ``path=value`` counterfactuals, applied when ``scenario`` is a name or path.
    driver
        ``"abm"`` steps the mesa agents; ``"kernel"`` runs whole rounds in one
        numba call. Both give the same trajectory.
    parties
        Bargaining models: the actor or bloc ids that bargain (the scenario's
        ``[bargaining] parties`` by default; alternating offers takes two).
    strategies
        Alternating offers: ``{party: name or Strategy}`` replacing the scenario's.
    first
        Alternating offers: who proposes first.
    weights
        Nash bargaining: ``"equal"`` or ``"capability"``.
    negotiation
        Crisis: the model whose outcome the challenger weighs against war
        (``"nbs"``, ``"alternating"`` or ``"status_quo"``).
    progress
        Show rounds done on stderr (a bar on a terminal, a line every 10 s in logs);
        by default only for runs large enough to take seconds.
    params
        Any other parameter of the model, by name (see ``sim models``).
    source_path
        The file the scenario came from, recorded in the summary (by default the
        name or path given as ``scenario``).

    Examples
    --------
    >>> import sim
    >>> result = sim.run("ec_example_scholz2011", rounds=4)
    >>> result.trajectories().columns.tolist()
    ['round', 'issue', 'actor', 'position']
    """
    if isinstance(scenario, Scenario):
        if overrides:
            raise ValueError("overrides apply to a scenario loaded by name or path; got a Scenario")
        source = scenario.name
    else:
        source = str(scenario) if scenario is not None else "nato_russia_2022"
        scenario = load_scenario(scenario, overrides)
    if source_path is not None:
        source = str(source_path)
    spec = get(model or scenario.model.kind)
    if rounds is not None:
        if isinstance(rounds, bool) or not isinstance(rounds, numbers.Integral):
            raise TypeError(f"rounds: expected an integer, got {rounds!r}")
        if not 0 <= rounds <= MAX_ROUNDS:
            raise ValueError(f"rounds: expected an integer in [0, {MAX_ROUNDS}], got {rounds}")
    if parties is not None and (
        isinstance(parties, str)
        or not isinstance(parties, list | tuple)
        or not all(isinstance(p, str) for p in parties)
    ):
        raise ValueError(f"parties: expected a list of actor or bloc ids, got {parties!r}")
    given = {
        "parties": parties,
        "strategies": strategies,
        "first": first,
        "weights": weights,
        "negotiation": negotiation,
        **(params or {}),
    }
    params = spec.params(**{k: v for k, v in given.items() if v is not None})
    spec.check(scenario, params, rounds)
    too_large = check_size(scenario, spec.name, rounds, spec.uses_deadline(scenario, params),
                           spec.parties_count(scenario))  # fmt: skip
    if too_large:
        raise ScenarioError(source, too_large)
    if driver not in DRIVERS:
        raise ValueError(f"unknown driver {driver!r}; expected one of: {', '.join(DRIVERS)}")
    ov = (
        tuple(overrides)
        if isinstance(overrides, list | tuple)
        else tuple(f"{k}={toml_value(v)}" for k, v in (overrides or {}).items())
    )
    limit = spec.rounds_for(scenario, rounds)
    trajectory = None
    if driver == "abm" and spec.steps_with_mesa(params):
        trajectory = _step_mesa(scenario, limit, progress, spec.name, params)
    outcome = spec.run(scenario, params, rounds, trajectory=trajectory)
    if isinstance(outcome, Bargain):
        return BargainResult(scenario, spec.name, outcome.record, outcome.crisis, outcome.rounds,
                             source=source, overrides=ov)  # fmt: skip
    return RunResult(scenario, spec.name, outcome, limit, source=source, overrides=ov)


def _step_mesa(scenario: Scenario, limit: int, progress: bool | None, model: str = "eum",
               params=None):  # fmt: skip
    """Step the mesa agents of ``model`` on ``scenario`` to ``limit`` rounds; their
    trajectory."""
    agents = agents_for(model)
    if getattr(agents, "takes_params", False):
        abm = agents(scenario, rounds=limit, params=params)
    else:
        abm = agents(scenario, rounds=limit)
    n, m = len(scenario.actors), len(scenario.issues)
    show = progress if progress is not None else n**3 * m * limit >= LONG_RUN
    bar = Progress(limit, f"{scenario.name[:40]}: rounds", unit="round", enabled=show)
    try:
        while abm.running:
            abm.step()
            bar.update(1)
    finally:
        bar.close()
    return abm.trajectory()


def check_spreads(**spreads) -> None:
    """A noise option (``position_sd``, ...) is None or a number; the range is checked later."""
    for name, v in spreads.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            raise TypeError(f"{name}: expected a finite number >= 0, got {v!r}")


def ensemble(
    scenario: Scenario | str | Path | None = None,
    runs: int = 1000,
    seed: int = 0,
    model: str | None = None,
    rounds: int | None = None,
    position_sd: float | None = None,
    salience_sd: float | None = None,
    capability_cv: float | None = None,
    overrides: list[str] | dict | None = None,
    out: str | Path | None = None,
    executor=None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    trajectories: int = 0,
    progress: bool = True,
):
    """Run ``runs`` perturbed copies of a scenario and collect their outcomes.

    Each run perturbs positions, saliences and capabilities as the scenario's
    ``[uncertainty]`` says (the keyword spreads replace its global values) from its
    own seed, spawned from ``seed``; the same seed gives the same results on any
    number of threads, with ``workers`` processes, with any ``executor``
    (a ``concurrent.futures.Executor``) or on a dask cluster (``scheduler``).
    With ``out`` the chunks are written to the folder's state folder ``.sim/`` as they
    finish (each recorded with its rows and SHA-256 in ``.sim/manifest.json``) and an
    interrupted ensemble resumes, recomputing any chunk whose file does not match its
    record; the folder ends with ``runs.parquet``, ``summary.json`` and
    ``distribution.png``. The folder is locked for the whole ensemble: another sim
    process is refused (`sim.outputs.OutputError`) until it ends.

    Examples
    --------
    >>> import sim
    >>> res = sim.ensemble("ec_example_scholz2011", runs=50, seed=1, position_sd=0.5,
    ...                    rounds=5, progress=False)
    >>> res.runs.shape[0]
    50
    """
    workers = check_integer("workers", workers, 1, MAX_WORKERS, none=True)
    trajectories = check_integer("trajectories", trajectories, 0, MAX_TRAJECTORIES, none=True)
    check_spreads(position_sd=position_sd, salience_sd=salience_sd, capability_cv=capability_cv)
    plan = make_plan(
        scenario,
        runs,
        seed,
        model,
        rounds,
        position_sd,
        salience_sd,
        capability_cv,
        chunk_size,
        overrides,
    )
    with contextlib.ExitStack() as stack:
        if scheduler is not None:  # reached (or refused) before the folder is touched
            distributed.check_scheduler(scheduler)
            executor = stack.enter_context(distributed.dask_executor(scheduler, workers))
            workers = None
        od = stack.enter_context(OutputDir(out)) if out is not None else None
        stack.enter_context(deferred_interrupts())
        table = execute(plan, od, executor, workers, progress)
        try:
            result = _ensemble_result(plan, table, trajectories or 0)
            if od is not None:
                check_interrupt()  # the last safe point before the files are written
                write(result, od.path)
                finish_files(od, plan)
        except Interrupted:
            raise
        except KeyboardInterrupt:
            raise Interrupted(plan.n_chunks, plan.n_chunks, od.path if od else None) from None
    return result


def _ensemble_result(plan, table, trajectories: int):
    """The `EnsembleResult` of a finished ``plan``: metadata, the unperturbed outcome and
    the trajectories of the first ``trajectories`` runs."""
    spec = MODELS[plan.model]
    arrays = plan.scenario.arrays()
    metadata = parquet_metadata(plan)
    sp = plan.spreads
    spread = {
        "position_sd": sp.position_sd.tolist(),
        "salience_sd": sp.salience_sd.tolist(),
        "capability_cv": sp.capability_cv.tolist(),
    }
    baseline = spec.nominal(plan.scenario, plan.rounds)
    traj = None
    keep = min(trajectories, plan.runs)
    if keep > 0 and spec.keeps_trajectories:
        seeds = run_seeds(plan.seed, 0, keep)
        X, S, C = perturb(arrays, plan.spreads, seeds)
        frames = []
        for r in range(keep):
            check_interrupt()
            arr = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
            t = spec.trajectory(arr, plan.rounds).positions
            R, m, n = t.shape
            frames.append(
                pd.DataFrame(
                    {
                        "run": np.full(R * m * n, r, dtype=np.int64),
                        "round": np.repeat(np.arange(R), m * n),
                        "issue": np.tile(np.repeat(np.array(arrays.issue_ids, dtype=object), n), R),
                        "actor": np.tile(np.array(arrays.actor_ids, dtype=object), R * m),
                        "position": t.reshape(-1),
                    }
                )
            )
        traj = pd.concat(frames, ignore_index=True)
    if spec.keeps_trajectories:
        metadata["sim.round_limit"] = plan.rounds
    metadata["sim.uncertainty"] = json.dumps(spec.uncertainty(plan.scenario, spread))
    return EnsembleResult(plan.scenario, plan.model, table, metadata, baseline, traj)
