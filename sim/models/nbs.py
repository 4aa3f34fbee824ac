"""The Nash bargaining solution on a scenario: the point of the parties' acceptable
ranges that maximises the (weighted) product of their gains over disagreement.

The solver on arrays is :mod:`sim.models.nash_solution`; the parties and their ranges
come from :mod:`sim.models.parties`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.models.agreement import PARTIES, WEIGHTS, AgreementModel
from sim.models.bargain import nash, party_ids


@dataclass(frozen=True)
class Params:
    """Parameters of Nash bargaining."""

    parties: str | tuple[str, ...] | None = PARTIES
    weights: str | None = WEIGHTS


class NashBargaining(AgreementModel):
    name = "nbs"
    summary = "Nash bargaining solution among parties, inside every party's red lines"
    citation = (
        "Nash, J. F. (1950). The bargaining problem. Econometrica 18(2); asymmetric "
        "weights: Kalai (1977), International Journal of Game Theory 6(3)."
    )
    Params = Params
    figure = "zone"
    figure_file = "agreement.png"
    bare_issues = True  # every actor bargains when the data names no parties

    def negotiate(self, scenario, params, rounds, arrays=None, table=True):
        ids = party_ids(scenario, params.parties)
        return nash(scenario, ids, params.weights, arrays=arrays), None

    def parties_count(self, scenario) -> int:
        named = scenario.bargaining.parties
        return len(named) if named else len(scenario.actors)

    def zone_lines(self, record: dict) -> list[str]:
        lines = []
        for iid, z in record["zone_of_agreement"].items():
            zone = (
                f"empty ({', '.join(z['parties'])})"
                if z["empty"]
                else f"[{z['lo']:g}, {z['hi']:g}]"
            )
            lines.append(f"  zone of agreement on {iid}: {zone}")
        return lines


MODEL = NashBargaining()
