"""KTAB's input formats (its CSV and its XML) read as raw scenarios.

KTAB, the KAPSARC Toolkit for Behavioral Analysis, describes a scenario of its
spatial model of politics in two formats (see ``docs/ktab.md``):

- **CSV**: a first line ``name,description,numActors,numDims``; a header line
  ``Actor,Description,Power,<dimension>,<salience>,...`` whose position columns
  name the dimensions; then one line per actor: name, description, power, and per
  dimension a position and a salience, both on 0-100.
- **XML** (KTAB's ``smpSchema.xsd``): ``Scenario`` with ``name``, ``desc``,
  ``prngSeed``, optional ``ModelParameters``, ``Dimensions`` (``dName``), ``Actors``
  (``Actor``: ``name``, ``description``, ``capability``, ``Position``/``dCoord``,
  ``Salience``/``dSal``) and an optional ``IdealAdjustment`` (``iaPair``).

Each dimension becomes an issue on the scale [0, 100] with the positions as given;
saliences are divided by 100; the power (capability) must be positive. The model
parameters of an XML file are returned as :class:`KtabParameters` and written in
the scenario's ``[scenario] notes``.

XML is parsed with the standard library only after any DTD or entity declaration
has been refused, so no entity is ever expanded and nothing outside the file is read.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sim.scenario.load as _loader
from sim.scenario.errors import ScenarioError
from sim.scenario.limits import (
    MAX_ACTORS,
    MAX_ID_LENGTH,
    MAX_ISSUES,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
)
from sim.scenario.schema import id_problem

__all__ = [
    "KTAB_ALIASES",
    "KTAB_ENUMS",
    "KtabParameters",
    "is_ktab_csv",
    "notes_lines",
    "parameters_from_notes",
    "ktab_csv_to_raw",
    "ktab_xml_to_raw",
    "read_ktab_csv",
    "read_ktab_xml",
]

MIN_ACTORS = 3
"""KTAB's least number of actors (its readers and the schema's ``minOccurs``)."""
SCALE = (0.0, 100.0)
"""The scale of every KTAB dimension: positions and saliences are on 0-100."""
MAX_CSV_POWER = 1e8
"""The largest power KTAB's CSV reader takes."""
MAX_XML_CAPABILITY = 1000.0
"""The largest capability ``smpSchema.xsd`` allows."""
_SALIENCE_SLACK = 1e-9
"""How far past 100 an actor's saliences may sum (rounding of the file's decimals)."""

KTAB_ENUMS: dict[str, tuple[str, ...]] = {
    "VictoryProbModel": ("Linear", "Square", "Quartic", "Octic", "Binary"),
    "PCEModel": ("Conditional", "MarkovIncentive", "MarkovUniform"),
    "StateTransitions": ("Deterministic", "Stochastic"),
    "VotingRule": ("Binary", "PropBin", "Proportional", "PropCbc", "Cubic", "ASymProsp"),
    "BigRAdjust": ("Full", "TwoThirds", "Half", "OneThird", "No"),
    "BigRRange": ("Min", "Mid", "Max"),
    "ThirdPartyCommit": ("NoCommit", "SemiCommit", "FullCommit"),
    "InterVecBrgn": ("S1P1", "S2P2", "S2PMax"),
    "BargnModel": ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"),
}
"""The ``ModelParameters`` of ``smpSchema.xsd``, in the schema's order, with its enumerations."""

KTAB_ALIASES: dict[str, dict[str, str]] = {
    "VotingRule": {"Prop": "Proportional"},
    "BigRAdjust": {"None": "No"},
}
"""Spellings KTAB's program reads where its schema spells the value otherwise; a value
given so is carried in the schema's spelling."""


