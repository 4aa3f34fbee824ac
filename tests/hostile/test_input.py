"""Hostile input to scenario files, ``--set`` and the options of the game commands:
every case is exit 2 with a message naming the file and the field, never a traceback.

Each test starts from a small valid scenario (checked to load below) and breaks one
thing, so it tests what its name says.
"""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.scenario import ScenarioError, limits, load_scenario, validate_raw
from sim.scenario.export import to_toml
from sim.text import printable

BASE = """\
[scenario]
name = "Hostile base"
description = "A small valid scenario."

[[issues]]
id = "a"
scale = [0, 100]
status_quo = 50

[[issues]]
id = "b"
scale = [0, 10]

[actors.X]
name = "Ex"
capability = 1.0
position = { a = 10, b = 1 }
salience = { a = 0.5, b = 0.5 }

[actors.Y]
name = "Why"
capability = 2.0
position = { a = 90, b = 9 }
salience = { a = 0.8, b = 0.2 }

[actors.Z]
capability = 0.5
position = { a = 50, b = 5 }
salience = { a = 1.0, b = 1.0 }

[blocs.B]
members = ["X", "Y"]

[model]
rounds = 3
"""

GAME = """
[game]
payoffs = { R = 3, S = 0, T = 5, P = 1 }
turns = 20
repetitions = 2
strategies = { X = "tit_for_tat", Y = "defector", Z = "cooperator" }
dyads = [{ actors = ["X", "Y"] }]
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(capsys, *args) -> tuple[int, str, str]:
    """``sim ARGS`` in-process: (exit code, stdout, stderr); an exception propagates."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(capsys, *args) -> str:
    code, out, err = cli(capsys, *args)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    return err


def test_the_base_scenarios_load(tmp_path):
    assert len(load_scenario(write(tmp_path, BASE)).actors) == 3
    assert load_scenario(write(tmp_path, BASE + GAME, "g.toml")).game is not None


# ---- extreme numbers: validated at load, naming the field -------------------------------
@pytest.mark.parametrize("value", ["1e307", "1.7e308", "1e16"])
def test_a_capability_near_the_largest_double_is_refused_naming_the_field(tmp_path, capsys, value):
    path = write(tmp_path, edit("capability = 1.0", f"capability = {value}"))
    err = refused(capsys, "run", path, "--out", tmp_path / "out")
    assert str(path) in err and "actors.X.capability" in err and "1e+15" in err
    assert not (tmp_path / "out").exists()


def test_a_capability_below_the_least_is_refused(tmp_path, capsys):
    path = write(tmp_path, edit("capability = 1.0", "capability = 1e-300"))
    err = refused(capsys, "validate", path)
    assert "actors.X.capability" in err and "1e-12" in err


def test_a_scale_as_wide_as_the_doubles_is_refused_naming_the_field(tmp_path, capsys):
    text = edit("scale = [0, 100]", "scale = [-1.7e308, 1.7e308]")
    err = refused(capsys, "run", write(tmp_path, text), "--out", tmp_path / "out")
    assert "issues[0]" in err and "scale" in err and "1e+15" in err
    assert "LinAlgError" not in err
    assert not (tmp_path / "out").exists()


def test_a_scale_narrower_than_the_least_width_is_refused(tmp_path, capsys):
    text = edit("scale = [0, 10]", "scale = [0, 1e-12]")
    text = text.replace("b = 1 }", "b = 0 }").replace("b = 9 }", "b = 0 }")
    text = text.replace("b = 5 }", "b = 0 }")
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "issues[1].scale" in err and "1e-09" in err


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("status_quo = 50", "status_quo = 1e300", "status_quo"),
        ("position = { a = 10, b = 1 }", "position = { a = -1e200, b = 1 }", "actors.X.position.a"),
    ],
)
def test_points_past_the_largest_magnitude_are_refused(tmp_path, capsys, old, new, field):
    err = refused(capsys, "validate", write(tmp_path, edit(old, new)))
    assert field in err and "1e+15" in err


