"""Every registered model keeps the model interface on every shipped scenario it accepts.

A model registered in `sim.models.MODELS` gets these checks by registering: a run gives a
summary that is strict JSON; a batch of perturbed runs equals the same runs one at a time;
the files a result lists are the files written, and each reads back to what was listed;
the text and HTML views escape the scenario's name; a bad parameter value, or an option
of another model, is exit 2 naming it; ``sim models`` names every model and parameter.
Rounds and ensembles are small, so the whole file runs in seconds.
"""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import json
import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim
from sim.cli import main
from sim.models import MODELS
from sim.models.base import options_of
from sim.results.base import Figure
from sim.runner import make_plan
from sim.save import write
from sim.scenario import load_scenario, shipped_scenarios
from sim.uncertainty import perturb, run_seeds

ROUNDS = 3
HOSTILE = "Talks <b>bold</b> & \"quoted\" 'single' <script>x</script>"
"""A scenario name with markup, an ampersand and both quotes."""
SPREADS = {"position_sd": 5.0, "salience_sd": 0.1, "capability_cv": 0.2}
"""Spreads given to every plan, so that the runs of a batch differ on any scenario."""
SEED = 20220112
PNG = b"\x89PNG\r\n\x1a\n"


def _accepts(spec, scenario) -> bool:
    try:
        spec.check(scenario, spec.Params(), None)
    except ValueError:
        return False
    return True


def _cases():
    cases = []
    for scen in shipped_scenarios():
        sc = load_scenario(scen)
        for name, spec in MODELS.items():
            if _accepts(spec, sc):
                cases.append(pytest.param(name, scen, id=f"{name}-{scen}"))
    return cases


CASES = _cases()


@cache
def _scenario(scen: str, hostile: bool = False):
    return load_scenario(scen, {"scenario.name": HOSTILE} if hostile else None)


@cache
def _run(name: str, scen: str, hostile: bool = False):
    return sim.run(_scenario(scen, hostile), model=name, rounds=ROUNDS)


@cache
def _ensemble(name: str, scen: str, hostile: bool = False):
    return sim.ensemble(
        _scenario(scen, hostile), runs=5, seed=SEED, model=name, rounds=ROUNDS,
        progress=False, **SPREADS,
    )  # fmt: skip


def _flag(param: str, opt) -> str:
    return opt.flag or "--" + param.replace("_", "-")


def _strict_json_round_trip(data: dict) -> None:
    text = json.dumps(data, allow_nan=False)  # ValueError on NaN or infinity
    assert json.loads(text) == data, "the summary holds values JSON does not keep (tuples, ...)"


def test_every_model_runs_on_a_shipped_scenario():
    """The registry is not empty and each model accepts at least one shipped scenario."""
    assert MODELS
    covered = {p.values[0] for p in CASES}
    assert covered == set(MODELS), f"no shipped scenario for: {sorted(set(MODELS) - covered)}"


# ---- (a) a run, and its summary as strict JSON ------------------------------------------------
@pytest.mark.parametrize(("name", "scen"), CASES)
def test_run_summary_is_strict_json(name, scen):
    result = _run(name, scen)
    assert result.model == name
    summary = result.summary()
    assert summary["model"] == name
    assert summary["scenario"] == _scenario(scen).name
    _strict_json_round_trip(summary)
    assert result.lines(), "a run prints at least one line"


# ---- (b) a batch equals its runs one at a time -------------------------------------------------
@pytest.mark.parametrize(("name", "scen"), CASES)
def test_batch_of_three_equals_three_single_runs(name, scen):
    spec = MODELS[name]
    plan = make_plan(_scenario(scen), runs=3, seed=SEED, model=name, rounds=ROUNDS, **SPREADS)
    arrays = plan.scenario.arrays()
    seeds = run_seeds(plan.seed, 0, 3)
    # the three runs' inputs differ, so the comparison below is not of one run with itself
    X, _, C = perturb(arrays, plan.spreads, seeds)
    assert not np.array_equal(X[0], X[1]) and not np.array_equal(C[1], C[2])

    together = spec.batch(plan.scenario, arrays, plan.spreads, seeds, plan.rounds)
    alone = [
        spec.batch(plan.scenario, arrays, plan.spreads, seeds[i : i + 1], plan.rounds)
        for i in range(3)
    ]
    assert together, f"{name}: a batch gives no columns"
    for one in alone:
        assert list(one) == list(together), f"{name}: the columns differ in name or order"
    for column, values in together.items():
        values = np.asarray(values)
        assert values.shape[0] == 3, f"{name}: column {column} has {values.shape[0]} rows"
        singles = np.concatenate([np.asarray(one[column]) for one in alone])
        assert values.dtype == singles.dtype, f"{name}: column {column} changes type"
        np.testing.assert_array_equal(values, singles, err_msg=f"{name}: column {column}")


