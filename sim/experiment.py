"""Running models: one run now; ensembles and sweeps build on the same kernels."""

from __future__ import annotations

from pathlib import Path

from sim.models import MODELS
from sim.models.baselines import run_static
from sim.models.eum import run_kernel
from sim.results import RunResult
from sim.scenario import Scenario, load_scenario

DRIVERS = ("abm", "kernel")


def run(
    scenario: Scenario | str | Path | None = None,
    model: str | None = None,
    rounds: int | None = None,
    overrides: list[str] | dict | None = None,
    driver: str = "abm",
) -> RunResult:
    """Run one model on one scenario.

    Parameters
    ----------
    scenario
        A `Scenario`, a shipped scenario's name, a path, or None for the default.
    model
        ``"eum"``, ``"compromise"`` or ``"median"``; the scenario's ``[model] kind`` by default.
    rounds
        Round limit; the scenario's ``[model] rounds`` by default.
    overrides
        ``path=value`` counterfactuals, applied when ``scenario`` is a name or path.
    driver
        ``"abm"`` steps the mesa agents; ``"kernel"`` runs whole rounds in one
        numba call. Both give the same trajectory.

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
    model = model or scenario.model.kind
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of: {', '.join(MODELS)}")
    if driver not in DRIVERS:
        raise ValueError(f"unknown driver {driver!r}; expected one of: {', '.join(DRIVERS)}")
    limit = scenario.model.rounds if rounds is None else int(rounds)
    if model == "eum":
        if driver == "kernel":
            trajectory = run_kernel(scenario.arrays(), limit)
        else:
            from sim.abm import NegotiationModel

            abm = NegotiationModel(scenario, rounds=limit)
            abm.run_model()
            trajectory = abm.trajectory()
    else:
        trajectory = run_static(scenario.arrays())
    ov = (
        tuple(overrides)
        if isinstance(overrides, list | tuple)
        else tuple(f"{k}={v}" for k, v in (overrides or {}).items())
    )
    return RunResult(scenario, model, trajectory, limit, source=source, overrides=ov)