@pytest.mark.parametrize("command", ["tournament", "evolve"])
@pytest.mark.parametrize("payoff", ["1e308", "-1e308"])
def test_game_payoffs_of_1e308_are_refused_naming_the_field(tmp_path, capsys, command, payoff):
    text = BASE + GAME.replace("R = 3", f"R = {payoff}")
    out = tmp_path / "out"
    err = refused(capsys, command, write(tmp_path, text), "--out", out)
    assert "game.payoffs.R" in err and "1e+12" in err
    assert not out.exists()


def test_evolve_on_payoffs_with_negative_fitness_is_a_message(tmp_path, capsys):
    """Payoffs within the limits but below what the Moran process takes: exit 2."""
    text = BASE + GAME.replace("S = 0", "S = -1e12")
    err = refused(capsys, "evolve", write(tmp_path, text))
    assert "fitness" in err and "negative" in err


def test_a_scenario_at_the_limits_runs_to_finite_numbers(tmp_path, capsys):
    text = f"""\
[scenario]
name = "{"N" * limits.MAX_NAME_LENGTH}"

[[issues]]
id = "{"i" * limits.MAX_ID_LENGTH}"
scale = [{-limits.MAX_MAGNITUDE}, {limits.MAX_MAGNITUDE}]
status_quo = {limits.MAX_MAGNITUDE}

[[issues]]
id = "narrow"
scale = [0, {limits.MIN_SCALE_WIDTH}]

[actors.X]
capability = {limits.MAX_CAPABILITY}
position = {{ {"i" * 64} = {-limits.MAX_MAGNITUDE}, narrow = 0 }}
salience = {{ {"i" * 64} = 1.0, narrow = 1.0 }}

[actors.Y]
capability = {limits.MIN_CAPABILITY}
position = {{ {"i" * 64} = {limits.MAX_MAGNITUDE}, narrow = {limits.MIN_SCALE_WIDTH} }}
salience = {{ {"i" * 64} = 1.0, narrow = 0.0 }}

[actors.Z]
capability = {limits.MAX_CAPABILITY}
position = {{ {"i" * 64} = 0, narrow = 0 }}
salience = {{ {"i" * 64} = 0.5, narrow = 0.5 }}

[model]
rounds = 5

[game]
payoffs = {{ R = {limits.MAX_PAYOFF}, S = {-limits.MAX_PAYOFF}, T = {limits.MAX_PAYOFF}, P = 0 }}
turns = 50
repetitions = 2
"""
    path = write(tmp_path, text)
    for model in ("eum", "compromise", "median", "nbs"):
        out = tmp_path / model
        code, stdout, err = cli(capsys, "run", path, "--model", model, "--out", out)
        assert code == 0, stdout + err
        summary = (out / "summary.json").read_text()
        assert "NaN" not in summary and "Infinity" not in summary
    out = tmp_path / "t"
    code, stdout, err = cli(
        capsys, "tournament", path, "--strategies", "tit_for_tat,defector", "--out", out
    )
    assert code == 0, stdout + err
    scores = json.loads((out / "summary.json").read_text())
    assert "NaN" not in json.dumps(scores) and "Infinity" not in json.dumps(scores)


# ---- sizes and lengths -------------------------------------------------------------------
@pytest.mark.parametrize(
    "old, new, field, limit",
    [
        ('name = "Hostile base"', f'name = "{"n" * 201}"', "scenario.name", "200"),
        ('name = "Ex"', f'name = "{"n" * 201}"', "actors.X.name", "200"),
        (
            'description = "A small valid scenario."',
            f'description = "{"d" * 10_001}"',
            "scenario.description",
            "10,000",
        ),
        ('id = "b"', f'id = "{"b" * 65}"', "issues[1]", "64"),
    ],
)
def test_long_names_texts_and_ids_are_refused_naming_the_field_and_limit(
    tmp_path, capsys, old, new, field, limit
):
    text = edit(old, new)
    if field.startswith("issues"):
        text = text.replace(" b = ", f" {'b' * 65} = ")
    err = refused(capsys, "validate", write(tmp_path, text))
    assert field in err and limit in err
    assert new.split('"')[1] not in err  # the long value is not echoed


def test_a_long_issue_name_is_refused(tmp_path, capsys):
    text = edit('id = "a"\n', f'id = "a"\nname = "{"x" * 201}"\n')
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "issues[0] (id 'a').name" in err and "200" in err


