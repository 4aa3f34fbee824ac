"""Alternating offers between two parties along their contract curve, until one accepts
or the deadline passes (Rubinstein bargaining with concession strategies).

The rounds run in :func:`sim.kernels.bargaining.alternating_offers_first`; the curve is
:func:`sim.models.contract.contract_curve`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.models.agreement import FIRST, PARTIES, STRATEGIES, AgreementModel
from sim.models.bargain import alternating, check_strategies, party_ids, strategy_map
from sim.models.base import distribution_stats
from sim.models.parties import default_parties


@dataclass(frozen=True)
class Params:
    """Parameters of alternating offers."""

    parties: str | tuple[str, ...] | None = PARTIES
    strategies: tuple[str, ...] | dict = STRATEGIES
    first: str | None = FIRST


class AlternatingOffers(AgreementModel):
    name = "alternating"
    summary = "Alternating offers between two parties with concession strategies and a deadline"
    citation = (
        "Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. Econometrica "
        "50(1); concession tactics: Faratin, Sierra & Jennings (1998), Robotics and "
        "Autonomous Systems 24(3-4)."
    )
    Params = Params
    figure = "offers"
    figure_file = "offers.png"

    def uses_deadline(self, scenario, params) -> bool:
        return True

    def check(self, scenario, params, rounds) -> None:
        super().check(scenario, params, rounds)
        ids = party_ids(scenario, params.parties, exactly=2)
        who = ids or default_parties(scenario, self.name)
        check_strategies(who, strategy_map(params.strategies), params.first)

    def negotiate(self, scenario, params, rounds, arrays=None, table=True):
        ids = party_ids(scenario, params.parties, exactly=2)
        return alternating(
            scenario, ids, strategy_map(params.strategies), params.first, rounds,
            arrays=arrays, table=table,
        )  # fmt: skip

    def outputs(self, result) -> list:
        return [("table", "offers.csv", "rounds"), *super().outputs(result)]

    def when(self, record: dict) -> str:
        return f" in round {record['round']}"

    def round_stats(self, runs, agree) -> dict:
        return {"round": distribution_stats(runs["round"].to_numpy()[agree])}


MODEL = AlternatingOffers()
