"""The iterated-game kernels (sim.kernels.games): move tables, matches by hand, a
pure-Python reference, the generator, and the parallel batch.

The reference (``RefRandom``, ``ref_move``, ``ref_match`` in ``tests/reference.py``) is
written from the strategy descriptions in DESIGN 5.6 with plain ints and lists; the
kernels are held to it bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.kernels import games as K
from tests.reference import MASK, RefRandom, ref_match

PD = np.array([[[3.0, 3.0], [0.0, 5.0]], [[5.0, 0.0], [1.0, 1.0]]])  # R=3 S=0 T=5 P=1
CODES = {
    "cooperator": K.COOPERATOR,
    "defector": K.DEFECTOR,
    "tit_for_tat": K.TIT_FOR_TAT,
    "suspicious_tit_for_tat": K.SUSPICIOUS_TIT_FOR_TAT,
    "tit_for_two_tats": K.TIT_FOR_TWO_TATS,
    "grudger": K.GRUDGER,
    "alternator": K.ALTERNATOR,
    "win_stay_lose_shift": K.WIN_STAY_LOSE_SHIFT,
    "generous_tit_for_tat": K.GENEROUS_TIT_FOR_TAT,
    "random": K.RANDOM,
}


# ---- helpers ---------------------------------------------------------------------
def moves(name: str, opponent: str, param: float = 0.0, seed: int = 0) -> str:
    """The strategy's moves against a scripted opponent ("CDDC..."), noise-free, through ``move``."""
    opp = np.array(["CD".index(c) for c in opponent], dtype=np.int8)
    own = np.zeros(len(opp), dtype=np.int8)
    state = np.array([seed], dtype=np.uint64)
    for t in range(len(opp)):
        own[t] = K.move(CODES[name], param, t, own, opp, state)
    return "".join("CD"[x] for x in own)


def play(a, b, turns, pa=0.0, pb=0.0, noise=0.0, seed=0, pay=PD):
    actions = np.empty((turns, 2), dtype=np.int8)
    payoffs = np.empty((turns, 2))
    totals = K.match(
        CODES[a], pa, CODES[b], pb, pay, turns, noise, np.uint64(seed), actions, payoffs
    )
    return totals, actions, payoffs


def as_text(column) -> str:
    return "".join("CD"[x] for x in column)


# ---- the generator ---------------------------------------------------------------
def test_splitmix64_known_outputs():
    # Vigna's splitmix64.c seeded with 0 starts 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4;
    # seeded with 1234567, 6457827717110365317 and 3203168211198807973.
    for seed, expected in ((0, [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4]),
                           (1234567, [6457827717110365317, 3203168211198807973])):  # fmt: skip
        ref = RefRandom(seed)
        assert [ref.next_u64() for _ in expected] == expected
        state = np.array([seed], dtype=np.uint64)
        assert [K.uniform(state) for _ in expected] == [(x >> 11) / 2**53 for x in expected]
        assert int(state[0]) == (seed + len(expected) * 0x9E3779B97F4A7C15) & MASK


def test_uniform_in_unit_interval_and_uniform():
    state = np.array([42], dtype=np.uint64)
    u = np.array([K.uniform(state) for _ in range(20000)])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 1800