def _raw(n_actors: int, n_issues: int = 1, n_blocs: int = 0) -> dict:
    issues = [{"id": f"i{k}", "scale": [0, 1]} for k in range(n_issues)]
    actors = {
        f"A{i}": {
            "capability": 1.0,
            "position": {f"i{k}": 0.5 for k in range(n_issues)},
            "salience": {f"i{k}": 0.5 for k in range(n_issues)},
        }
        for i in range(n_actors)
    }
    blocs = {f"B{j}": {"members": ["A0", "A1"]} for j in range(n_blocs)}
    return {"scenario": {"name": "size"}, "issues": issues, "actors": actors, "blocs": blocs}


@pytest.mark.parametrize(
    "raw, field, limit",
    [
        (_raw(limits.MAX_ACTORS + 1), "actors", "1,000"),
        (_raw(2, limits.MAX_ISSUES + 1), "issues", "100"),
        (_raw(2, 1, limits.MAX_BLOCS + 1), "blocs", "1,000"),
    ],
)
def test_too_many_actors_issues_or_blocs_are_refused(raw, field, limit):
    with pytest.raises(ScenarioError) as info:
        validate_raw(raw, "size.toml")
    assert any(path == field and limit in msg for path, msg in info.value.problems), str(info.value)


def test_as_many_actors_as_the_limit_load():
    assert len(validate_raw(_raw(limits.MAX_ACTORS), "size.toml").actors) == limits.MAX_ACTORS


def test_rounds_past_the_limit_are_refused_as_on_the_command_line(tmp_path, capsys):
    err = refused(capsys, "validate", write(tmp_path, edit("rounds = 3", "rounds = 10001")))
    assert "model.rounds" in err and "10000" in err
    err = refused(capsys, "run", write(tmp_path, BASE), "--rounds", "10001")
    assert "10001" in err


def test_check_size_names_the_per_model_bounds(tmp_path):
    sc = load_scenario(write(tmp_path, BASE))
    assert limits.check_size(sc, "eum", 30) == []
    assert limits.check_size(sc, "nbs", None) == []
    (field, message), *_ = limits.check_size(sc, "alternating", 0, deadline=True)
    assert field == "--rounds" and "alternating" in message
    assert limits.check_size(sc, "eum", 0) == []
    (field, message), *_ = limits.check_size(sc, "nbs", None, parties=limits.MAX_ACTORS + 1)
    assert field == "actors" and f"{limits.MAX_ACTORS + 1:,} parties" in message
    (field, message), *_ = limits.check_size(sc, "eum", limits.MAX_ROUNDS + 1)
    assert "10,000" in message


# ---- CSV rows of separators; integers too long to convert ------------------------------------
@pytest.mark.parametrize("content", [",,,\n,,,\n", ",\n", ";;;\n"])
def test_a_csv_of_only_separators_is_a_message(tmp_path, capsys, content):
    path = write(tmp_path, content, "commas.csv")
    err = refused(capsys, "validate", path)
    assert str(path) in err and "Actor,Capability,Position,Salience" in err


LONG = "1" * 5000


def test_a_toml_integer_of_5000_digits_names_its_line(tmp_path, capsys):
    path = write(tmp_path, edit("rounds = 3", f"rounds = {LONG}"))
    err = refused(capsys, "validate", path)
    line = BASE.splitlines().index("rounds = 3") + 1
    assert f"line {line}" in err and "rounds" in err and "5,000 digits" in err
    assert len(err) < 1_000


def test_a_json_integer_of_5000_digits_names_its_field(tmp_path, capsys):
    raw = tomllib.loads(BASE)
    text = json.dumps(raw).replace('"rounds": 3', f'"rounds": {LONG}')
    err = refused(capsys, "validate", write(tmp_path, text, "s.json"))
    assert "model.rounds" in err and len(err) < 1_000


def test_a_csv_number_of_5000_digits_is_not_echoed(tmp_path, capsys):
    text = f"Actor,Capability,Position,Salience\nA,{LONG},1,0.5\nB,1,2,0.5\n"
    err = refused(capsys, "validate", write(tmp_path, text, "long.csv"))
    assert "row 2, column Capability" in err and len(err) < 1_000


def test_a_set_integer_of_5000_digits_names_the_path(tmp_path, capsys):
    err = refused(capsys, "run", write(tmp_path, BASE), "--set", f"model.rounds={LONG}")
    assert "--set model.rounds" in err and "4,300 digits" in err and len(err) < 1_000


