"""The baselines as models: nobody moves; the forecast is the initial compromise or median."""

from __future__ import annotations

import numpy as np

from sim.models.trajectory import Trajectory
from sim.scenario import ScenarioArrays


def run_static(arrays: ScenarioArrays) -> Trajectory:
    """A zero-round run: round 0 only, reported as converged."""
    m, n = arrays.position.shape
    return Trajectory(
        positions=arrays.position.reshape(1, m, n).copy(),
        events=np.zeros((0, m, n), dtype=np.int64),
        senders=np.zeros((0, m, n), dtype=np.int64),
        clipped=np.zeros((0, m, n), dtype=np.bool_),
        stopped="converged",
        cycle_length=1,
    )
