"""Per-run seeds, resolved spreads and perturbed inputs (sim.uncertainty), and the
`[uncertainty]` section of a scenario.

Expectations are computed from numpy and the documented recipe, not from the module.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario import ScenarioError, load_scenario
from sim.uncertainty import Spreads, perturb, run_seeds, spreads

SMALL = """
[scenario]
name = "small"

[[issues]]
id = "a"
scale = [0, 100]

[[issues]]
id = "b"
scale = [-1, 1]

[actors.X]
capability = 1.0
position = { a = 10, b = -1 }
salience = { a = 0.9, b = 0.05 }
red_line = { a = [0, 20] }

[actors.Y]
capability = 3.0
position = { a = 60, b = 0.5 }
salience = { a = 0.5, b = 1.0 }
red_line = { a = [55, 70], b = [0, 1] }

[actors.Z]
capability = 0.5
position = { a = 100, b = 1 }
salience = { a = 0.0, b = 0.3 }
"""

UNCERTAINTY = """
[uncertainty]
position_sd = 2.0
salience_sd = 0.05
capability_cv = 0.1

[uncertainty.issues.b]
position_sd = 0.25
salience_sd = 0.2

[uncertainty.actors.Y]
position_sd = 9.0
capability_cv = 0.5
"""


@pytest.fixture(scope="module")
def small_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("uncertainty") / "small.toml"
    path.write_text(SMALL + UNCERTAINTY)
    return path


@pytest.fixture(scope="module")
def small(small_path):
    return load_scenario(small_path)


def const_spreads(m, n, pos=0.0, sal=0.0, cap=0.0) -> Spreads:
    return Spreads(np.full((m, n), float(pos)), np.full((m, n), float(sal)), np.full(n, float(cap)))


# ---- seeds ----------------------------------------------------------------------------
@pytest.mark.parametrize("root", [0, 1, 7, 123456789, 2**63 - 1])
def test_run_seeds_are_the_spawned_seed_sequences(root):
    n = 25
    children = np.random.SeedSequence(root).spawn(n)
    expected = [c.generate_state(1, np.uint64)[0] for c in children]
    got = run_seeds(root, 0, n)
    assert got.dtype == np.uint64
    assert got.shape == (n,)
    assert [int(v) for v in got] == [int(v) for v in expected]


def test_run_seeds_of_a_slice_are_the_same_runs():
    root = 42
    children = np.random.SeedSequence(root).spawn(60)
    expected = [int(c.generate_state(1, np.uint64)[0]) for c in children[17:60]]
    assert [int(v) for v in run_seeds(root, 17, 60)] == expected
    assert len(run_seeds(root, 5, 5)) == 0


@pytest.mark.parametrize(
    "root, start, stop",
    [
        (3, 2**32 - 2, 2**32 + 2),  # spawn keys that need a second word
        (2**64 + 5, 0, 5),  # roots wider than 64 bits
        (2**128 + 2**70 + 1, 10, 14),
        (2**32, 0, 4),
        (2**32 - 1, 0, 4),
    ],
)
def test_run_seeds_edge_cases_match_seed_sequence(root, start, stop):
    expected = [
        int(np.random.SeedSequence(root, spawn_key=(i,)).generate_state(1, np.uint64)[0])
        for i in range(start, stop)
    ]
    assert [int(v) for v in run_seeds(root, start, stop)] == expected


def test_perturb_uses_default_rng_of_each_seed_for_any_seed_value(small):
    """Seeds below 2**32 (one word), at 2**32, near 2**64: draws are default_rng(seed)'s."""
    a = small.arrays()
    m, n = a.position.shape
    seeds = np.array([0, 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1, 12345678901234567], np.uint64)
    sp = const_spreads(m, n, pos=1.0, sal=0.1, cap=0.2)
    X, S, C = perturb(a, sp, seeds)
    for r, seed in enumerate(seeds):
        z = np.random.default_rng(int(seed)).standard_normal(2 * m * n + n)
        expected_x = np.clip(a.position + 1.0 * z[: m * n].reshape(m, n), a.red_lo, a.red_hi)
        np.testing.assert_array_equal(X[r], expected_x)
        expected_s = np.clip(a.salience + 0.1 * z[m * n : 2 * m * n].reshape(m, n), 0.0, 1.0)
        np.testing.assert_array_equal(S[r], expected_s)
        sigma = math.sqrt(math.log1p(0.2**2))
        np.testing.assert_allclose(
            C[r], a.capability * np.exp(sigma * z[2 * m * n :] - sigma**2 / 2), rtol=1e-14
        )
    assert len(perturb(a, sp, np.zeros(0, np.uint64))[0]) == 0