# ---- error paths keep the id ------------------------------------------------------------------
@pytest.mark.parametrize("aid", ["float", "int", "str", "bool", "A[1]", "literal", "dict[x]"])
def test_an_error_under_any_actor_id_names_that_id(tmp_path, capsys, aid):
    text = edit("[actors.X]", f'[actors."{aid}"]').replace('["X", "Y"]', f'["{aid}", "Y"]')
    text = edit("salience = { a = 0.5, b = 0.5 }", 'salience = { a = "high", b = 0.5 }', text)
    err = refused(capsys, "validate", write(tmp_path, text))
    assert f"actors.{aid}.salience.a" in err, err


def test_a_bad_id_is_reported_beside_another_error_of_its_table(tmp_path, capsys):
    text = edit("[actors.Z]", '[actors."Z.1"]')
    text = edit("capability = 2.0", "capability = -2.0", text)
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "actors.Y.capability" in err
    assert "Z.1" in err and "bad id" in err


def test_a_bad_bloc_member_is_named_in_words(tmp_path, capsys):
    text = edit('members = ["X", "Y"]', 'members = ["X", "Y.Z"]')
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "blocs.B.members[1]" in err and "bad id 'Y.Z'" in err
    assert "pattern" not in err and "\\s" not in err and "^" not in err
    assert "at least 1 item" not in err


def test_a_bloc_of_one_bad_member_is_not_called_empty(tmp_path, capsys):
    text = edit('members = ["X", "Y"]', 'members = ["X.Y"]')
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "blocs.B.members[0]" in err and "at least 1 item" not in err


# ---- the id rule ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "aid",
    [
        "A=B",  # '=' ends a --set path
        "A,B",  # ',' separates lists of ids
        "A B",
        "A\\u007fB",  # DEL
        "A\\u0085B",  # C1 (next line)
        "A\\u009bB",  # C1 (CSI)
        "A\\u202eB",  # right-to-left override
        "A\\u200bB",  # zero-width space
        "A\\u00a0B",  # no-break space
        "A\\u2028B",  # line separator
        "A\\ue000B",  # private use
        "\\u001b[31mA",
    ],
)
def test_the_id_rule_refuses(tmp_path, capsys, aid):
    text = edit("[actors.Z]", f'[actors."{aid}"]')
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "bad id" in err and "characters" in err
    assert "\x1b" not in err and "\u202e" not in err and "\x7f" not in err


@pytest.mark.parametrize("aid", ["RUS", "a-b_c", "Ålesund", "東京", "x/y", "A[1]", "é" * 64])
def test_the_id_rule_admits(tmp_path, aid):
    text = edit("[actors.Z]", f'[actors."{aid}"]')
    assert aid in load_scenario(write(tmp_path, text)).actors


def test_a_set_path_ends_at_the_first_equals_sign(tmp_path):
    """An id holds no '=', so ``actors.A=B.capability=3`` can only set ``actors.A``."""
    text = edit("[actors.Z]", '[actors."A=B"]')
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    assert "bad id 'A=B'" in str(info.value)


def test_a_set_with_a_second_equals_sign_says_where_the_path_ends(tmp_path, capsys):
    """``--set 'actors.A=B.capability=3'`` is not taken as setting actors.A to a string."""
    out = tmp_path / "out"
    err = refused(capsys, "run", write(tmp_path, BASE), "--set", "actors.A=B.capability=3",
                  "--out", out)  # fmt: skip
    assert "--set actors.A" in err and "first '='" in err
    assert not out.exists()


def test_an_id_with_del_is_refused_before_import_writes_it(tmp_path, capsys):
    text = edit("[actors.Z]", '[actors."Z\\u007f"]')
    out = tmp_path / "x.toml"
    err = refused(capsys, "import", write(tmp_path, text), "--out", out)
    assert "bad id" in err and "\\x7f" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "old, new, field",
    [
        ('name = "Ex"', 'name = "E\\u001b]0;owned\\u0007x"', "actors.X.name"),
        ('name = "Ex"', 'name = "E\\nx"', "actors.X.name"),
        ('name = "Ex"', 'name = "E\\u202ex"', "actors.X.name"),
        (
            'description = "A small valid scenario."',
            'description = "bell\\u0007"',
            "scenario.description",
        ),
    ],
)
def test_names_and_descriptions_refuse_controls_and_bidi_overrides(
    tmp_path, capsys, old, new, field
):
    err = refused(capsys, "validate", write(tmp_path, edit(old, new)))
    assert field in err and "printable text" in err


