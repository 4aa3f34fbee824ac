"""The strategies of the repeated games: one table, read by the scenario format (the
names a ``[game]`` section may give) and by the models (which play them).

The kernel code of each strategy is the constant of :mod:`sim.kernels.games` named as
the strategy in capitals (``tit_for_tat`` -> ``TIT_FOR_TAT``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class GameStrategyInfo:
    """A repeated-game strategy: its name, default parameter (and the parameter's name,
    None when it takes none), memory depth (past turns used; ``inf`` for grudger),
    whether it draws random numbers, and a one-line description."""

    name: str
    param: float
    param_name: str | None
    memory: float
    stochastic: bool
    description: str


GAME_STRATEGIES: dict[str, GameStrategyInfo] = {
    s.name: s
    for s in (
        GameStrategyInfo("cooperator", 0.0, None, 0, False, "always cooperates"),
        GameStrategyInfo("defector", 0.0, None, 0, False, "always defects"),
        GameStrategyInfo("tit_for_tat", 0.0, None, 1, False, "cooperates first, then copies the opponent's last move"),
        GameStrategyInfo("suspicious_tit_for_tat", 0.0, None, 1, False, "defects first, then copies the opponent's last move"),
        GameStrategyInfo("tit_for_two_tats", 0.0, None, 2, False, "defects only after two consecutive defections by the opponent"),
        GameStrategyInfo("grudger", 0.0, None, math.inf, False, "cooperates until the opponent defects once, then defects for ever"),
        GameStrategyInfo("alternator", 0.0, None, 1, False, "cooperates first, then plays the opposite of its own last move"),
        GameStrategyInfo("win_stay_lose_shift", 0.0, None, 1, False, "cooperates first; repeats its move after R or T, switches after S or P"),
        GameStrategyInfo("generous_tit_for_tat", 0.1, "q", 1, True, "tit for tat that forgives a defection with probability q"),
        GameStrategyInfo("random", 0.5, "p", 0, True, "cooperates with probability p"),
    )
}  # fmt: skip
"""The repeated-game strategies by name; ``generous_tit_for_tat:q`` and ``random:p`` take a
probability."""
