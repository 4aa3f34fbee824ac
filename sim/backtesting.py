"""Forecasts scored against what happened: `sim backtest`.

A dataset is a DEU-format file (one issue per row, with the recorded outcome), a scenario
file with an ``[outcome]`` section, or a folder of them. Every requested model (by default
every registered model that gives a point forecast on the data) forecasts every issue
(a model that runs issues together, `Model.joint_issues`, forecasts a DEU proposal's issues
in one run: `proposal_scenario`); each forecast is compared with the recorded outcome:

- ``mae`` (with a 95% interval from a seeded bootstrap over issues), ``rmse``,
  ``median_abs_error``;
- ``hit_rate``: the share of issues forecast within 10 points of a 0-100 scale (a tenth of
  the issue's scale);
- ``better_than_compromise``: the share of issues on which the model's error is smaller
  than the compromise baseline's, and the paired difference of the two MAEs with its
  bootstrap interval;
- for models that give a probability of war, on cases that say whether war followed, the
  Brier score of that probability.

Forecasts and outcomes are on each issue's own scale; errors are absolute and in points
of a 0-100 scale (the issue's scale stretched to 0-100: the same numbers for DEU data,
whose issues are all 0-100).

A variant of a model is named ``MODEL[param=value,...]`` (``compromise[salience_power=2]``,
``eum[rounds=3]``): its parameters are the model's own (``sim models``) plus ``rounds``,
``Q`` and ``T``. ``folds=K`` adds K-fold cross-validation by case (proposal) for the
models with parameters to fit (`sim.models.base.Model.fit_grid`): on each fold the value
with the smallest training MAE is chosen and scored on the held-out cases.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import __version__
from sim.experiment import ensemble as run_ensemble
from sim.models import MODELS
from sim.models.base import Model, options_of
from sim.outputs import file_sha256
from sim.results.backtest import BacktestResult
from sim.scenario import (
    Scenario,
    ScenarioArrays,
    ScenarioError,
    load_scenario,
    resolve,
    validate_raw,
)
from sim.scenario.deu import DeuIssue, actor_id, is_deu, read_deu
from sim.scenario.limits import MAX_ID_LENGTH
from sim.scenario.schema import FrozenDict, id_problem

RESAMPLES = 2000
"""Bootstrap resamples over issues for every interval."""
HIT_POINTS = 10.0
"""A forecast within this many points of a 0-100 scale counts as a hit."""
WAR_RUNS = 1000
"""Runs of the ensemble that gives a model's probability of war on a case."""
SCENARIO_SUFFIXES = (".toml", ".json")
DEU_SUFFIXES = (".tsv", ".txt", ".tab")
EXTRA_KEYS = ("rounds", "Q", "T")
"""Keys a variant may set beside its model's parameters."""
ABSENT_SALIENCE = 1e-9
"""The salience (on 0-1), in a DEU proposal run as one scenario, of an actor on an issue of
the proposal where it has no position (`proposal_scenario`)."""


class BacktestError(ValueError):
    """Bad input to a backtest: the message names the file or the option at fault."""


# ---- variants -----------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """A model with parameters, as a backtest names it (``eum``, ``eum[rounds=3]``)."""

    label: str
    model: Model
    params: Any
    rounds: int | None = None
    Q: float | None = None
    T: float | None = None
    values: tuple = ()
    """The ``(key, value)`` pairs given, in the order of the model's parameters."""

    @property
    def names(self) -> tuple[str, ...]:
        return self.model.forecast_names(self.label)

    def with_values(self, **values) -> Variant:
        """The same model with more (or other) values."""
        given = dict(self.values) | values
        return make_variant(self.model.name, given)