# ---- move tables against scripted opponents ----------------------------------------
TABLES = {
    # strategy: (moves against DDCDDD, moves against CCDCCDDC)
    "cooperator": ("CCCCCC", "CCCCCCCC"),
    "defector": ("DDDDDD", "DDDDDDDD"),
    "tit_for_tat": ("CDDCDD", "CCCDCCDD"),
    "suspicious_tit_for_tat": ("DDDCDD", "DCCDCCDD"),
    "tit_for_two_tats": ("CCDCCD", "CCCCCCCD"),
    "grudger": ("CDDDDD", "CCCDDDDD"),
    "alternator": ("CDCDCD", "CDCDCDCD"),
    "win_stay_lose_shift": ("CDCCDC", "CCCDDDCD"),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_move_tables(name):
    first, second = TABLES[name]
    assert moves(name, "DDCDDD") == first
    assert moves(name, "CCDCCDDC") == second


def test_generous_tit_for_tat_at_the_ends():
    # q = 0 never forgives: tit for tat; q = 1 always forgives: a cooperator
    assert moves("generous_tit_for_tat", "DDCDDD", 0.0, seed=5) == "CDDCDD"
    assert moves("generous_tit_for_tat", "CCDCCDDC", 0.0, seed=5) == "CCCDCCDD"
    assert moves("generous_tit_for_tat", "DDCDDD", 1.0, seed=5) == "CCCCCC"


def test_generous_tit_for_tat_forgives_at_rate_q():
    opp = "D" * 4001
    got = moves("generous_tit_for_tat", opp, 0.3, seed=9)[1:]
    assert got.count("C") / len(got) == pytest.approx(0.3, abs=0.025)


def test_random_at_the_ends_and_its_rate():
    assert moves("random", "CDCDCD", 0.0, seed=3) == "DDDDDD"
    assert moves("random", "CDCDCD", 1.0, seed=3) == "CCCCCC"
    got = moves("random", "C" * 4000, 0.25, seed=3)
    assert got.count("C") / len(got) == pytest.approx(0.25, abs=0.025)


def test_stochastic_moves_follow_the_generator():
    # random draws once per turn: C exactly when the next splitmix64 number is < p
    ref = RefRandom(77)
    expected = "".join("C" if ref.uniform() < 0.5 else "D" for _ in range(50))
    assert moves("random", "C" * 50, 0.5, seed=77) == expected
    # generous tit for tat draws only after a defection
    ref = RefRandom(77)
    script = "DCDDCD"
    exp = "C" + "".join(
        "C" if prev == "C" else ("C" if ref.uniform() < 0.5 else "D") for prev in script[:-1]
    )
    assert moves("generous_tit_for_tat", script, 0.5, seed=77) == exp


def test_grudger_in_move_scans_the_whole_history():
    # a defection long ago still counts
    assert moves("grudger", "D" + "C" * 20)[1:] == "D" * 20


# ---- matches by hand -----------------------------------------------------------------
def test_tit_for_tat_against_defector():
    (ta, tb), actions, payoffs = play("tit_for_tat", "defector", 200)
    assert (ta, tb) == (199.0, 204.0)  # S + 199 P against T + 199 P
    assert as_text(actions[:, 0]) == "C" + "D" * 199
    assert payoffs[0].tolist() == [0.0, 5.0] and payoffs[1:].tolist() == [[1.0, 1.0]] * 199


def test_tit_for_tat_against_itself():
    (ta, tb), actions, _ = play("tit_for_tat", "tit_for_tat", 200)
    assert (ta, tb) == (600.0, 600.0)
    assert not actions.any()


def test_grudger_against_alternator():
    # grudger: C C then D for ever (the alternator defected at turn 1);
    # alternator: C D C D ...; payoffs (3,3) (0,5) (5,0) (1,1) (5,0) (1,1)
    _, actions, payoffs = play("grudger", "alternator", 6)
    assert as_text(actions[:, 0]) == "CCDDDD"
    assert as_text(actions[:, 1]) == "CDCDCD"
    assert payoffs.tolist() == [[3, 3], [0, 5], [5, 0], [1, 1], [5, 0], [1, 1]]
    (ta, tb), _, _ = play("grudger", "alternator", 200)
    # turns 2..199: 99 of (D, C) and 99 of (D, D)
    assert (ta, tb) == (3 + 0 + 99 * 5 + 99 * 1, 3 + 5 + 99 * 0 + 99 * 1)


def test_suspicious_tft_against_tft_echoes():
    _, actions, _ = play("suspicious_tit_for_tat", "tit_for_tat", 6)
    assert as_text(actions[:, 0]) == "DCDCDC"
    assert as_text(actions[:, 1]) == "CDCDCD"


def test_full_noise_flips_every_action():
    (ta, tb), actions, _ = play("cooperator", "defector", 50, noise=1.0, seed=11)
    assert as_text(actions[:, 0]) == "D" * 50 and as_text(actions[:, 1]) == "C" * 50
    assert (ta, tb) == (250.0, 0.0)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # the cooperator's moves all arrive as D; tit for tat and grudger answer D (they
        # intend D from turn 1), which the noise turns into C
        ("tit_for_tat", "D" + "C" * 7),
        ("grudger", "D" + "C" * 7),
        # the alternator answers its own played D with C, played as D again
        ("alternator", "D" * 8),
        # win-stay-lose-shift: played D, met D: shift to C, played as D; and so on
        ("win_stay_lose_shift", "D" * 8),
    ],
)
def test_strategies_respond_to_played_actions(name, expected):
    _, actions, _ = play(name, "cooperator", 8, noise=1.0, seed=4)
    assert as_text(actions[:, 1]) == "D" * 8
    assert as_text(actions[:, 0]) == expected


def test_zero_noise_same_seed_same_match():
    one = play("random", "generous_tit_for_tat", 100, 0.4, 0.3, noise=0.0, seed=123)
    two = play("random", "generous_tit_for_tat", 100, 0.4, 0.3, noise=0.0, seed=123)
    assert one[0] == two[0] and np.array_equal(one[1], two[1])
    other = play("random", "generous_tit_for_tat", 100, 0.4, 0.3, noise=0.0, seed=124)
    assert not np.array_equal(one[1], other[1])


