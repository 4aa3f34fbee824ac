"""The DEU format: reading DEU III files, refusing bad ones by line and column, and
``sim import`` of a DEU file into one scenario per proposal.

Counts and values are checked against independent reads of the same files (pandas, or
the csv module cell by cell), never against what the reader under test returned.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.deu import CITATION, is_deu, read_deu

DATA = Path(__file__).resolve().parent / "data" / "deu"
SMALL = DATA / "deu_small.tsv"
ROOT = Path(__file__).resolve().parents[1]
DEV = next(
    (
        p
        for p in (ROOT / "data" / "deu3_dev.tsv", ROOT.parent / "shared" / "data" / "deu3_dev.tsv")
        if p.is_file()
    ),
    ROOT / "data" / "deu3_dev.tsv",
)
FILES = [
    pytest.param(SMALL, id="fixture"),
    pytest.param(
        DEV, id="dev", marks=pytest.mark.skipif(not DEV.is_file(), reason="no DEU III dev file")
    ),
]


# ---- independent reading of a file, cell by cell ------------------------------------------
def _table(path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    """(header, capability row, issue rows) of a DEU file, read with the csv module."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t"))
    return rows[0], rows[1], [r for r in rows[2:] if any(c.strip() for c in r)]


def _actors(header: list[str]) -> list[str]:
    return [h[1:] for h in header if h.startswith("p") and "s" + h[1:] in header]