def _split_top(text: str) -> list[str]:
    """``text`` split at the commas outside brackets."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _value_text(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def make_variant(name: str, values: dict) -> Variant:
    """The variant of model ``name`` with ``values`` (checked against its parameters)."""
    if name not in MODELS:
        raise BacktestError(
            f"--models: unknown model {name!r}; expected one of: {', '.join(MODELS)}"
        )
    model = MODELS[name]
    if not model.forecast_kinds and not model.gives_war:
        raise BacktestError(
            f"--models: model {name} gives no point forecast and no probability of war; "
            "expected one of: " + ", ".join(n for n, m in MODELS.items() if m.forecast_kinds)
        )
    opts = options_of(model.Params)
    extra = {k: values[k] for k in EXTRA_KEYS if k in values}
    own = {k: v for k, v in values.items() if k not in EXTRA_KEYS}
    try:
        params = model.params(**own)
    except (TypeError, ValueError) as exc:
        raise BacktestError(f"--models {name}[...]: {exc}") from None
    rounds = extra.get("rounds")
    if rounds is not None and (
        isinstance(rounds, bool) or not float(rounds).is_integer() or not 0 <= rounds <= 10_000
    ):
        raise BacktestError(f"--models {name}[rounds=...]: expected a whole number in [0, 10000]")
    for key in ("Q", "T"):
        v = extra.get(key)
        if v is not None and not (isinstance(v, float | int) and 0.0 <= v <= 1.0):
            raise BacktestError(f"--models {name}[{key}=...]: expected a number in [0, 1]")
    order = [k for k in opts if k in own] + [k for k in EXTRA_KEYS if k in extra]
    pairs = tuple((k, values[k]) for k in order)
    label = name if not pairs else f"{name}[{','.join(f'{k}={_value_text(v)}' for k, v in pairs)}]"
    return Variant(
        label=label,
        model=model,
        params=params,
        rounds=None if rounds is None else int(rounds),
        Q=None if extra.get("Q") is None else float(extra["Q"]),
        T=None if extra.get("T") is None else float(extra["T"]),
        values=pairs,
    )


def _parse_value(model: Model, key: str, text: str):
    opts = options_of(model.Params)
    if key in opts and opts[key].choices is not None:
        return text
    if key == "rounds":
        try:
            return int(text)
        except ValueError:
            raise BacktestError(
                f"--models {model.name}[rounds={text}]: expected a whole number"
            ) from None
    if key in opts and opts[key].lo is None and opts[key].hi is None:
        return text
    try:
        value = float(text)
    except ValueError:
        raise BacktestError(f"--models {model.name}[{key}={text}]: expected a number") from None
    if not math.isfinite(value):
        raise BacktestError(f"--models {model.name}[{key}={text}]: expected a finite number")
    return value


def parse_models(text: str | None) -> list[Variant] | None:
    """``--models`` (``eum,compromise[salience_power=2]``) as variants; None: the default."""
    if text is None:
        return None
    out: list[Variant] = []
    for item in _split_top(text):
        if not item:
            raise BacktestError(f"--models {text!r}: an empty model name")
        name, sep, rest = item.partition("[")
        name = name.strip()
        values: dict = {}
        if sep:
            if not rest.endswith("]"):
                raise BacktestError(f"--models {item!r}: expected MODEL[param=value,...]")
            if name not in MODELS:
                raise BacktestError(
                    f"--models: unknown model {name!r}; expected one of: {', '.join(MODELS)}"
                )
            allowed = [*options_of(MODELS[name].Params), *EXTRA_KEYS]
            for pair in _split_top(rest[:-1]):
                key, eq, val = pair.partition("=")
                key = key.strip()
                if not eq or not key:
                    raise BacktestError(f"--models {item!r}: expected param=value, got {pair!r}")
                if key not in allowed:
                    raise BacktestError(
                        f"--models {item!r}: model {name} has no parameter {key!r}; "
                        f"expected one of: {', '.join(allowed)}"
                    )
                values[key] = _parse_value(MODELS[name], key, val.strip())
        variant = make_variant(name, values)
        if any(v.label == variant.label for v in out):
            raise BacktestError(f"--models: {variant.label} is named twice")
        out.append(variant)
    return out


# ---- cases --------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One case a backtest forecasts: a DEU issue or a scenario, with what happened."""

    case: str
    source: str
    issue_ids: tuple[str, ...]
    width: np.ndarray
    outcome: np.ndarray
    arrays: ScenarioArrays
    scenario: Scenario | None = None
    deu: DeuIssue | None = None
    war: bool | None = None


@dataclass(frozen=True)
class Dataset:
    """The cases of a dataset, what was skipped and why, and what identifies the data."""

    path: str
    sha256: str
    kind: str
    capability: str
    cases: tuple[Case, ...]
    skipped: tuple[dict, ...]
    files: tuple[dict, ...]


def _deu_cases(path: Path, capability: str) -> tuple[list[Case], list[dict]]:
    data = read_deu(path, capability=capability)
    cases = [
        Case(
            case=issue.case,
            source=str(path),
            issue_ids=(issue.issue,),
            width=np.array([100.0]),
            outcome=np.array([issue.outcome], dtype=np.float64),
            arrays=issue.arrays(),
            deu=issue,
        )
        for issue in data.issues
    ]
    skipped = [
        {"source": str(path), "case": c, "issue": i, "why": why} for c, i, why in data.skipped
    ]
    return cases, skipped


