"""Golden runs: shipped scenarios against committed baselines.

A change in the model's numbers fails here with a readable table of the first
differences. When the change is deliberate, regenerate the baselines with

    SIM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

and commit them with a message that says why the numbers moved.
"""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SIM_UPDATE_GOLDEN") == "1"
CASES = {
    "nato_russia_2022_eum": ("nato_russia_2022", {}),
    "ec_example_scholz2011_eum": ("ec_example_scholz2011", {"rounds": 6}),
}


def _readable_diff(expected: pd.DataFrame, got: pd.DataFrame, limit: int = 15) -> str:
    merged = expected.merge(
        got, on=["round", "issue", "actor"], how="outer", suffixes=("_golden", "_now")
    )
    delta = (merged["position_now"] - merged["position_golden"]).abs()
    bad = merged[~(delta <= 1e-9)]
    return (
        f"{len(bad)} of {len(merged)} positions differ from the golden run; first {limit}:\n"
        + bad.head(limit).to_string(index=False)
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_run(case):
    name, kwargs = CASES[case]
    result = sim.run(name, **kwargs)
    got = result.trajectories()
    summary = {
        "rounds": result.rounds,
        "stopped": result.stopped,
        "cycle_length": result.cycle_length,
        "forecast": result.summary()["forecast"],
    }
    csv_path = GOLDEN / f"{case}.csv"
    json_path = GOLDEN / f"{case}.json"
    if UPDATE:
        got.to_csv(csv_path, index=False, float_format="%.17g", lineterminator="\n")
        json_path.write_text(json.dumps(summary, indent=2) + "\n")
        pytest.skip("golden files updated")
    expected = pd.read_csv(csv_path)
    expected_summary = json.loads(json_path.read_text())
    assert (summary["rounds"], summary["stopped"], summary["cycle_length"]) == (
        expected_summary["rounds"],
        expected_summary["stopped"],
        expected_summary["cycle_length"],
    ), f"run stopped differently: now {summary}, golden {expected_summary}"
    assert len(got) == len(expected), _readable_diff(expected, got)
    same = np.isclose(
        got["position"].to_numpy(), expected["position"].to_numpy(), rtol=0, atol=1e-9
    )
    keys_same = (
        got[["round", "issue", "actor"]].astype(str).values
        == expected[["round", "issue", "actor"]].astype(str).values
    ).all()
    assert keys_same and same.all(), _readable_diff(expected, got)
    for issue, fc in expected_summary["forecast"].items():
        for kind in ("compromise", "median"):
            assert summary["forecast"][issue][kind] == pytest.approx(fc[kind], abs=1e-9), (
                issue,
                kind,
            )
