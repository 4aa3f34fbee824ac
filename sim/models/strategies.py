"""Repeated-game strategies as a tournament plays them: a name from the one table
(:data:`sim.scenario.game_strategies.GAME_STRATEGIES`) and its parameter, with the
kernel code of :mod:`sim.kernels.games`."""

from __future__ import annotations

import math
from typing import NamedTuple

from sim.kernels import games as K
from sim.scenario.game_strategies import GAME_STRATEGIES

CODES: dict[str, int] = {name: getattr(K, name.upper()) for name in GAME_STRATEGIES}
"""The kernel code of each strategy: the constant of :mod:`sim.kernels.games` named as
the strategy in capitals."""


class GameStrategy(NamedTuple):
    """A repeated-game strategy with its parameter, as a tournament plays it."""

    name: str
    param: float

    @property
    def code(self) -> int:
        return CODES[self.name]

    @property
    def label(self) -> str:
        """The name, plus ``:param`` when the parameter is not the default."""
        default = GAME_STRATEGIES[self.name].param
        return self.name if self.param == default else f"{self.name}:{self.param!r}"


def strategy_code(name: str) -> int:
    """The kernel code of the strategy ``name``."""
    return parse_strategy(name).code


def parse_strategy(text) -> GameStrategy:
    """``name`` or ``name:PARAM`` (``generous_tit_for_tat:0.2``, ``random:0.3``) as a
    :class:`GameStrategy` (a :class:`GameStrategy` is checked the same way). ValueError
    naming the valid names, or what is wrong with the parameter."""
    if isinstance(text, GameStrategy):
        text = text.label
    if not isinstance(text, str):
        raise ValueError(f"a strategy is a name or name:PARAM, got {text!r}")
    name, sep, value = text.strip().partition(":")
    info = GAME_STRATEGIES.get(name.strip())
    if info is None:
        raise ValueError(
            f"unknown strategy {name!r}; expected one of: {', '.join(GAME_STRATEGIES)}"
        )
    if not sep:
        return GameStrategy(info.name, info.param)
    if info.param_name is None:
        raise ValueError(f"strategy {info.name} takes no parameter, got {text!r}")
    param = _param_value(text, value)
    if not 0.0 <= param <= 1.0:
        raise ValueError(f"{text!r}: the probability {info.param_name} must be in [0, 1]")
    return GameStrategy(info.name, param)


def _param_value(text: str, value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise ValueError(f"{text!r}: the parameter after ':' must be a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{text!r}: the parameter must be finite")
    return v


def parse_strategies(strategies) -> list[GameStrategy]:
    """A tournament's strategies: at least two, none listed twice (ValueError otherwise)."""
    if isinstance(strategies, str | GameStrategy):
        strategies = [strategies]
    if not hasattr(strategies, "__iter__"):
        raise ValueError(f"strategies must be a list of names or name:PARAM, got {strategies!r}")
    parsed = [parse_strategy(s) for s in strategies]
    labels = [s.label for s in parsed]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ValueError(f"strategy listed more than once: {', '.join(twice)}")
    if len(parsed) < 2:
        raise ValueError(f"a tournament needs at least 2 strategies, got {len(parsed)}")
    return parsed