def _equal_capabilities(sc: Scenario) -> Scenario:
    """``sc`` with every actor's capability 1 (``--capability equal``)."""
    actors = FrozenDict(
        {a: act.model_copy(update={"capability": 1.0}) for a, act in sc.actors.items()}
    )
    return sc.model_copy(update={"actors": actors})


def scenario_case(sc: Scenario, case_id: str, source: str, capability: str = "file") -> Case:
    """A scenario as one case: its issues, its ``[outcome]`` (NaN where it has none)."""
    if capability == "equal":
        sc = _equal_capabilities(sc)
    outcome = sc.outcome.position if sc.outcome is not None else {}
    return Case(
        case=case_id,
        source=source,
        issue_ids=sc.issue_ids,
        width=np.array([i.width for i in sc.issues], dtype=np.float64),
        outcome=np.array([outcome.get(i, math.nan) for i in sc.issue_ids], dtype=np.float64),
        arrays=sc.arrays(),
        scenario=sc,
        war=None if sc.outcome is None else sc.outcome.war,
    )


def _scenario_case(path: Path, capability: str, folder: bool) -> tuple[list[Case], list[dict]]:
    sc = load_scenario(path)
    if sc.outcome is None and folder:
        return [], [{"source": str(path), "case": path.stem, "issue": "", "why": "no [outcome]"}]
    return [scenario_case(sc, path.stem, str(path), capability)], []


def _is_deu_file(path: Path) -> bool:
    return path.suffix.lower() in DEU_SUFFIXES or (
        path.suffix.lower() not in SCENARIO_SUFFIXES + (".csv",) and is_deu(path)
    )


def load_dataset(path: str | Path | Scenario, capability: str = "file") -> Dataset:
    """The cases of ``path``: a DEU file, a scenario with an ``[outcome]``, or a folder of
    them (scenarios without an outcome are skipped there; a lone one is forecast); or a
    loaded `Scenario`, as one case."""
    if capability not in ("file", "equal"):
        raise BacktestError(f"--capability: expected file or equal, got {capability!r}")
    if isinstance(path, Scenario):
        digest = hashlib.sha256(path.model_dump_json().encode("utf-8")).hexdigest()
        case = scenario_case(path, "scenario", path.name, capability)
        return Dataset(
            path=path.name, sha256=digest, kind="scenario", capability=capability,
            cases=(case,), skipped=(), files=(),
        )  # fmt: skip
    root = Path(path) if Path(path).exists() else resolve(str(path))  # or a shipped name
    if not root.exists():
        raise BacktestError(f"{root}: no such file or folder")
    cases: list[Case] = []
    skipped: list[dict] = []
    files: list[dict] = []
    if root.is_dir():
        members = sorted(
            p
            for p in root.iterdir()
            if p.is_file() and p.suffix.lower() in SCENARIO_SUFFIXES + DEU_SUFFIXES + (".csv",)
        )
        folder = True
    else:
        members = [root]
        folder = False
    kinds = set()
    for p in members:
        if _is_deu_file(p):
            got, why = _deu_cases(p, capability)
            kinds.add("deu")
        elif p.suffix.lower() == ".csv" and folder:
            skipped.append({"source": str(p), "case": p.stem, "issue": "", "why": "no [outcome]"})
            continue
        else:
            got, why = _scenario_case(p, capability, folder)
            kinds.add("scenario")
        cases += got
        skipped += why
        files.append({"path": str(p), "sha256": file_sha256(p), "cases": len(got)})
    if not cases:
        raise BacktestError(
            f"{root}: no case to forecast"
            + (f" ({len(skipped)} skipped: {skipped[0]['why']})" if skipped else "")
        )
    seen: dict[tuple[str, str], str] = {}
    for c in cases:
        for iid in c.issue_ids:
            key = (c.case, iid)
            if key in seen:
                raise BacktestError(
                    f"{c.source}: case {c.case!r} issue {iid!r} is also in {seen[key]}; "
                    "expected each case once"
                )
            seen[key] = c.source
    if root.is_dir():
        digest = hashlib.sha256(
            "".join(f"{Path(f['path']).name}\0{f['sha256']}\n" for f in files).encode()
        ).hexdigest()
    else:
        digest = files[0]["sha256"]
    return Dataset(
        path=str(root),
        sha256=digest,
        kind="+".join(sorted(kinds)),
        capability=capability,
        cases=tuple(cases),
        skipped=tuple(skipped),
        files=tuple(files),
    )


