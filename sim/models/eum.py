"""Bueno de Mesquita's expected-utility model: actors challenge, compromise and give way
round by round until nobody moves, a cycle repeats or the round limit is reached.

The equations are in ``sim.kernels.eum``; :func:`run_kernel` runs whole rounds for all
actors in one kernel call; the mesa driver is ``sim.abm.NegotiationModel``.

The parameter ``reference`` chooses the reference point of the status-quo utility Usq:
``position`` (DESIGN 5.2: each actor's own position, ``Usq = 2 - 4 (0.5)^r_i``) or
``status_quo`` (the issue's status quo, ``Usq = 2 - 4 (0.5 + 0.5 |x_i - sq| / D)^r_i``;
an issue without one keeps ``position``). The parameter ``procedure`` chooses the round's
procedure: ``design`` (DESIGN 5.2) or ``scholz_program`` (the procedure of Scholz's program,
docs/ec_replication.md). See docs/variants.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.kernels import eum as _k
from sim.kernels.baselines import weights
from sim.models.base import parameter
from sim.models.trajectory import (
    PROCEDURES,
    REFERENCES,
    PositionModel,
    Trajectory,
    batched_forecasts,
    forecast,
    forecast_batch,
    procedure_code,
    reference_points,
)
from sim.scenario import ScenarioArrays


def run_kernel(
    arrays: ScenarioArrays,
    rounds: int | None = None,
    reference: str = "position",
    procedure: str = "design",
) -> Trajectory:
    """Run the expected-utility model on every issue with the batch kernel; ``reference``
    is the reference point of Usq (``position`` or ``status_quo``), ``procedure`` the
    round's procedure (``design`` or ``scholz_program``)."""
    code = procedure_code(procedure)
    rounds = arrays.rounds if rounds is None else int(rounds)
    m, n = arrays.position.shape
    history = np.empty((rounds + 1, m, n))
    events = np.zeros((rounds, m, n), dtype=np.int64)
    senders = np.full((rounds, m, n), -1, dtype=np.int64)
    clipped = np.zeros((rounds, m, n), dtype=np.bool_)
    done, stop, cycle = _k.run_issues(
        np.ascontiguousarray(arrays.position),
        arrays.capability,
        np.ascontiguousarray(arrays.salience),
        arrays.width,
        reference_points(arrays, reference),
        code,
        arrays.risk,
        float(arrays.Q),
        float(arrays.T),
        np.ascontiguousarray(arrays.red_lo),
        np.ascontiguousarray(arrays.red_hi),
        rounds,
        history,
        events,
        senders,
        clipped,
    )
    if rounds == 0:
        stop = _k.STOP_LIMIT
    return Trajectory.from_kernel(history, events, senders, clipped, done, stop, cycle)


def expected_utility_matrix(
    arrays: ScenarioArrays,
    issue: int,
    positions=None,
    reference: str = "position",
    procedure: str = "design",
):
    """Round-start quantities on one issue: EU (n, n), risk exponents (n,), P (n, n), median.

    ``EU[i, j]`` is i's expected utility of challenging j (with i's risk exponent, under
    either procedure); used by the quadrant chart.
    """
    code = procedure_code(procedure)
    x = np.ascontiguousarray(
        arrays.position[issue] if positions is None else positions, dtype=np.float64
    )
    n = x.shape[0]
    w, r = np.empty(n), np.empty(n)
    P, EU = np.empty((n, n)), np.empty((n, n))
    s = np.ascontiguousarray(arrays.salience[issue])
    sq = float(reference_points(arrays, reference)[issue])
    if code == _k.DESIGN:
        mu = _k.prepare_round(
            x,
            arrays.capability,
            s,
            float(arrays.width[issue]),
            sq,
            arrays.risk,
            float(arrays.Q),
            float(arrays.T),
            w,
            P,
            EU,
            r,
        )
        return EU, r, P, mu
    weights(arrays.capability, s, w)
    D, work = np.empty((n, n)), np.empty((_k.WORK_ROWS, n))
    iwork = np.empty((2, n), dtype=np.int64)
    mu = _k.prepare_into(
        x, s, float(arrays.width[issue]), sq, code, arrays.risk, float(arrays.Q),
        float(arrays.T), w, P, EU, r, D, work, iwork, True,
    )  # fmt: skip
    return EU, r, P, mu


def record_quantities(
    arrays: ScenarioArrays,
    trajectory: Trajectory,
    reference: str = "position",
    procedure: str = "design",
) -> Trajectory:
    """``trajectory`` with the round-start expected utilities and risk exponents of every
    round it holds (see `Trajectory.expected_utility`), from the same kernel the run used
    (with the run's ``reference`` and ``procedure``)."""
    R1, m, n = trajectory.positions.shape
    eu = np.empty((R1, m, n, n))
    risk = np.empty((R1, m, n))
    for r in range(R1):
        for k in range(m):
            EU, rk, _, _ = expected_utility_matrix(
                arrays, k, trajectory.positions[r, k], reference, procedure
            )
            eu[r, k] = EU
            risk[r, k] = rk
    return dataclasses.replace(trajectory, expected_utility=eu, risk=risk)