def _lines(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _sim(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# ---- reading --------------------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES)
def test_counts_match_an_independent_read(path):
    """Rows, actors per row (a non-empty pXX beside an sXX) and capabilities as pandas reads them."""
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    pairs = [c[1:] for c in frame.columns if c.startswith("p") and "s" + c[1:] in frame.columns]
    assert "rnr" not in pairs and "rname" not in pairs  # prnr, prname are no actors
    caps = frame.iloc[0]
    rows = frame.iloc[1:]
    data = read_deu(path)
    assert len(data.issues) + len(data.skipped) == len(rows)
    by_id = {i.issue: i for i in data.issues}
    for _, row in rows.iterrows():
        issue = by_id[row["isnr"]]
        with_position = [a for a in pairs if row["p" + a].strip()]
        assert list(issue.actors) == with_position
        assert issue.case == row["prnr"]
        assert issue.capability.tolist() == [float(caps["p" + a]) for a in with_position]
        assert issue.position.tolist() == [float(row["p" + a]) for a in with_position]
    assert len({i.case for i in data.issues}) == rows["prnr"].nunique()


def test_the_dev_file_has_225_issues_in_86_proposals_and_33_missing_saliences():
    if not DEV.is_file():
        pytest.skip("no DEU III dev file")
    header, _, rows = _table(DEV)
    data = read_deu(DEV)
    assert len(data.issues) == len(rows) == 225
    assert len(data.cases) == 86
    missing = [
        (r[header.index("isnr")], a)
        for r in rows
        for a in _actors(header)
        if r[header.index("p" + a)].strip() and not r[header.index("s" + a)].strip()
    ]
    assert len(missing) == 33
    by_id = {i.issue: i for i in data.issues}
    for isnr, a in missing:
        issue = by_id[isnr]
        assert issue.salience[issue.actors.index(a)] == 0.5


def _hand_compromise(header, caps, row, missing: float) -> float:
    num = den = 0.0
    for a in _actors(header):
        p = row[header.index("p" + a)].strip()
        if not p:
            continue
        s = row[header.index("s" + a)].strip()
        w = float(caps[header.index("p" + a)]) * (float(s) if s else missing)
        num += w * float(p)
        den += w
    return num / den


@pytest.mark.parametrize("path", FILES)
def test_compromise_of_rows_with_a_missing_salience_is_the_hand_computed_one(path):
    """The capability x salience weighted mean of the positions from the issue's fields is
    the one computed from the file's cells with an empty salience read as 50."""
    header, caps, rows = _table(path)
    by_id = {i.issue: i for i in read_deu(path).issues}
    checked = 0
    for row in rows:
        has_missing = any(
            row[header.index("p" + a)].strip() and not row[header.index("s" + a)].strip()
            for a in _actors(header)
        )
        if not has_missing:
            continue
        want = _hand_compromise(header, caps, row, 50.0)
        if abs(want - _hand_compromise(header, caps, row, 0.0)) < 1e-6:
            continue  # the rule would not show on this row
        issue = by_id[row[header.index("isnr")]]
        w = issue.capability * issue.salience
        assert float(np.sum(w * issue.position) / np.sum(w)) == pytest.approx(want, rel=1e-12)
        checked += 1
    assert checked >= 2


def test_issue_fields_and_arrays():
    header, caps, rows = _table(SMALL)
    issue = read_deu(SMALL).issues[0]
    row = rows[0]
    assert (issue.case, issue.issue, issue.name) == (
        row[header.index("prnr")],
        row[header.index("isnr")],
        row[header.index("prname")],
    )
    assert issue.line == 3
    rp, out = row[header.index("rp")], row[header.index("out")]
    assert math.isnan(issue.status_quo) if not rp else issue.status_quo == float(rp)
    assert issue.outcome == float(out)
    arr = issue.arrays(Q=0.5, rounds=7)
    n = len(issue.actors)
    assert arr.position.shape == arr.salience.shape == arr.red_lo.shape == (1, n)
    assert arr.issue_ids == (issue.issue,)
    assert arr.actor_ids == tuple(a.upper() for a in issue.actors)
    assert arr.scale_lo.tolist() == [0.0] and arr.scale_hi.tolist() == [100.0]
    assert np.all(arr.red_lo == 0.0) and np.all(arr.red_hi == 100.0)
    assert np.isnan(arr.risk).all() and arr.Q == 0.5 and arr.rounds == 7
    for a in (arr.position, arr.salience, arr.capability):
        assert a.dtype == np.float64 and a.flags.c_contiguous
    salience = [row[header.index("s" + a)] for a in issue.actors]
    assert arr.salience[0].tolist() == [float(s) / 100 for s in salience]


def test_quoted_fields_read_as_unquoted(tmp_path):
    quoted = tmp_path / "quoted.tsv"
    with open(quoted, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerows(_lines(SMALL))
    assert '"isnr"' in quoted.read_text()
    assert is_deu(quoted)
    plain, other = read_deu(SMALL), read_deu(quoted)
    assert len(plain.issues) == len(other.issues)
    for a, b in zip(plain.issues, other.issues, strict=True):
        assert (a.case, a.issue, a.name, a.line, a.actors) == (
            b.case,
            b.issue,
            b.name,
            b.line,
            b.actors,
        )
        for field in ("position", "salience", "capability"):
            assert getattr(a, field).tolist() == getattr(b, field).tolist()
        assert np.array_equal([a.status_quo, a.outcome], [b.status_quo, b.outcome], equal_nan=True)


def test_equal_capability_gives_every_actor_1_and_needs_no_capability_row(tmp_path):
    rows = _lines(SMALL)
    without = _write(tmp_path / "nocap.tsv", [rows[0], *rows[2:]])
    for path in (SMALL, without):
        data = read_deu(path, capability="equal")
        assert data.capability == "equal"
        assert all(i.capability.tolist() == [1.0] * len(i.actors) for i in data.issues)
    with pytest.raises(ValueError, match="capability"):
        read_deu(SMALL, capability="gdp")


def test_an_emptied_out_column_reads_as_nan_outcomes(tmp_path):
    rows = _lines(SMALL)
    k = rows[0].index("out")
    emptied = [rows[0], *[[*r[:k], "", *r[k + 1 :]] for r in rows[1:]]]
    data = read_deu(_write(tmp_path / "noout.tsv", emptied))
    assert len(data.issues) == len(rows) - 2
    assert all(math.isnan(i.outcome) for i in data.issues)
    # and the file as shipped has outcomes where the cells hold them
    assert sum(not math.isnan(i.outcome) for i in read_deu(SMALL).issues) == sum(
        1 for r in rows[2:] if r[k].strip()
    )


def test_rows_that_cannot_be_forecast_are_skipped_with_why(tmp_path):
    rows = _lines(SMALL)
    header = rows[0]
    one = list(rows[2])
    for a in _actors(header)[1:]:
        one[header.index("p" + a)] = ""
    quiet = list(rows[3])
    for a in _actors(header):
        quiet[header.index("s" + a)] = "0"
    data = read_deu(_write(tmp_path / "s.tsv", [header, rows[1], one, quiet, *rows[4:]]))
    skipped = {issue: why for _, issue, why in data.skipped}
    assert "1 actor with a position" in skipped[one[header.index("isnr")]]
    assert "capability x salience" in skipped[quiet[header.index("isnr")]]
    assert len(data.issues) == len(rows) - 4


def test_is_deu_sniffs_the_header(tmp_path):
    assert is_deu(SMALL)
    assert not is_deu(Path(__file__))
    assert not is_deu(tmp_path)  # a folder
    assert not is_deu(tmp_path / "absent.tsv")
    csv_file = tmp_path / "ec.csv"
    csv_file.write_text("Actor,Capability,Position,Salience\nA,1,2,0.5\n")
    assert not is_deu(csv_file)
    header = _lines(SMALL)[0]
    no_out = _write(tmp_path / "x.tsv", [[h for h in header if h != "out"]])
    assert not is_deu(no_out)


# ---- refusals -----------------------------------------------------------------------------
def _cell(rows, line: int, column: str, value: str) -> list[list[str]]:
    rows = [list(r) for r in rows]
    rows[line - 1][rows[0].index(column)] = value
    return rows


def _rename(rows, old: str, new: str) -> list[list[str]]:
    rows = [list(r) for r in rows]
    rows[0][rows[0].index(old)] = new
    return rows


def _first_position(rows, line: int) -> str:
    """The pXX column of the first actor with a position on ``line``."""
    return next("p" + a for a in _actors(rows[0]) if rows[line - 1][rows[0].index("p" + a)].strip())


BAD = {
    "missing isnr": (lambda r: _rename(r, "isnr", "issue_nr"), ["line 1", "missing column isnr"]),
    "missing rp": (lambda r: _rename(r, "rp", "ref"), ["line 1", "missing column rp"]),
    "missing out": (lambda r: _rename(r, "out", "outcome"), ["line 1", "missing column out"]),
    "no actor pairs": (
        lambda r: [[("t" + h[1:] if h.startswith("s") else h) for h in r[0]], *r[1:]],
        ["line 1", "no actor columns"],
    ),
    "short row": (lambda r: [*r[:4], r[4][:-3], *r[5:]], ["line 5", "fields", "got 72"]),
    "text position": (
        lambda r: _cell(r, 3, "pcom", "abc"),
        ["line 3, column pcom: expected a position on 0-100, got 'abc'"],
    ),
    "position 140": (
        lambda r: _cell(r, 7, _first_position(r, 7), "140"),
        ["line 7, column p", "expected a position on 0-100, got 140"],
    ),
    "negative position": (lambda r: _cell(r, 4, "pep", "-1"), ["line 4, column pep", "got -1"]),
    "salience 101": (
        lambda r: _cell(r, 3, "scom", "101"),
        ["line 3, column scom: expected a salience on 0-100", "got 101"],
    ),
    "text salience": (lambda r: _cell(r, 6, "sfr", "high"), ["line 6, column sfr", "'high'"]),
    "text rp": (lambda r: _cell(r, 5, "rp", "n/a"), ["line 5, column rp", "'n/a'"]),
    "rp 120": (lambda r: _cell(r, 5, "rp", "120"), ["line 5, column rp", "got 120"]),
    "out nan": (lambda r: _cell(r, 8, "out", "nan"), ["line 8, column out", "'nan'"]),
    "out 1e3": (lambda r: _cell(r, 8, "out", "1e3"), ["line 8, column out", "got 1e3"]),
    "text capability": (
        lambda r: _cell(r, 2, "pfr", "big"),
        ["line 2, column pfr: expected a capability", "'big'"],
    ),
    "negative capability": (lambda r: _cell(r, 2, "pde", "-4.1"), ["line 2, column pde", "-4.1"]),
    "infinite capability": (lambda r: _cell(r, 2, "pde", "inf"), ["line 2, column pde", "'inf'"]),
    "no capability row": (
        lambda r: [r[0], *r[2:]],
        ["line 2", "no capability row", "--capability equal"],
    ),
    "actor without capability": (
        lambda r: _cell(r, 2, "pcom", ""),
        ["line 2, column pcom", "capability of actor com", "position on line 3"],
    ),
    "duplicate isnr": (
        lambda r: _cell(r, 4, "isnr", r[2][r[0].index("isnr")]),
        ["line 4, column isnr", "duplicate issue", "first on line 3"],
    ),
    "empty prnr": (lambda r: _cell(r, 6, "prnr", ""), ["line 6, column prnr", "proposal id"]),
    "empty isnr": (lambda r: _cell(r, 6, "isnr", ""), ["line 6, column isnr", "issue id"]),
}


@pytest.mark.parametrize("defect", sorted(BAD))
def test_a_defect_is_refused_naming_the_line_and_column(defect, tmp_path):
    rows = _lines(SMALL)
    edit, expected = BAD[defect]
    bad = _write(tmp_path / "bad.tsv", edit(rows))
    with pytest.raises(ScenarioError) as info:
        read_deu(bad)
    message = str(info.value)
    assert str(bad) in message
    for text in expected:
        assert text in message, message


def test_every_problem_of_the_file_is_reported(tmp_path):
    rows = _cell(_cell(_cell(_lines(SMALL), 3, "pcom", "x"), 9, "out", "300"), 2, "pfr", "?")
    with pytest.raises(ScenarioError) as info:
        read_deu(_write(tmp_path / "bad.tsv", rows))
    where = [p for p, _ in info.value.problems]
    assert where == ["line 2, column pfr", "line 3, column pcom", "line 9, column out"]


def test_lines_count_the_file_lines_of_a_quoted_multi_line_name(tmp_path):
    rows = _lines(SMALL)
    rows[2][rows[0].index("prname")] = '"bus\nses"'  # the record of line 3 ends on line 4
    rows = _cell(rows, 4, "pcom", "abc")
    with pytest.raises(ScenarioError, match="line 5, column pcom"):
        read_deu(_write(tmp_path / "bad.tsv", rows))


@pytest.mark.parametrize(
    "data, expected",
    [(b"", "empty file"), (b" \n\n", "empty file"), (b"prnr\tisnr\xff\n", "not UTF-8")],
)
def test_empty_and_undecodable_files_are_refused(tmp_path, data, expected):
    path = tmp_path / "bad.tsv"
    path.write_bytes(data)
    with pytest.raises(ScenarioError, match=expected):
        read_deu(path)


def test_a_bad_file_is_exit_2_with_its_problems_and_no_traceback(tmp_path, capsys):
    bad = _write(tmp_path / "bad.tsv", _cell(_lines(SMALL), 3, "pcom", "abc"))
    out = tmp_path / "out"
    code, text = _sim(capsys, "import", bad, "--out", out)
    assert code == 2
    assert "Traceback" not in text
    assert "line 3, column pcom: expected a position on 0-100, got 'abc'" in text
    assert not out.exists()


# ---- sim import ---------------------------------------------------------------------------
def test_import_writes_one_scenario_per_proposal_that_loads_back(tmp_path, capsys):
    header, _, rows = _table(SMALL)
    col = {h: k for k, h in enumerate(header)}
    cases: dict[str, list[list[str]]] = {}
    for r in rows:
        cases.setdefault(r[col["prnr"]], []).append(r)
    out = tmp_path / "out"
    code, text = _sim(capsys, "import", SMALL, "--out", out)
    assert code == 0, text
    written = sorted(p.name for p in out.glob("*.toml"))
    assert written == sorted(f"{c}.toml" for c in cases)
    for case, case_rows in cases.items():
        path = out / f"{case}.toml"
        assert path.read_text(encoding="utf-8").startswith("# Written by sim import from ")
        assert _sim(capsys, "validate", path)[0] == 0
        sc = load_scenario(path)
        assert sc.issue_ids == tuple(r[col["isnr"]] for r in case_rows)
        assert sc.model.kind == "eum"
        assert CITATION in sc.scenario.sources
        for r in case_rows:
            rp = r[col["rp"]].strip()
            assert sc.issue(r[col["isnr"]]).status_quo == (float(rp) if rp else None)
            assert sc.issue(r[col["isnr"]]).scale == (0.0, 100.0)
        # the actors: those with a position on every issue of the proposal
        every = [a for a in _actors(header) if all(r[col["p" + a]].strip() for r in case_rows)]
        assert sc.actor_ids == tuple(a.upper() for a in every)
        some = [
            a
            for a in _actors(header)
            if a not in every and any(r[col["p" + a]].strip() for r in case_rows)
        ]
        for a in some:
            assert a.upper() in sc.scenario.notes
        for a in every:
            r = case_rows[0]
            actor = sc.actors[a.upper()]
            assert actor.position[r[col["isnr"]]] == float(r[col["p" + a]])
            s = r[col["s" + a]].strip()
            assert actor.salience[r[col["isnr"]]] == (float(s) if s else 50.0) / 100
        # the outcome of each issue is the row's out (none where the cell is empty; no
        # [outcome] at all when no issue of the proposal has one)
        want = {r[col["isnr"]]: float(r[col["out"]]) for r in case_rows if r[col["out"]].strip()}
        if not want:
            assert sc.outcome is None
        else:
            assert CITATION in sc.outcome.sources and sc.outcome.coding == "recorded"
            assert dict(sc.outcome.position) == want


def test_import_with_equal_capability(tmp_path, capsys):
    out = tmp_path / "out"
    code, text = _sim(capsys, "import", SMALL, "--out", out, "--capability", "equal")
    assert code == 0, text
    for path in out.glob("*.toml"):
        assert {a.capability for a in load_scenario(path).actors.values()} == {1.0}


def test_import_refuses_a_file_it_did_not_write_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    case = _table(SMALL)[2][-1][_table(SMALL)[0].index("prnr")]
    mine = out / f"{case}.toml"
    mine.write_text("# my notes\n")
    code, text = _sim(capsys, "import", SMALL, "--out", out)
    assert code == 2
    assert f"{case}.toml" in text and "not written by sim" in text
    assert mine.read_text() == "# my notes\n"
    assert [p.name for p in out.iterdir()] == [mine.name]


def test_import_replaces_its_own_files_and_refuses_an_edited_one(tmp_path, capsys):
    out = tmp_path / "out"
    assert _sim(capsys, "import", SMALL, "--out", out)[0] == 0
    first = {p.name: p.read_bytes() for p in out.glob("*.toml")}
    assert _sim(capsys, "import", SMALL, "--out", out)[0] == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.toml")} == first
    name = sorted(first)[0]
    (out / name).write_bytes(first[name] + b"# edited\n")
    code, text = _sim(capsys, "import", SMALL, "--out", out)
    assert code == 2 and name in text
    assert (out / name).read_bytes().endswith(b"# edited\n")


def test_import_recognises_the_header_or_is_told_the_format(tmp_path, capsys):
    txt = tmp_path / "deu.txt"
    txt.write_bytes(SMALL.read_bytes())
    code, text = _sim(capsys, "import", txt)  # no --out: the proposals are listed
    assert code == 0, text
    header, _, rows = _table(SMALL)
    cases = {r[header.index("prnr")] for r in rows}
    assert f"{len(rows)} issues in {len(cases)} proposals" in text
    no_out = _write(tmp_path / "x.txt", _rename(_lines(SMALL), "out", "outcome"))
    code, text = _sim(capsys, "import", no_out, "--format", "deu")
    assert code == 2 and "missing column out" in text
    code, text = _sim(capsys, "import", SMALL, "--out", tmp_path / "one.toml")
    assert code == 2 and "expected a folder" in text


def test_import_of_other_formats_is_unchanged(tmp_path, capsys):
    out = tmp_path / "ec.toml"
    code, text = _sim(capsys, "import", "ec_example_scholz2011", "--out", out)
    assert code == 0, text
    assert load_scenario(out) == load_scenario("ec_example_scholz2011")
    code, text = _sim(capsys, "import", "ec_example_scholz2011", "--capability", "equal")
    assert code == 2 and "--capability applies to DEU files" in text


def test_a_comma_separated_file_is_asked_whether_it_is_tab_separated(tmp_path):
    comma = tmp_path / "deu.tsv"
    comma.write_text("".join(",".join(r) + "\n" for r in _lines(SMALL)), encoding="utf-8")
    with pytest.raises(ScenarioError, match="is the file tab-separated"):
        read_deu(comma)


def test_case_ids_from_the_file_make_safe_file_names_and_quiet_output(tmp_path, capsys):
    """A proposal id with a terminal escape or a path in it is text: escaped when shown,
    and the file it gives stays in the --out folder."""
    rows = _lines(SMALL)
    k = rows[0].index("prnr")
    odd = {"d00060": "d00060\x1b]0;owned\x07", "d00062": "../../d00062"}
    rows = [rows[0], rows[1], *[[*r[:k], odd.get(r[k], r[k]), *r[k + 1 :]] for r in rows[2:]]]
    src = _write(tmp_path / "odd.tsv", rows)
    code, text = _sim(capsys, "import", src)
    assert code == 0, text
    assert "\x1b" not in text and "\x07" not in text and "\\x1b" in text
    out = tmp_path / "deep" / "out"
    code, text = _sim(capsys, "import", src, "--out", out)
    assert code == 0, text
    names = sorted(p.name for p in out.glob("*.toml"))
    assert len(names) == len({r[k] for r in rows[2:]})
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.toml", n) for n in names), names
    assert not any(p.suffix == ".toml" for p in tmp_path.rglob("*") if p.parent != out)
    for p in out.glob("*.toml"):
        assert "\x1b" not in load_scenario(p).name


def test_limits_on_rows_bytes_and_problems(tmp_path, monkeypatch):
    import sim.scenario.deu as deu

    monkeypatch.setattr(deu, "MAX_ROWS", 3)
    with pytest.raises(ScenarioError, match="more than 3 issue rows"):
        read_deu(SMALL)
    monkeypatch.setattr(deu, "MAX_ROWS", 10_000)
    monkeypatch.setattr(deu, "MAX_BYTES", SMALL.stat().st_size - 1)
    with pytest.raises(ScenarioError, match="file too large"):
        read_deu(SMALL)
    monkeypatch.setattr(deu, "MAX_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(deu, "MAX_PROBLEMS_KEPT", 4)
    rows = _lines(SMALL)
    for line in range(3, len(rows) + 1):
        rows = _cell(rows, line, "out", "x")
    with pytest.raises(ScenarioError) as info:
        read_deu(_write(tmp_path / "bad.tsv", rows))
    assert len(info.value.problems) == 5
    assert "stopped reading" in info.value.problems[-1][1]


def test_a_capability_row_with_the_wrong_number_of_fields_is_refused(tmp_path):
    rows = _lines(SMALL)
    rows[1] = rows[1][:20]
    with pytest.raises(ScenarioError, match="line 2: expected 75 tab-separated fields .* got 20"):
        read_deu(_write(tmp_path / "bad.tsv", rows))


def test_the_row_limit_counts_issue_rows(tmp_path, monkeypatch):
    import sim.scenario.deu as deu

    rows = _lines(SMALL)
    issues = len(rows) - 2
    monkeypatch.setattr(deu, "MAX_ROWS", issues)
    assert len(read_deu(SMALL).issues) == issues
    no_cap = _write(tmp_path / "nocap.tsv", [rows[0], *rows[2:]])
    assert len(read_deu(no_cap, capability="equal").issues) == issues
    monkeypatch.setattr(deu, "MAX_ROWS", issues - 1)
    for path in (SMALL, no_cap):
        with pytest.raises(ScenarioError, match=f"more than {issues - 1} issue rows"):
            read_deu(path, capability="equal")
