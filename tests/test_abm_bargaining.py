"""The mesa delegations step alternating offers to the same bits as the kernel."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.abm.bargaining import AlternatingOffersModel, Delegation
from sim.kernels.bargaining import alternating_offers_first
from sim.models.bargain import STRATEGY_CODES, haggle
from sim.scenario.schema import Strategy

LIFTED = ["actors.RUS.red_line.enlargement=[0,100]"]


def kernel_offers(sc, parties, strategies, first, deadline):
    h = haggle(sc, parties, strategies, first, deadline)
    pt = h.parties
    A, B = pt.ids
    sa, sb = h.strategies[A], h.strategies[B]
    offers, offers_b = np.empty(h.deadline), np.empty(h.deadline)
    accepted = np.zeros(h.deadline, dtype=np.bool_)
    rnd, _ = alternating_offers_first(
        0 if h.first == A else 1,
        STRATEGY_CODES[sa.kind], float(sa.param), STRATEGY_CODES[sb.kind], float(sb.param),
        float(pt.discount[0]), float(pt.discount[1]),
        float(h.kernel_reservation[0]), float(h.kernel_reservation[1]),
        np.ascontiguousarray(h.curve.share_a), np.ascontiguousarray(h.curve.share_b),
        h.deadline, offers, offers_b, accepted,
    )  # fmt: skip
    used = h.deadline if rnd < 0 else rnd + 1
    return int(rnd), offers[:used], offers_b[:used], accepted[:used]


STRATEGIES = [
    Strategy(kind="hard_line"),
    Strategy(kind="time_based", exponent=0.2),
    Strategy(kind="time_based", exponent=1.0),
    Strategy(kind="time_based", exponent=4.0),
    Strategy(kind="tit_for_tat", factor=1.0),
    Strategy(kind="tit_for_tat", factor=0.5),
]


@pytest.mark.parametrize("first", ["RUS", "NATO"])
@pytest.mark.parametrize("deadline", [1, 6, 40])
def test_agents_match_the_kernel(first, deadline):
    sc = sim.load_scenario("nato_russia_2022", LIFTED + ["payoffs.discount.NATO=0.9"])
    rng = np.random.default_rng(deadline)
    for _ in range(8):
        pair = rng.choice(len(STRATEGIES), 2)
        strategies = {"RUS": STRATEGIES[pair[0]], "NATO": STRATEGIES[pair[1]]}
        model = AlternatingOffersModel(sc, ("RUS", "NATO"), strategies, first, deadline)
        model.run_model()
        got = model.offers()
        rnd, a, b, acc = kernel_offers(sc, ("RUS", "NATO"), strategies, first, deadline)
        assert len(got) == len(a)
        assert got["value_a"].to_numpy().tobytes() == a.tobytes()
        assert got["value_b"].to_numpy().tobytes() == b.tobytes()
        assert got["accepted"].to_numpy().tolist() == acc.tolist()
        assert model.agreement_round == (None if rnd < 0 else rnd)
        order = ["RUS", "NATO"] if first == "RUS" else ["NATO", "RUS"]
        assert got["proposer"].tolist() == [order[t % 2] for t in range(len(got))]


def test_agents_match_the_model_run_on_the_default_scenario():
    """Red lines leave no deal: both step to the same breakdown."""
    sc = sim.load_scenario()
    model = AlternatingOffersModel(sc)
    model.run_model()
    result = sim.run(sc, model="alternating")
    assert model.agreement_round is None and result.record["round"] is None
    table = result.rounds
    # the run's table clips shares to the frontier; the agents keep the raw demand
    assert np.allclose(np.clip(model.offers()["value_a"], 0, 1), table["value_a"])
    assert all(isinstance(a, Delegation) for a in model.agents)
    assert len(model.agents) == 2


def test_stepping_stops_at_agreement():
    sc = sim.load_scenario("nato_russia_2022", LIFTED)
    model = AlternatingOffersModel(sc, ("RUS", "NATO"), {"RUS": "conceder", "NATO": "conceder"})
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert model.agreement_round == steps - 1
    assert model.accepted
    model.step()  # a stopped model does nothing
    assert len(model.offers()) == steps
