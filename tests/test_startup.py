"""Start-up: the commands that compute nothing load no heavy library, and kernels
compile on first call as if numba had made them at import (same results, parallel loops
still parallel). Times are measured by benchmarks/bench_startup.py, never asserted here."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

import sim
from sim.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numba", "mesa", "matplotlib", "pandas")
HAS_MODELS_COMMAND = importlib.util.find_spec("sim.cli.models") is not None

COMMANDS_RUN = f"""
import contextlib, io, json, sys
from sim.cli import COMMANDS, main
heavy = {HEAVY!r}
steps = [["--help"], ["list"]] + ([["models"]] if {HAS_MODELS_COMMAND!r} else [])
report = {{}}
for argv in steps:
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    loaded = sorted(sys.modules)
    report[argv[0]] = {{
        "code": code,
        "heavy": [m for m in loaded if m.split(".")[0] in heavy],
        "commands": sorted({{c[0] for c in COMMANDS.values()}} & set(loaded)),
    }}
print(json.dumps(report))
"""


def run_python(code: str, **env) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "MPLBACKEND": "Agg", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def light_commands() -> dict:
    """What ``sim --help``, ``sim list`` (and ``sim models``) leave loaded, in that order."""
    return json.loads(run_python(COMMANDS_RUN).splitlines()[-1])


def test_help_loads_no_heavy_library_and_no_command(light_commands):
    step = light_commands["--help"]
    assert step["code"] == 0
    assert step["heavy"] == []
    assert step["commands"] == []  # the listing comes from the table


def test_list_loads_no_heavy_library(light_commands):
    step = light_commands["list"]
    assert step["code"] == 0
    assert step["heavy"] == []
    assert step["commands"] == ["sim.cli.files"]


@pytest.mark.skipif(not HAS_MODELS_COMMAND, reason="sim/cli/models.py is not written yet")
def test_models_loads_no_heavy_library(light_commands):
    step = light_commands["models"]
    assert step["code"] == 0
    assert step["heavy"] == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_table_line_is_the_first_line_of_the_commands_help(name):
    module, attribute, line = COMMANDS[name]
    if name == "models" and not HAS_MODELS_COMMAND:
        pytest.skip("sim/cli/models.py is not written yet")
    command = getattr(importlib.import_module(module), attribute)
    assert command.name == name
    assert command.help.splitlines()[0] == line


def test_help_lists_what_the_loaded_commands_would():
    # sim --help from the table is the listing click gives with every command loaded
    real = click.Group("sim", help=cli.help)
    for name, (module, attribute, _) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            real.add_command(getattr(importlib.import_module(module), attribute), name)
    lazy = type(cli)("sim", help=cli.help)  # a fresh group: nothing loaded in it yet
    for group in (real, lazy):
        group.params = list(cli.params)
    shown = []
    for group in (real, lazy):
        with click.Context(group, info_name="sim", terminal_width=80) as ctx:
            formatter = ctx.make_formatter()
            group.format_commands(ctx, formatter)
            shown.append(formatter.getvalue())
    rows_real = shown[0].splitlines()
    rows_lazy = [r for r in shown[1].splitlines() if r.split()[:1] in ([n] for n in real.commands)]
    assert rows_lazy == rows_real[1:] and len(rows_real) == len(real.commands) + 1


def test_sim_exports_the_users_names_and_keeps_the_others_reachable():
    assert sim.__all__ == [
        "Scenario", "NegotiationModel", "__version__", "backtest", "ensemble", "evolve",
        "load_scenario", "play", "play_match", "run", "sweep", "tournament",
    ]  # fmt: skip
    others = ["ScenarioError", "SweepResult", "AlternatingOffersModel", "RepeatedGameModel"]
    listed = dir(sim)
    for name in [*sim.__all__, *others]:
        assert name in listed
        assert getattr(sim, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        sim.no_such_name  # noqa: B018


KERNELS_RUN = """
import json, sys
import numpy as np
from sim.kernels import baselines, games
from sim.kernels.baselines import weighted_median  # a kernel held outside sim's modules
report = {"numba_at_import": "numba" in sys.modules}
rng = np.random.default_rng(7)
x, w = rng.uniform(0, 100, 9), rng.uniform(0, 1, 9)
report["median"] = [float(weighted_median(x, w)), float(weighted_median.py_func(x, w))]
import numba
report["rebound"] = {
    "stable_order": isinstance(baselines.stable_order, numba.core.dispatcher.Dispatcher),
    "prange": games.prange is numba.prange,
}
payoff = np.array([[2.0, 2.0], [1.0, 1.0]])  # the mutant is fitter: it fixes in some runs
seeds = np.arange(24, dtype=np.uint64)
fixed, reference = np.empty(24, np.bool_), np.empty(24, np.bool_)
games.fixation(payoff, 6, 1.0, seeds, fixed)
games.fixation.py_func(payoff, 6, 1.0, seeds, reference)
report["fixation"] = [fixed.tolist(), reference.tolist()]
report["parallel"] = games.fixation.targetoptions.get("parallel")
(signature,) = games.fixation.signatures
report["parfor"] = "__numba_parfor_gufunc" in games.fixation.inspect_llvm(signature)
print(json.dumps(report))
"""


def test_kernels_load_numba_on_first_call_and_compile_as_before(tmp_path):
    # an empty cache directory, so the parallel kernel compiles here and its code can be read
    report = json.loads(run_python(KERNELS_RUN, NUMBA_CACHE_DIR=str(tmp_path)).splitlines()[-1])
    assert report["numba_at_import"] is False
    got, reference = report["median"]
    assert got == reference
    assert report["rebound"] == {"stable_order": True, "prange": True}
    fixed, reference = report["fixation"]
    assert fixed == reference and any(fixed) and not all(fixed)
    assert report["parallel"] is True
    assert report["parfor"] is True  # numba saw numba.prange: the loop runs on threads
