"""The model interface: what a negotiation model tells the rest of sim.

A model is one module under ``sim/models/`` that exports ``MODEL``, an instance of a
`Model` subclass. The instance says what the model is (``name``, ``summary``,
``citation``), what it needs (``requires``: scenario sections) and what it takes
(``Params``: one frozen dataclass whose fields carry their default, range and help,
from which the command-line options are generated). It runs one scenario
(:meth:`Model.run`: a typed outcome), runs a batch of perturbed inputs for ensembles
and sweeps (:meth:`Model.batch`: per-run columns), and says how its outcomes are
summarised and which files and figures they offer. `sim.models.MODELS` collects them;
nothing outside this package branches on a model's name.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import threading
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

KERNEL_LOCK = threading.Lock()
"""One parallel kernel at a time per process: numba's workqueue threading layer aborts
when two threads launch parallel kernels at once (a thread pool, a dask worker with
several threads). The kernel itself already uses every core it is given."""
MAX_ROUNDS = 10_000
"""The longest round limit (or deadline) a run takes, as ``--rounds`` on the command line."""


PERCENTILES = (5, 25, 50, 75, 95)


def distribution_stats(values) -> dict | None:
    """Mean, standard deviation (0 for one value) and the PERCENTILES of ``values``;
    None when there are none."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return None
    out = {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if v.size > 1 else 0.0}
    for p, q in zip(PERCENTILES, np.percentile(v, PERCENTILES), strict=True):
        out[f"p{p}"] = float(q)
    return out


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n`` (95% by default)."""
    if n <= 0:
        return (0.0, 1.0)
    phat = k / n
    den = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / den
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / den
    # exact at the ends (rounding would leave 1e-17 above 0 or below 1)
    lo = 0.0 if k == 0 else max(0.0, min(centre - half, phat))
    hi = 1.0 if k == n else min(1.0, max(centre + half, phat))
    return (lo, hi)


@dataclass(frozen=True)
class Option:
    """How one parameter is given and checked: its help, its range or choices, and how it
    appears on the command line (``flag``, ``metavar``, ``multiple``)."""

    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    multiple: bool = False
    flag: str | None = None
    figure: bool = False
    """A figure option (passed to the outputs, not to the run)."""

    def range_text(self) -> str:
        if self.choices is not None:
            return " | ".join(self.choices)
        if self.lo is not None or self.hi is not None:
            lo = "-inf" if self.lo is None else f"{self.lo:g}"
            hi = "inf" if self.hi is None else f"{self.hi:g}"
            return f"[{lo}, {hi}]"
        return self.metavar or "text"


def parameter(default: Any = None, **option) -> Any:
    """A field of a model's ``Params`` with its `Option` (help, range, choices, ...)."""
    return dataclasses.field(default=default, metadata={"option": Option(**option)})


def options_of(params_type) -> dict[str, Option]:
    """``{field name: Option}`` of a ``Params`` class, in field order."""
    return {f.name: f.metadata["option"] for f in dataclasses.fields(params_type)}


@dataclass(frozen=True)
class NoParams:
    """A model without parameters of its own."""


