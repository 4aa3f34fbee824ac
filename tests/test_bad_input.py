"""Bad input: a clear message naming the file, the field and what was expected;
exit code 2; no traceback; nothing written to ``--out``.

Every case starts from a small valid scenario (checked to run below) and breaks
one thing, so each case tests exactly what it says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import cli

MINIMAL = """\
[scenario]
name = "Minimal test scenario"

[[issues]]
id = "enlargement"
scale = [0, 100]
status_quo = 50

[[issues]]
id = "posture"
scale = [0, 100]

[actors.RUS]
name = "Russia"
capability = 1.0
position = { enlargement = 0, posture = 10 }
salience = { enlargement = 1.0, posture = 0.5 }
red_line = { enlargement = [0, 20] }

[actors.USA]
name = "United States"
capability = 2.0
position = { enlargement = 100, posture = 80 }
salience = { enlargement = 0.8, posture = 0.6 }

[actors.DEU]
name = "Germany"
capability = 0.5
position = { enlargement = 60, posture = 60 }
salience = { enlargement = 0.5, posture = 0.5 }

[blocs.NATO]
members = ["USA", "DEU"]
rule = "consensus"

[model]
rounds = 3
"""

MINIMAL_CSV = """\
Actor,Capability,Position,Salience
Alpha,1.0,10,0.5
Beta,2.0,40,0.8
Gamma,0.5,25,1.0
"""


def broken(old: str, new: str, text: str = MINIMAL) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """1-based number of the (only) line holding ``fragment``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) == 1, fragment
    return hits[0]


def json_text(**changes) -> str:
    raw = tomllib.loads(MINIMAL)
    for path, value in changes.items():
        node = raw
        *parents, last = path.split("__")
        for p in parents:
            node = node[p]
        node[last] = value
    return json.dumps(raw, default=str)  # NaN/Infinity are written as JSON's non-standard constants


@dataclass(frozen=True)
class Case:
    id: str
    content: str | bytes | None  # None: the file does not exist
    fields: tuple[str, ...]  # fragments naming the bad field (all must appear)
    expects: tuple[str, ...]  # words of what was expected (all must appear, any case)
    filename: str = "bad.toml"
    args: tuple[str, ...] = ()  # extra `sim run` options (then the file itself is MINIMAL)


DUP_KEY = broken("capability = 1.0\n", "capability = 1.0\ncapability = 3.0\n")
DUP_INLINE = broken(
    "position = { enlargement = 0, posture = 10 }",
    "position = { enlargement = 0, enlargement = 5, posture = 10 }",
)
DUP_TABLE = MINIMAL + "\n[actors.RUS]\ncapability = 4.0\n"
DUP_ISSUE = broken(
    "[actors.RUS]", '[[issues]]\nid = "enlargement"\nscale = [0, 10]\n\n[actors.RUS]'
)

