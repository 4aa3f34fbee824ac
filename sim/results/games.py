"""Results of the repeated games: a match, a round-robin tournament, a population's
evolution and the scenario's dyads played out. Each holds the outcome its model gave
(:mod:`sim.models.games`, :mod:`sim.models.evolution`, :mod:`sim.abm.games`) with its
tidy tables, and adds ``summary()`` (strict JSON), a plain ``repr``, HTML for notebooks
and ``outputs()``: the files `sim.save.write` writes.

The tables are written as pandas writes them by default (the shortest text that reads
back as the same float), so they are given to `sim.save` as text.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass

from sim import __version__
from sim.abm.games import Play
from sim.models.evolution import Evolution, replicator_shift
from sim.models.games import Match, Tournament
from sim.results.base import Figure

_CSV = {"index": False, "lineterminator": "\n"}


def _fields(outcome) -> dict:
    return {f.name: getattr(outcome, f.name) for f in dataclasses.fields(outcome)}


@dataclass(frozen=True, eq=False, repr=False)
class MatchResult(Match):
    """One match between two strategies (see :class:`sim.models.games.Match`)."""

    @classmethod
    def of(cls, outcome: Match) -> MatchResult:
        return cls(**_fields(outcome))

    @property
    def turns(self) -> int:
        return int(self.actions.shape[0])

    def summary(self) -> dict:
        return {
            "strategies": list(self.names),
            "turns": self.turns,
            "seed": int(self.seed),
            "totals": [float(x) for x in self.totals],
            "cooperation": [float((self.actions[:, k] == 0).mean()) for k in range(2)],
        }

    def outputs(self) -> list[tuple[str, object]]:
        """``summary.json``."""
        return [("summary.json", self.summary())]

    def __repr__(self) -> str:
        a, b = self.totals.tolist()
        return (
            f"MatchResult({self.names[0]!r} vs {self.names[1]!r}, {self.turns} turns, "
            f"totals {a:g} / {b:g}, seed={self.seed})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(n)}</th><td>{t:g}</td><td>{c:.0%}</td></tr>"
            for n, t, c in zip(
                self.names, self.totals.tolist(), self.summary()["cooperation"], strict=True
            )
        )
        return (
            f"<p><b>Match</b>: {self.turns} turns, seed {self.seed}</p><table><tr>"
            f"<th>strategy</th><th>total</th><th>cooperation</th></tr>{rows}</table>"
        )


@dataclass(frozen=True, eq=False, repr=False)
class TournamentResult(Tournament):
    """A round robin's results (see :class:`sim.models.games.Tournament` for the fields
    and the tables: ``scores()``, ``payoff_matrix()``, ``repetition_scores()``)."""

    @classmethod
    def of(cls, outcome: Tournament) -> TournamentResult:
        return cls(**_fields(outcome))

    def summary(self) -> dict:
        return {**self.parameters(), "ranking": self.scores().to_dict(orient="records")}

    def outputs(self) -> list[tuple[str, object]]:
        """``scores.csv``, ``payoff_matrix.csv``, ``summary.json``, ``ranking.png`` and
        ``payoff_matrix.png``."""
        return [
            ("scores.csv", self.scores().to_csv(**_CSV)),
            ("payoff_matrix.csv", self.payoff_matrix().reset_index().to_csv(**_CSV)),
            ("summary.json", self.summary()),
            ("ranking.png", Figure("ranking")),
            ("payoff_matrix.png", Figure("payoff_matrix")),
        ]

    def __repr__(self) -> str:
        return (
            f"TournamentResult({len(self.names)} strategies, game={self.game!r}, "
            f"{self.length_text()}, repetitions={self.repetitions}, noise={self.noise:g}, "
            f"seed={self.seed})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{k + 1}</td><th>{html.escape(r.strategy)}</th>"
            f"<td>{r.score_per_repetition:.1f}</td><td>{r.mean_payoff_per_turn:.3f}</td>"
            f"<td>{r.wins_per_repetition:.2f}</td></tr>"
            for k, r in enumerate(self.scores().itertuples(index=False))
        )
        return (
            f"<p><b>Tournament</b>: {html.escape(self.game)}, {len(self.names)} strategies, "
            f"{html.escape(self.length_text())}, {self.repetitions} repetitions, "
            f"noise {self.noise:g}, seed {self.seed}</p><table><tr><th>rank</th>"
            "<th>strategy</th><th>score per repetition</th><th>payoff per turn</th>"
            f"<th>wins per repetition</th></tr>{rows}</table>"
        )


@dataclass(frozen=True, eq=False, repr=False)
class EvolutionResult(Evolution):
    """A population's evolution (see :class:`sim.models.evolution.Evolution`); a Moran
    run is a :class:`MoranResult`."""

    @classmethod
    def of(cls, outcome: Evolution) -> EvolutionResult:
        kind = MoranResult if outcome.process == "moran" else EvolutionResult
        return kind(**_fields(outcome))

    def _extra(self) -> dict:
        return {"shift": replicator_shift(self.payoff)}

    def summary(self) -> dict:
        value = int if self.states.dtype.kind in "iu" else float
        return {
            "process": self.process,
            "strategies": list(self.names),
            "steps": self.steps,
            "seed": self.seed,
            "intensity": self.intensity,
            "initial": {n: value(v) for n, v in zip(self.names, self.states[0], strict=True)},
            "final": {n: value(v) for n, v in zip(self.names, self.states[-1], strict=True)},
            **self._extra(),
            "payoff_matrix": self.payoff.tolist(),
            "tournament": self.tournament,
        }

    def outputs(self) -> list[tuple[str, object]]:
        """``history.csv``, ``summary.json``, ``evolution.png`` and, when estimated,
        ``fixation.csv``."""
        files = [
            ("history.csv", self.history().to_csv(**_CSV)),
            ("summary.json", self.summary()),
            ("evolution.png", Figure("evolution")),
        ]
        if self.fixation is not None:
            files.append(("fixation.csv", self.fixation.to_csv(**_CSV)))
        return files

    def _outcome(self) -> str:
        top = int(self.states[-1].argmax())
        return f"largest at the end: {self.names[top]} ({self.shares()[-1, top]:.1%})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.process}, {len(self.names)} strategies, "
            f"steps={self.steps}, {self._outcome()})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(n)}</th><td>{a:.3f}</td><td>{b:.3f}</td></tr>"
            for n, a, b in zip(self.names, self.shares()[0], self.shares()[-1], strict=True)
        )
        return (
            f"<p><b>{html.escape(self.process)}</b>: {self.steps} steps; "
            f"{html.escape(self._outcome())}</p><table><tr><th>strategy</th>"
            f"<th>initial share</th><th>final share</th></tr>{rows}</table>"
        )


@dataclass(frozen=True, eq=False, repr=False)
class MoranResult(EvolutionResult):
    """A Moran run: ``population``, ``fixation_step`` and ``fixed`` in its summary."""

    def _extra(self) -> dict:
        return {
            "population": self.population,
            "fixation_step": self.fixation_step,
            "fixed": self.fixed,
        }

    def _outcome(self) -> str:
        if self.fixed is None:
            return super()._outcome()
        return f"{self.fixed} fixed at step {self.fixation_step}"


@dataclass(frozen=True, eq=False, repr=False)
class PlayResult(Play):
    """The scenario's dyads played out (see :class:`sim.abm.games.Play`)."""

    @classmethod
    def of(cls, outcome: Play) -> PlayResult:
        return cls(**_fields(outcome))

    def summary(self) -> dict:
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "noise": self.noise,
            "dyads": self.dyads(),
            "sim_version": __version__,
        }

    def outputs(self) -> list[tuple[str, object]]:
        """``moves.csv``, ``summary.json`` and ``moves.png``."""
        return [
            ("moves.csv", self.moves().to_csv(**_CSV)),
            ("summary.json", self.summary()),
            ("moves.png", Figure("moves")),
        ]

    def __repr__(self) -> str:
        return f"PlayResult({self.scenario.name!r}, {len(self.specs)} dyads, seed={self.seed})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(' - '.join(d['actors']))}</td><td>{html.escape(d['game'])}</td>"
            + "".join(f"<td>{html.escape(p)}: {c:.0%}</td>" for p, c in d["cooperation"].items())
            + "</tr>"
            for d in self.dyads()
        )
        return (
            f"<p><b>{html.escape(self.scenario.name)}</b>: repeated games, seed {self.seed}</p>"
            f"<table><tr><th>dyad</th><th>game</th><th colspan=2>cooperation</th></tr>{rows}</table>"
        )