# ---- the reference agrees ------------------------------------------------------------
@given(
    a=st.sampled_from(sorted(CODES)),
    b=st.sampled_from(sorted(CODES)),
    pa=st.floats(0.0, 1.0),
    pb=st.floats(0.0, 1.0),
    noise=st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0]),
    seed=st.integers(0, 2**64 - 1),
    turns=st.integers(1, 150),
    custom=st.booleans(),
)
def test_kernel_matches_reference(a, b, pa, pb, noise, seed, turns, custom):
    pay = np.random.default_rng(seed % 1000).normal(size=(2, 2, 2)) if custom else PD
    (ta, tb), actions, payoffs = play(a, b, turns, pa, pb, noise, seed, pay)
    ha, hb, ra, rb = ref_match(a, pa, b, pb, pay.tolist(), turns, noise, seed)
    assert actions[:, 0].tolist() == ha and actions[:, 1].tolist() == hb
    assert (ta, tb) == (ra, rb)
    assert payoffs.tolist() == [[pay[x, y, 0], pay[x, y, 1]] for x, y in zip(ha, hb, strict=True)]


# ---- the batch -------------------------------------------------------------------------
def batch_inputs(m: int, seed: int):
    rng = np.random.default_rng(seed)
    codes = np.arange(K.N_STRATEGIES, dtype=np.int64)
    params = rng.uniform(0, 1, K.N_STRATEGIES)
    pair_i = rng.integers(0, K.N_STRATEGIES, m).astype(np.int64)
    pair_j = rng.integers(0, K.N_STRATEGIES, m).astype(np.int64)
    turns = rng.integers(1, 300, m).astype(np.int64)
    seeds = rng.integers(0, 2**64, m, dtype=np.uint64)
    return codes, params, turns, seeds, pair_i, pair_j


def run_batch(codes, params, turns, seeds, pair_i, pair_j, noise=0.05):
    out = np.full((len(seeds), 2), np.nan)
    K.tournament(codes, params, PD, turns, noise, seeds, pair_i, pair_j, out)
    return out


def test_batch_independent_of_threads_and_equal_to_serial_matches():
    args = batch_inputs(3000, seed=2)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_batch(*args)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run_batch(*args)
    finally:
        numba.set_num_threads(before)
    assert one.tobytes() == two.tobytes()
    codes, params, turns, seeds, pair_i, pair_j = args
    serial = np.empty_like(one)
    for m in range(len(seeds)):
        i, j, n = pair_i[m], pair_j[m], turns[m]
        serial[m] = K.match(
            codes[i], params[i], codes[j], params[j], PD, n, 0.05, seeds[m],
            np.empty((n, 2), dtype=np.int8), np.empty((n, 2)),
        )  # fmt: skip
    assert one.tobytes() == serial.tobytes()


def test_batch_self_play_and_reference():
    codes, params, turns, seeds, pair_i, pair_j = batch_inputs(40, seed=8)
    pair_j[:10] = pair_i[:10]  # some self-play
    out = run_batch(codes, params, turns, seeds, pair_i, pair_j, noise=0.02)
    names = {v: k for k, v in CODES.items()}
    for m in range(len(seeds)):
        i, j = pair_i[m], pair_j[m]
        _, _, ra, rb = ref_match(
            names[codes[i]], params[i], names[codes[j]], params[j], PD.tolist(), int(turns[m]),
            0.02, int(seeds[m]),
        )  # fmt: skip
        assert out[m].tolist() == [ra, rb]


def test_one_signature_per_kernel():
    # after the calls above and those through the model layer
    from sim.models import evolution as E
    from sim.models import games as G

    G.play_match("random", "grudger", 5, seed=1)
    G.tournament(["random", "grudger"], turns=5, repetitions=2)
    E.moran([[1.0, 2.0], [3.0, 4.0]], [2, 3], 5, seed=1)
    E.fixation_probability([[1.0, 2.0], [3.0, 4.0]], 0, 1, 5, 10, seed=1)
    for kernel in (K.move, K.match, K.tournament, K.uniform, K.moran, K.fixation):
        assert len(kernel.signatures) == 1, (kernel.__name__, kernel.signatures)


ONE_SIGNATURE = """
import numpy as np
from sim.kernels import games as K
from sim.models import evolution as E
from sim.models import games as G
G.play_match("random", "grudger", 5, seed=1)
G.tournament(["random", "grudger", "alternator"], turns=5, repetitions=2, noise=0.1)
G.tournament(["random", "grudger"], continuation=0.5, repetitions=2)
E.evolve(["tit_for_tat", "defector"], population=6, steps=20, turns=5)
E.fixation_probability([[1.0, 2.0], [3.0, 4.0]], 0, 1, 5, 10, seed=1)
K.move(K.GRUDGER, 0.0, 2, np.zeros(3, np.int8), np.ones(3, np.int8), np.zeros(1, np.uint64))
for k in (K.move, K.match, K.tournament, K.uniform, K._respond, K._play, K.moran, K.moran_step,
          K.fixation, K._pick, K._types_left):
    print(k.__name__, len(k.signatures))
"""


def test_one_compiled_signature_per_kernel_from_scratch(tmp_path):
    # An empty cache directory, so that everything compiles here (a helper loaded from
    # the cache with its caller would show no signature): the inner helpers too.
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", ONE_SIGNATURE],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    counts = dict(zip(out[0::2], map(int, out[1::2]), strict=True))
    assert counts == {k: 1 for k in counts} and len(counts) == 11
