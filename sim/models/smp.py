"""KTAB's spatial model of politics (SMP): all issues at once, as one space.

Every issue is a dimension: each issue's scale is mapped to [0, 1] by ``(x - lo) / (hi - lo)``
(positions and red lines alike), saliences are the scenario's (0-1), capabilities as given.
Actors challenge one another, third parties join by the voting rule, each contest is a
probabilistic Condorcet election, and the bargains the actors choose make the next state,
until KTAB's stopping rule (fractional change against the first step below 0.02) or the
state limit (docs/smp.md; the kernel is ``sim.kernels.smp``). A consensus bloc's members act
as themselves: the kernel sees actors only.

KTAB requires each actor's saliences to sum to at most 1 (an actor's total salience is its
probability of resisting a challenge). A scenario whose totals exceed 1 (sim's saliences are
per issue) has every salience divided by one common factor, the largest actor's total, so
that the largest total is 1 and the ratios between actors and issues are kept; an actor
with no salience on any issue is given 1e-9 on each (KTAB refuses a zero total). The
forecasts weigh by the scenario's own saliences.

The options are KTAB's, with KTAB's spellings and defaults (`OPTIONS`). Left unset, an
option takes the scenario file's KTAB model parameters when it was read from KTAB's XML
(written in its notes), else KTAB's default. Stochastic transitions draw from a generator
seeded by ``seed`` (a run) or by each run's seed (an ensemble).

A run's outcome is an `SmpTrajectory`: positions by state on each issue's scale (round t is
state t), each actor's winning probability by state, risk attitudes, fractional changes and
the bargains proposed. Its forecasts per issue are the capability-and-salience weighted mean
of the final state (``compromise``) and the probability-weighted position of the final
state (``probability``: each unique position, KTAB's ``posTol``, counted once).

The round limit is ``--rounds`` if given, else the scenario's ``[model] rounds`` when its
kind is ``smp``, else KTAB's limit of 100 steps. Under ``driver="abm"`` the mesa agents
(``sim.abm.smp.SmpAgentsModel``) step a run, each actor calling the kernel's per-actor
functions for itself; ``driver="kernel"`` runs it in one kernel call; both give the same
run bit for bit. Ensembles and backtests run their runs of one shape in parallel with the
batch kernel (``run_batch``), which equals the single runs bit for bit.
"""

from __future__ import annotations

import dataclasses
import html
import numbers
from dataclasses import dataclass

import numpy as np

from sim.kernels import smp as _k
from sim.kernels.eum import final_forecast
from sim.models.base import KERNEL_LOCK, distribution_stats, parameter
from sim.models.trajectory import PositionModel, Trajectory, forecast
from sim.scenario import ScenarioArrays
from sim.scenario.ktab import KTAB_ALIASES, parameters_from_notes
from sim.uncertainty import perturb

OPTIONS = _k.OPTIONS
"""Each option's values as KTAB's program spells them, KTAB's default first."""
KTAB_NAMES = {
    "victory": "VictoryProbModel",
    "vote_rule": "VotingRule",
    "pce": "PCEModel",
    "transitions": "StateTransitions",
    "big_r_range": "BigRRange",
    "big_r_adjust": "BigRAdjust",
    "third_party": "ThirdPartyCommit",
    "intervec": "InterVecBrgn",
    "bargain_model": "BargnModel",
}
"""Each option's name in KTAB's XML (``ModelParameters``)."""
KINDS = ("compromise", "probability")
"""The two forecasts per issue of a run's final state."""
POS_TOL = 1e-3
"""Positions closer than this (Euclidean, on [0, 1]) are one position (KTAB's ``posTol``)."""
LEAST_SALIENCE = 1e-9
"""The salience given on every issue to an actor with none on any (KTAB refuses a zero total)."""
MAX_SEED = 2**53
"""The largest ``seed``."""
_STREAM = 0x534D50
"""The spawn key of an ensemble run's transition draws (apart from its perturbation's)."""