@dataclass(frozen=True)
class KtabParameters:
    """The model parameters of a KTAB XML scenario, named as KTAB names them.

    Each value is one of the schema's enumeration values (:data:`KTAB_ENUMS`); a
    file without ``ModelParameters`` gives KTAB's defaults and ``given`` False.
    ``prngSeed`` is the file's seed as written (decimal digits); ``IdealAdjustment``
    holds the ``iaPair`` entries as (adjusting actor's KTAB name, reference actor's
    KTAB name, adjustment).
    """

    VictoryProbModel: str = "Linear"
    PCEModel: str = "Conditional"
    StateTransitions: str = "Deterministic"
    VotingRule: str = "Proportional"
    BigRAdjust: str = "OneThird"
    BigRRange: str = "Mid"
    ThirdPartyCommit: str = "SemiCommit"
    InterVecBrgn: str = "S2P2"
    BargnModel: str = "InitOnlyInterp"
    prngSeed: str = ""
    given: bool = False
    IdealAdjustment: tuple[tuple[str, str, float], ...] = ()

    def __post_init__(self) -> None:
        for name, allowed in KTAB_ENUMS.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")

    def model_parameters(self) -> dict[str, str]:
        """The nine ``ModelParameters`` by KTAB's names, in the schema's order."""
        return {name: getattr(self, name) for name in KTAB_ENUMS}


_PARAMS_GIVEN = "KTAB model parameters: "
_PARAMS_DEFAULT = "KTAB model parameters (none in the file; KTAB's defaults): "
_SEED_LINE = "KTAB prngSeed: "
_PAIRS_LINE = "KTAB IdealAdjustment: "


def notes_lines(parameters: KtabParameters) -> list[str]:
    """The lines of ``[scenario] notes`` that state ``parameters`` (one line each: the
    seed, the model parameters, and the ideal adjustments as JSON when there are any)."""
    values = ", ".join(f"{k} = {v}" for k, v in parameters.model_parameters().items())
    lines = [
        _SEED_LINE + parameters.prngSeed,
        (_PARAMS_GIVEN if parameters.given else _PARAMS_DEFAULT) + values,
    ]
    if parameters.IdealAdjustment:
        pairs = [list(p) for p in parameters.IdealAdjustment]
        lines.append(_PAIRS_LINE + json.dumps(pairs, ensure_ascii=False))
    return lines


def parameters_from_notes(notes: str) -> KtabParameters | None:
    """The `KtabParameters` that :func:`notes_lines` wrote in ``notes``, or None when the
    notes state none (a scenario not read from KTAB XML). Ideal adjustments the notes
    had no room for are left out. Raises ValueError on a value no enumeration holds."""
    values: dict[str, Any] = {}
    found = False
    for line in notes.splitlines():
        if line.startswith(_SEED_LINE):
            values["prngSeed"] = line[len(_SEED_LINE) :].strip()
        elif line.startswith((_PARAMS_GIVEN, _PARAMS_DEFAULT)):
            found = True
            given = line.startswith(_PARAMS_GIVEN)
            rest = line[len(_PARAMS_GIVEN if given else _PARAMS_DEFAULT) :]
            values["given"] = given
            for item in rest.split(","):
                key, _, value = item.partition("=")
                if key.strip() in KTAB_ENUMS:
                    values[key.strip()] = value.strip()
        elif line.startswith(_PAIRS_LINE):
            try:
                pairs = json.loads(line[len(_PAIRS_LINE) :])
                values["IdealAdjustment"] = tuple((str(a), str(b), float(v)) for a, b, v in pairs)
            except (ValueError, TypeError):
                pass
    return KtabParameters(**values) if found else None


# ---- shared ------------------------------------------------------------------------
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WHOLE = re.compile(r"\+?\d{1,9}")
_SEED = re.compile(r"\d{1,20}")
_MAX_SEED = 2**64 - 1


def _shown(text: str) -> str:
    """A cell or element text as a message quotes it."""
    if not text:
        return "an empty value"
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


