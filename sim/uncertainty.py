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
  a lognormal factor with mean 1 and coefficient of variation ``cv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario, ScenarioArrays


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


def run_seeds(root: int, start: int, stop: int) -> np.ndarray:
    """(stop - start,) uint64: the seeds of runs ``start..stop-1`` of an ensemble with root ``root``."""
    return np.array(
        [
            np.random.SeedSequence(root, spawn_key=(i,)).generate_state(1, np.uint64)[0]
            for i in range(start, stop)
        ],
        dtype=np.uint64,
    )


def perturb(arrays: ScenarioArrays, sp: Spreads, seeds: np.ndarray):
    """Perturbed inputs for each seed: positions, saliences (R, m, n) and capabilities (R, n)."""
    m, n = arrays.position.shape
    R = len(seeds)
    X = np.empty((R, m, n))
    S = np.empty((R, m, n))
    C = np.empty((R, n))
    sigma = np.sqrt(np.log1p(sp.capability_cv**2))
    mn = m * n
    for r, seed in enumerate(seeds):
        z = np.random.default_rng(int(seed)).standard_normal(2 * mn + n)
        X[r] = np.clip(
            arrays.position + sp.position_sd * z[:mn].reshape(m, n), arrays.red_lo, arrays.red_hi
        )
        S[r] = np.clip(arrays.salience + sp.salience_sd * z[mn : 2 * mn].reshape(m, n), 0.0, 1.0)
        C[r] = arrays.capability * np.exp(sigma * z[2 * mn :] - 0.5 * sigma**2)
    return X, S, C