_HELP = {
    "victory": "Victory-probability model of two coalitions' strengths (KTAB's VictoryProbModel).",
    "vote_rule": "Voting rule of every actor in every contest (KTAB's VotingRule; the schema's "
    "Proportional is Prop).",
    "pce": "Probabilistic Condorcet election model (KTAB's PCEModel).",
    "transitions": "State transitions: each actor takes its likeliest bargain (Deterministic) "
    "or draws one (Stochastic, from --seed) (KTAB's StateTransitions).",
    "big_r_range": "Range of the inferred risk attitudes (KTAB's BigRRange).",
    "big_r_adjust": "How an actor perceives another's risk attitude (KTAB's BigRAdjust; the "
    "schema's No is None).",
    "third_party": "Third parties' commitment to the side they join (KTAB's ThirdPartyCommit).",
    "intervec": "Interpolation of a bargain between two positions (KTAB's InterVecBrgn).",
    "bargain_model": "Which bargains a challenge offers (KTAB's BargnModel).",
}
_UNSET = " Default: the scenario's KTAB model parameters (KTAB XML), else KTAB's "


def _option(name: str):
    values = OPTIONS[name]
    return parameter(None, help=_HELP[name] + _UNSET + f"{values[0]}.", choices=values)


@dataclass(frozen=True)
class Params:
    """Parameters of the spatial model of politics (KTAB's options, names and defaults)."""

    victory: str | None = _option("victory")
    vote_rule: str | None = _option("vote_rule")
    pce: str | None = _option("pce")
    transitions: str | None = _option("transitions")
    big_r_range: str | None = _option("big_r_range")
    big_r_adjust: str | None = _option("big_r_adjust")
    third_party: str | None = _option("third_party")
    intervec: str | None = _option("intervec")
    bargain_model: str | None = _option("bargain_model")
    seed: int = parameter(
        0,
        help="Seed of the generator Stochastic transitions draw from (unused otherwise).",
        lo=0,
        hi=MAX_SEED,
    )
    dims: str | None = parameter(
        None,
        help="Two issue ids, A,B: the plane of paths.png (default: the first two issues).",
        metavar="A,B",
        figure=True,
    )


@dataclass(frozen=True)
class SmpTrajectory(Trajectory):
    """An SMP run: ``positions`` (S + 1, m, n) on each issue's scale, state 0 the input.

    ``probabilities`` (S + 1, n): each actor's probability of winning in each state (KTAB's
    ``pDist``; actors on one position share its probability); ``risk_attitude`` (S + 1, n):
    the inferred risk attitudes; ``change`` (S,): each step's fractional change against the
    first; ``bargains``: the kernel's table of bargains (positions on [0, 1]);
    ``probability_forecast`` (m,): the probability-weighted final position per issue;
    ``settings``: the options used (name, value), with ``seed``; ``from_file``: whether the
    scenario's KTAB parameters set any; ``salience_factor``: what the saliences were divided
    by; ``dims``: the two issue indices of the paths figure."""

    probabilities: np.ndarray | None = None
    risk_attitude: np.ndarray | None = None
    change: np.ndarray | None = None
    bargains: dict | None = None
    probability_forecast: np.ndarray | None = None
    settings: tuple[tuple[str, str], ...] = ()
    seed: int = 0
    from_file: bool = False
    salience_factor: float = 1.0
    dims: tuple[int, ...] = ()

    def extra_forecasts(self) -> dict:
        """The probability-weighted position, as a column of the run's forecast table."""
        return {"probability": self.probability_forecast}


# ---- options ------------------------------------------------------------------------
def file_options(scenario) -> dict[str, str]:
    """The options a KTAB XML scenario's notes give, in KTAB's program spellings ({} for
    a scenario not read from KTAB XML); ValueError naming the value on a bad one."""
    notes = scenario.scenario.notes if scenario is not None else ""
    try:
        found = parameters_from_notes(notes)
    except ValueError as exc:
        raise ValueError(f"scenario.notes: KTAB model parameters: {exc}") from None
    if found is None:
        return {}
    out = {}
    for name, ktab in KTAB_NAMES.items():
        value = getattr(found, ktab)
        program = {v: k for k, v in KTAB_ALIASES.get(ktab, {}).items()}
        out[name] = program.get(value, value)
    return out


def options_for(scenario, params) -> tuple[dict[str, str], bool]:
    """The options a run uses: ``params`` where set, else the scenario's KTAB parameters,
    else KTAB's defaults; and whether the scenario's parameters were read."""
    p = Params() if params is None else params
    from_file = file_options(scenario)
    out = {}
    for name, values in OPTIONS.items():
        given = getattr(p, name)
        out[name] = given if given is not None else from_file.get(name, values[0])
    return out, bool(from_file)