def test_run_seeds_differ_between_runs_and_roots():
    a = run_seeds(1, 0, 500)
    b = run_seeds(2, 0, 500)
    assert len(set(a.tolist())) == 500
    assert not set(a.tolist()) & set(b.tolist())


# ---- spreads ------------------------------------------------------------------------
def test_spreads_resolution_actor_beats_issue_beats_global(small):
    sp = spreads(small)
    # issues a, b; actors X, Y, Z
    np.testing.assert_array_equal(
        sp.position_sd,
        [
            [2.0, 9.0, 2.0],  # a: global, Y's override
            [0.25, 9.0, 0.25],  # b: issue override, Y's override wins
        ],
    )
    np.testing.assert_array_equal(
        sp.salience_sd,
        [
            [0.05, 0.05, 0.05],  # Y sets no salience_sd: global
            [0.2, 0.2, 0.2],  # issue b's override
        ],
    )
    np.testing.assert_array_equal(sp.capability_cv, [0.1, 0.5, 0.1])
    for a in (sp.position_sd, sp.salience_sd, sp.capability_cv):
        assert a.dtype == np.float64


def test_spreads_keywords_replace_only_the_global(small):
    sp = spreads(small, position_sd=4.0, salience_sd=0.0, capability_cv=0.3)
    np.testing.assert_array_equal(sp.position_sd, [[4.0, 9.0, 4.0], [0.25, 9.0, 0.25]])
    np.testing.assert_array_equal(sp.salience_sd, [[0.0, 0.0, 0.0], [0.2, 0.2, 0.2]])
    np.testing.assert_array_equal(sp.capability_cv, [0.3, 0.5, 0.3])
    # a keyword left out keeps the scenario's global value
    sp = spreads(small, salience_sd=0.4)
    np.testing.assert_array_equal(sp.position_sd, [[2.0, 9.0, 2.0], [0.25, 9.0, 0.25]])
    np.testing.assert_array_equal(sp.salience_sd, [[0.4, 0.4, 0.4], [0.2, 0.2, 0.2]])


def test_spreads_default_to_zero_without_uncertainty(tmp_path):
    path = tmp_path / "plain.toml"
    path.write_text(SMALL)
    sp = spreads(load_scenario(path))
    assert not sp.position_sd.any() and not sp.salience_sd.any() and not sp.capability_cv.any()
    assert sp.position_sd.shape == (2, 3) and sp.capability_cv.shape == (3,)


def test_spreads_of_the_shipped_scenario():
    sc = load_scenario()
    sp = spreads(sc)
    u = sc.uncertainty
    m, n = len(sc.issues), len(sc.actors)
    np.testing.assert_array_equal(sp.position_sd, np.full((m, n), u.position_sd))
    np.testing.assert_array_equal(sp.salience_sd, np.full((m, n), u.salience_sd))
    np.testing.assert_array_equal(sp.capability_cv, np.full(n, u.capability_cv))
    assert u.position_sd > 0 and u.salience_sd > 0 and u.capability_cv > 0


# ---- perturb --------------------------------------------------------------------------
def test_zero_spreads_give_exactly_the_unperturbed_arrays(small):
    a = small.arrays()
    m, n = a.position.shape
    seeds = run_seeds(5, 0, 20)
    X, S, C = perturb(a, const_spreads(m, n), seeds)
    assert X.shape == (20, m, n) and S.shape == (20, m, n) and C.shape == (20, n)
    for r in range(20):
        np.testing.assert_array_equal(X[r], a.position)
        np.testing.assert_array_equal(S[r], a.salience)
        np.testing.assert_array_equal(C[r], a.capability)


