"""Repeated games as mesa agents: the scenario's dyads play turn by turn.

Each :class:`Player` is one party of the scenario's ``[game]`` section (an actor
or a bloc) with its strategy. Every ``step()`` is one turn of every dyad: each
player chooses its move through the strategy kernel
(:func:`sim.kernels.games.move`), noise may flip it, and both are paid from the
dyad's own game. A dyad's draws come from its own generator, seeded from
``SeedSequence(seed, spawn_key=(d,))``, in the order the batch kernel
:func:`sim.kernels.games.match` uses, so stepping the model gives the same
matches (:func:`play_dyads` plays them in one call per dyad).

>>> import sim
>>> model = RepeatedGameModel(sim.load_scenario(), turns=10, seed=1)
>>> model.run_model()
>>> sorted(model.summary()["dyads"][0])[:3]
['actors', 'cooperation', 'first_defection']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd

from sim.kernels import games as _k
from sim.models import games as g
from sim.models.strategies import GameStrategy, parse_strategy
from sim.scenario import Scenario, load_scenario
from sim.scenario.limits import check_play


def dyad_seed(seed: int, d: int) -> np.uint64:
    """The generator seed of dyad ``d`` (its index in ``[game] dyads``)."""
    return np.random.SeedSequence(int(seed), spawn_key=(d,)).generate_state(1, np.uint64)[0]


@dataclass(frozen=True)
class DyadSpec:
    """One dyad of ``[game]``: its parties, their strategies and its game."""

    index: int
    actors: tuple[str, str]
    strategies: tuple[GameStrategy, GameStrategy]
    pay: np.ndarray
    game: str


def dyads(sc: Scenario) -> list[DyadSpec]:
    """The scenario's ``[game]`` dyads, resolved (ValueError without a ``[game]`` section)."""
    section = sc.game
    if section is None or not section.dyads:
        raise ValueError(f"{sc.name}: the scenario has no [game] dyads")
    out = []
    for d, dyad in enumerate(section.dyads):
        spec = dyad.payoffs if dyad.payoffs is not None else section.payoffs
        label = spec if isinstance(spec, str) else "custom"
        strat = tuple(parse_strategy(section.strategies[p]) for p in dyad.actors)
        out.append(DyadSpec(d, tuple(dyad.actors), strat, g.game(spec), label))
    return out


class Player(mesa.Agent):
    """A party that plays repeated games: its strategy, and its moves in each dyad."""

    def __init__(self, model, party: str, strategy: GameStrategy):
        super().__init__(model)
        self.party = party
        self.strategy = strategy

    def choose(self, t: int, own: np.ndarray, opp: np.ndarray, state: np.ndarray) -> int:
        """The move it intends at turn ``t`` of a dyad, from the moves so far."""
        return int(_k.move(self.strategy.code, float(self.strategy.param), t, own, opp, state))

    def __repr__(self) -> str:
        return f"Player({self.party!r}, {self.strategy.label})"


@dataclass
class _Match:
    spec: DyadSpec
    a: Player
    b: Player
    state: np.ndarray
    hist_a: np.ndarray
    hist_b: np.ndarray
    totals: list = field(default_factory=lambda: [0.0, 0.0])


class RepeatedGameModel(mesa.Model):
    """The scenario's ``[game]`` dyads, one turn of every dyad per ``step()``.

    Parameters
    ----------
    scenario : Scenario
        With a ``[game]`` section; kept as ``model.negotiation``.
    turns, noise : optional
        Replace the section's.
    seed : int
        Root seed of the dyads' generators.
    """

    def __init__(self, scenario: Scenario, turns=None, noise=None, seed: int = 0, rng=None):
        super().__init__(rng=rng)
        self.negotiation = scenario
        section = scenario.game
        self.specs = dyads(scenario)
        self.turns, self.noise, self.seed = _play_options(section, turns, noise, seed)
        self.players: dict[str, Player] = {}
        for spec in self.specs:
            for pid, strat in zip(spec.actors, spec.strategies, strict=True):
                if pid not in self.players:
                    self.players[pid] = Player(self, pid, strat)
        self.matches = []
        for spec in self.specs:
            state = np.array([dyad_seed(self.seed, spec.index)], dtype=np.uint64)
            self.matches.append(
                _Match(
                    spec,
                    self.players[spec.actors[0]],
                    self.players[spec.actors[1]],
                    state,
                    np.zeros(self.turns, dtype=np.int8),
                    np.zeros(self.turns, dtype=np.int8),
                )
            )
        self.t = 0
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "turn": "t",
                "cooperation": lambda m: m.cooperation_now(),
            }
        )
        self.running = self.turns > 0

    def cooperation_now(self) -> float:
        """Share of cooperative moves in the last turn, over every dyad."""
        if self.t == 0:
            return float("nan")
        last = self.t - 1
        moves = [x.hist_a[last] for x in self.matches] + [x.hist_b[last] for x in self.matches]
        return float(np.mean(np.array(moves) == _k.C))

    def step(self) -> None:
        """One turn of every dyad: both choose, noise may flip, both are paid."""
        if not self.running:
            return
        t = self.t
        for x in self.matches:
            a = x.a.choose(t, x.hist_a, x.hist_b, x.state)
            b = x.b.choose(t, x.hist_b, x.hist_a, x.state)
            if _k.uniform(x.state) < self.noise:
                a = 1 - a
            if _k.uniform(x.state) < self.noise:
                b = 1 - b
            x.hist_a[t] = a
            x.hist_b[t] = b
            x.totals[0] += x.spec.pay[a, b, 0]
            x.totals[1] += x.spec.pay[a, b, 1]
        self.t += 1
        self.datacollector.collect(self)
        if self.t >= self.turns:
            self.running = False

    def run_model(self) -> None:
        while self.running:
            self.step()

    def actions(self) -> list[np.ndarray]:
        """Per dyad, the moves so far: int8 (turns played, 2), 0 = C, 1 = D."""
        return [np.stack([x.hist_a[: self.t], x.hist_b[: self.t]], axis=1) for x in self.matches]

    def moves(self) -> pd.DataFrame:
        """Tidy moves: ``dyad, turn, actor, opponent, action (C/D), payoff``."""
        return moves_table(self.specs, self.actions())

    def summary(self) -> dict:
        return dyads_summary(self.specs, self.actions())


