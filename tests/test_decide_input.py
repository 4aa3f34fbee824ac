"""decide-exchange-model input files (#A/#P/#M/#D rows) read as scenarios."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario, validate_raw
from sim.scenario.decide import is_decide, read_decide
from sim.scenario.schema import id_problem

DATA = Path(__file__).resolve().parent / "data" / "decide_input"
SAMPLE = DATA / "sample_data.txt"


def sim(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def sample_rows() -> list[list[str]]:
    """The sample's rows, read with the csv module (tab-separated, quoted by ')."""
    with open(SAMPLE, encoding="utf-8", newline="") as fh:
        return [r for r in csv.reader(fh, delimiter="\t", quotechar="'") if r]


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SMALL = [
    "'#A'\t'A'\t'Actor A'\t''",
    "'#A'\t'B'\t'B'\t''",
    "'#P'\t'x'\t'Issue x'\t''",
    "'#M'\t'x'\t0",
    "'#M'\t'x'\t10",
    "'#D'\t'A'\t'x'\t2\t0.5\t1",
    "'#D'\t'B'\t'x'\t8\t0.9\t3",
]


# ---- the sample ------------------------------------------------------------------------
def test_the_sample_loads_with_the_values_of_its_rows():
    rows = sample_rows()
    sc = load_scenario(SAMPLE)
    actor_keys = [r[1] for r in rows if r[0] == "#A"]
    issue_keys = [r[1] for r in rows if r[0] == "#P"]
    assert list(sc.actors) == actor_keys
    assert list(sc.issue_ids) == issue_keys
    for issue in sc.issues:
        marks = [float(r[2]) for r in rows if r[0] == "#M" and r[1] == issue.id]
        assert issue.scale == (min(marks), max(marks))
    d_rows = [r for r in rows if r[0] == "#D"]
    assert len(d_rows) == len(actor_keys) * len(issue_keys)
    for r in d_rows:
        actor = sc.actors[r[1]]
        assert actor.position[r[2]] == float(r[3])
        assert actor.salience[r[2]] == float(r[4])
        assert actor.capability == float(r[5])
    assert (
        sc.model.kind
        == validate_raw(
            {
                "scenario": {"name": "n"},
                "issues": [{"id": "x", "scale": [0, 1]}],
                "actors": {
                    "a": {"capability": 1, "position": {"x": 0}, "salience": {"x": 1}},
                    "b": {"capability": 1, "position": {"x": 1}, "salience": {"x": 1}},
                },
            },
            "default",
        ).model.kind
    )


def test_is_decide_tells_the_sample_from_other_formats(tmp_path):
    assert is_decide(SAMPLE)
    assert is_decide(SAMPLE.read_text(encoding="utf-8"))
    assert not is_decide("Actor,Capability,Position,Salience\nA,1,2,0.5\n")
    assert not is_decide(tmp_path / "absent.txt")


def test_read_decide_gives_a_raw_scenario_validate_raw_accepts():
    sc = validate_raw(read_decide(SAMPLE), str(SAMPLE))
    assert sc == load_scenario(SAMPLE)


def test_a_decide_file_loads_as_csv_and_tsv_too(tmp_path):
    text = SAMPLE.read_text(encoding="utf-8")
    for suffix in (".csv", ".tsv"):
        copy = tmp_path / f"sample_data{suffix}"
        copy.write_text(text, encoding="utf-8")
        got, want = load_scenario(copy), load_scenario(SAMPLE)
        assert (got.issues, got.actors) == (want.issues, want.actors)


def test_salience_on_0_100_is_divided_by_100(tmp_path):
    lines = [*SMALL[:5], "'#D'\t'A'\t'x'\t2\t50\t1", "'#D'\t'B'\t'x'\t8\t90\t3"]
    sc = load_scenario(write(tmp_path, "s.txt", lines))
    assert sc.actors["A"].salience["x"] == 0.5
    assert sc.actors["B"].salience["x"] == 0.9


def test_an_issue_without_m_rows_is_on_0_100(tmp_path):
    lines = [ln for ln in SMALL if not ln.startswith("'#M'")]
    sc = load_scenario(write(tmp_path, "s.txt", lines))
    assert sc.issues[0].scale == (0.0, 100.0)


def test_an_actor_without_a_row_on_an_issue_takes_no_part_in_it(tmp_path):
    """decide leaves an actor out of an issue it has no #D row on: sim reads it with
    salience 0 there, mid-scale, and a reason saying so; its other issues are as given."""
    lines = [
        *SMALL[:5],
        "'#P'\t'y'\t'Issue y'\t''",
        "'#D'\t'A'\t'x'\t2\t0.5\t1",
        "'#D'\t'B'\t'x'\t8\t0.9\t3",
        "'#D'\t'A'\t'y'\t30\t0.4\t1",
    ]
    sc = load_scenario(write(tmp_path, "s.txt", lines))
    b = sc.actors["B"]
    assert (b.salience["x"], b.position["x"], b.capability) == (0.9, 8.0, 3.0)
    assert b.salience["y"] == 0.0
    assert b.position["y"] == 50.0
    assert "no #D row" in b.reason["y"] and "x" not in b.reason
    assert sc.actors["A"].salience["y"] == 0.4


def test_comments_and_a_title_are_read(tmp_path):
    lines = ["#O\tA title", "#/\tignored\tcells", *[ln.replace("'", "") for ln in SMALL]]
    sc = load_scenario(write(tmp_path, "s.txt", lines))
    assert sc.scenario.description.startswith("A title.")
    assert sc.actors["A"].name == "Actor A"


# ---- ids -------------------------------------------------------------------------------
def test_a_key_that_is_no_valid_id_becomes_one_and_stays_the_name(tmp_path):
    lines = [
        "'#A'\t'EU (incl Norway)'\t'EU (incl Norway)'\t''",
        "'#A'\t'EU_(incl Norway)'\t'EU_(incl Norway)'\t''",
        "'#P'\t'new treaty'\t'new treaty'\t''",
        "'#D'\t'EU (incl Norway)'\t'new treaty'\t10\t0.5\t1",
        "'#D'\t'EU_(incl Norway)'\t'new treaty'\t90\t0.5\t1",
    ]
    sc = load_scenario(write(tmp_path, "s.txt", lines))
    ids = list(sc.actors)
    assert len(set(ids)) == 2
    assert all(id_problem(i) is None for i in [*ids, *sc.issue_ids])
    assert [a.name for a in sc.actors.values()] == ["EU (incl Norway)", "EU_(incl Norway)"]
    assert [a.position[sc.issue_ids[0]] for a in sc.actors.values()] == [10.0, 90.0]


# ---- sim import ------------------------------------------------------------------------
def test_import_writes_toml_that_loads_back_equal(tmp_path, capsys):
    target = tmp_path / "x.toml"
    code, text = sim(capsys, "import", SAMPLE, "--out", target)
    assert code == 0, text
    assert load_scenario(target) == load_scenario(SAMPLE)


def test_import_of_a_decide_tsv_is_not_read_as_deu(tmp_path, capsys):
    source = tmp_path / "sample_data.tsv"
    source.write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / "x.toml"
    code, text = sim(capsys, "import", source, "--out", target)
    assert code == 0, text
    got, want = load_scenario(target), load_scenario(SAMPLE)
    assert (got.issues, got.actors) == (want.issues, want.actors)


# ---- bad files -------------------------------------------------------------------------
def _edit(index: int, line: str | None) -> list[str]:
    lines = list(SMALL)
    if line is None:
        del lines[index]
    else:
        lines[index] = line
    return lines


BAD = {
    "unknown row type": (_edit(2, "'#Q'\t'x'\t'x'"), "line 3, field type", "unknown row type"),
    "too few fields": (_edit(5, "'#D'\t'A'\t'x'\t2\t0.5"), "line 6", "needs 5 fields"),
    "non-numeric position": (
        _edit(5, "'#D'\t'A'\t'x'\tabc\t0.5\t1"),
        "line 6, field position",
        "expected a number",
    ),
    "non-numeric salience": (
        _edit(5, "'#D'\t'A'\t'x'\t2\tnan\t1"),
        "line 6, field salience",
        "expected a number",
    ),
    "non-numeric bound": (_edit(4, "'#M'\t'x'\tten"), "line 5, field position", "a number"),
    "position outside bounds": (
        _edit(5, "'#D'\t'A'\t'x'\t12\t0.5\t1"),
        "line 6, field position",
        "from 0 to 10",
    ),
    "unknown actor": (_edit(5, "'#D'\t'Z'\t'x'\t2\t0.5\t1"), "line 6, field actor", "'Z'"),
    "unknown issue": (_edit(5, "'#D'\t'A'\t'y'\t2\t0.5\t1"), "line 6, field issue", "'y'"),
    "unknown issue in #M": (_edit(4, "'#M'\t'y'\t10"), "line 5, field issue", "'y'"),
    "duplicate actor key": (_edit(1, "'#A'\t'A'\t'A'\t''"), "line 2, field key", "duplicate"),
    "duplicate #D row": (
        _edit(6, "'#D'\t'A'\t'x'\t3\t0.5\t1"),
        "line 7, field actor",
        "duplicate",
    ),
    "lower == upper": (_edit(4, "'#M'\t'x'\t0"), "line 4, field position", "lower bound"),
    "actor with no #D row": (_edit(6, None), "line 2, field key", "has no #D row"),
    "salience above 100": (
        _edit(5, "'#D'\t'A'\t'x'\t2\t150\t1"),
        "line 6, field salience",
        "0 to 1",
    ),
    "negative power": (_edit(5, "'#D'\t'A'\t'x'\t2\t0.5\t-1"), "line 6, field power", "0 or"),
}


@pytest.mark.parametrize("command", ["validate", "run", "import"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_file_exits_2_naming_the_line_and_field(tmp_path, capsys, command, case):
    lines, where, what = BAD[case]
    path = write(tmp_path, "bad.txt", lines)
    target = tmp_path / "out.toml"
    args = [command, path, *(["--out", target] if command == "import" else [])]
    code, text = sim(capsys, *args)
    assert code == 2, text
    assert "Traceback" not in text
    assert f"bad.txt: {where}:" in text, text
    assert what in text, text
    assert not target.exists()


def test_power_that_differs_across_issues_is_refused_naming_actor_and_issues(tmp_path):
    lines = [
        *SMALL[:3],
        "'#P'\t'y'\t'y'\t''",
        *SMALL[3:],
        "'#D'\t'A'\t'y'\t2\t0.5\t2",
        "'#D'\t'B'\t'y'\t8\t0.9\t3",
    ]
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, "p.txt", lines))
    text = str(info.value)
    assert "field power" in text and "'A'" in text and "'x' 1" in text and "'y' 2" in text
    assert "'B'" not in text


def test_an_empty_or_blank_txt_file_is_refused(tmp_path, capsys):
    for body in ("", "\n\t\n"):
        path = tmp_path / "e.txt"
        path.write_text(body, encoding="utf-8")
        code, text = sim(capsys, "validate", path)
        assert code == 2 and "empty file" in text, text
    with pytest.raises(ScenarioError, match="empty file"):
        read_decide(path)


def test_a_txt_file_that_is_not_a_decide_file_is_refused(tmp_path, capsys):
    path = write(tmp_path, "notes.txt", ["just some notes"])
    code, text = sim(capsys, "validate", path)
    assert code == 2 and "not a decide input file" in text, text