# ---- (c) the files listed are the files written, and read back ------------------------------------
def _read_back_csv(path, frame: pd.DataFrame) -> None:
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == [str(c) for c in frame.columns], path.name
    assert len(back) == len(frame), path.name
    for column in frame.columns:
        want, got = frame[column], back[str(column)]
        if pd.api.types.is_bool_dtype(want):
            assert got.tolist() == [str(bool(v)) for v in want], f"{path.name}: {column}"
        elif pd.api.types.is_numeric_dtype(want):
            numbers = pd.to_numeric(got.replace("", "nan")).to_numpy(dtype=np.float64)
            # 17 significant digits: every float comes back to the same bits
            np.testing.assert_array_equal(
                numbers, want.to_numpy(dtype=np.float64), err_msg=f"{path.name}: {column}"
            )
        else:
            text = ["" if v is None or v is pd.NA or v != v else str(v) for v in want]
            assert got.tolist() == text, f"{path.name}: {column}"


def _check_written(result, tmp_path) -> None:
    listed = result.outputs()
    names = [name for name, _ in listed]
    assert len(set(names)) == len(names), f"a file is listed twice: {names}"
    assert "summary.json" in names
    written = write(result, tmp_path)
    assert [p.name for p in written] == names
    on_disk = sorted(p.name for p in tmp_path.iterdir() if p.name != ".sim")
    assert on_disk == sorted(names), "files written that outputs() does not list, or missing"
    for name, payload in listed:
        path = tmp_path / name
        if isinstance(payload, dict):
            text = path.read_text(encoding="utf-8")
            assert text.endswith("}\n")
            assert json.loads(text) == payload
        elif isinstance(payload, pd.DataFrame):
            _read_back_csv(path, payload)
        elif isinstance(payload, pa.Table):
            back = pq.read_table(path)
            assert back.schema.equals(payload.schema, check_metadata=True), name
            for column in payload.column_names:  # NaN-equal (pyarrow's equals is not)
                np.testing.assert_array_equal(
                    back[column].to_numpy(zero_copy_only=False),
                    payload[column].to_numpy(zero_copy_only=False),
                    err_msg=f"{name}: {column}",
                )
        elif isinstance(payload, Figure):
            assert path.read_bytes().startswith(PNG), f"{name} is not a PNG"
        elif isinstance(payload, str):
            assert path.read_text(encoding="utf-8") == payload
        else:
            raise AssertionError(f"{name}: a payload of type {type(payload).__name__}")
    # summary.json is the summary, asked again
    assert json.loads((tmp_path / "summary.json").read_text()) == result.summary()


@pytest.mark.parametrize(("name", "scen"), CASES)
def test_run_files_are_the_files_listed(name, scen, tmp_path):
    _check_written(_run(name, scen), tmp_path)


@pytest.mark.parametrize(("name", "scen"), CASES)
def test_ensemble_summary_is_strict_json(name, scen):
    result = _ensemble(name, scen)
    assert result.n_runs == 5
    summary = result.summary()
    assert summary["model"] == name and summary["runs"] == 5 and summary["root_seed"] == SEED
    _strict_json_round_trip(summary)
    assert result.lines()


@pytest.mark.parametrize("name", list(MODELS))
def test_ensemble_files_are_the_files_listed(name, tmp_path):
    scen = next(p.values[1] for p in CASES if p.values[0] == name)
    _check_written(_ensemble(name, scen), tmp_path)


# ---- (d) repr and HTML escape the scenario's name ------------------------------------------------
def _check_escaped(result) -> None:
    text = repr(result)
    assert repr(HOSTILE) in text, text
    page = result._repr_html_()
    assert HOSTILE not in page
    for raw in ("<b>bold</b>", "<script>", '"quoted"', "'single'"):
        assert raw not in page, f"{raw} unescaped in the HTML view"
    assert html.escape(HOSTILE) in page


@pytest.mark.parametrize(("name", "scen"), CASES)
def test_run_views_escape_the_name(name, scen):
    result = _run(name, scen, hostile=True)
    assert result.scenario.name == HOSTILE
    _check_escaped(result)


@pytest.mark.parametrize(("name", "scen"), CASES)
def test_ensemble_views_escape_the_name(name, scen):
    result = _ensemble(name, scen, hostile=True)
    assert result.scenario.name == HOSTILE
    _check_escaped(result)


# ---- (e) bad parameter values on the command line --------------------------------------------------
ID_METAVARS = ("ACTOR", "PARTY", "A,B")


def _numeric(opt) -> bool:
    return opt.lo is not None or opt.hi is not None