def parse_dims(dims, issue_ids) -> tuple[int, int]:
    """The indices of the two issues ``dims`` names ("A,B" or a pair); ValueError naming
    the bad id."""
    ids = list(issue_ids)
    parts = [s.strip() for s in dims.split(",")] if isinstance(dims, str) else list(dims)
    if len(parts) != 2 or not all(isinstance(s, str) for s in parts):
        raise ValueError(f"dims: expected two issue ids as A,B, got {dims!r}")
    for s in parts:
        if s not in ids:
            shown = ", ".join(ids[:24]) + (f" and {len(ids) - 24} more" if len(ids) > 24 else "")
            raise ValueError(f"dims: unknown issue {s!r}; expected one of: {shown}")
    if parts[0] == parts[1]:
        raise ValueError(f"dims: expected two different issues, got {parts[0]!r} twice")
    return ids.index(parts[0]), ids.index(parts[1])


# ---- the run ------------------------------------------------------------------------
def unit_inputs(arrays: ScenarioArrays, position=None, salience=None, capability=None):
    """The kernel's inputs of one problem: capability (n,), position, salience, lo, hi
    (n, d) on [0, 1] (issue-major arrays transposed), and the salience factor.

    ``position``, ``salience`` (m, n) and ``capability`` (n,) replace the arrays' own (a
    perturbed run)."""
    x = arrays.position if position is None else position
    s = arrays.salience if salience is None else salience
    c = arrays.capability if capability is None else capability
    lo = arrays.scale_lo[:, None]
    width = (arrays.scale_hi - arrays.scale_lo)[:, None]

    def unit(v):
        return np.ascontiguousarray(np.clip((v - lo) / width, 0.0, 1.0).T)

    sal = np.array(s, dtype=np.float64).T
    sal[sal.sum(axis=1) <= 0.0] = LEAST_SALIENCE
    factor = max(1.0, float(sal.sum(axis=1).max()))
    if factor > 1.0:
        sal = sal / factor
    return (
        np.ascontiguousarray(c, dtype=np.float64),
        unit(x),
        np.ascontiguousarray(sal),
        unit(arrays.red_lo),
        unit(arrays.red_hi),
        factor,
    )


def _representatives(x: np.ndarray) -> list[int]:
    """The first actor of each unique position of one state (n, d) on [0, 1]."""
    reps: list[int] = []
    for i in range(x.shape[0]):
        if not any(np.linalg.norm(x[i] - x[r]) < POS_TOL for r in reps):
            reps.append(i)
    return reps


def probability_forecast(unit_final, final, probabilities) -> np.ndarray:
    """The probability-weighted position per issue of a final state: ``final`` (m, n) on
    the issues' scales, ``unit_final`` (n, d) on [0, 1] (which positions are one),
    ``probabilities`` (n,); each unique position counted once."""
    reps = _representatives(unit_final)
    p = probabilities[reps]
    return (final[:, reps] @ p) / p.sum()


def simulate(arrays, options, rounds, rng=None, position=None, salience=None, capability=None):
    """One kernel run of a problem; ``(SmpRun, salience factor)``. ``rounds`` 0 gives the
    initial state alone (its probabilities and risk attitudes)."""
    c, x, s, lo, hi, factor = unit_inputs(arrays, position, salience, capability)
    with KERNEL_LOCK:
        out = _k.simulate(c, x, s, lo, hi, options=options, rng=rng, max_states=max(1, rounds))
    if rounds == 0:
        out = dataclasses.replace(
            out,
            positions=out.positions[:1],
            probabilities=out.probabilities[:1],
            risk=out.risk[:1],
            change=out.change[:0],
            stopped="limit",
            bargains={k: v[:0] for k, v in out.bargains.items()},
        )
    return out, factor