def _number(text: str) -> float | None:
    """``text`` (a decimal, optionally with an exponent) as a finite float, or None."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _as_id(text: str, default: str) -> str:
    """``text`` made an id: each character an id may not hold becomes ``_``, cut to 64."""
    cleaned = "".join("_" if id_problem(ch) else ch for ch in text).strip("_")
    return cleaned[:MAX_ID_LENGTH].strip("_") or default


def _raw(
    source_name: str,
    fmt: str,
    name: str,
    description: str,
    dims: list[str],
    actors: list[tuple[str, str, float, list[float], list[float]]],
    extra_notes: list[str],
) -> dict[str, Any]:
    """The raw scenario of a KTAB file whose values are checked (ids distinct)."""
    ids = [_as_id(d, f"dim{k + 1}") for k, d in enumerate(dims)]
    issues = [
        {"id": iid, "name": dname[:MAX_NAME_LENGTH], "scale": list(SCALE)}
        for iid, dname in zip(ids, dims, strict=True)
    ]
    raw_actors: dict[str, Any] = {}
    for aid, (aname, _, cap, pos, sal) in zip(_actor_ids(actors), actors, strict=True):
        raw_actors[aid] = {
            "name": aname,
            "capability": cap,
            "position": dict(zip(ids, pos, strict=True)),
            "salience": {iid: s / 100.0 for iid, s in zip(ids, sal, strict=True)},
        }
    notes = [
        f"Read from {source_name} (KTAB's {fmt} format): each dimension an issue on "
        "[0, 100] with the positions as given, saliences divided by 100, power as capability.",
        *extra_notes,
    ]
    # one line: a description's own line breaks would split the notes' lines
    descriptions = [(a[0], " ".join(a[1].split())) for a in actors if a[1].strip()]
    if descriptions:
        if len({d for _, d in descriptions}) == 1 and len(descriptions) == len(actors):
            line = f"Actors' description (all): {descriptions[0][1]}"
        else:
            line = "Actors' descriptions: " + "; ".join(f"{n}: {d}" for n, d in descriptions)
        notes.append(line)
    text = "\n".join(notes)
    if len(text) > MAX_TEXT_LENGTH:
        # the actors' descriptions go first, then the ideal adjustments, to fit the notes
        keep = [n for n in notes if not n.startswith("Actors' description")]
        keep.append("Actors' descriptions: omitted (longer than the notes hold)")
        text = "\n".join(keep)
        if len(text) > MAX_TEXT_LENGTH:
            keep = [n for n in keep if not n.startswith(_PAIRS_LINE)]
            keep.append("KTAB IdealAdjustment omitted: longer than the notes hold")
            text = "\n".join(keep)
    return {
        "scenario": {
            "name": name or Path(source_name).stem or "KTAB scenario",
            "description": description,
            "notes": text,
        },
        "issues": issues,
        "actors": raw_actors,
    }


def _actor_ids(actors: list[tuple]) -> list[str]:
    return [_as_id(a[0], "actor") for a in actors]


def _id_clashes(names: list[str], kind: str, where: list[str]) -> list[tuple[str, str]]:
    """Problems for names that become the same id once made ids."""
    problems = []
    first: dict[str, int] = {}
    for k, name in enumerate(names):
        iid = _as_id(name, "actor" if kind == "actor" else f"dim{k + 1}")
        if iid in first:
            j = first[iid]
            problems.append(
                (
                    where[k],
                    f"{kind} {_shown(name)} gets the same id {iid!r} as {_shown(names[j])} "
                    f"({where[j]}) once characters an id may not hold are replaced by '_' "
                    f"(and the id is cut to {MAX_ID_LENGTH} characters); expected distinct "
                    f"{kind} names",
                )
            )
        first.setdefault(iid, k)
    return problems


# ---- CSV ---------------------------------------------------------------------------
def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells without the trailing empty ones) per non-blank row.

    Raises csv.Error on an unreadable file."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    rows = []
    start = 1
    for row in reader:
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append((start, cells))
        start = reader.line_num + 1
    return rows


def _looks_ktab(text: str) -> bool:
    """Whether the first two non-blank rows of CSV ``text`` are KTAB's."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            if any(cells):
                rows.append(cells)
            if len(rows) == 2:
                break
    except csv.Error:
        return False
    if not rows:
        return False
    first = rows[0]
    if len(first) >= 4 and all(_WHOLE.fullmatch(c) for c in first[2:4]):
        return True
    return len(rows) > 1 and [c.lower() for c in rows[1][:2]] == ["actor", "description"]