# ---- forecasting --------------------------------------------------------------------
def _issue_scenario(issue: DeuIssue) -> Scenario:
    """A DEU issue as a one-issue scenario, for models that need a whole scenario."""
    iid = "issue"
    actors = {}
    for k, aid in enumerate(issue.actors):
        actors[aid.upper() or f"A{k}"] = {
            "capability": max(float(issue.capability[k]), 1e-9),
            "position": {iid: float(issue.position[k])},
            "salience": {iid: float(issue.salience[k])},
        }
    entry = {"id": iid, "scale": [0.0, 100.0]}
    if not math.isnan(issue.status_quo):
        entry["status_quo"] = float(issue.status_quo)
    raw = {"scenario": {"name": f"{issue.case} {issue.issue}"}, "issues": [entry], "actors": actors}
    return validate_raw(raw, f"{issue.case} {issue.issue}")


def _joint_id(text: str, fallback: str, taken: set[str]) -> str:
    """``text`` as a scenario id not in ``taken`` (``fallback`` where it is not an id; a
    suffix ``_2``, ``_3``... where it is taken), added to ``taken``."""
    got = text if id_problem(text) is None else fallback
    base, n = got, 1
    while got in taken:
        n += 1
        got = f"{base[: MAX_ID_LENGTH - len(str(n)) - 1]}_{n}"
    taken.add(got)
    return got


def proposal_scenario(issues: tuple[DeuIssue, ...] | list[DeuIssue]) -> Scenario:
    """A DEU proposal's issues as one scenario, for models that run issues together
    (`Model.joint_issues`).

    Its actors are the union of the actors with a position on any of the issues, in the
    order they first appear (their ids as `sim.scenario.deu.actor_id` gives them), each with
    its capability from the file (at least 1e-9, as for one issue). An actor with no
    position on an issue is placed at the issue's capability-and-salience weighted mean of
    the actors that have one (so the issue's expected outcome at the start is theirs alone),
    with salience :data:`ABSENT_SALIENCE` there and a red line holding it at that point: it
    weighs next to nothing in the issue's outcome, gives way on that issue first in any
    exchange that pairs it with another (its relative salience is the smallest), and the
    red line takes every such exchange off the table, so it never trades on or for an issue
    it has no position on. (A salience of exactly 0 would not do: the exchange model then
    lets the actor give way on an issue it cares about in return for one it does not.)
    Issues keep their DEU ids where these are valid ids; scales are 0-100 and the status
    quo is ``rp`` where given.
    """
    issues = list(issues)
    taken_i: set[str] = set()
    iids = [_joint_id(i.issue, f"issue{k + 1}", taken_i) for k, i in enumerate(issues)]
    means = []
    for i in issues:
        w = np.asarray(i.capability, dtype=np.float64) * np.asarray(i.salience, dtype=np.float64)
        means.append(float(np.sum(w * i.position) / np.sum(w)))
    suffixes = list(dict.fromkeys(a for i in issues for a in i.actors))
    taken_a: set[str] = set()
    actors = {}
    for k, suffix in enumerate(suffixes):
        aid = _joint_id(actor_id(suffix), f"A{k}", taken_a)
        first = next(i for i in issues if suffix in i.actors)
        position, salience, red_line = {}, {}, {}
        for iid, i, mean in zip(iids, issues, means, strict=True):
            if suffix in i.actors:
                at = i.actors.index(suffix)
                position[iid] = float(i.position[at])
                salience[iid] = float(i.salience[at])
            else:
                position[iid] = mean
                salience[iid] = ABSENT_SALIENCE
                red_line[iid] = [mean, mean]
        actors[aid] = {
            "capability": max(float(first.capability[first.actors.index(suffix)]), 1e-9),
            "position": position,
            "salience": salience,
        }
        if red_line:
            actors[aid]["red_line"] = red_line
    entries = []
    for iid, i in zip(iids, issues, strict=True):
        entry = {"id": iid, "scale": [0.0, 100.0]}
        if not math.isnan(i.status_quo):
            entry["status_quo"] = float(i.status_quo)
        entries.append(entry)
    name = issues[0].case
    raw = {"scenario": {"name": name}, "issues": entries, "actors": actors}
    return validate_raw(raw, name)


