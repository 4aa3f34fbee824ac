"""What a round-by-round model run produces, whichever driver ran it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels.baselines import compromise, weighted_median, weights
from sim.kernels.eum import STOP_NAMES, final_forecast


@dataclass(frozen=True)
class Trajectory:
    """Positions per round and what happened.

    Attributes
    ----------
    positions : (rounds + 1, m, n) float64
        Round 0 holds the initial positions.
    events, senders : (rounds, m, n) int64
        Each actor's event in each round (see ``sim.kernels.eum.EVENT_NAMES``) and
        the actor whose offer it took (-1: none).
    clipped : (rounds, m, n) bool
        Where a red line clipped a move.
    stopped : str
        ``"limit"``, ``"converged"`` or ``"cycle"``.
    cycle_length : int
        Rounds in the repeating cycle (1 when converged, 0 at the limit).
    """

    positions: np.ndarray
    events: np.ndarray
    senders: np.ndarray
    clipped: np.ndarray
    stopped: str
    cycle_length: int

    @property
    def rounds(self) -> int:
        return self.positions.shape[0] - 1

    @classmethod
    def from_kernel(cls, history, events, senders, clipped, rounds, stop, cycle_length):
        return cls(
            positions=np.ascontiguousarray(history[: rounds + 1]),
            events=np.ascontiguousarray(events[:rounds]),
            senders=np.ascontiguousarray(senders[:rounds]),
            clipped=np.ascontiguousarray(clipped[:rounds]),
            stopped=STOP_NAMES[stop],
            cycle_length=int(cycle_length),
        )

    def final_states(self) -> np.ndarray:
        """The states the forecast averages over: the cycle's, else the last one. (c, m, n)"""
        if self.stopped == "cycle":
            return self.positions[-self.cycle_length :]
        return self.positions[-1:]


def baseline_forecasts(capability, salience, positions):
    """Compromise and weighted median per issue of one state.

    Parameters
    ----------
    capability : (n,) float64
    salience, positions : (m, n) float64

    Returns
    -------
    (compromise, median) : two (m,) float64 arrays
    """
    m, n = positions.shape
    comp = np.empty(m)
    med = np.empty(m)
    w = np.empty(n)
    for k in range(m):
        weights(capability, salience[k], w)
        x = np.ascontiguousarray(positions[k])
        comp[k] = compromise(x, w)
        med[k] = weighted_median(x, w)
    return comp, med


def forecast(capability, salience, trajectory: Trajectory):
    """The run's forecast per issue: the baselines of the final state, averaged over a cycle.

    Computed by the same kernel as ensembles (``sim.kernels.eum.final_forecast``), so a
    single run and the same run inside an ensemble give the same bits.
    """
    positions = np.ascontiguousarray(trajectory.positions, dtype=np.float64)
    m, n = positions.shape[1:]
    comp, med = np.empty(m), np.empty(m)
    final_forecast(
        positions,
        trajectory.rounds,
        STOP_NAMES.index(trajectory.stopped),
        trajectory.cycle_length,
        np.ascontiguousarray(capability, dtype=np.float64),
        np.ascontiguousarray(salience, dtype=np.float64),
        np.empty(n),
        comp,
        med,
    )
    return comp, med
