"""KTAB's CSV and XML scenario formats: the reference inputs load, as the files' cells say,
the two formats of one scenario agree, malformed files are refused naming the line or
element and the field (exit 2, nothing written), and XML with a DTD or entities is refused."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import sim.scenario.load as loader
from sim.cli import main
from sim.scenario import ScenarioError, load_scenario, validate_raw
from sim.scenario.ktab import (
    KTAB_ENUMS,
    KtabParameters,
    is_ktab_csv,
    parameters_from_notes,
    read_ktab_csv,
    read_ktab_xml,
)
from sim.scenario.load import csv_to_raw

DATA = Path(__file__).resolve().parent / "data" / "ktab"
CSV = DATA / "dummyData_3Dim.csv"
XML = DATA / "dummyData_3Dim.xml"
SCHEMA = DATA / "smpSchema.xsd"
CSV_TEXT = CSV.read_text(encoding="utf-8")
XML_TEXT = XML.read_text(encoding="utf-8-sig")
CLASSIC = Path(__file__).resolve().parent.parent / "scenarios" / "ec_example_scholz2011.csv"

PARAMS = """<ModelParameters>
    <VictoryProbModel>Quartic</VictoryProbModel>
    <PCEModel>MarkovIncentive</PCEModel>
    <StateTransitions>Stochastic</StateTransitions>
    <VotingRule>PropCbc</VotingRule>
    <BigRAdjust>Half</BigRAdjust>
    <BigRRange>Max</BigRRange>
    <ThirdPartyCommit>FullCommit</ThirdPartyCommit>
    <InterVecBrgn>S1P1</InterVecBrgn>
    <BargnModel>PWCompInterp</BargnModel>
  </ModelParameters>
  <Dimensions>"""


def with_params(text: str = XML_TEXT, params: str = PARAMS) -> str:
    assert text.count("<Dimensions>") == 1
    return text.replace("<Dimensions>", params, 1)


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def sim(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# ---- independent reading of the reference files -------------------------------------------
def csv_cells() -> tuple[list[str], list[list[str]]]:
    """The dimension names and the actor rows of the reference CSV, read with the csv module."""
    with open(CSV, newline="", encoding="utf-8") as fh:
        rows = [[c.strip() for c in row] for row in csv.reader(fh)]
    header = rows[1]
    dims = [header[k] for k in range(3, len(header) - 1, 2) if header[k]]
    return dims, rows[2:]


def test_the_reference_csv_loads_as_its_cells_say():
    dims, rows = csv_cells()
    sc = load_scenario(CSV)
    assert sc.name == "DummyData_3Dim"
    assert [i.name for i in sc.issues] == dims == ["Pstn1", "Pstn2", "Pstn3"]
    assert all(i.scale == (0.0, 100.0) for i in sc.issues)
    assert len(sc.actors) == len(rows) == 7
    by_name = {a.name: a for a in sc.actors.values()}
    for row in rows:
        actor = by_name[row[0]]
        assert actor.capability == float(row[2])
        for d, iid in enumerate(sc.issue_ids):
            assert actor.position[iid] == float(row[3 + 2 * d])
            assert actor.salience[iid] == float(row[4 + 2 * d]) / 100
    assert sc.model.kind == "eum"


def test_the_reference_xml_loads_as_its_elements_say():
    root = ET.parse(XML).getroot()
    sc = load_scenario(XML)
    assert sc.name == root.findtext("name")
    assert sc.scenario.description == root.findtext("desc")
    assert [i.name for i in sc.issues] == [e.text for e in root.iter("dName")]
    by_name = {a.name: a for a in sc.actors.values()}
    elements = root.find("Actors").findall("Actor")
    assert len(elements) == len(by_name) == 7
    for el in elements:
        actor = by_name[el.findtext("name")]
        assert actor.capability == float(el.findtext("capability"))
        coords = [float(e.text) for e in el.find("Position")]
        sals = [float(e.text) for e in el.find("Salience")]
        assert [actor.position[i] for i in sc.issue_ids] == coords
        assert [actor.salience[i] for i in sc.issue_ids] == [s / 100 for s in sals]


def test_the_csv_and_the_xml_of_one_scenario_give_the_same_scenario():
    a, b = load_scenario(CSV), load_scenario(XML)
    assert a.issues == b.issues
    assert a.actors == b.actors
    assert a.name == b.name and a.scenario.description == b.scenario.description


def test_the_readers_return_what_the_loader_validates():
    raw = read_ktab_csv(CSV)
    assert validate_raw(raw, str(CSV)) == load_scenario(CSV)
    raw, params = read_ktab_xml(XML)
    assert validate_raw(raw, str(XML)) == load_scenario(XML)
    assert params == KtabParameters(prngSeed="03707583219545544125", given=False)


def test_actor_names_become_ids_and_stay_names(tmp_path):
    text = edit(CSV_TEXT, "SActor-00,", "Hong Kong.SAR,")
    sc = load_scenario(write(tmp_path, "named.csv", text))
    assert sc.actors["Hong_Kong_SAR"].name == "Hong Kong.SAR"


def test_dimension_names_from_a_header_with_other_column_names(tmp_path):
    text = (
        "China; scen 2,Policy and competition, 3, 2, \n"
        "Actor,Description,Influence,Policy Position,Policy Salience,Competitive Position,"
        "Competitive Salience, \n"
        "XJ,Xi Jinping, 100.0,30,24.0,20,48.0, \n"
        'LK,"Li Keqiang, premier", 60.2,45,44.7,65,41.3, \n'
        "ZG,Zhang Gaoli, 35.0,30,28.9,15,65.1, \n"
    )
    sc = load_scenario(write(tmp_path, "soe.csv", text))
    assert sc.issue_ids == ("Policy_Position", "Competitive_Position")
    assert [i.name for i in sc.issues] == ["Policy Position", "Competitive Position"]
    assert sc.actors["LK"].salience["Competitive_Position"] == pytest.approx(0.413)
    assert "Li Keqiang, premier" in sc.scenario.notes


# ---- model parameters ------------------------------------------------------------------
def test_model_parameters_are_read_and_kept_in_the_notes(tmp_path):
    path = write(tmp_path, "params.xml", with_params())
    raw, params = read_ktab_xml(path)
    root = ET.fromstring(with_params())
    expected = {el.tag: el.text for el in root.find("ModelParameters")}
    assert params.model_parameters() == expected
    assert params.given
    sc = load_scenario(path)
    assert parameters_from_notes(sc.scenario.notes) == params
    for key, value in expected.items():
        assert f"{key} = {value}" in sc.scenario.notes


def test_the_program_spellings_of_ktab_are_read_as_the_schema_spells_them(tmp_path):
    params = edit(PARAMS, "PropCbc", "Prop")
    params = edit(params, "<BigRAdjust>Half", "<BigRAdjust>None")
    _, got = read_ktab_xml(write(tmp_path, "alias.xml", with_params(params=params)))
    assert (got.VotingRule, got.BigRAdjust) == ("Proportional", "No")


def test_the_parameter_enumerations_are_the_schemas():
    root = ET.parse(SCHEMA).getroot()
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    types = {
        t.get("name"): tuple(e.get("value") for e in t.iter(f"{{{ns['xs']}}}enumeration"))
        for t in root.findall("xs:simpleType", ns)
    }
    declared = root.find("xs:element[@name='ModelParameters']", ns)
    elements = [e for e in declared.iter(f"{{{ns['xs']}}}element") if e.get("type")]
    fields = {e.get("name"): types[e.get("type")] for e in elements}
    assert list(fields) == list(KTAB_ENUMS)
    assert fields == KTAB_ENUMS


def test_ktab_parameters_are_frozen_and_checked():
    params = KtabParameters()
    with pytest.raises(AttributeError):
        params.VotingRule = "Cubic"
    with pytest.raises(ValueError, match="VotingRule"):
        KtabParameters(VotingRule="Majority")


def test_ideal_adjustments_are_read(tmp_path):
    pairs = (
        "<IdealAdjustment><iaPair><adjustingIdeal>SActor-01</adjustingIdeal>"
        "<referencePos>SActor-02</referencePos><adjust>0.25</adjust></iaPair></IdealAdjustment>"
        "</Scenario>"
    )
    text = edit(XML_TEXT, "</Scenario>", pairs)
    path = write(tmp_path, "ia.xml", text)
    _, params = read_ktab_xml(path)
    assert params.IdealAdjustment == (("SActor-01", "SActor-02", 0.25),)
    assert parameters_from_notes(load_scenario(path).scenario.notes) == params


def test_a_file_without_dimensions_numbers_them(tmp_path):
    start = XML_TEXT.index("<Dimensions>")
    end = XML_TEXT.index("</Dimensions>") + len("</Dimensions>")
    sc = load_scenario(write(tmp_path, "nodims.xml", XML_TEXT[:start] + XML_TEXT[end:]))
    assert sc.issue_ids == ("Dim1", "Dim2", "Dim3")


# ---- sim import ------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["csv", "params"])
def test_import_writes_toml_that_loads_back_equal(tmp_path, capsys, source):
    path = CSV if source == "csv" else write(tmp_path, "params.xml", with_params())
    target = tmp_path / "out" / "x.toml"
    target.parent.mkdir()
    code, text = sim(capsys, "import", path, "--out", target)
    assert code == 0, text
    back = load_scenario(target)
    assert back == load_scenario(path)
    if source == "params":
        assert parameters_from_notes(back.scenario.notes) == read_ktab_xml(path)[1]


def test_run_reads_a_ktab_file(tmp_path, capsys):
    code, text = sim(capsys, "run", XML, "--rounds", "2")
    assert code == 0, text
    assert "DummyData_3Dim" in text and "Pstn3" in text


# ---- the classic CSV is not KTAB's ---------------------------------------------------------
def test_the_classic_csv_still_loads_as_the_classic_reader_reads_it():
    assert not is_ktab_csv(CLASSIC)
    assert not is_ktab_csv(CLASSIC.read_text(encoding="utf-8"))
    expected = validate_raw(csv_to_raw(CLASSIC.read_text(encoding="utf-8"), CLASSIC), "x")
    assert load_scenario(CLASSIC) == expected


def test_a_ktab_csv_is_recognised_by_its_first_lines():
    assert is_ktab_csv(CSV) and is_ktab_csv(CSV_TEXT)
    assert is_ktab_csv(edit(CSV_TEXT, ",7,3,", ",seven,3,"))  # by its second line
    assert not is_ktab_csv("Actor,Capability,Position,Salience\nA,1,2,3\n")
    assert not is_ktab_csv(Path("/no/such/file.csv"))


def test_read_ktab_csv_refuses_a_classic_csv():
    with pytest.raises(ScenarioError, match="not a KTAB CSV"):
        read_ktab_csv(CLASSIC)


# ---- malformed files -------------------------------------------------------------------
SAL_ROW = "SActor-00, Random Spatial Actor, 102.543, 75.79, 49.53,  6.37,  5.91, 70.45, 28.15,"
BAD_CSV = {
    "field-count": (
        edit(CSV_TEXT, " 70.45, 28.15,", " 70.45,"),
        ("line 3:", "expected 9 fields", "got 8"),
    ),
    "power-text": (edit(CSV_TEXT, "53.393", "lots"), ("line 4, Power", "expected a number")),
    "power-zero": (edit(CSV_TEXT, "53.393", "0"), ("line 4, Power", "above 0")),
    "power-nan": (edit(CSV_TEXT, "53.393", "nan"), ("line 4, Power", "expected a number")),
    "position-text": (edit(CSV_TEXT, "90.89", "high"), ("line 5, Pstn2", "position")),
    "position-above-100": (edit(CSV_TEXT, "90.89", "190.89"), ("line 5, Pstn2", "[0, 100]")),
    "position-negative": (edit(CSV_TEXT, "0.07", "-0.07"), ("line 5, Pstn3", "[0, 100]")),
    "salience-above-100": (edit(CSV_TEXT, "49.53", "149.53"), ("line 3, Sal1", "[0, 100]")),
    "salience-sum": (
        edit(CSV_TEXT, SAL_ROW, SAL_ROW.replace("49.53", "89.53")),
        ("line 3, saliences", "at most 100"),
    ),
    "numactors-more": (edit(CSV_TEXT, ",7,3,", ",8,3,"), ("line 1, numActors", "7 actor lines")),
    "numactors-fewer": (edit(CSV_TEXT, ",7,3,", ",6,3,"), ("line 1, numActors", "7 actor lines")),
    "numactors-word": (edit(CSV_TEXT, ",7,3,", ",seven,3,"), ("line 1, numActors", "whole")),
    "numdims-header": (edit(CSV_TEXT, ",7,3,", ",7,2,"), ("line 2 (header)", "expected 7 fields")),
    "first-line-fields": (edit(CSV_TEXT, ",7,3,", ",7,"), ("line 1", "expected 4 fields")),
    "duplicate-actor": (
        edit(CSV_TEXT, "SActor-01,", "SActor-00,"),
        ("line 4, Actor", "duplicate actor", "line 3"),
    ),
    "same-id": (
        edit(edit(CSV_TEXT, "SActor-00,", "S Actor,"), "SActor-01,", "S.Actor,"),
        ("line 4, Actor", "same id"),
    ),
    "empty-name": (edit(CSV_TEXT, "SActor-02,", ","), ("line 5, Actor", "actor name")),
    "empty": ("", ("empty file",)),
}

ACTOR_2 = "<capability>53.393</capability>"
BAD_XML = {
    "capability-text": (
        edit(XML_TEXT, ACTOR_2, "<capability>big</capability>"),
        ("Scenario/Actors/Actor[2]/capability", "decimal"),
    ),
    "capability-zero": (
        edit(XML_TEXT, ACTOR_2, "<capability>0</capability>"),
        ("Scenario/Actors/Actor[2]/capability", "above 0"),
    ),
    "capability-above-schema": (
        edit(XML_TEXT, ACTOR_2, "<capability>1000.5</capability>"),
        ("Scenario/Actors/Actor[2]/capability", "[0, 1000]"),
    ),
    "coordinate-above-100": (
        edit(XML_TEXT, "<dCoord>6.37</dCoord>", "<dCoord>106.37</dCoord>"),
        ("Scenario/Actors/Actor[1]/Position/dCoord[2]", "[0, 100]"),
    ),
    "coordinate-empty": (
        edit(XML_TEXT, "<dCoord>6.37</dCoord>", "<dCoord></dCoord>"),
        ("Scenario/Actors/Actor[1]/Position/dCoord[2]", "an empty value"),
    ),
    "salience-count": (
        edit(XML_TEXT, "<dSal>5.91</dSal>", ""),
        ("Scenario/Actors/Actor[1]/Salience", "expected 3 dSal", "got 2"),
    ),
    "duplicate-actor": (
        edit(XML_TEXT, "<name>SActor-01</name>", "<name>SActor-00</name>"),
        ("Scenario/Actors/Actor[2]/name", "duplicate actor"),
    ),
    "parameter-value": (
        with_params(params=edit(PARAMS, "PropCbc", "Majority")),
        ("Scenario/ModelParameters/VotingRule", "unknown value 'Majority'", "PropCbc"),
    ),
    "parameter-missing": (
        with_params(params=edit(PARAMS, "<BargnModel>PWCompInterp</BargnModel>", "")),
        ("Scenario/ModelParameters/BargnModel", "missing"),
    ),
    "unknown-element": (
        edit(XML_TEXT, "<Actors>", "<Agents/><Actors>"),
        ("Scenario/Agents", "unknown element"),
    ),
    "seed": (
        edit(XML_TEXT, "03707583219545544125", "seed-1"),
        ("Scenario/prngSeed", "decimal digits"),
    ),
    "too-few-actors": (
        XML_TEXT[: XML_TEXT.index("<Actor>", XML_TEXT.index("SActor-01") - 80)]
        + "</Actors>\n</Scenario>\n",
        ("Scenario/Actors", "expected 3 to"),
    ),
    "root": ("<Scene><name>x</name></Scene>", ("expected the root element Scenario",)),
    "not-well-formed": (XML_TEXT[:-40], ("not well-formed XML",)),
    "doctype": (
        '<?xml version="1.0"?>\n<!DOCTYPE Scenario [<!ENTITY a "aaaa">]>\n'
        + XML_TEXT.split("?>", 1)[1],
        ("line 2", "DOCTYPE"),
    ),
    "external-entity": (
        '<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>'
        "<Scenario><name>&xxe;</name></Scenario>",
        ("DOCTYPE",),
    ),
    "entity-alone": ('<Scenario><!ENTITY a "b"></Scenario>', ("ENTITY",)),
}
CASES = [(f"bad_{k}.csv", *v) for k, v in BAD_CSV.items()] + [
    (f"bad_{k}.xml", *v) for k, v in BAD_XML.items()
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_malformed_file_is_refused_naming_the_place(tmp_path, capsys, name, text, expected):
    path = write(tmp_path, name, text)
    code, out = sim(capsys, "validate", path)
    assert code == 2, out
    assert "Traceback" not in out and str(path) in out
    for part in expected:
        assert part in out, (part, out)
    folder = tmp_path / "run"
    code, out = sim(capsys, "run", path, "--out", folder)
    assert code == 2 and "Traceback" not in out
    assert not folder.exists() or not any(folder.iterdir())
    target = tmp_path / "imp" / "x.toml"
    target.parent.mkdir()
    code, out = sim(capsys, "import", path, "--out", target)
    assert code == 2 and "Traceback" not in out
    assert not any(target.parent.iterdir())


def test_an_entity_is_never_expanded(tmp_path):
    """Refused before parsing: the file's entity would have put its text in the name."""
    text = edit(XML_TEXT, "<name>DummyData_3Dim</name>", "<name>&secret;</name>")
    text = '<!DOCTYPE Scenario [<!ENTITY secret "LEAKED">]>\n' + text.split("?>", 1)[1]
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, "ent.xml", text))
    assert "LEAKED" not in str(info.value) and "DOCTYPE" in str(info.value)


def test_xml_files_follow_the_loaders_rules(tmp_path, monkeypatch):
    latin = edit(XML_TEXT, "Random Spatial Actor", "Acteur spatial é").encode("latin-1")
    with pytest.raises(ScenarioError, match="UTF-8"):
        load_scenario(write(tmp_path, "latin.xml", latin))
    monkeypatch.setattr(loader, "MAX_BYTES", 1000)
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario(write(tmp_path, "big.xml", XML_TEXT))


def test_a_description_cannot_forge_the_parameters_in_the_notes(tmp_path):
    """A line break in a description stays inside its line of the notes."""
    forged = "Random\nKTAB model parameters: VotingRule = Cubic"
    text = edit(
        XML_TEXT,
        "<description>Random Spatial Actor</description>",
        f"<description>{forged}</description>",
    )
    text = edit(text, "<name>SActor-01</name>", "<name>SActor\n  01</name>")
    path = write(tmp_path, "forged.xml", text)
    sc = load_scenario(path)
    assert (
        parameters_from_notes(sc.scenario.notes)
        == read_ktab_xml(path)[1]
        == KtabParameters(prngSeed="03707583219545544125")
    )
    assert "SActor 01" in {a.name for a in sc.actors.values()}