class Model:
    """One negotiation model (see the module docstring). Subclasses set the class
    attributes and implement :meth:`run` and :meth:`batch`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    citation: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    """Scenario sections the model needs (e.g. ``("crisis",)``)."""
    Params: ClassVar[type] = NoParams
    moves: ClassVar[bool] = False
    """Whether actors move round by round (a trajectory with rounds)."""
    mesa_driver: ClassVar[bool] = False
    """Whether mesa agents step this model (``sim.abm.agents_for(name)``: the expected-utility
    model's ``NegotiationModel``, the spatial model's ``SmpAgentsModel``)."""

    def steps_with_mesa(self, params) -> bool:
        """Whether a run with ``params`` is stepped by the mesa agents under ``driver="abm"``
        (a variant the agents do not implement runs in the kernel alone)."""
        return self.mesa_driver

    keeps_trajectories: ClassVar[bool] = False
    """Whether an ensemble can keep its runs' trajectories (`trajectory` of perturbed arrays)
    and records its round limit."""
    ensemble_figure: ClassVar[str] = "distribution"
    """The `sim.plot.FIGURES` name of an ensemble's ``distribution.png``."""

    # ---- parameters -------------------------------------------------------------
    def params(self, **values) -> Any:
        """The model's ``Params`` from keyword values (None: the default), checked against
        each field's range or choices; a bad value is a ValueError naming it."""
        opts = options_of(self.Params)
        unknown = [k for k in values if k not in opts]
        if unknown:
            raise TypeError(
                f"model {self.name} takes no parameter {unknown[0]!r}; "
                f"expected: {', '.join(opts) or 'none'}"
            )
        given = {}
        for name, value in values.items():
            if value is None:
                continue
            opt = opts[name]
            if opt.choices is not None and not opt.multiple and not isinstance(value, str):
                raise TypeError(f"{name}: expected one of: {', '.join(opt.choices)}; got {value!r}")
            if opt.choices is not None and isinstance(value, str) and value not in opt.choices:
                raise ValueError(
                    f"{name}: expected one of: {', '.join(opt.choices)}; got {value!r}"
                )
            if opt.lo is not None or opt.hi is not None:
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise TypeError(
                        f"{name}: expected a number in {opt.range_text()}, got {value!r}"
                    )
                lo = -math.inf if opt.lo is None else opt.lo
                hi = math.inf if opt.hi is None else opt.hi
                if not (math.isfinite(value) and lo <= value <= hi):
                    raise ValueError(
                        f"{name}: expected a number in {opt.range_text()}, got {value}"
                    )
            given[name] = value
        return self.Params(**given)

    def describe(self) -> list[dict]:
        """The parameters as rows: ``name, default, range, help``."""
        return [
            {
                "name": f.name,
                "default": f.default,
                "range": f.metadata["option"].range_text(),
                "help": f.metadata["option"].help,
            }
            for f in dataclasses.fields(self.Params)
        ]

    def uses_deadline(self, scenario, params) -> bool:
        """Whether ``rounds`` is a deadline (at least 1) rather than a round limit."""
        return False

    def rounds_for(self, scenario, rounds: int | None) -> int:
        """The round limit a run uses: ``rounds`` or the scenario's ``[model] rounds``."""
        return scenario.model.rounds if rounds is None else int(rounds)

    def check(self, scenario, params, rounds: int | None) -> None:
        """Refuse (ValueError naming the field) what the model cannot run on ``scenario``."""
        for section in self.requires:
            if getattr(scenario, section, None) is None:
                raise ValueError(
                    f"{scenario.name}: the {self.name} model needs a [{section}] section"
                )
        if rounds is not None and rounds < 1 and self.uses_deadline(scenario, params):
            raise ValueError(
                f"rounds: alternating offers need a deadline of at least 1 round, got {rounds}"
            )

    def parties_count(self, scenario) -> int:
        """How many parties bargain (0 for the position models), for the size limits."""
        return 0

    # ---- running ----------------------------------------------------------------
    def run(self, scenario, params, rounds: int | None = None, **how) -> Any:
        """One run on ``scenario``: the model's typed outcome."""
        raise NotImplementedError

    def batch(self, scenario, arrays, spreads, seeds, rounds: int) -> dict:
        """Perturbed runs, one per seed: ``{column: array of len(seeds)}`` in column order."""
        raise NotImplementedError

    def nominal(self, scenario, rounds: int) -> dict:
        """The unperturbed outcome an ensemble reports beside its runs."""
        raise NotImplementedError

    def uncertainty(self, scenario, spread: dict) -> dict:
        """The ``sim.uncertainty`` metadata of an ensemble: the spreads it drew from."""
        return spread

    def ensemble_rounds(self, scenario, rounds: int | None) -> int:
        """The round limit an ensemble records (0 for models without rounds)."""
        return self.rounds_for(scenario, rounds) if self.moves else 0

    # ---- a run's own tables and summary entries ------------------------------------
    def table(self, result, name: str):
        """A run's table named in :meth:`outputs` that `RunResult` does not hold itself
        (a DataFrame)."""
        raise KeyError(f"model {self.name} has no table {name!r}")

    def run_extra(self, result) -> dict:
        """Entries a run's ``summary.json`` adds for this model (strict JSON)."""
        return {}

    # ---- point forecasts, for backtests --------------------------------------------
    forecast_kinds: ClassVar[tuple[str, ...]] = ()
    """The point forecasts the model gives on each issue (empty: none). A backtest names a
    single kind after the model (``compromise``) and several as ``MODEL.KIND``
    (``eum.compromise``, ``eum.median``)."""
    bare_issues: ClassVar[bool] = False
    """Whether a backtest runs the model by default on issues whose data names no parties
    or sections (DEU issues, as one-issue scenarios of all their actors)."""
    arrays_forecasts: ClassVar[bool] = False
    """Whether :meth:`point_forecasts` runs on bare `ScenarioArrays` (data without scenario
    sections, such as the DEU issues); otherwise a backtest needs a whole scenario."""
    joint_issues: ClassVar[bool] = False
    """Whether the model runs a problem's issues together (trades across issues): a backtest
    forecasts a DEU proposal's issues in one run of one scenario holding them all."""

    fit_grid: ClassVar[dict[str, tuple]] = {}
    """Values of the model's parameters (or ``rounds``, ``Q``, ``T``) a cross-validated
    backtest chooses among (``sim backtest --folds K``); empty: nothing to fit."""
    gives_war: ClassVar[bool] = False
    """Whether the model's ensembles give a probability of war (``p_war`` in their
    summary), which a backtest scores against whether war followed."""

    def forecast_names(self, label: str | None = None) -> tuple[str, ...]:
        """The names a backtest gives this model's forecasts (``label`` for a variant)."""
        label = self.name if label is None else label
        if len(self.forecast_kinds) == 1:
            return (label,)
        return tuple(f"{label}.{kind}" for kind in self.forecast_kinds)

    def point_forecasts(self, problems, params, rounds: int | None = None) -> list[dict]:
        """Per problem (a `ScenarioArrays`), ``{kind: (m,) float64}``: the forecast on each
        issue (NaN where the model gives none). ``rounds`` None: each problem's own limit.
        Problems are batched through the kernels where the model can."""
        raise NotImplementedError(f"model {self.name} gives no point forecast on bare arrays")

    def scenario_forecasts(self, scenario, params, rounds: int | None = None) -> dict:
        """``{kind: {issue id: forecast}}`` of one run on ``scenario`` (NaN: none)."""
        rounds = self.rounds_for(scenario, rounds)
        out = self.point_forecasts([scenario.arrays()], params, rounds)[0]
        return {
            kind: {iid: float(v) for iid, v in zip(scenario.issue_ids, values, strict=True)}
            for kind, values in out.items()
        }

    sweepable: ClassVar[bool] = False
    """Whether `sim sweep` runs the model (an ensemble at every grid point)."""

    def __repr__(self) -> str:
        return f"<model {self.name}: {self.summary}>"
