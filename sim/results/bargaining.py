"""One run of a bargaining model: Nash bargaining, alternating offers or crisis."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from sim import __version__
from sim.models import MODELS
from sim.results.base import Figure
from sim.scenario import Scenario


@dataclass(frozen=True)
class BargainResult:
    """One run of a bargaining model: ``"nbs"``, ``"alternating"`` or ``"crisis"``.

    Attributes
    ----------
    scenario : Scenario
    model : str
    record : dict
        The model's record (see :mod:`sim.models.bargain`): for ``nbs`` the zone of
        agreement and the agreement; for ``alternating`` also the round; for
        ``crisis`` the sides, ``p``, the bargaining range, the offers and the war.
    crisis : dict or None
        The crisis layer: how the scenario's `[crisis]` war compares with this
        model's outcome (the ``crisis`` model's own record for that model).
    rounds : pandas.DataFrame or None
        Alternating offers: one row per round.
    source, overrides
        Where the scenario came from and the counterfactuals applied.
    """

    scenario: Scenario
    model: str
    record: dict
    crisis: dict | None = None
    rounds: pd.DataFrame | None = None
    source: str = ""
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @property
    def spec(self):
        """The model (see `sim.models.MODELS`)."""
        return MODELS[self.model]

    @property
    def agreement(self) -> dict:
        """``{"reached", "outcome", "utilities"}`` of the negotiation."""
        return self.spec.agreement(self.record)

    @property
    def war(self) -> bool | None:
        """Whether the challenger prefers war to the negotiated outcome (None without `[crisis]`)."""
        return self.spec.war(self.record, self.crisis)

    @property
    def war_record(self) -> dict | None:
        """The crisis record: the war against the negotiated outcome (None without `[crisis]`)."""
        return self.spec.crisis_record(self.record, self.crisis)

    def summary(self) -> dict:
        """What ``summary.json`` holds."""
        out = {
            "scenario": self.scenario.name,
            "source": self.source,
            "model": self.model,
            "utility": self.scenario.payoffs.utility,
        }
        out.update(self.spec.run_summary(self))
        out.update(
            overrides=list(self.overrides),
            actors=list(self.scenario.actor_ids),
            issues=list(self.scenario.issue_ids),
            sim_version=__version__,
        )
        return out

    def lines(self) -> list[str]:
        """The run as lines of text, as ``sim run`` prints it."""
        return self.spec.lines(self)

    def outputs(self) -> list:
        """The files of the run (see `sim.save`): ``summary.json``, for alternating offers
        ``offers.csv``, and the model's figures (``agreement.png``, ``offers.png``,
        ``bargaining_range.png`` when the scenario has a `[crisis]`)."""
        out = [("summary.json", self.summary())]
        for kind, name, what, *_ in self.spec.outputs(self):
            out.append((name, getattr(self, what) if kind == "table" else Figure(what)))
        return out

    def __repr__(self) -> str:
        extra = "" if self.war is None else f", war={self.war}"
        return (
            f"BargainResult({self.scenario.name!r}, model={self.model!r}, "
            f"agreement={self.agreement['reached']}{extra})"
        )

    def _repr_html_(self) -> str:
        a = self.agreement
        head = (
            f"<p><b>{html.escape(self.scenario.name)}</b>: model {html.escape(self.model)}; "
            f"agreement: {'yes' if a['reached'] else 'no'}"
            + ("" if self.war is None else f"; war: {'yes' if self.war else 'no'}")
            + "</p>"
        )
        msg = self.record.get("message")
        if msg:
            head += f"<p>{html.escape(msg)}</p>"
        if a["reached"] and a.get("outcome"):
            rows = "".join(
                f"<tr><th>{html.escape(k)}</th><td>{v:.2f}</td></tr>"
                for k, v in a["outcome"].items()
            )
            head += f"<table><tr><th>issue</th><th>outcome</th></tr>{rows}</table>"
        return head