def _bad_value_cases():
    cases = []
    for name, spec in MODELS.items():
        for param, opt in options_of(spec.Params).items():
            ids = opt.metavar is not None and any(w in opt.metavar for w in ID_METAVARS)
            if opt.choices is not None or ids or _numeric(opt):
                cases.append(pytest.param(name, param, id=f"{name}-{param}"))
    return cases


def _scenario_for(name: str) -> str:
    return next(p.values[1] for p in CASES if p.values[0] == name)


@pytest.mark.parametrize(("name", "param"), _bad_value_cases())
def test_bad_parameter_value_is_exit_2_naming_it(name, param, capsys, tmp_path):
    opt = options_of(MODELS[name].Params)[param]
    flag = _flag(param, opt)
    out = tmp_path / "out"
    argv = ["run", _scenario_for(name), "--model", name, flag, "bogus", "--rounds", str(ROUNDS)]
    rc = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert flag.lstrip("-") in err, err
    assert "Traceback" not in err
    assert not out.exists(), "a refused run left an output folder"


def _numeric_cases():
    cases = []
    for name, spec in MODELS.items():
        for field in dataclasses.fields(spec.Params):
            if _numeric(field.metadata["option"]):
                cases.append(pytest.param(name, field.name, id=f"{name}-{field.name}"))
    return cases or [pytest.param(None, None, id="none")]


@pytest.mark.parametrize(("name", "param"), _numeric_cases())
def test_numeric_parameter_in_range_runs_from_the_command_line(name, param, capsys):
    """A number in a parameter's range, given as an option of sim run, is taken as that number."""
    if name is None:
        pytest.skip("no registered model has a numeric parameter")
    field = next(f for f in dataclasses.fields(MODELS[name].Params) if f.name == param)
    opt = field.metadata["option"]
    value = (
        field.default if field.default is not None else (opt.lo if opt.lo is not None else opt.hi)
    )
    flag = _flag(param, opt)
    argv = ["run", _scenario_for(name), "--model", name, flag, repr(value), "--rounds", str(ROUNDS)]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 0, f"{' '.join(argv)}: exit {rc}; {err}"


def _valid_value(opt) -> str:
    if opt.choices is not None:
        return opt.choices[0]
    if _numeric(opt):
        return f"{opt.lo if opt.lo is not None else opt.hi:g}"
    return "A=linear" if opt.multiple else "RUS"


@pytest.mark.parametrize("name", list(MODELS))
def test_option_of_another_model_is_exit_2_naming_it(name, capsys):
    own = options_of(MODELS[name].Params)
    foreign = {}
    for other, spec in MODELS.items():
        for param, opt in options_of(spec.Params).items():
            if param not in own:
                foreign.setdefault(param, (opt, other))
    if not foreign:
        pytest.skip(f"every model's options are options of {name}")
    for param, (opt, other) in foreign.items():
        flag = _flag(param, opt)
        rc = main(["run", _scenario_for(name), "--model", name, flag, _valid_value(opt)])
        err = capsys.readouterr().err
        assert rc == 2, f"{flag} with --model {name}: exit {rc}; {err}"
        assert flag in err and other in err, err


# ---- (f) sim models ---------------------------------------------------------------------------------
def _default_text(default) -> str | None:
    if default is None or default == () or default == "":
        return None
    return str(default)


def _word(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def test_sim_models_lists_every_model_and_parameter(capsys):
    """Each model's entry in sim models (from its name to the next model's) gives its
    summary, the sections it needs, and every parameter with its default and range."""
    if importlib.util.find_spec("sim.cli.models") is None:
        pytest.skip("the sim models command (sim.cli.models) is not there yet")
    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    starts = {}
    for name in MODELS:
        at = [i for i, line in enumerate(lines) if _word(name).match(line.lstrip())]
        assert at, f"sim models does not name {name}"
        starts[name] = at[0]
    order = sorted(starts.values())
    for name, spec in MODELS.items():
        i = starts[name]
        later = [j for j in order if j > i]
        block = lines[i : later[0] if later else len(lines)]
        text = "\n".join(block)
        assert spec.summary in text, f"sim models does not give {name}'s summary"
        for section in spec.requires:
            assert f"[{section}]" in text, f"sim models does not say {name} needs [{section}]"
        for field in dataclasses.fields(spec.Params):
            opt = field.metadata["option"]
            names = (_word(_flag(field.name, opt)), _word(field.name))
            rows = [line for line in block if any(w.search(line) for w in names)]
            assert rows, f"sim models does not name {name}'s parameter {field.name}"
            assert any(opt.range_text() in row for row in rows), (
                f"{name}.{field.name}: range {opt.range_text()} not shown"
            )
            default = _default_text(field.default)
            if default is not None:
                assert any(default in row for row in rows), (
                    f"{name}.{field.name}: default {default} not shown"
                )