CASES = [
    # ---- not a scenario at all
    Case("not-toml", "this is not TOML at all\n", ("line 1",), ("not valid toml",)),
    Case("empty-file", "", (), ("empty",)),
    Case("whitespace-only", "   \n\n  \n", (), ("empty",)),
    Case("binary-garbage", bytes(range(256)) * 8, (), ("binary", "utf-8")),
    Case("not-utf8", "[scenario]\nname = 'Zürich'\n".encode("latin-1"), (), ("utf-8",)),
    Case("missing-file", None, (), ("no such file",)),
    Case("file-name-too-long", None, (), ("cannot open",), filename="a" * 300 + ".toml"),
    Case("folder", None, (), ("folder",), filename="."),
    Case(
        "nested-too-deep-json", "[" * 100_000 + "]" * 100_000, (), ("nested",), filename="bad.json"
    ),
    Case("nested-too-deep-toml", "a = " + "[" * 100_000 + "]" * 100_000, (), ("nested",)),
    Case(
        "nested-deep-json-table",
        '{"scenario": ' + "[" * 40 + "]" * 40 + "}",
        (),
        ("nested",),
        filename="bad.json",
    ),
    Case(
        "unknown-suffix", MINIMAL, (), ("unknown file type", ".yaml", ".toml"), filename="bad.yaml"
    ),
    Case("no-suffix", MINIMAL, (), ("unknown file type",), filename="bad"),
    # ---- TOML duplicate keys
    Case(
        "toml-duplicate-key",
        DUP_KEY,
        (f"line {line_of(DUP_KEY, 'capability = 3.0')}", "capability"),
        ("not valid toml",),
    ),
    Case(
        "toml-duplicate-inline-key",
        DUP_INLINE,
        ("'enlargement'", f"line {line_of(DUP_INLINE, 'enlargement = 5')}"),
        ("duplicate",),
    ),
    Case(
        "toml-duplicate-table",
        DUP_TABLE,
        ("actors", "RUS", f"line {len(DUP_TABLE.splitlines()) - 1}"),
        ("not valid toml",),
    ),
    # ---- unknown keys
    Case(
        "unknown-actor-key",
        broken('name = "Russia"', 'name = "Russia"\ncolour = "red"'),
        ("actors.RUS.colour",),
        ("unknown key", "capability"),
    ),
    Case(
        "unknown-section",
        MINIMAL + "\n[weather]\nsunny = true\n",
        ("weather",),
        ("unknown key", "actors"),
    ),
    Case(
        "unknown-issue-key",
        broken("status_quo = 50", "status_quo = 50\nunits = 'km'"),
        ("issues[0]", "units"),
        ("unknown key",),
    ),
    Case(
        "unknown-model-key",
        broken("rounds = 3", "rounds = 3\nspeed = 2"),
        ("model.speed",),
        ("unknown key",),
    ),
    # ---- missing required fields
    Case(
        "missing-capability",
        broken("capability = 1.0\n", ""),
        ("actors.RUS.capability",),
        ("missing",),
    ),
    Case(
        "missing-salience-value",
        broken(
            "salience = { enlargement = 1.0, posture = 0.5 }", "salience = { enlargement = 1.0 }"
        ),
        ("actors.RUS.salience", "posture"),
        ("missing",),
    ),
    Case(
        "missing-position-table",
        broken("position = { enlargement = 0, posture = 10 }\n", ""),
        ("actors.RUS.position",),
        ("missing",),
    ),
    Case(
        "missing-scale",
        broken("scale = [0, 100]\nstatus_quo = 50", "status_quo = 50"),
        ("issues[0]", "scale"),
        ("missing",),
    ),
    Case(
        "missing-scenario-name",
        broken('name = "Minimal test scenario"', 'description = "no name"'),
        ("scenario.name",),
        ("missing",),
    ),
    Case("only-one-actor", MINIMAL.split("[actors.USA]")[0], ("actors",), ("at least 2",)),
    # ---- positions, scales, status quo, red lines
    Case(
        "position-above-scale",
        broken(
            "position = { enlargement = 100, posture = 80 }",
            "position = { enlargement = 150, posture = 80 }",
        ),
        ("actors.USA.position.enlargement",),
        ("inside the scale", "[0, 100]", "150"),
    ),
    Case(
        "position-below-scale",
        broken(
            "position = { enlargement = 60, posture = 60 }",
            "position = { enlargement = 60, posture = -5 }",
        ),
        ("actors.DEU.position.posture",),
        ("inside the scale",),
    ),
    Case(
        "position-not-a-number",
        broken(
            "position = { enlargement = 60, posture = 60 }",
            'position = { enlargement = "sixty", posture = 60 }',
        ),
        ("actors.DEU.position.enlargement",),
        ("number",),
    ),
    Case(
        "status-quo-outside-scale",
        broken("status_quo = 50", "status_quo = 150"),
        ("issues[0]", "status_quo"),
        ("inside the scale", "150"),
    ),
    Case(
        "scale-low-above-high",
        broken("scale = [0, 100]\nstatus_quo = 50", "scale = [100, 0]\nstatus_quo = 50"),
        ("issues[0]", "scale"),
        ("low < high",),
    ),
    Case(
        "scale-low-equals-high",
        broken("scale = [0, 100]\nstatus_quo = 50", "scale = [50, 50]\nstatus_quo = 50"),
        ("issues[0]", "scale"),
        ("low < high",),
    ),
    Case(
        "red-line-excludes-position",
        broken("red_line = { enlargement = [0, 20] }", "red_line = { enlargement = [30, 60] }"),
        ("actors.RUS.position.enlargement",),
        ("red line", "[30, 60]"),
    ),
    Case(
        "red-line-outside-scale",
        broken("red_line = { enlargement = [0, 20] }", "red_line = { enlargement = [0, 120] }"),
        ("actors.RUS.red_line.enlargement",),
        ("inside the scale",),
    ),
    Case(
        "red-line-reversed",
        broken("red_line = { enlargement = [0, 20] }", "red_line = { enlargement = [20, 0] }"),
        ("actors.RUS.red_line.enlargement",),
        ("low <= high",),
    ),
    # ---- NaN and infinity
    Case(
        "nan-position",
        broken(
            "position = { enlargement = 100, posture = 80 }",
            "position = { enlargement = 100, posture = nan }",
        ),
        ("actors.USA.position.posture",),
        ("finite",),
    ),
    Case(
        "inf-capability",
        broken("capability = 2.0", "capability = inf"),
        ("actors.USA.capability",),
        ("finite",),
    ),
    Case(
        "nan-salience",
        broken(
            "salience = { enlargement = 0.8, posture = 0.6 }",
            "salience = { enlargement = nan, posture = 0.6 }",
        ),
        ("actors.USA.salience.enlargement",),
        ("finite",),
    ),
    Case(
        "inf-status-quo",
        broken("status_quo = 50", "status_quo = -inf"),
        ("issues[0]", "status_quo"),
        ("finite",),
    ),
    Case(
        "nan-scale",
        broken("scale = [0, 100]\nstatus_quo = 50", "scale = [0, nan]\nstatus_quo = 50"),
        ("issues[0]", "scale"),
        ("finite",),
    ),
    Case(
        "inf-red-line",
        broken("red_line = { enlargement = [0, 20] }", "red_line = { enlargement = [0, inf] }"),
        ("actors.RUS.red_line.enlargement",),
        ("finite",),
    ),
    Case(
        "huge-exponent-is-inf",
        broken("capability = 2.0", "capability = 1e400"),
        ("actors.USA.capability",),
        ("finite",),
    ),
    # ---- salience and capability ranges
    Case(
        "salience-above-one",
        broken(
            "salience = { enlargement = 1.0, posture = 0.5 }",
            "salience = { enlargement = 1.5, posture = 0.5 }",
        ),
        ("actors.RUS.salience.enlargement",),
        ("less than or equal to 1", "1.5"),
    ),
    Case(
        "salience-negative",
        broken(
            "salience = { enlargement = 1.0, posture = 0.5 }",
            "salience = { enlargement = 1.0, posture = -0.1 }",
        ),
        ("actors.RUS.salience.posture",),
        ("greater than or equal to 0",),
    ),
    Case(
        "capability-zero",
        broken("capability = 1.0", "capability = 0"),
        ("actors.RUS.capability",),
        ("greater than or equal to 1e-12",),
    ),
    Case(
        "capability-negative",
        broken("capability = 0.5", "capability = -0.5"),
        ("actors.DEU.capability",),
        ("greater than or equal to 1e-12",),
    ),
    Case(
        "capability-text",
        broken("capability = 0.5", 'capability = "large"'),
        ("actors.DEU.capability",),
        ("number",),
    ),
    Case(
        "capability-bool",
        broken("capability = 0.5", "capability = true"),
        ("actors.DEU.capability",),
        ("number",),
    ),
    # ---- references to unknown issues or actors
    Case(
        "position-unknown-issue",
        broken(
            "position = { enlargement = 0, posture = 10 }",
            "position = { enlargement = 0, posture = 10, missiles = 3 }",
        ),
        ("actors.RUS.position.missiles",),
        ("unknown issue", "enlargement"),
    ),
    Case(
        "salience-unknown-issue",
        broken(
            "salience = { enlargement = 0.5, posture = 0.5 }",
            "salience = { enlargement = 0.5, posture = 0.5, missles = 0.1 }",
        ),
        ("actors.DEU.salience.missles",),
        ("unknown issue",),
    ),
    Case(
        "red-line-unknown-issue",
        broken(
            "red_line = { enlargement = [0, 20] }",
            "red_line = { enlargement = [0, 20], sovereignty = [0, 5] }",
        ),
        ("actors.RUS.red_line.sovereignty",),
        ("unknown issue",),
    ),
    Case(
        "bloc-unknown-member",
        broken('members = ["USA", "DEU"]', 'members = ["USA", "XXX"]'),
        ("blocs.NATO.members[1]", "XXX"),
        ("unknown actor", "RUS"),
    ),
    Case(
        "bloc-member-twice",
        broken('members = ["USA", "DEU"]', 'members = ["USA", "DEU", "USA"]'),
        ("blocs.NATO.members", "USA"),
        ("2 times",),
    ),
    Case(
        "bloc-bad-rule",
        broken('rule = "consensus"', 'rule = "unanimity"'),
        ("blocs.NATO.rule",),
        ("consensus", "unanimity"),
    ),
    Case(
        "risk-unknown-actor",
        MINIMAL + "\n[payoffs]\nrisk = { XXX = 1.5 }\n",
        ("payoffs.risk.XXX",),
        ("unknown actor",),
    ),
    # ---- duplicate ids
    Case("duplicate-issue-id", DUP_ISSUE, ("issues[2].id", "enlargement"), ("duplicate",)),
    Case(
        "bloc-id-is-an-actor",
        MINIMAL + '\n[blocs.USA]\nmembers = ["USA", "DEU"]\n',
        ("blocs.USA",),
        ("already an actor",),
    ),
    Case(
        "id-with-dot",
        broken("[actors.DEU]", '[actors."D.EU"]'),
        ("actors", "D.EU"),
        ("may not hold '.'",),
    ),
    # ---- model section
    Case(
        "rounds-not-integer",
        broken("rounds = 3", 'rounds = "three"'),
        ("model.rounds",),
        ("integer",),
    ),
    Case(
        "rounds-negative",
        broken("rounds = 3", "rounds = -1"),
        ("model.rounds",),
        ("greater than or equal to 0",),
    ),
    # ---- JSON
    Case(
        "json-nan",
        json_text(actors__RUS__capability=float("nan")),
        ("actors.RUS.capability",),
        ("finite",),
        filename="bad.json",
    ),
    Case(
        "json-infinity",
        json_text(
            issues=[
                {"id": "enlargement", "scale": [0, float("inf")]},
                {"id": "posture", "scale": [0, 100]},
            ]
        ),
        ("issues[0]", "scale"),
        ("finite",),
        filename="bad.json",
    ),
    Case(
        "json-duplicate-key",
        json_text().replace('"capability": 1.0', '"capability": 1.0, "capability": 3.0', 1),
        ("'capability'",),
        ("duplicate key",),
        filename="bad.json",
    ),
    Case(
        "json-syntax",
        '{"scenario": {"name": "x"},,}',
        ("line 1",),
        ("not valid json",),
        filename="bad.json",
    ),
    Case("json-not-an-object", "[1, 2, 3]", (), ("json object",), filename="bad.json"),
    Case(
        "json-salience",
        json_text(actors__RUS__salience={"enlargement": 2, "posture": 0.5}),
        ("actors.RUS.salience.enlargement",),
        ("less than or equal to 1",),
        filename="bad.json",
    ),
    # ---- the classic CSV
    Case(
        "csv-missing-column",
        "Actor,Capability,Position\nA,1,2\nB,1,3\n",
        ("header",),
        ("missing column", "salience"),
        filename="bad.csv",
    ),
    Case(
        "csv-non-numeric",
        broken("Beta,2.0,40,0.8", "Beta,lots,40,0.8", MINIMAL_CSV),
        ("row 3, column Capability",),
        ("expected a number", "lots"),
        filename="bad.csv",
    ),
    Case(
        "csv-nan-cell",
        broken("Gamma,0.5,25,1.0", "Gamma,0.5,nan,1.0", MINIMAL_CSV),
        ("row 4, column Position",),
        ("finite",),
        filename="bad.csv",
    ),
    Case(
        "csv-inf-cell",
        broken("Gamma,0.5,25,1.0", "Gamma,inf,25,1.0", MINIMAL_CSV),
        ("row 4, column Capability",),
        ("finite",),
        filename="bad.csv",
    ),
    Case(
        "csv-duplicate-actor",
        broken("Gamma,", "Alpha,", MINIMAL_CSV),
        ("row 4, column Actor", "Alpha"),
        ("duplicate",),
        filename="bad.csv",
    ),
    Case(
        "csv-actor-ids-clash",
        broken("Beta,", "A.B,", broken("Gamma,", "A_B,", MINIMAL_CSV)),
        ("row 4, column Actor", "A_B"),
        ("distinct",),
        filename="bad.csv",
    ),
    Case(
        "csv-capability-zero",
        broken("Alpha,1.0", "Alpha,0", MINIMAL_CSV),
        ("row 2, column Capability",),
        ("positive",),
        filename="bad.csv",
    ),
    Case(
        "csv-salience-out-of-range",
        broken("Alpha,1.0,10,0.5", "Alpha,1.0,10,150", MINIMAL_CSV),
        ("row 2, column Salience",),
        ("[0, 1]",),
        filename="bad.csv",
    ),
    Case(
        "csv-short-row",
        broken("Beta,2.0,40,0.8", "Beta,2.0,40", MINIMAL_CSV),
        ("row 3",),
        ("4 cells",),
        filename="bad.csv",
    ),
    Case(
        "csv-one-actor",
        "Actor,Capability,Position,Salience\nA,1,2,0.5\n",
        (),
        ("two actor rows",),
        filename="bad.csv",
    ),
    Case(
        "csv-huge-cell",
        MINIMAL_CSV + "Delta,1," + "9" * 200_000 + ",0.5\n",
        (),
        ("csv",),
        filename="bad.csv",
    ),
    Case(
        "csv-all-positions-equal",
        "Actor,Capability,Position,Salience\nA,1,5,0.5\nB,2,5,0.5\n",
        ("column Position",),
        ("distinct",),
        filename="bad.csv",
    ),
    # ---- --set and --focus on a valid file
    Case(
        "set-unknown-actor",
        MINIMAL,
        ("--set actors.XXX.position.enlargement", "XXX"),
        ("expected one of", "RUS"),
        args=("--set", "actors.XXX.position.enlargement=5"),
    ),
    Case(
        "set-position-outside-scale",
        MINIMAL,
        ("actors.RUS.position.enlargement",),
        ("inside the scale", "500"),
        args=("--set", "actors.RUS.position.enlargement=500"),
    ),
    Case(
        "set-no-equals", MINIMAL, ("--set nonsense",), ("path=value",), args=("--set", "nonsense")
    ),
    Case("set-empty-path", MINIMAL, ("--set =5",), ("path=value",), args=("--set", "=5")),
    Case(
        "set-unknown-issue",
        MINIMAL,
        ("--set issues.missiles.status_quo", "missiles"),
        ("expected one of", "posture"),
        args=("--set", "issues.missiles.status_quo=5"),
    ),
    Case(
        "set-status-quo-outside-scale",
        MINIMAL,
        ("issues[1]", "status_quo"),
        ("inside the scale",),
        args=("--set", "issues.posture.status_quo=500"),
    ),
    Case(
        "set-unknown-top-level",
        MINIMAL,
        ("--set weather.sunny", "weather"),
        ("expected one of",),
        args=("--set", "weather.sunny=1"),
    ),
    Case(
        "set-into-a-value",
        MINIMAL,
        ("--set scenario.name.x", "scenario.name"),
        ("not a table",),
        args=("--set", "scenario.name.x=1"),
    ),
    Case(
        "set-rounds-text",
        MINIMAL,
        ("model.rounds",),
        ("integer", "abc"),
        args=("--set", "model.rounds=abc"),
    ),
    Case(
        "set-salience",
        MINIMAL,
        ("actors.USA.salience.posture",),
        ("less than or equal to 1",),
        args=("--set", "actors.USA.salience.posture=2"),
    ),
    Case(
        "set-nan",
        MINIMAL,
        ("actors.USA.position.posture",),
        ("finite",),
        args=("--set", "actors.USA.position.posture=nan"),
    ),
    Case(
        "set-value-nested-too-deep",
        MINIMAL,
        ("--set scenario.name",),
        ("nested",),
        args=("--set", "scenario.name=" + "[" * 5000 + "]" * 5000),
    ),
    Case(
        "focus-unknown-actor",
        MINIMAL,
        ("--focus XXX",),
        ("unknown actor", "RUS"),
        args=("--focus", "XXX"),
    ),
]