def _units(cases: tuple[Case, ...], joint: bool) -> list[list[int]]:
    """The runs of a model over ``cases``: lists of case indices run together. Each case
    alone; for a model that runs issues together, a DEU proposal's issues (same source and
    case) as one run."""
    if not joint:
        return [[k] for k in range(len(cases))]
    units: list[list[int]] = []
    at: dict[tuple[str, str], int] = {}
    for k, c in enumerate(cases):
        if c.deu is None:
            units.append([k])
            continue
        key = (c.source, c.case)
        if key in at:
            units[at[key]].append(k)
        else:
            at[key] = len(units)
            units.append([k])
    return units


def _unit_scenario(cases: tuple[Case, ...], unit: list[int]) -> Scenario:
    """The scenario a run of ``unit`` forecasts: a case's own, a DEU issue alone, or a DEU
    proposal's issues together."""
    first = cases[unit[0]]
    if first.scenario is not None:
        return first.scenario
    if len(unit) == 1:
        return _issue_scenario(first.deu)
    return proposal_scenario([cases[k].deu for k in unit])


def _arrays_for(v: Variant, a: ScenarioArrays) -> ScenarioArrays:
    changes = {}
    if v.Q is not None:
        changes["Q"] = v.Q
    if v.T is not None:
        changes["T"] = v.T
    return dataclasses.replace(a, **changes) if changes else a


def _scenario_for(v: Variant, sc: Scenario) -> Scenario:
    changes = {}
    if v.Q is not None:
        changes["Q"] = v.Q
    if v.T is not None:
        changes["T"] = v.T
    if not changes:
        return sc
    return sc.model_copy(update={"model": sc.model.model_copy(update=changes)})


def applies(v: Variant, case: Case) -> str | None:
    """Why ``v`` gives no forecast on ``case`` (None: it does)."""
    if not v.model.forecast_kinds:
        return "gives no point forecast"
    if v.model.arrays_forecasts:
        return None
    sc = case.scenario if case.scenario is not None else None
    if sc is None:
        return "needs a whole scenario (parties, sections)"
    try:
        v.model.check(sc, v.params, v.rounds)
    except ValueError as exc:
        return str(exc)
    return None


def forecast(variants: list[Variant], cases: tuple[Case, ...]) -> tuple[dict, list[dict]]:
    """``{forecast name: (N,) float64}`` over every issue of ``cases`` in order (NaN: no
    forecast), and the (variant, case) pairs left out with why."""
    N = sum(len(c.issue_ids) for c in cases)
    offsets = np.cumsum([0] + [len(c.issue_ids) for c in cases])
    out: dict[str, np.ndarray] = {}
    left_out: list[dict] = []
    for v in variants:
        if not v.model.forecast_kinds:
            continue
        cols = {kind: np.full(N, np.nan) for kind in v.model.forecast_kinds}
        units = _units(cases, v.model.joint_issues)
        # where each run's issues go in the columns, in the run's issue order
        slots = [np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in u]) for u in units]
        if v.model.arrays_forecasts:
            problems = [
                _arrays_for(
                    v, cases[u[0]].arrays if len(u) == 1 else _unit_scenario(cases, u).arrays()
                )
                for u in units
            ]
            got = v.model.point_forecasts(problems, v.params, v.rounds)
            for slot, g in zip(slots, got, strict=True):
                for kind in cols:
                    cols[kind][slot] = g[kind]
        else:
            for u, slot in zip(units, slots, strict=True):
                c = cases[u[0]]
                sc = _unit_scenario(cases, u)
                why = applies(v, dataclasses.replace(c, scenario=sc))
                if why is not None:
                    left_out.append({"model": v.label, "case": c.case, "why": why})
                    continue
                got = v.model.scenario_forecasts(_scenario_for(v, sc), v.params, v.rounds)
                for kind in cols:
                    cols[kind][slot] = [got[kind][iid] for iid in sc.issue_ids]
        for kind, name in zip(v.model.forecast_kinds, v.names, strict=True):
            out[name] = cols[kind]
    return out, left_out


def default_variants(cases: tuple[Case, ...]) -> list[Variant]:
    """Every registered model that gives a point forecast (or a probability of war) on
    the data: on DEU issues the models that run on bare arrays and those that forecast an
    issue whose data names no parties (`Model.bare_issues`: Nash bargaining among all the
    actors), on scenarios every model whose check passes on at least one case."""
    out = []
    for name, model in MODELS.items():
        if not model.forecast_kinds and not model.gives_war:
            continue
        v = make_variant(name, {})
        if model.gives_war:
            if any(c.war is not None and _war_applies(v, c) for c in cases):
                out.append(v)
            continue
        if any(
            (model.arrays_forecasts or model.bare_issues)
            if c.scenario is None
            else applies(v, c) is None
            for c in cases
        ) or (model.joint_issues and _joint_applies(v, cases)):
            out.append(v)
    return out