def trajectory_of(arrays, out, factor, capability=None, salience=None, position=None, **extra):
    """The `SmpTrajectory` of a kernel run: state 0 the input (clipped to the red lines) and
    the later states mapped back to each issue's scale."""
    x0 = arrays.position if position is None else position
    lo = arrays.scale_lo[None, :, None]
    width = (arrays.scale_hi - arrays.scale_lo)[None, :, None]
    pos = lo + np.transpose(out.positions, (0, 2, 1)) * width
    pos[0] = np.clip(x0, arrays.red_lo, arrays.red_hi)
    pos = np.ascontiguousarray(pos)
    S = pos.shape[0] - 1
    m, n = x0.shape
    prob = np.ascontiguousarray(out.probabilities, dtype=np.float64)
    return SmpTrajectory(
        positions=pos,
        events=np.zeros((S, m, n), dtype=np.int64),
        senders=np.full((S, m, n), -1, dtype=np.int64),
        clipped=np.zeros((S, m, n), dtype=np.bool_),
        stopped=out.stopped,
        cycle_length=1 if out.stopped == "converged" else 0,
        probabilities=prob,
        risk_attitude=np.ascontiguousarray(out.risk, dtype=np.float64),
        change=np.ascontiguousarray(out.change, dtype=np.float64),
        bargains=out.bargains,
        probability_forecast=probability_forecast(out.positions[-1], pos[-1], prob[-1]),
        salience_factor=factor,
        **extra,
    )


def _rng(options, seed, ensemble: bool = False):
    if options["transitions"] != "Stochastic":
        return None
    if ensemble:
        return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(_STREAM,)))
    return np.random.default_rng(int(seed))