def test_perturb_follows_the_documented_recipe(small):
    """Run r: one draw of 2mn + n normals from default_rng(seed_r); positions, saliences,
    then capabilities (lognormal factor with mean 1)."""
    a = small.arrays()
    sp = spreads(small)
    m, n = a.position.shape
    seeds = run_seeds(11, 0, 30)
    X, S, C = perturb(a, sp, seeds)
    for r, seed in enumerate(seeds):
        z = np.random.default_rng(int(seed)).standard_normal(2 * m * n + n)
        zx, zs, zc = z[: m * n].reshape(m, n), z[m * n : 2 * m * n].reshape(m, n), z[2 * m * n :]
        for k in range(m):
            for i in range(n):
                x = a.position[k, i] + sp.position_sd[k, i] * zx[k, i]
                assert X[r, k, i] == min(max(x, a.red_lo[k, i]), a.red_hi[k, i])
                s = a.salience[k, i] + sp.salience_sd[k, i] * zs[k, i]
                assert S[r, k, i] == min(max(s, 0.0), 1.0)
        for i in range(n):
            sigma = math.sqrt(math.log(1.0 + sp.capability_cv[i] ** 2))
            expected = a.capability[i] * math.exp(sigma * zc[i] - sigma * sigma / 2)
            assert C[r, i] == pytest.approx(expected, rel=1e-14)


def test_each_run_depends_only_on_its_own_seed(small):
    a = small.arrays()
    sp = spreads(small)
    seeds = run_seeds(3, 0, 12)
    X, S, C = perturb(a, sp, seeds)
    for r in (0, 5, 11):
        x1, s1, c1 = perturb(a, sp, seeds[r : r + 1])
        np.testing.assert_array_equal(x1[0], X[r])
        np.testing.assert_array_equal(s1[0], S[r])
        np.testing.assert_array_equal(c1[0], C[r])
    # and runs differ from each other
    assert len({X[r].tobytes() for r in range(12)}) == 12


def test_positions_are_clipped_inside_red_lines_and_scales(small):
    a = small.arrays()
    m, n = a.position.shape
    seeds = run_seeds(9, 0, 400)
    X, S, C = perturb(a, const_spreads(m, n, pos=30.0), seeds)
    lo, hi = a.red_lo[None], a.red_hi[None]
    assert (X >= lo).all() and (X <= hi).all()
    # X's red line on a is [0, 20] and Y's [55, 70]: both ends are hit, i.e. clipped, not redrawn
    for k, i in ((0, 0), (0, 1), (1, 1)):
        assert (X[:, k, i] == a.red_lo[k, i]).any() and (X[:, k, i] == a.red_hi[k, i]).any()
    # Z has no red line on a: the scale [0, 100] bounds it
    assert (X[:, 0, 2] == 100.0).any() and (X[:, 0, 2] < 100.0).any()
    assert (X[:, 0, 2] >= 0.0).all()
    # strictly inside values are the unclipped draw (the distribution is not squeezed)
    inside = (X > lo) & (X < hi)
    assert inside.mean() > 0.05


@given(
    pos_sd=st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    sal_sd=st.floats(0, 1e3, allow_nan=False, allow_infinity=False),
    cap_cv=st.floats(0, 1e100, allow_nan=False, allow_infinity=False),
    root=st.integers(0, 2**63 - 1),
)
def test_perturbed_inputs_stay_valid(small, pos_sd, sal_sd, cap_cv, root):
    a = small.arrays()
    m, n = a.position.shape
    X, S, C = perturb(a, const_spreads(m, n, pos_sd, sal_sd, cap_cv), run_seeds(root, 0, 8))
    assert np.isfinite(X).all() and np.isfinite(S).all() and np.isfinite(C).all()
    assert (X >= a.red_lo[None]).all() and (X <= a.red_hi[None]).all()
    assert (S >= 0.0).all() and (S <= 1.0).all()
    assert (C > 0.0).all()