def _joint_applies(v: Variant, cases: tuple[Case, ...]) -> bool:
    """Whether ``v`` forecasts a DEU proposal of ``cases`` run as one scenario (the first
    proposal with two or more issues tells)."""
    for u in _units(cases, True):
        if len(u) >= 2:
            sc = _unit_scenario(cases, u)
            return applies(v, dataclasses.replace(cases[u[0]], scenario=sc)) is None
    return False


def _war_applies(v: Variant, c: Case) -> bool:
    if c.scenario is None or c.war is None:
        return False
    try:
        v.model.check(c.scenario, v.params, v.rounds)
    except ValueError:
        return False
    return True


# ---- scoring ------------------------------------------------------------------------
BLOCK = 100
"""Resamples drawn at a time (bounds the memory of a bootstrap on a large dataset)."""


def bootstrap_means(values: np.ndarray, seed: int, resamples: int) -> np.ndarray:
    """The mean of ``values`` (one per issue with an outcome; NaN where a model gave no
    forecast) in each of ``resamples`` bootstrap resamples of the issues.

    The resamples are the same for every model of a backtest (they depend on the seed and
    the number of issues only): two models' intervals are paired, identical forecasts get
    identical intervals, and a model's interval does not depend on which others are scored.
    A resample's mean is over the issues it drew that have a value.
    """
    n = len(values)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x626F6F74,)))
    out = np.empty(resamples)
    complete = not np.isnan(values).any()
    for start in range(0, resamples, BLOCK):
        b = min(BLOCK, resamples - start)
        drawn = values[rng.integers(0, n, size=(b, n))]
        if complete:
            out[start : start + b] = drawn.mean(axis=1)
        else:
            count = np.sum(~np.isnan(drawn), axis=1)
            total = np.nansum(drawn, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[start : start + b] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def _interval(boot: np.ndarray) -> tuple[float, float]:
    """The 2.5% and 97.5% points of the bootstrap means (resamples without a value left out)."""
    lo, hi = np.nanpercentile(boot, [2.5, 97.5])
    return float(lo), float(hi)


def score(
    forecasts: dict, outcome: np.ndarray, width: np.ndarray, seed: int, resamples: int = RESAMPLES
) -> tuple[pd.DataFrame, dict]:
    """``scores.csv`` (best model first) and each model's paired difference from the
    compromise baseline."""
    scale = 100.0 / width
    has = ~np.isnan(outcome)
    base = forecasts.get("compromise")
    base_err = None if base is None else np.abs(base - outcome) * scale
    rows, paired = [], {}
    for name, f in forecasts.items():
        err = np.abs(f - outcome) * scale
        ok = ~np.isnan(err)
        e = err[ok]
        n = len(e)
        row = {"model": name, "n": n}
        if n == 0:
            row |= dict.fromkeys(
                (
                    "mae",
                    "mae_low",
                    "mae_high",
                    "rmse",
                    "median_abs_error",
                    "hit_rate",
                    "better_than_compromise",
                ),
                math.nan,
            )
            rows.append(row)
            continue
        lo, hi = _interval(bootstrap_means(err[has], seed, resamples))
        row |= {
            "mae": float(e.mean()),
            "mae_low": float(lo),
            "mae_high": float(hi),
            "rmse": float(np.sqrt(np.mean(e**2))),
            "median_abs_error": float(np.median(e)),
            "hit_rate": float(np.mean(e <= HIT_POINTS)),
        }
        if base_err is not None:
            both = ok & ~np.isnan(base_err)
            d = err[both] - base_err[both]
            row["better_than_compromise"] = float(np.mean(d < 0)) if d.size else math.nan
            if d.size:
                paired_d = np.where(both, err - base_err, np.nan)[has]
                dlo, dhi = _interval(bootstrap_means(paired_d, seed, resamples))
                paired[name] = {
                    "n": int(d.size),
                    "mae_difference": float(d.mean()),
                    "low": float(dlo),
                    "high": float(dhi),
                }
        else:
            row["better_than_compromise"] = math.nan
        rows.append(row)
    table = pd.DataFrame(
        rows,
        columns=[
            "model",
            "n",
            "mae",
            "mae_low",
            "mae_high",
            "rmse",
            "median_abs_error",
            "hit_rate",
            "better_than_compromise",
        ],
    )
    table = table.sort_values(["mae", "model"], kind="mergesort", na_position="last")
    return table.reset_index(drop=True), paired


def _folds_of(cases: tuple[Case, ...], k: int, seed: int) -> np.ndarray:
    """The fold of every case (by case id, so a proposal's issues stay together)."""
    ids = sorted({c.case for c in cases})
    if k > len(ids):
        raise BacktestError(f"--folds {k}: the data has only {len(ids)} cases")
    order = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x666F6C64,)))
    perm = order.permutation(len(ids))
    fold_of = {ids[p]: i % k for i, p in enumerate(perm)}
    return np.array([fold_of[c.case] for c in cases for _ in c.issue_ids], dtype=np.int64)