def final_forecasts(arrays, traj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(compromise, median, probability) per issue of a run's final state; the compromise
    and median by the kernel every position model's forecast uses."""
    comp, med = forecast(arrays.capability, arrays.salience, traj)
    return comp, med, traj.probability_forecast


def _group_key(inputs) -> tuple:
    """Runs of one batch-kernel call: one shape and one set of red lines."""
    _, x, _, lo, hi, _ = inputs
    return x.shape, lo.tobytes(), hi.tobytes()


def batch_runs(problems, options, rounds, rngs, stack: bool = True):
    """The final forecasts of one kernel run per problem (``rngs``: each run's generator of
    Stochastic transitions, or None): ``(compromise, median, probability, rounds,
    stopped)``, per run the first three per issue. Runs of one shape and one set of red lines
    go through ``run_batch`` together (equal to the single runs bit for bit); ``rounds`` 0
    runs each problem on its own. With ``stack`` the per-issue results are (R, m) arrays,
    else lists of (m,) arrays (problems of different sizes)."""
    R = len(problems)
    comp, med, prob = [None] * R, [None] * R, [None] * R
    steps = np.zeros(R, dtype=np.int64)
    stopped = np.empty(R, dtype=object)
    if rounds == 0:
        for r, a in enumerate(problems):
            out, factor = simulate(a, options, 0, rngs[r])
            traj = trajectory_of(a, out, factor)
            comp[r], med[r], prob[r] = final_forecasts(a, traj)
            steps[r], stopped[r] = traj.rounds, traj.stopped
    else:
        opts = _k.encode_options(options)
        inputs = [unit_inputs(a) for a in problems]
        groups: dict[tuple, list[int]] = {}
        for r, one in enumerate(inputs):
            groups.setdefault(_group_key(one), []).append(r)
        for members in groups.values():
            _batch_group(problems, inputs, members, opts, int(rounds), rngs, comp, med, prob,
                         steps, stopped)  # fmt: skip
    if stack:
        m = len(problems[0].issue_ids) if R else 0
        comp, med, prob = (np.array(v, dtype=np.float64).reshape(R, m) for v in (comp, med, prob))
    return comp, med, prob, steps, stopped


def _batch_group(problems, inputs, members, opts, rounds, rngs, comp, med, prob, steps,
                 stopped):  # fmt: skip
    """One ``run_batch`` call over the runs ``members`` (one shape, one set of red lines)."""
    checked = [_k.check_inputs(*inputs[r][:5]) for r in members]
    cap = np.ascontiguousarray([c[0] for c in checked])
    pos = np.ascontiguousarray([c[1] for c in checked])
    sal = np.ascontiguousarray([c[2] for c in checked])
    lo, hi = checked[0][3], checked[0][4]
    G, n, d = pos.shape
    if opts[_k.O_TRANSITIONS] == _k.STOCHASTIC:
        draws = np.ascontiguousarray([rngs[r].random((rounds, n)) for r in members])
    else:
        draws = np.zeros((G, 0, n))
    final_pos = np.empty((G, n, d))
    final_prob = np.empty((G, n))
    n_states = np.empty(G, dtype=np.int64)
    stop = np.empty(G, dtype=np.int64)
    with KERNEL_LOCK:
        _k.run_batch(cap, pos, sal, lo, hi, opts, draws, rounds, final_pos, final_prob,
                     n_states, stop)  # fmt: skip
    for g, r in enumerate(members):
        a = problems[r]
        scale_lo = a.scale_lo[:, None]
        width = (a.scale_hi - a.scale_lo)[:, None]
        final = np.ascontiguousarray(scale_lo + final_pos[g].T * width)
        c, q = np.empty(final.shape[0]), np.empty(final.shape[0])
        final_forecast(final[None], 0, 0, 0,
                       np.ascontiguousarray(a.capability, dtype=np.float64),
                       np.ascontiguousarray(a.salience, dtype=np.float64), np.empty(n), c,
                       q)  # fmt: skip
        comp[r], med[r] = c, q
        prob[r] = probability_forecast(final_pos[g], final, final_prob[g])
        steps[r] = n_states[g] - 1
        stopped[r] = _k.STOP_NAMES[stop[g]]


class Smp(PositionModel):
    """KTAB's spatial model of politics over all the scenario's issues as one space."""

    name = "smp"
    summary = (
        "Spatial model of politics (KTAB): all issues as one space; challenges, "
        "probabilistic Condorcet elections and vector bargains until positions settle"
    )
    citation = (
        "Wise, B. P., Lester, L., Efird, B.: The spatial model of politics in the KAPSARC "
        "Toolkit for Behavioral Analysis (KTAB), KAPSARC (KTAB's SMPModel, MIT license); "
        "Abdollahian, M., Baranick, M., Efird, B., Kugler, J. (2006). Senturion: a "
        "predictive political simulation model. NDU CTNSP."
    )
    Params = Params
    moves = True
    mesa_driver = True
    forecast_kinds = KINDS
    arrays_forecasts = True
    joint_issues = True

    def rounds_for(self, scenario, rounds: int | None) -> int:
        """``rounds``, else the scenario's ``[model] rounds`` when its kind is smp, else
        KTAB's limit (100 steps)."""
        if rounds is not None:
            return int(rounds)
        if scenario.model.kind == self.name:
            return scenario.model.rounds
        return _k.MAX_STATES

    def check(self, scenario, params, rounds) -> None:
        super().check(scenario, params, rounds)
        p = Params() if params is None else params
        if len(scenario.actors) < 2:
            raise ValueError(f"{scenario.name}: the smp model needs at least 2 actors")
        if (
            isinstance(p.seed, bool)
            or not isinstance(p.seed, numbers.Real)
            or p.seed != int(p.seed)
        ):
            raise ValueError(f"seed: expected a whole number in [0, {MAX_SEED}], got {p.seed!r}")
        if p.dims is not None:
            if len(scenario.issues) < 2:
                raise ValueError(
                    f"dims: the scenario has one issue; paths need two, got {p.dims!r}"
                )
            parse_dims(p.dims, scenario.issue_ids)
        options_for(scenario, p)

    def steps_with_mesa(self, params) -> bool:
        """The mesa agents step every run (every option)."""
        return True

    def run(self, scenario, params=None, rounds=None, trajectory=None, **how) -> SmpTrajectory:
        """One run with ``params`` (unset options: the scenario's KTAB parameters or KTAB's);
        ``trajectory`` is one a driver (the mesa agents) already stepped with them."""
        p = Params() if params is None else params
        arrays = scenario.arrays()
        options, from_file = options_for(scenario, p)
        limit = self.rounds_for(scenario, rounds)
        m = len(scenario.issues)
        dims = parse_dims(p.dims, scenario.issue_ids) if p.dims is not None else (0, 1)[: min(2, m)]
        extra = dict(
            settings=tuple(options.items()), seed=int(p.seed), from_file=from_file,
            dims=dims if m >= 2 else (),
        )  # fmt: skip
        if trajectory is not None:
            return dataclasses.replace(trajectory, **extra)
        out, factor = simulate(arrays, options, limit, _rng(options, p.seed))
        return trajectory_of(arrays, out, factor, **extra)

    def trajectory(self, arrays: ScenarioArrays, rounds: int, scenario=None) -> SmpTrajectory:
        """A perturbed run's trajectory with the default options (KTAB's)."""
        options, _ = options_for(scenario, None)
        out, factor = simulate(arrays, options, rounds, _rng(options, 0))
        return trajectory_of(arrays, out, factor, settings=tuple(options.items()))

    def batch(self, scenario, arrays, spreads, seeds, rounds, params=None):
        """Perturbed runs, one per seed (Stochastic transitions draw from a stream of each
        run's seed apart from its perturbation's): ``rounds, stopped, cycle_length`` and per
        issue ``ISSUE.compromise``, ``ISSUE.median``, ``ISSUE.probability``."""
        options, _ = options_for(scenario, params)
        X, S, C = perturb(arrays, spreads, seeds)
        problems = [
            dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
            for r in range(len(seeds))
        ]
        rngs = [_rng(options, s, ensemble=True) for s in seeds]
        comp, med, prob, steps, stopped = batch_runs(problems, options, rounds, rngs)
        cycle = (stopped == "converged").astype(np.int64)
        cols = {"rounds": steps, "stopped": stopped, "cycle_length": cycle}
        for k, iid in enumerate(arrays.issue_ids):
            cols[f"{iid}.compromise"] = np.ascontiguousarray(comp[:, k])
            cols[f"{iid}.median"] = np.ascontiguousarray(med[:, k])
            cols[f"{iid}.probability"] = np.ascontiguousarray(prob[:, k])
        return cols

    def nominal(self, scenario, rounds: int, params=None) -> dict:
        arrays = scenario.arrays()
        options, _ = options_for(scenario, params)
        out, factor = simulate(arrays, options, rounds, _rng(options, 0, ensemble=True))
        comp, med, prob = final_forecasts(arrays, trajectory_of(arrays, out, factor))
        return {
            iid: {
                "compromise": float(comp[k]),
                "median": float(med[k]),
                "probability": float(prob[k]),
            }
            for k, iid in enumerate(scenario.issue_ids)
        }

    def point_forecasts(self, problems, params, rounds=None) -> list[dict]:
        """Per problem, the final compromise and probability-weighted position per issue,
        with the options of ``params`` (unset: KTAB's defaults) and ``rounds`` steps at
        most (None: KTAB's limit). One kernel run per problem."""
        p = Params() if params is None else params
        options, _ = options_for(None, p)
        limit = _k.MAX_STATES if rounds is None else int(rounds)
        rngs = [_rng(options, p.seed) for _ in problems]
        comp, _, prob, _, _ = batch_runs(problems, options, limit, rngs, stack=False)
        return [{"compromise": c, "probability": q} for c, q in zip(comp, prob, strict=True)]

    # ---- a run's tables, summary and text
    def table(self, result, name: str):
        import pandas as pd

        t = result.trajectory
        actors = np.array(result.scenario.actor_ids, dtype=object)
        if name == "probabilities":
            S1, n = t.probabilities.shape
            return pd.DataFrame(
                {
                    "round": np.repeat(np.arange(S1), n),
                    "actor": np.tile(actors, S1),
                    "probability": t.probabilities.reshape(-1),
                }
            )
        if name == "bargains":
            b = t.bargains
            a = result.scenario.arrays()
            cols = {
                "round": np.asarray(b["state"], dtype=np.int64),
                "initiator": actors[np.asarray(b["initiator"], dtype=np.int64)],
                "receiver": actors[np.asarray(b["receiver"], dtype=np.int64)],
            }
            for k, iid in enumerate(result.scenario.issue_ids):
                lo, width = a.scale_lo[k], a.scale_hi[k] - a.scale_lo[k]
                cols[f"{iid}.initiator"] = lo + b["initiator_position"][:, k] * width
                cols[f"{iid}.receiver"] = lo + b["receiver_position"][:, k] * width
            cols["probability"] = np.asarray(b["probability"], dtype=np.float64)
            cols["chosen_by_initiator"] = np.asarray(b["chosen_by_initiator"], dtype=bool)
            cols["chosen_by_receiver"] = np.asarray(b["chosen_by_receiver"], dtype=bool)
            return pd.DataFrame(cols)
        return super().table(result, name)

    def run_extra(self, result) -> dict:
        """The options used, the states, how the run stopped and the forecasts per issue."""
        t = result.trajectory
        fc = result.forecast()
        params = dict(t.settings)
        if params.get("transitions") == "Stochastic":
            params["seed"] = int(t.seed)
        return {
            "parameters": params,
            "parameters_from": "scenario file (KTAB XML)" if t.from_file else "KTAB defaults",
            "salience_factor": float(t.salience_factor),
            "states": int(t.positions.shape[0]),
            "stopped": t.stopped,
            "fractional_change": [float(v) for v in t.change],
            "target": _k.TARGET,
            "forecast": {
                iid: {
                    "compromise": float(row.compromise),
                    "probability": float(row.probability),
                    "median": float(row["median"]),
                }
                for iid, row in fc.iterrows()
            },
        }

    def stop_line(self, result) -> str:
        t = result.trajectory
        states = t.positions.shape[0]
        how = {
            "converged": f"converged (fractional change {t.change[-1]:.4f} < {_k.TARGET:g})"
            if len(t.change)
            else "converged",
            "limit": f"state limit ({t.rounds} steps)",
        }.get(t.stopped, t.stopped)
        factor = (
            f"; saliences divided by {t.salience_factor:.4g}" if t.salience_factor > 1.0 else ""
        )
        return f"{states} states ({t.rounds} steps), stopped: {how}{factor}"

    def lines(self, result) -> list[str]:
        """The forecast per issue (start, final compromise, probability-weighted), the
        number of states and how the run stopped."""
        fc = result.forecast()
        sc = result.scenario
        lines = [
            f"{sc.name}: model {self.name}, {len(sc.actors)} actors, {len(sc.issues)} issues "
            "as one space"
        ]
        header = f"{'issue':<16} {'start: comp.':>12}   {'forecast: comp.':>15} {'probability':>11}"
        lines += [header, "-" * len(header)]
        for iid, row in fc.iterrows():
            lines.append(
                f"{iid[:16]:<16} {row.initial_compromise:>12.2f}   "
                f"{row.compromise:>15.2f} {row.probability:>11.2f}"
            )
        lines.append(self.stop_line(result))
        return lines

    def outputs(self, result) -> list:
        """``probabilities.csv``, ``bargains.csv``, ``positions.png``, ``paths.png`` (two
        or more issues) and ``probabilities.png``."""
        out = [
            ("table", "probabilities.csv", "probabilities"),
            ("table", "bargains.csv", "bargains"),
            ("figure", "positions.png", "positions"),
        ]
        if len(result.scenario.issues) >= 2:
            out.append(("figure", "paths.png", "smp_paths", ("dims",)))
        out.append(("figure", "probabilities.png", "smp_probabilities"))
        return out

    # ---- ensembles
    def ensemble_summary(self, result) -> dict:
        s = super().ensemble_summary(result)
        for iid in result.scenario.issue_ids:
            stats = distribution_stats(result.runs[f"{iid}.probability"])
            stats["unperturbed"] = result.baseline[iid]["probability"]
            s["forecast"][iid]["probability"] = stats
        return s

    def ensemble_lines(self, result, s: dict) -> list[str]:
        lines = super().ensemble_lines(result, s)
        header = f"{'issue':<16} {'probability: mean':>17} {'5%':>7} {'95%':>7}"
        lines += ["", header, "-" * len(header)]
        for iid, f in s["forecast"].items():
            q = f["probability"]
            lines.append(f"{iid[:16]:<16} {q['mean']:>17.2f} {q['p5']:>7.2f} {q['p95']:>7.2f}")
        return lines

    def ensemble_html(self, result, s: dict) -> str:
        rows = []
        for iid, kinds in s["forecast"].items():
            q = kinds["probability"]
            rows.append(
                f"<tr><th>{html.escape(iid)}</th><td>{q['mean']:.2f}</td>"
                f"<td>{q['p5']:.2f} - {q['p95']:.2f}</td></tr>"
            )
        return (
            super().ensemble_html(result, s)
            + "<table><tr><th>issue</th><th>probability-weighted: mean</th><th>5-95%</th></tr>"
            + "".join(rows)
            + "</table>"
        )


MODEL = Smp()
