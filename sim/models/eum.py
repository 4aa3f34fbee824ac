"""The expected-utility model's batch driver: whole rounds for all actors in one kernel call.

The equations are in ``sim.kernels.eum``; the mesa driver is ``sim.abm``.
"""

from __future__ import annotations

import numpy as np

from sim.kernels import eum as _k
from sim.models.trajectory import Trajectory
from sim.scenario import ScenarioArrays


def run_kernel(arrays: ScenarioArrays, rounds: int | None = None) -> Trajectory:
    """Run the expected-utility model on every issue with the batch kernel."""
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


def expected_utility_matrix(arrays: ScenarioArrays, issue: int, positions=None):
    """Round-start quantities on one issue: EU (n, n), risk exponents (n,), P (n, n), median.

    ``EU[i, j]`` is i's expected utility of challenging j; used by the quadrant chart.
    """
    x = np.ascontiguousarray(
        arrays.position[issue] if positions is None else positions, dtype=np.float64
    )
    n = x.shape[0]
    w, r = np.empty(n), np.empty(n)
    P, EU = np.empty((n, n)), np.empty((n, n))
    mu = _k.prepare_round(
        x,
        arrays.capability,
        np.ascontiguousarray(arrays.salience[issue]),
        float(arrays.width[issue]),
        arrays.risk,
        float(arrays.Q),
        float(arrays.T),
        w,
        P,
        EU,
        r,
    )
    return EU, r, P, mu
