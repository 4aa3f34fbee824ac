"""`--set` on payoffs and blocs, and the scenario staying frozen all the way down."""

import numpy as np
import pytest

from sim.scenario import load_scenario


def test_one_actors_risk_exponent_leaves_the_rest_computed():
    sc = load_scenario("ec_example_scholz2011", ["payoffs.risk.France=1.5"])
    risk = sc.arrays().risk
    france = sc.actor_ids.index("France")
    assert risk[france] == 1.5
    assert np.isnan(np.delete(risk, france)).all()


def test_one_actors_risk_exponent_on_top_of_a_common_value():
    sc = load_scenario("ec_example_scholz2011", ["payoffs.risk=1.2", "payoffs.risk.France=1.5"])
    risk = sc.arrays().risk
    france = sc.actor_ids.index("France")
    assert risk[france] == 1.5
    assert (np.delete(risk, france) == 1.2).all()


def test_a_new_bloc_from_the_command_line():
    sc = load_scenario(None, ['blocs.WEST.members=["DEU", "FRA"]'])
    assert sc.blocs["WEST"].members == ("DEU", "FRA")
    assert sc.bloc_capability("WEST") == sc.actors["DEU"].capability + sc.actors["FRA"].capability


@pytest.mark.parametrize(
    "mutate",
    [
        lambda sc: sc.actors.__setitem__("XXX", sc.actors["RUS"]),
        lambda sc: sc.actors["RUS"].position.__setitem__("enlargement", 5.0),
        lambda sc: sc.actors["RUS"].red_line.update({"posture": (0.0, 1.0)}),
        lambda sc: sc.actors["UKR"].red_line.__setitem__("posture", (0.0, 1.0)),
        lambda sc: sc.blocs.pop("NATO"),
    ],
)
def test_nested_tables_are_frozen(mutate):
    sc = load_scenario()
    before = sc.arrays()
    with pytest.raises(TypeError, match="frozen"):
        mutate(sc)
    after = sc.arrays()
    np.testing.assert_array_equal(before.position, after.position)
    np.testing.assert_array_equal(before.red_lo, after.red_lo)


def test_overrides_given_as_a_dict_are_recorded_as_replayable_text():
    import sim

    given = {"payoffs.risk": {"RUS": 1.5}, "actors.RUS.red_line.enlargement": [0, 60]}
    first = sim.run(overrides=given, rounds=2)
    assert first.overrides == (
        "payoffs.risk={ RUS = 1.5 }",
        "actors.RUS.red_line.enlargement=[0, 60]",
    )
    again = sim.run(overrides=list(first.overrides), rounds=2)
    assert again.trajectory.positions.tobytes() == first.trajectory.positions.tobytes()