@pytest.mark.parametrize("cv", [1e154, 1e200, 1e300, 1.7e308])
def test_huge_capability_cv_gives_no_nan(small, cv):
    """cv**2 overflows past ~1.3e154; capabilities must not become NaN (or inf)."""
    a = small.arrays()
    m, n = a.position.shape
    X, S, C = perturb(a, const_spreads(m, n, cap=cv), run_seeds(1, 0, 200))
    assert np.isfinite(C).all() and (C >= 0.0).all()
    if cv <= 1e200:
        assert (C > 0.0).all()


def test_saliences_stay_in_0_1_with_large_spread(small):
    a = small.arrays()
    m, n = a.position.shape
    X, S, C = perturb(a, const_spreads(m, n, sal=0.8), run_seeds(4, 0, 300))
    assert (S >= 0.0).all() and (S <= 1.0).all()
    assert (S == 0.0).any() and (S == 1.0).any()
    # positions and capabilities untouched when only salience is noisy
    np.testing.assert_array_equal(X, np.broadcast_to(a.position, X.shape))
    np.testing.assert_array_equal(C, np.broadcast_to(a.capability, C.shape))


@pytest.mark.parametrize("cv", [0.2, 0.5])
def test_capability_factor_has_mean_one_and_the_given_cv(small, cv):
    a = small.arrays()
    m, n = a.position.shape
    runs = 20000
    X, S, C = perturb(a, const_spreads(m, n, cap=cv), run_seeds(2024, 0, runs))
    factor = C / a.capability[None]  # (runs, n): n independent samples per run
    f = factor.reshape(-1)
    se = cv / math.sqrt(f.size)
    assert abs(f.mean() - 1.0) < 5 * se
    assert f.std(ddof=1) / f.mean() == pytest.approx(cv, rel=0.05)
    # lognormal: log factor ~ N(-sigma^2 / 2, sigma^2)
    sigma2 = math.log1p(cv**2)
    logs = np.log(f)
    assert logs.mean() == pytest.approx(-sigma2 / 2, abs=5 * math.sqrt(sigma2 / f.size))
    assert logs.var(ddof=1) == pytest.approx(sigma2, rel=0.05)
    for i in range(n):
        assert factor[:, i].mean() == pytest.approx(1.0, abs=5 * cv / math.sqrt(runs))


def test_position_noise_has_the_given_sd_away_from_bounds():
    sc = load_scenario(
        "ec_example_scholz2011", ["issues.ec_example_scholz2011.scale=[-1000, 1000]"]
    )
    a = sc.arrays()
    m, n = a.position.shape
    X, S, C = perturb(a, const_spreads(m, n, pos=3.0, sal=0.0), run_seeds(8, 0, 5000))
    d = (X - a.position[None]).reshape(len(X), -1)
    assert abs(d.mean()) < 5 * 3.0 / math.sqrt(d.size)
    assert d.std(ddof=1) == pytest.approx(3.0, rel=0.03)


def test_common_random_numbers_across_spreads(small):
    """Changing one spread leaves the other perturbations of the same seed unchanged."""
    a = small.arrays()
    base = spreads(small)
    seeds = run_seeds(77, 0, 50)
    X0, S0, C0 = perturb(a, base, seeds)

    # more position noise: same saliences and capabilities
    X1, S1, C1 = perturb(
        a, Spreads(base.position_sd * 3, base.salience_sd, base.capability_cv), seeds
    )
    np.testing.assert_array_equal(S1, S0)
    np.testing.assert_array_equal(C1, C0)
    assert not np.array_equal(X1, X0)

    # no salience noise: same positions and capabilities
    X2, S2, C2 = perturb(
        a, Spreads(base.position_sd, base.salience_sd * 0, base.capability_cv), seeds
    )
    np.testing.assert_array_equal(X2, X0)
    np.testing.assert_array_equal(C2, C0)
    np.testing.assert_array_equal(S2, np.broadcast_to(a.salience, S2.shape))

    # other capability spread: same positions and saliences
    X3, S3, C3 = perturb(
        a, Spreads(base.position_sd, base.salience_sd, base.capability_cv + 0.4), seeds
    )
    np.testing.assert_array_equal(X3, X0)
    np.testing.assert_array_equal(S3, S0)
    assert not np.array_equal(C3, C0)

    # one actor's position spread only changes that actor's positions
    pos = base.position_sd.copy()
    pos[:, 2] = 0.0
    X4, S4, C4 = perturb(a, Spreads(pos, base.salience_sd, base.capability_cv), seeds)
    np.testing.assert_array_equal(X4[:, :, :2], X0[:, :, :2])
    np.testing.assert_array_equal(X4[:, :, 2], np.broadcast_to(a.position[:, 2], X4[:, :, 2].shape))
    np.testing.assert_array_equal(S4, S0)
    np.testing.assert_array_equal(C4, C0)