def cross_validate(
    variants: list[Variant],
    cases: tuple[Case, ...],
    outcome: np.ndarray,
    width: np.ndarray,
    k: int,
    seed: int,
    resamples: int = RESAMPLES,
) -> tuple[pd.DataFrame, dict]:
    """K-fold cross-validation by case for every model with a ``fit_grid``: the fold's
    choice (smallest training MAE, first in grid order on ties) scored on its held-out
    cases. Returns ``folds.csv`` and ``{forecast name: cross-validated scores}``."""
    folds = _folds_of(cases, k, seed)
    scale = 100.0 / width
    has = ~np.isnan(outcome)
    rows: list[dict] = []
    summary: dict = {}
    fitted: list[Variant] = []
    for v in variants:
        if not (v.model.fit_grid and v.model.forecast_kinds):
            continue
        # the grid's parameters are fitted; the variant's other values stay as given
        fixed = {k: val for k, val in v.values if k not in v.model.fit_grid}
        base = make_variant(v.model.name, fixed)
        if all(b.label != base.label for b in fitted):
            fitted.append(base)
    for v in fitted:
        grid = v.model.fit_grid
        keys = list(grid)
        points = [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())
        ]
        candidates = [v.with_values(**p) for p in points]
        fc, _ = forecast(candidates, cases)
        for kind_pos, name in enumerate(v.names):
            errs = [np.abs(fc[c.names[kind_pos]] - outcome) * scale for c in candidates]
            test_err = np.full(len(outcome), np.nan)
            chosen_all = []
            for f in range(k):
                train = (folds != f) & has
                test = (folds == f) & has
                maes = [
                    np.nanmean(e[train]) if np.any(~np.isnan(e[train])) else math.inf for e in errs
                ]
                best = int(np.argmin(maes))
                test_err[test] = errs[best][test]
                chosen = candidates[best]
                chosen_all.append(chosen.label)
                rows.append(
                    {
                        "fold": f,
                        "model": name,
                        "chosen": chosen.names[kind_pos],
                        "train_mae": float(maes[best]),
                        "test_mae": float(np.nanmean(errs[best][test]))
                        if np.any(~np.isnan(errs[best][test]))
                        else math.nan,
                        "n_test": int(np.sum(~np.isnan(errs[best][test]))),
                    }
                )
            e = test_err[~np.isnan(test_err)]
            if e.size == 0:
                continue
            lo, hi = _interval(bootstrap_means(test_err[has], seed, resamples))
            summary[name] = {
                "folds": k,
                "grid": {key: list(vals) for key, vals in grid.items()},
                "n": int(e.size),
                "mae": float(e.mean()),
                "mae_low": float(lo),
                "mae_high": float(hi),
                "chosen": chosen_all,
            }
    table = pd.DataFrame(
        rows, columns=["fold", "model", "chosen", "train_mae", "test_mae", "n_test"]
    )
    return table, summary


def war_scores(variants: list[Variant], cases: tuple[Case, ...], seed: int, runs: int) -> list:
    """The Brier score of every war-giving model's P(war) on the cases that say whether
    war followed (an ensemble of ``runs`` runs with the scenario's ``[uncertainty]``)."""
    rows = []
    for v in variants:
        if not v.model.gives_war:
            continue
        for c in cases:
            if not _war_applies(v, c):
                continue
            res = run_ensemble(
                _scenario_for(v, c.scenario), runs=runs, seed=seed, model=v.model.name,
                rounds=v.rounds, progress=False,
            )  # fmt: skip
            p = float(res.summary()["p_war"])
            rows.append(
                {
                    "case": c.case,
                    "model": v.label,
                    "p_war": p,
                    "war": bool(c.war),
                    "brier": (p - float(c.war)) ** 2,
                    "runs": runs,
                }
            )
    return rows


