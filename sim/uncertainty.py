"""What nobody knows exactly: per-run seeds and perturbed inputs for ensembles.

Seeds: run i of an ensemble with root seed S uses the generator
``numpy.random.default_rng(seed_i)`` where ``seed_i`` is the first 64-bit word of
``numpy.random.SeedSequence(S).spawn(N)[i]`` (the same as
``SeedSequence(S, spawn_key=(i,))``), so any run can be replayed on its own.

Perturbation of one run, from one draw of ``2 m n + n`` standard normals ``z``
(drawn whatever the spreads, so changing one spread leaves the other draws alone):

* positions ``x + position_sd * z``, clipped to the actor's red line (the scale
  where it has none);
* saliences ``s + salience_sd * z``, clipped to [0, 1];
* capabilities ``c * exp(sigma z - sigma^2 / 2)`` with ``sigma^2 = log(1 + cv^2)``:
  a lognormal factor with mean 1 and coefficient of variation ``cv``. A capability
  stays positive and finite: where the factor underflows to 0 (spreads far beyond any
  real uncertainty, ``cv`` of 1e300) the capability is the least positive double,
  5e-324, and where it overflows the largest finite one; other values are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario, ScenarioArrays

_LEAST_CAPABILITY = float(np.nextafter(0.0, 1.0))
_MOST_CAPABILITY = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Spreads:
    """Resolved spreads: position_sd, salience_sd (m, n) and capability_cv (n,), float64."""

    position_sd: np.ndarray
    salience_sd: np.ndarray
    capability_cv: np.ndarray


def spreads(sc: Scenario, position_sd=None, salience_sd=None, capability_cv=None) -> Spreads:
    """The scenario's `[uncertainty]` as arrays; keyword values replace the global spreads."""
    unc = sc.uncertainty
    g_pos = unc.position_sd if position_sd is None else float(position_sd)
    g_sal = unc.salience_sd if salience_sd is None else float(salience_sd)
    g_cap = unc.capability_cv if capability_cv is None else float(capability_cv)
    m, n = len(sc.issues), len(sc.actors)
    pos, sal, cap = np.empty((m, n)), np.empty((m, n)), np.empty(n)
    for i, aid in enumerate(sc.actors):
        a = unc.actors.get(aid)
        cap[i] = g_cap if a is None or a.capability_cv is None else a.capability_cv
        for k, iid in enumerate(sc.issue_ids):
            iss = unc.issues.get(iid)
            for out, field, default in ((pos, "position_sd", g_pos), (sal, "salience_sd", g_sal)):
                value = default
                if iss is not None and getattr(iss, field) is not None:
                    value = getattr(iss, field)
                if a is not None and getattr(a, field) is not None:
                    value = getattr(a, field)
                out[k, i] = value
    return Spreads(pos, sal, cap)


# ---- seeds, fast: numpy's SeedSequence and PCG64 seeding, vectorised over runs -------------
# Building a SeedSequence per run costs ~12 us and a default_rng ~12 us more: in Python
# this was the serial part of an ensemble. The functions below compute the same numbers
# for a whole chunk at once, from the algorithms in numpy/random/bit_generator.pyx
# (SeedSequence, from O'Neill's seed_seq_fe) and numpy/random/src/pcg64 (PCG64 seeding),
# both under numpy's stream-compatibility guarantee. Every call still checks its first
# run against numpy itself and takes numpy's slow path if they ever differ.
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_MASK32 = 0xFFFFFFFF
_POOL_SIZE = 4
_PCG_MULT = (2549297995355413924 << 64) + 4865540595714422341
_MASK128 = (1 << 128) - 1


class _HashMix:
    """SeedSequence's ``hashmix`` with its running multiplier, on ints or uint64 arrays of words."""

    def __init__(self):
        self.const = _INIT_A

    def __call__(self, value):
        value = value ^ self.const
        self.const = (self.const * _MULT_A) & _MASK32
        value = (value * self.const) & _MASK32
        return value ^ (value >> 16)


def _mix(x, y):
    result = (_MIX_L * x - _MIX_R * y) & _MASK32
    return result ^ (result >> 16)


def _seed_pool(entropy: list, spawn_word=None) -> list:
    """``SeedSequence(entropy words, spawn_key=(key,)).pool`` as 4 words.

    Words are ints or uint64 arrays of values below 2**32 (one entry per run); the
    words shared by every run stay Python ints, so the shared part is done once.
    """
    h = _HashMix()
    pool = [h(entropy[i] if i < len(entropy) else 0) for i in range(_POOL_SIZE)]
    for src in range(_POOL_SIZE):
        for dst in range(_POOL_SIZE):
            if src != dst:
                pool[dst] = _mix(pool[dst], h(pool[src]))
    for word in list(entropy[_POOL_SIZE:]) + ([] if spawn_word is None else [spawn_word]):
        for dst in range(_POOL_SIZE):
            pool[dst] = _mix(pool[dst], h(word))
    return pool


def _state_words(pool: list, n_words: int) -> list:
    """``SeedSequence.generate_state(n_words, np.uint32)`` from the pool, word by word."""
    const = _INIT_B
    out = []
    for k in range(n_words):
        value = pool[k % _POOL_SIZE] ^ const
        const = (const * _MULT_B) & _MASK32
        value = (value * const) & _MASK32
        out.append(value ^ (value >> 16))
    return out