def is_ktab_csv(path_or_text: str | Path) -> bool:
    """Whether a CSV file (a ``Path``) or CSV text (a ``str``) is in KTAB's format.

    KTAB's CSV is recognised by its first line, whose third and fourth cells are
    whole numbers (``name,description,numActors,numDims``), or by a second line that
    starts ``Actor,Description``. The classic expected-utility CSV, whose first line
    is a header such as ``Actor,Capability,Position,Salience``, is not KTAB's. A
    file that cannot be read is not KTAB's either.
    """
    if isinstance(path_or_text, Path):
        try:
            with open(path_or_text, "rb") as fh:
                head = fh.read(1 << 16)
            text = head.decode("utf-8-sig", errors="replace")
        except (OSError, ValueError):
            return False
    else:
        text = path_or_text
    return _looks_ktab(text)


def ktab_csv_to_raw(text: str, path: str | Path) -> dict[str, Any]:
    """KTAB CSV ``text`` (read from ``path``) as a raw scenario, or `ScenarioError`
    naming the line and the field of every problem."""
    path = Path(path)
    source = str(path)
    try:
        rows = _csv_rows(text)
    except csv.Error as exc:
        raise ScenarioError(source, [("", f"not a readable CSV file: {exc}")]) from None
    expected_first = "name,description,numActors,numDims"
    if not rows:
        raise ScenarioError(source, [("", f"no lines; expected a first line {expected_first}")])
    line1, first = rows[0]
    if len(first) != 4:
        raise ScenarioError(
            source,
            [(f"line {line1}", f"expected 4 fields {expected_first}, got {len(first)}")],
        )
    name, description = first[0], first[1]
    problems: list[tuple[str, str]] = []
    counts = {}
    for field, cell, least, most in (
        ("numActors", first[2], MIN_ACTORS, MAX_ACTORS),
        ("numDims", first[3], 1, MAX_ISSUES),
    ):
        if not _WHOLE.fullmatch(cell):
            problems.append(
                (f"line {line1}, {field}", f"expected a whole number, got {_shown(cell)}")
            )
            continue
        value = int(cell)
        if not least <= value <= most:
            problems.append(
                (f"line {line1}, {field}", f"expected {least} to {most:,}, got {value:,}")
            )
            continue
        counts[field] = value
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            (
                f"line {line1}, name",
                f"expected at most {MAX_NAME_LENGTH} characters, got {len(name):,}",
            )
        )
    if problems:
        raise ScenarioError(source, problems)
    n_actors, n_dims = counts["numActors"], counts["numDims"]
    width = 3 + 2 * n_dims
    if len(rows) < 2:
        raise ScenarioError(
            source,
            [("", "no header line; expected a second line Actor,Description,Power,Pstn1,Sal1,...")],
        )
    line2, header = rows[1]
    if len(header) != width:
        raise ScenarioError(
            source,
            [
                (
                    f"line {line2} (header)",
                    f"expected {width} fields (Actor, Description, Power and a position and a "
                    f"salience column for each of the {n_dims} dimensions numDims gives), "
                    f"got {len(header)}",
                )
            ],
        )
    dims = [header[3 + 2 * d] for d in range(n_dims)]
    sal_cols = [header[4 + 2 * d] for d in range(n_dims)]
    for d, dname in enumerate(dims):
        column = 4 + 2 * d
        if not dname:
            problems.append(
                (
                    f"line {line2} (header), column {column}",
                    "expected a dimension name, got an empty cell",
                )
            )
        elif len(dname) > MAX_NAME_LENGTH:
            problems.append(
                (
                    f"line {line2} (header), column {column}",
                    f"expected a dimension name of at most {MAX_NAME_LENGTH} characters",
                )
            )
    problems += _id_clashes(
        dims, "dimension", [f"line {line2} (header), column {4 + 2 * d}" for d in range(n_dims)]
    )
    body = rows[2:]
    if len(body) != n_actors:
        lines = f" (lines {body[0][0]}-{body[-1][0]})" if body else ""
        problems.append(
            (
                f"line {line1}, numActors",
                f"numActors is {n_actors} but the file has {len(body)} actor lines{lines}; "
                "expected one line per actor",
            )
        )
    actors: list[tuple[str, str, float, list[float], list[float]]] = []
    seen: dict[str, int] = {}
    where: list[str] = []
    for line_no, cells in body:
        if len(cells) != width:
            problems.append(
                (
                    f"line {line_no}",
                    f"expected {width} fields (name, description, power and {n_dims} "
                    f"position-salience pairs), got {len(cells)}",
                )
            )
            continue
        aname, adesc = cells[0], cells[1]
        bad = False
        if not aname:
            problems.append((f"line {line_no}, Actor", "expected an actor name, got an empty cell"))
            bad = True
        elif len(aname) > MAX_NAME_LENGTH:
            problems.append(
                (f"line {line_no}, Actor", f"expected at most {MAX_NAME_LENGTH} characters")
            )
            bad = True
        elif aname in seen:
            problems.append(
                (
                    f"line {line_no}, Actor",
                    f"duplicate actor {_shown(aname)} (first on line {seen[aname]})",
                )
            )
            bad = True
        else:
            seen[aname] = line_no
        if len(adesc) > MAX_TEXT_LENGTH:
            problems.append(
                (f"line {line_no}, Description", f"expected at most {MAX_TEXT_LENGTH:,} characters")
            )
            bad = True
        power = _number(cells[2])
        if power is None:
            problems.append(
                (f"line {line_no}, Power", f"expected a number, got {_shown(cells[2])}")
            )
            bad = True
        elif not 0 < power <= MAX_CSV_POWER:
            problems.append(
                (
                    f"line {line_no}, Power",
                    f"expected a power above 0 and at most {MAX_CSV_POWER:,.0f}, got {cells[2]}",
                )
            )
            bad = True
        pos: list[float] = []
        sal: list[float] = []
        for d in range(n_dims):
            for column, target, kind in (
                (dims[d], pos, "position"),
                (sal_cols[d], sal, "salience"),
            ):
                cell = cells[3 + 2 * d + (kind == "salience")]
                label = column or f"column {4 + 2 * d + (kind == 'salience')}"
                value = _number(cell)
                if value is None:
                    problems.append(
                        (
                            f"line {line_no}, {label}",
                            f"expected a {kind} number, got {_shown(cell)}",
                        )
                    )
                    bad = True
                elif not SCALE[0] <= value <= SCALE[1]:
                    problems.append(
                        (
                            f"line {line_no}, {label}",
                            f"expected a {kind} in [0, 100], got {cell}",
                        )
                    )
                    bad = True
                else:
                    target.append(value)
        if not bad and sum(sal) > 100.0 + _SALIENCE_SLACK:
            problems.append(
                (
                    f"line {line_no}, saliences",
                    f"an actor's saliences sum to {sum(sal):g}; expected at most 100 in all",
                )
            )
            bad = True
        if not bad:
            actors.append((aname, adesc, power, pos, sal))
            where.append(f"line {line_no}, Actor")
    if not problems:
        problems += _id_clashes([a[0] for a in actors], "actor", where)
    if problems:
        raise ScenarioError(source, problems)
    return _raw(path.name, "CSV", name, description, dims, actors, [])


