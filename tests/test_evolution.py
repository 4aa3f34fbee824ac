"""Evolution on tournament payoffs (sim.models.evolution, sim.games.evolve): the replicator
dynamics, the Moran process and fixation probabilities against their closed forms; the
result, its files and figure."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim.games
import sim.save
from sim import plot
from sim.models import evolution as G
from sim.results.games import EvolutionResult, MoranResult

PD_ONE_SHOT = np.array([[3.0, 0.0], [5.0, 1.0]])  # cooperator, defector


# ---- replicator ----------------------------------------------------------------------
def test_replicator_one_step_by_hand():
    # min(A) = 0, so 1 is added: A' = [[4, 1], [6, 2]]; at (1/2, 1/2) f = (2.5, 4),
    # fbar = 3.25, x' = (1.25, 2) / 3.25 = (5/13, 8/13)
    x = G.replicator(PD_ONE_SHOT, [0.5, 0.5], 1)
    assert x[0].tolist() == [0.5, 0.5]
    assert x[1] == pytest.approx([5 / 13, 8 / 13], rel=1e-15)
    assert G.replicator_shift(PD_ONE_SHOT) == 1.0
    assert G.replicator_shift([[1.0, 2.0], [3.0, 4.0]]) == 0.0


def test_replicator_dominant_strategy_takes_over_monotonically():
    x = G.replicator(PD_ONE_SHOT, [0.99, 0.01], 400)
    d = x[:, 1]
    assert np.all(np.diff(d) >= 0) and np.all(np.diff(d[:50]) > 0)
    assert d[-1] > 1 - 1e-9


def test_replicator_shift_changes_no_direction():
    a = np.array([[0.0, -2.0], [1.0, -1.0]])
    shifted = a + 3.0  # what the documented shift adds: 1 - min = 3
    assert (
        G.replicator(a, [0.3, 0.7], 20).tolist() == G.replicator(shifted, [0.3, 0.7], 20).tolist()
    )


@given(
    seed=st.integers(0, 2**32 - 1),
    p=st.integers(2, 6),
    steps=st.integers(0, 60),
)
def test_replicator_stays_on_the_simplex(seed, p, steps):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(p, p)) * 3
    x0 = rng.dirichlet(np.ones(p))
    x0[rng.integers(p)] = 0.0
    x0 /= x0.sum()
    x = G.replicator(a, x0, steps)
    assert x.shape == (steps + 1, p)
    assert np.all(x >= 0) and np.allclose(x.sum(axis=1), 1.0, atol=1e-12)
    # a type absent at the start stays absent
    assert np.all(x[:, x0 == 0] == 0)


def test_replicator_fixed_points_stay():
    # chicken (R=3 S=1 T=4 P=0): payoffs of C and D are equal at half and half
    chicken = np.array([[3.0, 1.0], [4.0, 0.0]])
    x = G.replicator(chicken, [0.5, 0.5], 100)
    assert np.allclose(x, 0.5, atol=1e-15)
    # ... and it attracts (the hawk-dove mixed equilibrium is stable)
    assert G.replicator(chicken, [0.9, 0.1], 500)[-1] == pytest.approx([0.5, 0.5], abs=1e-6)
    # a vertex is fixed too
    assert G.replicator(PD_ONE_SHOT, [1.0, 0.0], 50).tolist() == [[1.0, 0.0]] * 51


def test_replicator_bad_input():
    with pytest.raises(ValueError, match="square"):
        G.replicator(np.ones((2, 3)), [0.5, 0.5], 3)
    with pytest.raises(ValueError, match="sum to 1"):
        G.replicator(PD_ONE_SHOT, [0.5, 0.6], 3)
    with pytest.raises(ValueError, match="shares0"):
        G.replicator(PD_ONE_SHOT, [1.5, -0.5], 3)
    with pytest.raises(ValueError, match="finite"):
        G.replicator([[1.0, np.nan], [0.0, 1.0]], [0.5, 0.5], 3)


# ---- Moran ---------------------------------------------------------------------------
def test_moran_conserves_the_population_and_moves_one_at_a_time():
    a = np.array([[3.0, 0.0, 3.0], [5.0, 1.0, 1.1], [3.0, 0.9, 3.0]])
    r = G.moran(a, [10, 10, 10], 3000, seed=5)
    h = r.states
    assert h.shape == (3001, 3) and h.dtype == np.int64
    assert np.all(h.sum(axis=1) == 30) and np.all(h >= 0)
    step = np.abs(np.diff(h, axis=0)).sum(axis=1)
    assert set(np.unique(step)) <= {0, 2}
    assert h[0].tolist() == [10, 10, 10]


def test_moran_absorbing_states_absorb():
    r = G.moran(PD_ONE_SHOT, [0, 12], 50, seed=1)
    assert r.fixation_step == 0 and r.fixed == "1"
    assert r.states.tolist() == [[0, 12]] * 51
    r = G.moran(np.ones((2, 2)), [5, 5], 20_000, seed=2)
    assert r.fixation_step is not None
    k = r.fixation_step
    assert np.count_nonzero(r.states[k]) == 1 and np.all(r.states[k:] == r.states[k])
    assert np.all(np.count_nonzero(r.states[:k], axis=1) == 2)


def test_moran_reproducible_from_the_seed():
    one = G.moran(PD_ONE_SHOT, [20, 20], 500, seed=9, intensity=0.3)
    two = G.moran(PD_ONE_SHOT, [20, 20], 500, seed=9, intensity=0.3)
    other = G.moran(PD_ONE_SHOT, [20, 20], 500, seed=10, intensity=0.3)
    assert one.states.tobytes() == two.states.tobytes()
    assert not np.array_equal(one.states, other.states)


def test_moran_names_from_a_dataframe_and_bad_input():
    m = pd.DataFrame(PD_ONE_SHOT, index=["c", "d"], columns=["c", "d"])
    assert G.moran(m, [3, 3], 5, seed=0).names == ("c", "d")
    with pytest.raises(ValueError, match="counts0"):
        G.moran(m, [3.0, 3.0], 5, seed=0)
    with pytest.raises(ValueError, match="at least 2"):
        G.moran(m, [1, 0], 5, seed=0)
    with pytest.raises(ValueError, match="intensity"):
        G.moran(m, [3, 3], 5, seed=0, intensity=1.5)
    with pytest.raises(ValueError, match="negative"):
        G.moran([[-1.0, 0.0], [0.0, 0.0]], [3, 3], 5, seed=0)


def test_fixation_probability_neutral_mutant():
    n = 10
    p, (lo, hi) = G.fixation_probability(np.full((2, 2), 2.0), 0, 1, n, 4000, seed=1)
    assert lo <= 1 / n <= hi and hi - lo < 0.04
    # intensity 0: every fitness is 1 whatever the game
    p, (lo, hi) = G.fixation_probability(PD_ONE_SHOT, 0, 1, n, 4000, seed=2, intensity=0.0)
    assert lo <= 1 / n <= hi


def exact_fixation(a, n, w):
    """Fixation probability of one A among n - 1 B (Nowak et al. 2004, Nature 428:646):
    1 / (1 + sum_k prod_{i<=k} g_i / f_i), no self-interaction."""
    (aa, ab), (ba, bb) = a
    total, prod = 1.0, 1.0
    for i in range(1, n):
        f = 1 - w + w * (aa * (i - 1) + ab * (n - i)) / (n - 1)
        g = 1 - w + w * (ba * i + bb * (n - i - 1)) / (n - 1)
        prod *= g / f
        total += prod
    return 1.0 / total


@pytest.mark.parametrize(
    ("a", "w"),
    [
        (np.array([[2.0, 2.0], [1.0, 1.0]]), 1.0),  # constant fitness r = 2
        (np.array([[1.0, 5.0], [0.0, 3.0]]), 0.5),  # the defector invading cooperators
        (np.array([[4.0, 0.0], [3.0, 2.0]]), 0.5),  # stag hunt, a stag hunter invading
    ],
)
def test_fixation_probability_matches_the_closed_form(a, w):
    n = 8
    expected = exact_fixation(a, n, w)
    if np.all(a[0] == 2.0):
        r = 2.0  # the Moran formula (1 - 1/r) / (1 - 1/r^N)
        assert expected == pytest.approx((1 - 1 / r) / (1 - r**-n))
    p, (lo, hi) = G.fixation_probability(a, 0, 1, n, 4000, seed=3, intensity=w)
    assert lo <= expected <= hi


def test_fixation_probability_by_name_and_reproducible():
    m = pd.DataFrame(PD_ONE_SHOT, index=["c", "d"], columns=["c", "d"])
    one = G.fixation_probability(m, "d", "c", 10, 500, seed=4, intensity=0.5)
    assert one == G.fixation_probability(m, 1, 0, 10, 500, seed=4, intensity=0.5)
    assert one != G.fixation_probability(m, "d", "c", 10, 500, seed=5, intensity=0.5)
    with pytest.raises(ValueError, match="unknown mutant 'x'"):
        G.fixation_probability(m, "x", "c", 10, 10, seed=0)
    with pytest.raises(ValueError, match="different"):
        G.fixation_probability(m, "c", 0, 10, 10, seed=0)


def test_fixation_runs_independent_of_thread_count():
    import numba

    from sim.kernels import games as K

    a = np.array([[1.0, 5.0], [0.0, 3.0]])
    seeds = np.random.SeedSequence(6).generate_state(3000, np.uint64)
    before = numba.get_num_threads()
    out = []
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            fixed = np.empty(3000, dtype=np.bool_)
            K.fixation(a, 12, 0.7, seeds, fixed)
            out.append(fixed)
    finally:
        numba.set_num_threads(before)
    assert out[0].tobytes() == out[1].tobytes()
    # and each run is the Moran process from one mutant, run to fixation
    for r in range(5):
        h = np.empty((20_001, 2), dtype=np.int64)
        step = K.moran(a, np.array([1, 11]), 20_000, 0.7, seeds[r], h)
        assert step >= 0 and (h[-1, 0] == 12) == out[0][r]


# ---- evolve and the result -----------------------------------------------------------
def test_evolve_replicator_tit_for_tat_beats_defector():
    # 200 turns: TFT-TFT 3, TFT-D 199/200, D-TFT 204/200, D-D 1 per turn: from half
    # and half, tit for tat does better and takes over
    r = G.evolve(["tit_for_tat", "defector"], process="replicator", steps=300)
    assert r.payoff.tolist() == [[3.0, 0.995], [1.02, 1.0]]
    up = np.diff(r.states[:, 0])
    assert np.all(up >= 0) and np.all(up[:8] > 0) and r.states[-1, 0] > 0.999
    h = r.history()
    assert list(h.columns) == ["step", "tit_for_tat", "defector"] and len(h) == 301


def test_evolve_moran_defaults_and_files(tmp_path):
    r = sim.games.evolve(["cooperator", "defector", "tit_for_tat"], population=11, seed=2, turns=20)
    assert isinstance(r, MoranResult)
    assert r.states[0].tolist() == [4, 4, 3] and r.steps == 1100
    assert r.tournament["turns"] == 20 and r.tournament["seed"] == 2
    again = G.evolve(["cooperator", "defector", "tit_for_tat"], population=11, seed=2, turns=20)
    assert again.states.tobytes() == r.states.tobytes()
    s = r.summary()
    assert s["process"] == "moran" and s["population"] == 11
    assert sum(s["final"].values()) == 11
    json.dumps(s, allow_nan=False)
    written = sim.save.write(r, tmp_path)
    assert [p.name for p in written] == ["history.csv", "summary.json", "evolution.png"]
    h = pd.read_csv(tmp_path / "history.csv")
    assert list(h.columns) == ["step", "cooperator", "defector", "tit_for_tat"]
    assert json.loads((tmp_path / "summary.json").read_text())["fixed"] == s["fixed"]
    assert "MoranResult(moran" in repr(r) and "<table>" in r._repr_html_()


def test_evolve_bad_input():
    with pytest.raises(ValueError, match="process"):
        G.evolve(["tit_for_tat", "defector"], process="wright_fisher")
    with pytest.raises(ValueError, match="sum to 7"):
        G.evolve(["tit_for_tat", "defector"], population=10, initial=[3, 4], turns=5)


def test_evolution_figure():
    import matplotlib.pyplot as plt

    r = G.evolve(["tit_for_tat", "defector", "random"], process="replicator", steps=50, turns=20)
    fig, ax = plt.subplots()
    assert plot.evolution(r, ax=ax) is fig
    assert len(ax.collections) == 3  # one stacked band per strategy
    plot.close(fig)
    m = G.moran(PD_ONE_SHOT, [1, 9], 400, seed=3)
    fig = plot.FIGURES["evolution"](m)
    assert fig.axes[0].get_title().startswith("Moran process")
    plot.close(fig)


def test_the_fixation_table_is_an_output_of_the_result(tmp_path):
    """--fixation's table belongs to the result: its file follows the others, and a
    defector among cooperators fixes more often than a neutral mutant."""
    r = sim.games.evolve(
        ["defector", "cooperator"], population=10, steps=50, turns=5, seed=1, fixation=300
    )
    assert [name for name, _ in r.outputs()] == [
        "history.csv", "summary.json", "evolution.png", "fixation.csv",
    ]  # fmt: skip
    table = r.fixation.set_index(["mutant", "resident"])
    assert table.loc[("defector", "cooperator"), "lo"] > 1 / 10
    assert table.loc[("cooperator", "defector"), "probability"] < 1 / 10
    sim.save.write(r, tmp_path)
    assert pd.read_csv(tmp_path / "fixation.csv")["runs"].tolist() == [300, 300]
    replicator = sim.games.evolve(["defector", "cooperator"], process="replicator", steps=5)
    assert isinstance(replicator, EvolutionResult) and replicator.fixation is None
    assert "fixation.csv" not in [name for name, _ in replicator.outputs()]