def _int_words(value: int) -> list[int]:
    """A non-negative int as 32-bit words, lowest first (one word for 0), as SeedSequence reads it."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


def _run_seeds_numpy(root: int, start: int, stop: int) -> np.ndarray:
    return np.array(
        [
            np.random.SeedSequence(root, spawn_key=(i,)).generate_state(1, np.uint64)[0]
            for i in range(start, stop)
        ],
        dtype=np.uint64,
    )


def run_seeds(root: int, start: int, stop: int) -> np.ndarray:
    """(stop - start,) uint64: the seeds of runs ``start..stop-1`` of an ensemble with root ``root``.

    Seed i is ``SeedSequence(root, spawn_key=(i,)).generate_state(1, np.uint64)[0]``,
    computed for all i at once (the root's share of the hash once, the spawn key's as
    array operations).
    """
    root, start, stop = int(root), int(start), max(int(start), int(stop))
    if root < 0 or start < 0 or stop > 2**32:
        # numpy raises for a negative root; keys past 2**32 take two words: rare, slow path
        return _run_seeds_numpy(root, start, stop)
    if stop == start:
        return np.zeros(0, dtype=np.uint64)
    entropy = _int_words(root)
    entropy += [0] * (_POOL_SIZE - len(entropy))  # SeedSequence pads when there is a spawn key
    keys = np.arange(start, stop, dtype=np.uint64)
    low, high = _state_words(_seed_pool(entropy, keys), 2)
    seeds = low | (high << np.uint64(32))
    if int(seeds[0]) != int(_run_seeds_numpy(root, start, start + 1)[0]):
        return _run_seeds_numpy(root, start, stop)  # numpy changed its algorithm
    return seeds


def _pcg64_states(seeds: np.ndarray) -> list[tuple[int, int]]:
    """``(state, inc)`` of ``np.random.PCG64(int(seed))`` for each seed (uint64 array).

    PCG64 seeds itself with ``SeedSequence(seed).generate_state(4, np.uint64)``: the
    first two words are the initial state, the last two the stream, then two LCG steps.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    low, high = seeds & np.uint64(_MASK32), seeds >> np.uint64(32)
    # a seed below 2**32 is one word, and the pool hashes a missing word as 0: the same
    words = [w.tolist() for w in _state_words(_seed_pool([low, high]), 8)]
    states = []
    for r in range(len(seeds)):
        v = [words[2 * q][r] | (words[2 * q + 1][r] << 32) for q in range(4)]
        initstate = (v[0] << 64) | v[1]
        inc = ((((v[2] << 64) | v[3]) << 1) | 1) & _MASK128
        states.append((initstate, inc))
    return [(((inc + s) * _PCG_MULT + inc) & _MASK128, inc) for s, inc in states]


def _normals_numpy(seeds: np.ndarray, size: int) -> np.ndarray:
    out = np.empty((len(seeds), size))
    for r, seed in enumerate(seeds):
        out[r] = np.random.default_rng(int(seed)).standard_normal(size)
    return out


def _normals(seeds: np.ndarray, size: int) -> np.ndarray:
    """(R, size): row r is ``np.random.default_rng(int(seeds[r])).standard_normal(size)``.

    One generator is re-seeded per run by setting its state, instead of building a
    new one from a SeedSequence.
    """
    out = np.empty((len(seeds), size))
    if len(seeds) == 0:
        return out
    bit_generator = np.random.PCG64(0)
    generator = np.random.Generator(bit_generator)
    for r, (state, inc) in enumerate(_pcg64_states(seeds)):
        bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": 0,
            "uinteger": 0,
        }
        generator.standard_normal(out=out[r])
    if out[0].tobytes() != _normals_numpy(seeds[:1], size)[0].tobytes():
        return _normals_numpy(seeds, size)  # numpy changed its seeding
    return out


def perturb(arrays: ScenarioArrays, sp: Spreads, seeds: np.ndarray, extra: int = 0):
    """Perturbed inputs for each seed: positions, saliences (R, m, n) and capabilities (R, n).

    With ``extra > 0`` also returns (R, extra) further standard normals drawn after the
    perturbation's, from the same stream (so the perturbation is unchanged).
    """
    m, n = arrays.position.shape
    R = len(seeds)
    cv = sp.capability_cv
    with np.errstate(over="ignore"):
        sigma2 = np.log1p(cv**2)
    # cv**2 overflows past ~1.3e154 (NaN capabilities); log(1 + cv^2) is then 2 log(cv)
    sigma = np.sqrt(np.where(np.isinf(sigma2), 2.0 * np.log(np.maximum(cv, 1.0)), sigma2))
    mn = m * n
    # every run at once: the same elementwise operations as run by run, so the same bits
    z = _normals(seeds, 2 * mn + n + int(extra))
    X = np.clip(
        arrays.position + sp.position_sd * z[:, :mn].reshape(R, m, n),
        arrays.red_lo,
        arrays.red_hi,
    )
    S = np.clip(arrays.salience + sp.salience_sd * z[:, mn : 2 * mn].reshape(R, m, n), 0.0, 1.0)
    with np.errstate(over="ignore", under="ignore"):
        C = arrays.capability * np.exp(sigma * z[:, 2 * mn : 2 * mn + n] - 0.5 * sigma**2)
    # a capability stays positive and finite: a factor that underflows to 0 (or overflows)
    # gives the least positive (the largest finite) double; every other value keeps its bits
    C = np.clip(C, _LEAST_CAPABILITY, _MOST_CAPABILITY)
    if extra:
        return X, S, C, z[:, 2 * mn + n :]
    return X, S, C