assert len({c.id for c in CASES}) == len(CASES)
FILE_CASES = [c for c in CASES if not c.args]


def _write(case: Case, folder: Path) -> Path:
    path = folder / case.filename if case.filename != "." else folder
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    elif isinstance(case.content, str):
        path.write_text(case.content, encoding="utf-8")
    return path


def _check_rejected(result, path: Path, case: Case) -> None:
    output = result.output
    assert result.exit_code == 2, output
    assert isinstance(result.exception, SystemExit), repr(
        result.exception
    )  # no crash behind the exit code
    assert "Traceback" not in output
    message = result.stderr
    assert str(path) in message, message
    for fragment in case.fields:
        assert fragment in message, f"field {fragment!r} not named in: {message}"
    for word in case.expects:
        assert word.lower() in message.lower(), f"{word!r} not said in: {message}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_run_rejects_bad_input(case, tmp_path):
    path = _write(case, tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(path), "--out", str(out), *case.args])
    _check_rejected(result, path, case)
    assert not out.exists()


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_validate_rejects_bad_input(case, tmp_path):
    path = _write(case, tmp_path)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    _check_rejected(result, path, case)
    assert "ok" not in result.stdout


def test_validate_reports_every_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL)
    bad = tmp_path / "bad.toml"
    bad.write_text(broken("capability = 1.0", "capability = 0"))
    missing = tmp_path / "missing.toml"
    result = CliRunner().invoke(cli, ["validate", str(good), str(bad), str(missing)])
    assert result.exit_code == 2
    assert f"{good}: ok" in result.stdout
    assert f"{bad}: actors.RUS.capability" in result.stderr
    assert f"{missing}: no such file" in result.stderr