def read_ktab_csv(path: str | Path) -> dict[str, Any]:
    """A KTAB CSV file as a raw scenario (for :func:`sim.scenario.validate_raw`).

    The file is read as every scenario file is (UTF-8, at most 20 MB); a CSV file
    that is not in KTAB's format, and any malformed one, is a `ScenarioError`.
    """
    path = Path(path)
    text = _loader._read_text(path)
    if not _looks_ktab(text):
        raise ScenarioError(
            str(path),
            [
                (
                    "line 1",
                    "not a KTAB CSV file: expected a first line name,description,numActors,"
                    "numDims and a second line Actor,Description,Power,...",
                )
            ],
        )
    return ktab_csv_to_raw(text, path)


# ---- XML ---------------------------------------------------------------------------
_FORBIDDEN_XML = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_SCENARIO_CHILDREN = (
    "name",
    "desc",
    "prngSeed",
    "ModelParameters",
    "Dimensions",
    "Actors",
    "IdealAdjustment",
)
_REQUIRED = ("name", "desc", "prngSeed", "Actors")
_ACTOR_CHILDREN = ("name", "description", "capability", "Position", "Salience")
_PAIR_CHILDREN = ("adjustingIdeal", "referencePos", "adjust")


def _tag(el: ET.Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


class _Xml:
    """Reads the elements of one file, collecting problems by element path."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[tuple[str, str]] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append((where, message))

    def children(
        self, el: ET.Element, where: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, ET.Element]:
        """The child elements of ``el`` by name: each allowed one at most once."""
        out: dict[str, ET.Element] = {}
        for child in el:
            tag = _tag(child)
            if not tag:  # a comment or processing instruction
                continue
            if tag not in allowed:
                self.fail(
                    f"{where}/{tag}", f"unknown element; expected one of {', '.join(allowed)}"
                )
            elif tag in out:
                self.fail(f"{where}/{tag}", "given twice; expected it once")
            else:
                out[tag] = child
        for tag in required:
            if tag not in out:
                self.fail(f"{where}/{tag}", "missing required element")
        return out

    def items(self, el: ET.Element, where: str, tag: str) -> list[tuple[str, ET.Element]]:
        """The repeated child elements ``tag`` of ``el`` with their paths; others refused."""
        out = []
        for child in el:
            name = _tag(child)
            if not name:
                continue
            if name != tag:
                self.fail(f"{where}/{name}", f"unknown element; expected {tag}")
                continue
            out.append((f"{where}/{tag}[{len(out) + 1}]", child))
        if not out:
            self.fail(f"{where}/{tag}", f"missing; expected at least one {tag}")
        return out

    def text(self, el: ET.Element, where: str) -> str | None:
        """The text of a leaf element, stripped; None (and a problem) if it has elements."""
        if any(_tag(c) for c in el):
            self.fail(where, "expected text, got elements")
            return None
        return (el.text or "").strip()

    def name(self, el: ET.Element, where: str) -> str | None:
        """A name: the element's text with each run of whitespace (line breaks too) one space."""
        text = self.text(el, where)
        return None if text is None else " ".join(text.split())

    def number(self, el: ET.Element, where: str, what: str, lo: float, hi: float) -> float | None:
        text = self.text(el, where)
        if text is None:
            return None
        value = _number(text)
        if value is None:
            self.fail(where, f"expected a {what} (a decimal number), got {_shown(text)}")
            return None
        if not lo <= value <= hi:
            self.fail(where, f"expected a {what} in [{lo:g}, {hi:g}], got {text}")
            return None
        return value


def _parse_xml(text: str, source: str) -> ET.Element:
    match = _FORBIDDEN_XML.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        kind = match.group(1).upper()
        raise ScenarioError(
            source,
            [
                (
                    f"line {line}",
                    f"holds a <!{kind} declaration; sim reads KTAB XML without a DTD or "
                    "entities (remove it)",
                )
            ],
        )
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise ScenarioError(source, [("", f"not well-formed XML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(source, [("", "nested too deeply; expected a KTAB scenario")]) from None


def ktab_xml_to_raw(text: str, path: str | Path) -> tuple[dict[str, Any], KtabParameters]:
    """KTAB XML ``text`` (read from ``path``) as a raw scenario and its model
    parameters, or `ScenarioError` naming the element path of every problem."""
    path = Path(path)
    source = str(path)
    root = _parse_xml(text, source)
    x = _Xml(source)
    if _tag(root) != "Scenario":
        raise ScenarioError(
            source, [(_tag(root) or "(root)", "expected the root element Scenario")]
        )
    top = x.children(root, "Scenario", _SCENARIO_CHILDREN, _REQUIRED)
    name = x.name(top["name"], "Scenario/name") if "name" in top else ""
    desc = x.text(top["desc"], "Scenario/desc") if "desc" in top else ""
    if name and len(name) > MAX_NAME_LENGTH:
        x.fail("Scenario/name", f"expected at most {MAX_NAME_LENGTH} characters, got {len(name):,}")
    seed = ""
    if "prngSeed" in top:
        seed = x.text(top["prngSeed"], "Scenario/prngSeed") or ""
        if not _SEED.fullmatch(seed) or int(seed) > _MAX_SEED:
            x.fail(
                "Scenario/prngSeed",
                f"expected a seed of decimal digits from 0 to {_MAX_SEED}, got {_shown(seed)}",
            )
    params: dict[str, str] = {}
    given = "ModelParameters" in top
    if given:
        where = "Scenario/ModelParameters"
        found = x.children(top["ModelParameters"], where, tuple(KTAB_ENUMS), tuple(KTAB_ENUMS))
        for key, el in found.items():
            value = x.text(el, f"{where}/{key}")
            if value is None:
                continue
            value = KTAB_ALIASES.get(key, {}).get(value, value)
            if value not in KTAB_ENUMS[key]:
                x.fail(
                    f"{where}/{key}",
                    f"unknown value {_shown(value)}; expected one of {', '.join(KTAB_ENUMS[key])}",
                )
                continue
            params[key] = value
    dims: list[str] = []
    if "Dimensions" in top:
        for where, el in x.items(top["Dimensions"], "Scenario/Dimensions", "dName"):
            dname = x.name(el, where)
            if dname is None:
                continue
            if not dname:
                x.fail(where, "expected a dimension name, got an empty element")
            elif len(dname) > MAX_NAME_LENGTH:
                x.fail(where, f"expected at most {MAX_NAME_LENGTH} characters")
            dims.append(dname)
        if len(dims) > MAX_ISSUES:
            x.fail(
                "Scenario/Dimensions", f"expected at most {MAX_ISSUES} dimensions, got {len(dims)}"
            )
    actors: list[tuple[str, str, float, list[float], list[float]]] = []
    actor_where: list[str] = []
    if "Actors" in top:
        entries = x.items(top["Actors"], "Scenario/Actors", "Actor")
        if entries and not MIN_ACTORS <= len(entries) <= MAX_ACTORS:
            x.fail(
                "Scenario/Actors",
                f"expected {MIN_ACTORS} to {MAX_ACTORS:,} Actor elements, got {len(entries):,}",
            )
        n_dims = len(dims) if "Dimensions" in top else None
        seen: dict[str, str] = {}
        for where, el in entries:
            actor = _xml_actor(x, el, where, n_dims, seen)
            if actor is not None:
                if n_dims is None:
                    n_dims = len(actor[3])
                actors.append(actor)
                actor_where.append(f"{where}/name")
        if "Dimensions" not in top and n_dims is not None:
            dims = [f"Dim{d + 1}" for d in range(n_dims)]
    if dims and not x.problems:
        x.problems += _id_clashes(
            dims, "dimension", [f"Scenario/Dimensions/dName[{d + 1}]" for d in range(len(dims))]
        )
    if not x.problems:
        x.problems += _id_clashes([a[0] for a in actors], "actor", actor_where)
    pairs: list[tuple[str, str, float]] = []
    if "IdealAdjustment" in top:
        names = {a[0] for a in actors}
        seen_pairs: set[tuple[str, str]] = set()
        for where, el in x.items(top["IdealAdjustment"], "Scenario/IdealAdjustment", "iaPair"):
            parts = x.children(el, where, _PAIR_CHILDREN, _PAIR_CHILDREN)
            if len(parts) != len(_PAIR_CHILDREN):
                continue
            who = [x.name(parts[k], f"{where}/{k}") for k in _PAIR_CHILDREN[:2]]
            adjust = x.number(parts["adjust"], f"{where}/adjust", "number", -1e15, 1e15)
            ok = adjust is not None
            for k, value in zip(_PAIR_CHILDREN[:2], who, strict=True):
                if value is None:
                    ok = False
                elif value not in names:
                    x.fail(
                        f"{where}/{k}", f"unknown actor {_shown(value)}; expected an actor's name"
                    )
                    ok = False
            if ok:
                key = (who[0], who[1])
                if key in seen_pairs:
                    x.fail(
                        where, f"the pair {who[0]!r}, {who[1]!r} is given twice; expected it once"
                    )
                    continue
                seen_pairs.add(key)
                pairs.append((who[0], who[1], adjust))
    if x.problems:
        raise ScenarioError(source, x.problems)
    parameters = KtabParameters(**params, prngSeed=seed, given=given, IdealAdjustment=tuple(pairs))
    extra = notes_lines(parameters)
    raw = _raw(path.name, "XML", name or "", desc or "", dims, actors, extra)
    return raw, parameters


def _xml_actor(
    x: _Xml, el: ET.Element, where: str, n_dims: int | None, seen: dict[str, str]
) -> tuple[str, str, float, list[float], list[float]] | None:
    """One ``Actor`` element, or None (with its problems recorded)."""
    before = len(x.problems)
    parts = x.children(el, where, _ACTOR_CHILDREN, _ACTOR_CHILDREN)
    name = x.name(parts["name"], f"{where}/name") if "name" in parts else None
    if name is not None:
        if not name:
            x.fail(f"{where}/name", "expected an actor name, got an empty element")
        elif len(name) > MAX_NAME_LENGTH:
            x.fail(f"{where}/name", f"expected at most {MAX_NAME_LENGTH} characters")
        elif name in seen:
            x.fail(f"{where}/name", f"duplicate actor {_shown(name)} (first at {seen[name]})")
        else:
            seen[name] = where
    desc = x.text(parts["description"], f"{where}/description") if "description" in parts else ""
    if desc and len(desc) > MAX_TEXT_LENGTH:
        x.fail(f"{where}/description", f"expected at most {MAX_TEXT_LENGTH:,} characters")
    cap = None
    if "capability" in parts:
        cap_where = f"{where}/capability"
        cap = x.number(parts["capability"], cap_where, "capability", 0.0, MAX_XML_CAPABILITY)
        if cap is not None and cap <= 0:
            x.fail(
                cap_where,
                f"expected a capability above 0 (and at most {MAX_XML_CAPABILITY:g}), got {cap:g}",
            )
            cap = None
    vectors: list[list[float]] = []
    for group, leaf, what in (("Position", "dCoord", "position"), ("Salience", "dSal", "salience")):
        if group not in parts:
            continue
        values = []
        items = x.items(parts[group], f"{where}/{group}", leaf)
        for leaf_where, leaf_el in items:
            values.append(x.number(leaf_el, leaf_where, what, *SCALE))
        count = n_dims if n_dims is not None else (len(vectors[0]) if vectors else None)
        if items and count is not None and len(items) != count:
            x.fail(
                f"{where}/{group}",
                f"expected {count} {leaf} elements (one per dimension), got {len(items)}",
            )
        vectors.append(values)
    if len(x.problems) > before or len(vectors) != 2:
        return None
    pos, sal = vectors
    if sum(sal) > 100.0 + _SALIENCE_SLACK:
        x.fail(
            f"{where}/Salience",
            f"the actor's saliences sum to {sum(sal):g}; expected at most 100 in all",
        )
        return None
    return (name, desc or "", cap, pos, sal)


def read_ktab_xml(path: str | Path) -> tuple[dict[str, Any], KtabParameters]:
    """A KTAB XML file as a raw scenario (for :func:`sim.scenario.validate_raw`) and
    its model parameters; the raw scenario's ``[scenario] notes`` state them too.

    The file is read as every scenario file is (UTF-8, at most 20 MB). A DTD or an
    entity declaration, and any malformed element, is a `ScenarioError`.
    """
    path = Path(path)
    return ktab_xml_to_raw(_loader._read_text(path), path)