@dataclass(frozen=True)
class Params:
    """Parameters of the expected-utility model."""

    focus: str | None = parameter(
        None,
        help="Actor whose view the quadrant chart shows (default: the first actor).",
        metavar="ACTOR",
        figure=True,
    )
    reference: str = parameter(
        "position",
        help="Reference point of the status-quo utility Usq: position (each actor's own: "
        "Usq = 2 - 4 (0.5)^r) or status_quo (the issue's status quo sq: "
        "Usq = 2 - 4 (0.5 + 0.5 |x - sq| / D)^r; position on an issue without one). "
        "status_quo runs in the kernel, not the mesa agents.",
        choices=REFERENCES,
    )
    procedure: str = parameter(
        "design",
        help="Procedure of a round: design (DESIGN 5.2) or scholz_program (the procedure of "
        "Scholz's program: voters' risk exponents and every pair of actors in P, both "
        "expected utilities with the receiver's exponent, no capitulation, the nearest "
        "confrontation else the lowest compromise; docs/ec_replication.md). scholz_program "
        "runs in the kernel, not the mesa agents.",
        choices=PROCEDURES,
    )


class ExpectedUtility(PositionModel):
    name = "eum"
    fit_grid = {
        "rounds": (1, 2, 3, 5, 10, 30),
        "reference": ("position", "status_quo"),
        "procedure": ("design", "scholz_program"),
    }
    summary = "Expected-utility model: challenges, compromises and capitulations round by round"
    citation = (
        "Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. "
        "In European Community Decision Making, Yale University Press; Scholz, Calbert & "
        "Smith (2011), Journal of Theoretical Politics 23(4). reference=status_quo: sim's "
        "reading of the status quo in Bueno de Mesquita (2011), A new model for predicting "
        "policy choices, Conflict Management and Peace Science 28(1). "
        "procedure=scholz_program: the procedure of Scholz's program as ported in "
        "jmckib/bdm-scholz-expected-utility-model."
    )
    Params = Params
    moves = True
    mesa_driver = True

    def check(self, scenario, params, rounds) -> None:
        super().check(scenario, params, rounds)
        if params.focus is not None and params.focus not in scenario.actors:
            raise ValueError(
                f"--focus {params.focus}: unknown actor; expected one of: "
                f"{', '.join(scenario.actors)}"
            )

    def steps_with_mesa(self, params) -> bool:
        """The mesa agents step the default model only."""
        return _reference(params) == "position" and _procedure(params) == "design"

    def run(self, scenario, params=None, rounds=None, trajectory=None, **how) -> Trajectory:
        """The run's trajectory with its recorded quantities; ``trajectory`` is one a driver
        (the mesa model) already stepped."""
        arrays = scenario.arrays()
        reference, procedure = _reference(params), _procedure(params)
        if trajectory is None or reference != "position" or procedure != "design":
            # the mesa agents step the default model; a variant runs in the kernel
            trajectory = run_kernel(arrays, self.rounds_for(scenario, rounds), reference, procedure)
        return record_quantities(arrays, trajectory, reference, procedure)

    def batch(self, scenario, arrays, spreads, seeds, rounds, params=None):
        return forecast_batch(
            scenario.issue_ids, arrays, spreads, seeds, rounds, static=False,
            reference=_reference(params), procedure=_procedure(params),
        )  # fmt: skip

    def nominal(self, scenario, rounds: int, params=None) -> dict:
        arrays = scenario.arrays()
        reference, procedure = _reference(params), _procedure(params)
        comp, med = forecast(
            arrays.capability, arrays.salience, run_kernel(arrays, rounds, reference, procedure)
        )
        return {
            iid: {"compromise": float(comp[k]), "median": float(med[k])}
            for k, iid in enumerate(scenario.issue_ids)
        }

    def point_forecasts(self, problems, params, rounds=None) -> list[dict]:
        """The final compromise and median per issue of each problem's run, with the
        reference point ``params.reference`` (an issue without a status quo keeps the
        actors' own positions) and the procedure ``params.procedure``."""
        pairs = batched_forecasts(problems, rounds, _reference(params), _procedure(params))
        return [dict(zip(self.forecast_kinds, pair, strict=True)) for pair in pairs]

    def stop_line(self, result) -> str:
        return {
            "limit": f"stopped at the round limit after {result.rounds} rounds",
            "converged": f"converged: nobody moved in round {result.rounds}",
            "cycle": f"cycle of {result.cycle_length} rounds found at round {result.rounds}; "
            "the forecast is the mean over the cycle",
        }[result.stopped]

    def outputs(self, result) -> list:
        """Beside ``rounds.csv`` and ``summary.json``: the events, the positions and the
        quadrant chart from the focus actor's view."""
        return [
            ("table", "events.csv", "events"),
            ("figure", "positions.png", "positions"),
            ("figure", "quadrant.png", "quadrant", ("focus",)),
        ]

    def trajectory(self, arrays, rounds) -> Trajectory:
        """A perturbed run's trajectory (positions only), for the runs an ensemble keeps."""
        return run_kernel(arrays, rounds)


def _reference(params) -> str:
    return "position" if params is None else params.reference


def _procedure(params) -> str:
    return "design" if params is None else params.procedure


MODEL = ExpectedUtility()