def test_descriptions_keep_tabs_newlines_and_any_printable_text(tmp_path):
    text = edit(
        'description = "A small valid scenario."',
        'description = "line one\\n\\tline two: <b>$x$</b> \\\\ \\"q\\" ë 東"',
    )
    sc = load_scenario(write(tmp_path, text))
    assert sc.scenario.description.startswith("line one\n\tline two")


# ---- uncertainty: a perturbed capability stays positive ----------------------------------------
def test_a_huge_capability_cv_keeps_every_capability_positive_and_finite():
    from sim.uncertainty import perturb, run_seeds, spreads

    sc = load_scenario("ec_example_scholz2011")
    arrays = sc.arrays()
    _, _, C = perturb(arrays, spreads(sc, capability_cv=1e300), run_seeds(0, 0, 2_000))
    assert np.all(C > 0) and np.all(np.isfinite(C))


def test_a_positive_perturbed_capability_keeps_its_bits():
    from sim.uncertainty import perturb, run_seeds, spreads

    sc = load_scenario("ec_example_scholz2011")
    arrays = sc.arrays()
    seeds = run_seeds(5, 0, 50)
    for cv in (0.3, 30.0, 1e300):
        sp = spreads(sc, capability_cv=cv)
        _, _, C = perturb(arrays, sp, seeds)
        m, n = arrays.position.shape
        sigma2 = math.log1p(cv**2) if cv < 1e150 else 2 * math.log(cv)
        sigma = math.sqrt(sigma2)
        for r, seed in enumerate(seeds):
            z = np.random.default_rng(int(seed)).standard_normal(2 * m * n + n)[2 * m * n :]
            with np.errstate(under="ignore", over="ignore"):
                expected = arrays.capability * np.exp(sigma * z - 0.5 * sigma**2)
            ok = (expected > 0) & np.isfinite(expected)
            np.testing.assert_array_equal(C[r][ok], expected[ok])


# ---- a folder does not hide a shipped scenario ---------------------------------------------------
def test_a_folder_named_like_a_shipped_scenario_does_not_hide_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nato_russia_2022").mkdir()
    code, out, err = cli(capsys, "validate", "nato_russia_2022")
    assert code == 0, err
    assert sim.load_scenario("nato_russia_2022").name.startswith("NATO-Russia")


# ---- terminal control sequences are not echoed ------------------------------------------------
OSC = "\x1b]0;owned\x07"


def test_printable_escapes_controls_bidi_and_zero_width():
    s = f"a{OSC}b\x7f\x85\u202e\u200b\ufeffc\td\ne é 東"
    out = printable(s)
    for ch in "\x1b\x07\x7f\x85\u202e\u200b\ufeff":
        assert ch not in out
    assert "\\x1b]0;owned\\x07" in out and "\\u202e" in out and "\\u200b" in out
    assert out.endswith("c\td\ne é 東")


def test_scenario_errors_do_not_echo_terminal_sequences(tmp_path, capsys):
    text = edit("[actors.Z]", '[actors."Z\\u001b]0;owned\\u0007"]')
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "\x1b" not in err and "\x07" not in err and "\\x1b]0;owned\\x07" in err


def test_an_error_quoting_an_unknown_key_does_not_echo_its_sequence(tmp_path, capsys):
    text = BASE.replace("[model]\n", '[model]\n"k\\u001b[2J\\u009b" = 1\n')
    err = refused(capsys, "validate", write(tmp_path, text))
    assert "\x1b" not in err and "\x9b" not in err and "\\x1b[2J" in err


def test_option_errors_do_not_echo_terminal_sequences(capsys):
    err = refused(capsys, "tournament", "--strategies", f"tit_for_tat,{OSC}defector")
    assert "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_a_set_path_does_not_echo_its_sequence(tmp_path, capsys):
    err = refused(capsys, "run", write(tmp_path, BASE), "--set", f"model.{OSC}=1")
    assert "\x1b" not in err and "\x07" not in err