# ---- the [uncertainty] section --------------------------------------------------------
def test_uncertainty_section_is_read_from_toml(small):
    u = small.uncertainty
    assert (u.position_sd, u.salience_sd, u.capability_cv) == (2.0, 0.05, 0.1)
    assert set(u.actors) == {"Y"} and set(u.issues) == {"b"}
    assert u.actors["Y"].position_sd == 9.0 and u.actors["Y"].salience_sd is None
    assert u.issues["b"].salience_sd == 0.2


def test_set_an_actor_override_on_the_shipped_scenario():
    sc = load_scenario(None, ["uncertainty.actors.RUS.position_sd=1"])
    assert sc.uncertainty.actors["RUS"].position_sd == 1.0
    sp = spreads(sc)
    rus = list(sc.actors).index("RUS")
    assert (sp.position_sd[:, rus] == 1.0).all()
    others = np.delete(sp.position_sd, rus, axis=1)
    assert (others == sc.uncertainty.position_sd).all()
    np.testing.assert_array_equal(sp.salience_sd, spreads(load_scenario()).salience_sd)


def test_set_an_issue_override_and_a_global(small_path):
    sc = load_scenario(
        small_path, ["uncertainty.issues.a.position_sd=7", "uncertainty.salience_sd=0.3"]
    )
    sp = spreads(sc)
    np.testing.assert_array_equal(sp.position_sd, [[7.0, 9.0, 7.0], [0.25, 9.0, 0.25]])
    np.testing.assert_array_equal(sp.salience_sd, [[0.3, 0.3, 0.3], [0.2, 0.2, 0.2]])


def _problem_fields(exc: ScenarioError) -> str:
    return " ".join(path for path, _ in exc.problems) + " " + str(exc)


@pytest.mark.parametrize(
    "assignment, field",
    [
        ("uncertainty.actors.NOBODY.position_sd=1", "uncertainty.actors.NOBODY"),
        ("uncertainty.issues.nothing.salience_sd=0.1", "uncertainty.issues.nothing"),
        (
            "uncertainty.issues.posture.capability_cv=0.1",
            "uncertainty.issues.posture.capability_cv",
        ),
        ("uncertainty.position_sd=-1", "position_sd"),
        ("uncertainty.actors.RUS.salience_sd=-0.5", "salience_sd"),
        ("uncertainty.actors.RUS.capability_cv=nan", "capability_cv"),
        ("uncertainty.capability_cv=inf", "capability_cv"),
        ('uncertainty.position_sd="wide"', "position_sd"),
        ("uncertainty.actors.RUS.cost=1", "cost"),
        ("uncertainty.spread=1", "spread"),
    ],
)
def test_bad_uncertainty_is_a_scenario_error_naming_the_field(assignment, field):
    with pytest.raises(ScenarioError) as info:
        load_scenario(None, [assignment])
    assert field in _problem_fields(info.value)
    assert "uncertainty" in str(info.value)


@pytest.mark.parametrize(
    "section, field",
    [
        ("[uncertainty.actors.W]\nposition_sd = 1\n", "uncertainty.actors.W"),
        ("[uncertainty.issues.c]\nposition_sd = 1\n", "uncertainty.issues.c"),
        ("[uncertainty.issues.a]\ncapability_cv = 0.2\n", "uncertainty.issues.a.capability_cv"),
    ],
)
def test_bad_uncertainty_in_a_file(tmp_path, section, field):
    path = tmp_path / "bad.toml"
    path.write_text(SMALL + "\n" + section)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert field in _problem_fields(info.value)