def test_every_problem_of_a_file_is_reported(tmp_path):
    text = broken("capability = 1.0", "capability = 0")
    text = broken(
        "salience = { enlargement = 0.8, posture = 0.6 }",
        "salience = { enlargement = 0.8, posture = 1.6 }",
        text,
    )
    path = tmp_path / "two.toml"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert "actors.RUS.capability" in result.stderr
    assert "actors.USA.salience.posture" in result.stderr


def test_out_that_is_a_file_is_rejected_and_kept(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL)
    out = tmp_path / "out"
    out.write_text("keep me")
    result = CliRunner().invoke(cli, ["run", str(good), "--out", str(out)])
    assert result.exit_code == 2
    assert "--out" in result.stderr and str(out) in result.stderr and "file" in result.stderr
    assert "Traceback" not in result.output
    assert out.read_text() == "keep me"


def test_out_that_cannot_be_created(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    out = blocker / "out"
    result = CliRunner().invoke(cli, ["run", str(good), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"--out {out}" in result.stderr and "cannot" in result.stderr
    assert "Traceback" not in result.output


def test_fifo_is_not_read(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    # a subprocess: a regression (blocking on the FIFO) fails by timeout, not by a hang
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 2
    assert f"{fifo}: not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_input_leaves_an_existing_out_folder_untouched(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(broken("capability = 1.0", "capability = -1"))
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(cli, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert list(out.iterdir()) == []


# ---- the unbroken inputs are valid, so each case above breaks one thing -----------------
@pytest.mark.parametrize(
    "filename, content, args",
    [
        ("good.toml", MINIMAL, ()),
        ("good.csv", MINIMAL_CSV, ()),
        ("good.json", json_text(), ()),
        ("good.toml", MINIMAL, ("--set", "actors.RUS.position.enlargement=5")),
        (
            "good.toml",
            MINIMAL,
            ("--set", "issues.posture.status_quo=60", "--set", "model.rounds=2"),
        ),
        ("good.toml", MINIMAL, ("--focus", "USA")),
    ],
    ids=["toml", "csv", "json", "set-position", "set-issue-and-rounds", "focus"],
)
def test_the_unbroken_inputs_run(filename, content, args, tmp_path):
    path = tmp_path / filename
    path.write_text(content)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(path), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    assert (out / "rounds.csv").is_file()
    assert CliRunner().invoke(cli, ["validate", str(path)]).exit_code == 0


def test_cases_break_only_what_they_say():
    # each TOML case differs from the valid file; the --set / --focus cases use it unchanged
    for case in CASES:
        if case.args:
            assert case.content == MINIMAL
        elif case.filename.endswith(".toml") and isinstance(case.content, str) and case.content:
            assert case.content != MINIMAL


# ---- the real process: exit code and no traceback ------------------------------------
@pytest.mark.parametrize(
    "filename, content, expect",
    [
        ("bad.toml", "this is not TOML at all\n", "not valid TOML"),
        ("missing.toml", None, "no such file"),
        ("bad.toml", bytes(range(256)) * 8, "binary"),
    ],
    ids=["not-toml", "missing-file", "binary-garbage"],
)
def test_process_exit_code_and_no_traceback(filename, content, expect, tmp_path):
    path = tmp_path / filename
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    out = tmp_path / "out"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert str(path) in proc.stderr
    assert expect in proc.stderr
    assert not out.exists()