# ---- sim evolve and sim tournament options ----------------------------------------------------
def test_evolve_refuses_a_population_smaller_than_its_strategies(capsys, tmp_path):
    out = tmp_path / "out"
    err = refused(
        capsys,
        "evolve",
        "--strategies",
        "tit_for_tat,defector,cooperator",
        "--population",
        "2",
        "--turns",
        "5",
        "--out",
        out,
    )
    assert "--population 2" in err and "3 strategies" in err
    assert not out.exists()


def test_evolve_in_python_refuses_a_population_smaller_than_its_strategies():
    with pytest.raises(ValueError, match="population 2 is smaller than the 3 strategies"):
        sim.evolve(["tit_for_tat", "defector", "cooperator"], population=2, turns=5)


def test_the_continuation_cap_is_stated_in_help_and_output(capsys):
    code, out, _ = cli(capsys, "tournament", "--help")
    assert code == 0 and "100,000" in " ".join(out.split())
    code, out, err = cli(
        capsys,
        "tournament",
        "--strategies",
        "tit_for_tat,defector",
        "--continuation",
        "0.99999",
        "--repetitions",
        "2",
    )
    assert code == 0, err
    assert "cut at the cap of 100,000 turns" in out


# ---- TOML written by sim import loads back whatever the strings hold --------------------------
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters=BIDI)
    | st.sampled_from(['"', "\\", "'", "$", "<", ">", "{", "}", "#", "=", "[", "]", "\t", "\n"]),
    max_size=40,
)
HOSTILE_ID = st.text(
    st.characters(
        exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"),
        exclude_characters=".=,",
    ).filter(lambda ch: not ch.isspace())
    | st.sampled_from(['"', "\\", "'", "$", "<", "#", "[", "]"]),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=HOSTILE_TEXT.filter(lambda s: "\n" not in s and "\t" not in s and s),
    description=HOSTILE_TEXT,
    aid=HOSTILE_ID,
    iid=HOSTILE_ID,
    reason=HOSTILE_TEXT,
)
def test_import_writes_toml_that_loads_back_equal(name, description, aid, iid, reason):
    raw = {
        "scenario": {"name": name, "description": description, "sources": [description]},
        "issues": [{"id": iid, "name": name, "low": name, "scale": [0, 1]}],
        "actors": {
            aid: {
                "name": name,
                "capability": 1.0,
                "position": {iid: 0.0},
                "salience": {iid: 0.5},
                "reason": {iid: reason},
            },
            "OTHER" if aid != "OTHER" else "OTHER2": {
                "capability": 2.0,
                "position": {iid: 1.0},
                "salience": {iid: 0.5},
            },
        },
    }
    sc = validate_raw(raw, "generated")
    back = validate_raw(tomllib.loads(to_toml(sc)), "round trip")
    assert back == sc


def test_import_escapes_del_and_controls_in_descriptions(tmp_path, capsys):
    text = edit('description = "A small valid scenario."', 'description = "a\\tb\\nc \\\\ \\""')
    text = edit('name = "Ex"', 'name = "E$x<y> \\"q\\" \\\\"', text)
    out = tmp_path / "x.toml"
    code, _, err = cli(capsys, "import", write(tmp_path, text), "--out", out)
    assert code == 0, err
    assert load_scenario(out) == load_scenario(tmp_path / "s.toml")


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(exclude_categories=("Cs",)), max_size=30))
def test_any_string_is_written_as_toml_that_reads_back(text):
    """DEL and every C0 control are escaped (TOML forbids them raw in basic strings)."""
    from sim.scenario.export import toml_value

    assert tomllib.loads(f"v = {toml_value(text)}")["v"] == text
    assert tomllib.loads(f"t = {toml_value({text: 1})}")["t"] == {text: 1}


@pytest.mark.parametrize("overrides", [{3: 4}, [3], [None], {"": 1}])
def test_overrides_that_are_not_text_paths_are_a_scenario_error(overrides):
    """The Python API's overrides: a path that is not text is a message, not AttributeError."""
    import sim

    with pytest.raises(ScenarioError, match="overrides"):
        sim.run(overrides=overrides)