def _play_options(section, turns, noise, seed) -> tuple[int, float, int]:
    """``turns``, ``noise`` and ``seed`` checked as for :func:`sim.play_match` (None: the
    ``[game]`` section's turns and noise)."""
    turns = section.turns if turns is None else turns
    noise = section.noise if noise is None else noise
    turns = g._count("turns", turns, 1, g.MAX_MATCH_TURNS)
    return turns, g._finite("noise", noise, 0.0, 1.0), g._seed(seed)


def play_dyads(sc: Scenario, turns=None, noise=None, seed: int = 0) -> list[np.ndarray]:
    """Every ``[game]`` dyad as one call of the match kernel: actions per dyad."""
    section = sc.game
    specs = dyads(sc)
    turns, noise, seed = _play_options(section, turns, noise, seed)
    out = []
    for spec in specs:
        actions = np.empty((turns, 2), dtype=np.int8)
        payoffs = np.empty((turns, 2))
        a, b = spec.strategies
        _k.match(
            a.code, float(a.param), b.code, float(b.param), spec.pay, turns, noise,
            dyad_seed(seed, spec.index), actions, payoffs,
        )  # fmt: skip
        out.append(actions)
    return out


def moves_table(specs: list[DyadSpec], actions: list[np.ndarray]) -> pd.DataFrame:
    frames = []
    for spec, acts in zip(specs, actions, strict=True):
        n = acts.shape[0]
        pay = spec.pay[acts[:, 0], acts[:, 1]]  # (n, 2)
        for side in range(2):
            frames.append(
                pd.DataFrame(
                    {
                        "dyad": spec.index,
                        "turn": np.arange(n),
                        "actor": spec.actors[side],
                        "opponent": spec.actors[1 - side],
                        "action": np.where(acts[:, side] == _k.C, "C", "D"),
                        "payoff": pay[:, side],
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["dyad", "turn", "actor", "opponent", "action", "payoff"])
    return pd.concat(frames, ignore_index=True).sort_values(["dyad", "turn"], kind="stable")


def dyads_summary(specs: list[DyadSpec], actions: list[np.ndarray]) -> dict:
    """Per dyad: totals, payoff per turn, cooperation rates, the first defection."""
    rows = []
    for spec, acts in zip(specs, actions, strict=True):
        n = acts.shape[0]
        pay = spec.pay[acts[:, 0], acts[:, 1]] if n else np.zeros((0, 2))
        first = {}
        for side in range(2):
            d = np.nonzero(acts[:, side] == _k.D)[0]
            first[spec.actors[side]] = int(d[0]) if d.size else None
        rows.append(
            {
                "actors": list(spec.actors),
                "game": spec.game,
                "strategies": {
                    p: s.label for p, s in zip(spec.actors, spec.strategies, strict=True)
                },
                "turns": n,
                "total": {p: float(pay[:, i].sum()) for i, p in enumerate(spec.actors)},
                "payoff_per_turn": {
                    p: float(pay[:, i].mean()) if n else None for i, p in enumerate(spec.actors)
                },
                "cooperation": {
                    p: float(np.mean(acts[:, i] == _k.C)) if n else None
                    for i, p in enumerate(spec.actors)
                },
                "mutual_cooperation": float(np.mean((acts == _k.C).all(axis=1))) if n else None,
                "first_defection": first,
            }
        )
    return {"dyads": rows}


@dataclass(frozen=True)
class Play:
    """The scenario's dyads played out: the resolved dyads (``specs``) and their moves
    (``actions``, int8 (turns, 2) per dyad), with the root seed and the noise."""

    scenario: Scenario
    specs: list
    actions: list
    seed: int
    noise: float

    def moves(self) -> pd.DataFrame:
        """Tidy moves: ``dyad, turn, actor, opponent, action (C/D), payoff``."""
        return moves_table(self.specs, self.actions)

    def dyads(self) -> list[dict]:
        """Per dyad: totals, payoff per turn, cooperation rates, the first defection."""
        return dyads_summary(self.specs, self.actions)["dyads"]


def play(
    sc: Scenario | str | None = None, turns=None, noise=None, seed: int = 0, overrides=None
) -> Play:
    """Play every ``[game]`` dyad of a scenario (a `Scenario`, a shipped name or a path,
    the default scenario when None; ``overrides`` as for :func:`sim.run`) with the batch
    kernel: the same moves as stepping :class:`RepeatedGameModel`."""
    if not isinstance(sc, Scenario):
        sc = load_scenario(sc, overrides)
    elif overrides:
        raise ValueError("overrides apply to a scenario loaded by name or path; got a Scenario")
    _, noise, seed = _play_options(sc.game, turns, noise, seed)
    for _, message in check_play(sc, turns) if turns is not None else ():
        raise ValueError(f"turns {turns}: {message}")
    actions = play_dyads(sc, turns, noise, seed)
    return Play(sc, dyads(sc), actions, seed, noise)