# ---- the whole backtest -------------------------------------------------------------
def backtest(
    dataset: str | Path,
    models: str | list[Variant] | None = None,
    capability: str = "file",
    seed: int = 0,
    folds: int | None = None,
    war_runs: int = WAR_RUNS,
    resamples: int = RESAMPLES,
) -> BacktestResult:
    """Forecast every case of ``dataset`` with every model and score the forecasts.

    Examples
    --------
    >>> import sim
    >>> res = sim.backtest("nato_russia_2022", models="compromise,median")  # a shipped case
    >>> list(res.scores.model)
    ['median', 'compromise']
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise BacktestError(f"--seed: expected a whole number in [0, 2^63), got {seed!r}")
    if folds is not None and (isinstance(folds, bool) or not isinstance(folds, int) or folds < 2):
        raise BacktestError(f"--folds: expected a whole number of at least 2, got {folds!r}")
    try:
        data = load_dataset(dataset, capability)
    except ScenarioError as exc:
        raise BacktestError(str(exc)) from None
    variants = parse_models(models) if isinstance(models, str) or models is None else models
    if variants is None:
        variants = default_variants(data.cases)
    if not any(v.label == "compromise" for v in variants):
        # the baseline every model is compared with
        variants = [*variants, make_variant("compromise", {})]
    fc, left_out = forecast(variants, data.cases)
    outcome = np.concatenate([c.outcome for c in data.cases])
    width = np.concatenate([c.width for c in data.cases])
    scores, paired = score(fc, outcome, width, seed, resamples)
    folds_table, cv = (None, {})
    if folds is not None:
        folds_table, cv = cross_validate(
            variants, data.cases, outcome, width, folds, seed, resamples
        )
    war_rows = war_scores(variants, data.cases, seed, war_runs)
    case_col = [c.case for c in data.cases for _ in c.issue_ids]
    issue_col = [iid for c in data.cases for iid in c.issue_ids]
    rows = []
    for name, f in fc.items():
        err = np.abs(f - outcome) * (100.0 / width)
        rows.append(
            pd.DataFrame(
                {
                    "case": case_col,
                    "issue": issue_col,
                    "model": name,
                    "forecast": f,
                    "outcome": outcome,
                    "error": err,
                }
            )
        )
    forecasts = pd.concat(rows, ignore_index=True)
    scored = int(np.sum(~np.isnan(outcome)))
    issue_skips = [d for d in data.skipped if d["issue"]]
    file_skips = [{"source": d["source"], "why": d["why"]} for d in data.skipped if not d["issue"]]
    no_outcome = [
        {"case": c, "issue": i, "why": "no recorded outcome"}
        for c, i, o in zip(case_col, issue_col, outcome, strict=True)
        if math.isnan(o)
    ]
    brier = {}
    for v in {r["model"] for r in war_rows}:
        mine = [r for r in war_rows if r["model"] == v]
        brier[v] = {"cases": len(mine), "brier": float(np.mean([r["brier"] for r in mine]))}
    summary = {
        "dataset": data.path,
        "sha256": data.sha256,
        "kind": data.kind,
        "files": list(data.files),
        "capability": data.capability,
        "models": [v.label for v in variants],
        "forecasts": [n for v in variants for n in v.names if n in fc],
        "seed": seed,
        "resamples": resamples,
        "hit_points": HIT_POINTS,
        "cases": len({c.case for c in data.cases}),
        "issues": len(outcome),
        "issues_scored": scored,
        "issues_skipped": len(issue_skips) + len(no_outcome),
        "skipped": [*issue_skips, *no_outcome],
        "files_skipped": file_skips,
        "not_forecast": left_out,
        "scores": _records(scores),
        "paired_difference_from_compromise": paired,
        "cross_validation": cv,
        "war": {"brier": brier, "cases": war_rows, "runs": war_runs if war_rows else 0},
        "sim_version": __version__,
    }
    return BacktestResult(
        forecasts=forecasts,
        scores=scores,
        summary_data=summary,
        folds=folds_table,
        war=pd.DataFrame(war_rows, columns=["case", "model", "p_war", "war", "brier", "runs"]),
        source=data.path,
    )


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (NaN as None)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        )
    return out
