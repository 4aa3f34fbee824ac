"""Figures: functions take a result and an optional ax and return the figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim import plot  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return sim.run(rounds=4)


def test_positions_grid_has_one_panel_per_issue(result):
    fig = plot.positions(result)
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == len(result.scenario.issues)
    # each panel draws one line per actor plus the two forecast lines
    assert all(len(a.lines) == len(result.scenario.actors) + 2 for a in visible)
    plt.close(fig)


def test_positions_on_a_given_ax(result):
    fig, ax = plt.subplots()
    out = plot.positions(result, issue="posture", ax=ax)
    assert out is fig
    line = ax.lines[0]  # the first actor
    np.testing.assert_array_equal(line.get_ydata(), result.trajectory.positions[:, 1, 0])
    plt.close(fig)


def test_quadrant_points_are_the_expected_utilities(result):
    """Each other actor j is the point (EU of USA challenging j, EU of j challenging USA) on
    the positions of the round shown, as the plain-Python reference (tests/reference.py)
    computes them from the scenario's arrays."""
    from tests import reference as ref

    sc = result.scenario
    a = sc.arrays()
    k = sc.issue_ids.index("enlargement")
    f = sc.actor_ids.index("USA")
    others = [j for j in range(len(sc.actors)) if j != f]
    history, *_ = ref.eum_run(
        a.position, a.capability, a.salience, a.width, a.risk, a.Q, a.T, a.red_lo, a.red_hi, 1
    )
    assert history[0][k] != history[1][k]  # the two rounds shown differ
    for shown in (0, 1):
        EU = ref.round_quantities(
            history[shown][k], a.capability, a.salience[k], float(a.width[k]), a.risk, a.Q, a.T
        )["EU"]
        fig, ax = plt.subplots()
        plot.quadrant(result, "USA", issue="enlargement", ax=ax, round=shown)
        offsets = ax.collections[0].get_offsets()
        np.testing.assert_allclose(
            offsets[:, 0], [EU[f][j] for j in others], rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            offsets[:, 1], [EU[j][f] for j in others], rtol=1e-12, atol=1e-12
        )
        plt.close(fig)


def test_unknown_focus_and_issue_are_errors(result):
    with pytest.raises(ValueError, match="unknown actor"):
        plot.quadrant(result, "XXX")
    with pytest.raises(ValueError, match="unknown issue"):
        plot.positions(result, issue="nope")


def test_ensemble_trajectories_plot_draws_every_kept_run():
    ens = sim.ensemble(
        "ec_example_scholz2011",
        runs=6,
        seed=2,
        position_sd=0.5,
        rounds=3,
        trajectories=4,
        progress=False,
    )
    fig, ax = plt.subplots()
    plot.ensemble_trajectories(ens, ax=ax)
    n = len(ens.scenario.actors)
    assert len(ax.lines) == 4 * n
    # each line is one actor's positions in one kept run
    t = ens.trajectories
    first = t[(t["run"] == 0) & (t["actor"] == ens.scenario.actor_ids[0])]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), first["position"].to_numpy())
    plt.close(fig)
    with pytest.raises(ValueError, match="kept no trajectories"):
        plot.ensemble_trajectories(
            sim.ensemble("ec_example_scholz2011", runs=2, seed=1, progress=False)
        )
