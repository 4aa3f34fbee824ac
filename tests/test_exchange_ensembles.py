"""Ensembles and sweeps over the exchange model: seeded, chunk-independent, one row per run,
and a sweep point equal to the ensemble it stands for (common random numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.models import MODELS
from sim.scenario import load_scenario

SPREAD = {"position_sd": 4.0, "salience_sd": 0.05}


@pytest.fixture(scope="module")
def nato():
    return load_scenario("nato_russia_2022")


@pytest.fixture(scope="module")
def base(nato):
    return sim.ensemble(nato, runs=6, seed=11, model="exchange", progress=False, **SPREAD)


def test_the_same_seed_gives_the_same_runs_whatever_the_chunks(nato, base):
    again = sim.ensemble(
        nato, runs=6, seed=11, model="exchange", chunk_size=4, progress=False, **SPREAD
    )
    pd.testing.assert_frame_equal(base.runs, again.runs)
    other = sim.ensemble(nato, runs=6, seed=12, model="exchange", progress=False, **SPREAD)
    assert not np.allclose(
        base.runs["enlargement.outcome"].to_numpy(), other.runs["enlargement.outcome"].to_numpy()
    )


def test_each_run_is_the_model_run_on_its_perturbed_scenario(nato, base):
    """A run's row is the final expected outcome of one exchange run (sim.models.exchange
    run_exchange, NATO as one party) on that run's drawn positions and saliences."""
    import dataclasses

    from sim.models.exchange import run_exchange
    from sim.uncertainty import perturb, run_seeds, spreads

    arrays = nato.arrays()
    seeds = run_seeds(11, 0, 6)
    X, S, C = perturb(arrays, spreads(nato, **SPREAD), seeds)
    rounds = MODELS["exchange"].rounds_for(nato, None)
    lo, width = arrays.scale_lo, arrays.scale_hi - arrays.scale_lo
    for r in (0, 5):
        drawn = dataclasses.replace(arrays, position=X[r], salience=S[r], capability=C[r])
        out, view = run_exchange(nato, drawn, rounds, None, "decimal", "party")
        assert view is not None and "NATO" in view.ids
        final = lo + out["outcomes"][-1] * width / 100.0
        for k, iid in enumerate(nato.issue_ids):
            assert base.runs[f"{iid}.outcome"].iloc[r] == pytest.approx(final[k], abs=1e-9)


def test_overrides_are_refused_on_a_scenario_already_loaded(nato):
    """sim.ensemble applied no override to a Scenario object, silently; it now refuses, as
    sim.run does."""
    with pytest.raises(ValueError, match="overrides apply to a scenario loaded by name"):
        sim.ensemble(nato, runs=2, model="exchange", overrides=["actors.RUS.capability=1"],
                     progress=False)  # fmt: skip


def test_a_sweep_point_is_the_ensemble_at_that_value(nato):
    path = "actors.RUS.salience.exercises"
    result = sim.sweep(
        nato, params={path: (0.4, 0.8, 2)}, runs=4, seed=5, model="exchange", progress=False,
        **SPREAD,
    )  # fmt: skip
    table = result.table
    assert {"outcome_mean", "outcome_p5", "outcome_p95", "runs"} <= set(table.columns)
    assert len(table) == 2 * len(nato.issues)
    at = sim.ensemble(
        "nato_russia_2022", runs=4, seed=5, model="exchange", overrides=[f"{path}=0.8"],
        progress=False, **SPREAD,
    )  # fmt: skip
    rows = table[table[path] == 0.8].set_index("issue")
    for iid in nato.issue_ids:
        assert rows.loc[iid, "outcome_mean"] == pytest.approx(
            at.runs[f"{iid}.outcome"].mean(), abs=1e-9
        )
