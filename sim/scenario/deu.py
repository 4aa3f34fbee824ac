"""The DEU format: EU legislative decisions, one issue a row (the DEU III dataset's layout).

A DEU file is tab-separated text (fields quoted or not) with a header row, then
optionally a row of capabilities, then one row per issue on a 0-100 scale:

* ``prnr`` names the proposal (the case), ``isnr`` the issue, ``prname`` the proposal
  in a word; the other procedure columns are read past.
* Every column ``pXX`` beside a column ``sXX`` is an actor ``XX`` (the Commission
  ``com``, the Parliament ``ep``, the member states): ``pXX`` its position on 0-100,
  ``sXX`` its salience on 0-100. On a row, the actors are those with a position; an
  empty salience counts as 50 (:data:`MISSING_SALIENCE`).
* ``rp`` is the reference point (the status quo) and ``out`` the recorded outcome,
  both on 0-100 and either may be empty.
* The row after the header may be the capability row: its identifier cells empty and a
  number (GDP in US$ trillions in DEU III) in each actor's ``pXX`` column.

:func:`read_deu` reads and checks a file whole (every problem is reported, naming its
line and column), :func:`deu_scenarios` turns its proposals into raw scenarios for
``sim import``. Nothing read from the file is evaluated: cells are text or numbers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario.errors import ScenarioError
from sim.scenario.limits import (
    MAX_ACTORS,
    MAX_CAPABILITY,
    MAX_ID_LENGTH,
    MAX_ISSUES,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    MIN_CAPABILITY,
)
from sim.scenario.load import MAX_BYTES, decode_text
from sim.scenario.schema import ScenarioArrays, id_problem

__all__ = [
    "CAPABILITIES",
    "CITATION",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MISSING_SALIENCE",
    "SCALE",
    "DeuData",
    "DeuIssue",
    "actor_id",
    "deu_cases",
    "deu_scenarios",
    "is_deu",
    "read_deu",
]

SCALE = (0.0, 100.0)
"""Every DEU issue's scale: positions, saliences, status quo and outcome on 0-100."""
MISSING_SALIENCE = 50.0
"""The salience (on 0-100) of an actor whose position is given and salience is not."""
MAX_ROWS = 10_000
"""Issue rows a DEU file may hold (DEU III has 364)."""
MAX_COLUMNS = 2_000
"""Columns a DEU file may hold (DEU III has 75)."""
MAX_PROBLEMS_KEPT = 1_000
"""Problems collected before reading stops (a refusal shows the first 100)."""
CAPABILITIES = ("file", "equal")
"""``capability`` choices: the file's capability row, or 1 for every actor."""
CITATION = (
    "Arregui, J. and Perarnaud, C. (2021). A new dataset on legislative decision-making in "
    "the European Union: the DEU III dataset. doi:10.34810/data53"
)
"""The DEU III dataset, cited by every scenario imported from a DEU file."""

_REQUIRED = ("prnr", "isnr", "rp", "out")
_WHAT = {
    "prnr": "the proposal id",
    "isnr": "the issue id",
    "rp": "the reference point",
    "out": "the recorded outcome",
}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_EXPECTED = (
    "expected a DEU file: tab-separated, a header with the columns prnr, isnr, rp, out "
    "and pairs of actor columns pXX (position) and sXX (salience)"
)


@dataclass(frozen=True, eq=False)
class DeuIssue:
    """One forecastable row of a DEU file: an issue and the actors with a position on it.

    ``actors`` are the actors' column suffixes (``"com"``, ``"ep"``, ``"at"``...) in
    column order; ``position`` is on 0-100, ``salience`` on 0-1 (the file's value / 100,
    0.5 where the cell is empty), ``capability`` from the capability row (1 for
    ``capability="equal"``). ``status_quo`` and ``outcome`` are NaN where the file has
    none. ``line`` is the row's line in the file (1-based). The arrays are read-only.
    """

    case: str
    issue: str
    name: str
    line: int
    actors: tuple[str, ...]
    position: np.ndarray
    salience: np.ndarray
    capability: np.ndarray
    status_quo: float
    outcome: float

    def arrays(self, Q: float = 1.0, T: float = 1.0, rounds: int = 30) -> ScenarioArrays:
        """The issue as a one-issue :class:`~sim.scenario.schema.ScenarioArrays` for the
        kernels: actor ids are :func:`actor_id` of the suffixes (``COM``, ``EP``...), the
        scale and every red line [0, 100], the status quo ``rp`` (NaN when empty), risk
        exponents computed (NaN). The arrays are new, contiguous float64."""
        n = len(self.actors)
        return ScenarioArrays(
            actor_ids=tuple(actor_id(a) for a in self.actors),
            issue_ids=(self.issue,),
            capability=np.array(self.capability, dtype=np.float64),
            position=np.array(self.position, dtype=np.float64).reshape(1, n),
            salience=np.array(self.salience, dtype=np.float64).reshape(1, n),
            red_lo=np.full((1, n), SCALE[0]),
            red_hi=np.full((1, n), SCALE[1]),
            scale_lo=np.array([SCALE[0]]),
            scale_hi=np.array([SCALE[1]]),
            status_quo=np.array([self.status_quo], dtype=np.float64),
            risk=np.full(n, np.nan),
            Q=float(Q),
            T=float(T),
            rounds=int(rounds),
        )

    def __repr__(self) -> str:
        return f"DeuIssue({self.case!r}, {self.issue!r}, {len(self.actors)} actors)"


@dataclass(frozen=True, eq=False)
class DeuData:
    """A DEU file read whole: its forecastable ``issues`` in file order, and the rows
    ``skipped`` as (case, issue, why) because they cannot be forecast (fewer than 2
    actors with a position, or no actor with a positive capability x salience)."""

    path: Path
    sha256: str
    capability: str
    issues: tuple[DeuIssue, ...]
    skipped: tuple[tuple[str, str, str], ...]

    @property
    def cases(self) -> tuple[str, ...]:
        """The proposals with a forecastable issue, in file order."""
        return tuple(dict.fromkeys(i.case for i in self.issues))

    def __repr__(self) -> str:
        return (
            f"DeuData({self.path.name!r}, {len(self.issues)} issues in {len(self.cases)} "
            f"proposals, {len(self.skipped)} skipped)"
        )


# ---- sniffing ------------------------------------------------------------------------
def _actor_suffixes(names: list[str]) -> list[str]:
    """The actors of a header: each ``pXX`` with an ``sXX`` beside it, in column order."""
    present = set(names)
    return [n[1:] for n in names if len(n) > 1 and n[0] == "p" and "s" + n[1:] in present]


def is_deu(path: str | Path) -> bool:
    """Whether ``path`` is a readable file whose first line is a DEU header: tab-separated
    with the columns ``isnr``, ``rp``, ``out`` and at least one ``pXX``/``sXX`` pair."""
    try:
        p = Path(path)
        if not p.is_file():
            return False
        with open(p, "rb") as fh:
            head = fh.read(1 << 16)
    except (OSError, ValueError):
        return False
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8-sig")
        cells = next(csv.reader([text], delimiter="\t"), [])
    except (UnicodeDecodeError, csv.Error):
        return False
    names = [c.strip().lower() for c in cells]
    return {"isnr", "rp", "out"} <= set(names) and bool(_actor_suffixes(names))


# ---- reading -------------------------------------------------------------------------
def _shown(cell: str) -> str:
    """A cell as a message quotes it: a number as written, other text quoted and cut."""
    if not cell:
        return "an empty cell"
    if _NUMBER.fullmatch(cell):
        return cell if len(cell) <= 40 else cell[:37] + "..."
    text = repr(cell[:60])
    return text if len(text) <= 60 else text[:57] + "..."


def _read_bytes(path: Path) -> bytes:
    source = str(path)
    try:
        if not path.exists():
            raise ScenarioError(source, [("", f"no such file; {_EXPECTED}")])
        if path.is_dir():
            raise ScenarioError(source, [("", f"is a folder; {_EXPECTED}")])
        if not path.is_file():  # a FIFO or a device would block or never end
            raise ScenarioError(source, [("", f"not a regular file; {_EXPECTED}")])
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ScenarioError(
                source, [("", f"file too large ({size:,} bytes; at most {MAX_BYTES:,})")]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(source, [("", f"cannot read: {exc.strerror}")]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            source, [("", f"file too large ({len(data):,} bytes; at most {MAX_BYTES:,})")]
        )
    return data


def _decode(data: bytes, source: str) -> str:
    return decode_text(data, source, _EXPECTED)


class _Problems(list):
    """The problems of a file, kept up to :data:`MAX_PROBLEMS_KEPT`."""

    full = False

    def add(self, where: str, message: str) -> None:
        if len(self) < MAX_PROBLEMS_KEPT:
            self.append((where, message))
        else:
            self.full = True


def _number(
    cell: str, where: str, what: str, problems: _Problems, lo: float, hi: float
) -> float | None:
    """``cell`` as a number within [lo, hi], or None (a problem noted)."""
    value = float(cell) if _NUMBER.fullmatch(cell) else math.nan
    if not math.isfinite(value) or not lo <= value <= hi:
        problems.add(where, f"expected {what}, got {_shown(cell)}")
        return None
    return value


def _rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """(first line number, cells) of every record of the file, blank lines left out."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                out.append((start, row))
                if len(out) > MAX_ROWS + 2:  # the header and the capability row besides
                    raise ScenarioError(
                        source,
                        [
                            (
                                f"line {start}",
                                f"more than {MAX_ROWS:,} issue rows; expected at most {MAX_ROWS:,}",
                            )
                        ],
                    )
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ScenarioError(
            source, [(f"line {reader.line_num}", f"not readable as tab-separated text: {exc}")]
        ) from None
    return out


def _header(row: list[str], source: str) -> list[str]:
    names = [c.strip().lower() for c in row]
    if len(names) > MAX_COLUMNS:
        raise ScenarioError(
            source, [("line 1", f"{len(names):,} columns; expected at most {MAX_COLUMNS:,}")]
        )
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for k, name in enumerate(names, start=1):
        if name and name in seen:
            problems.append(
                (
                    f"line 1, column {name}",
                    f"duplicate column (also column {seen[name]}); expected each column once",
                )
            )
        seen.setdefault(name, k)
    hint = " (the header is one column: is the file tab-separated?)" if len(names) == 1 else ""
    for c in _REQUIRED:
        if c not in seen:
            problems.append(("line 1", f"missing column {c} ({_WHAT[c]}); {_EXPECTED}{hint}"))
    actors = _actor_suffixes(names)
    if not actors:
        problems.append(("line 1", f"no actor columns (no pXX beside an sXX); {_EXPECTED}{hint}"))
    if len(actors) > MAX_ACTORS:
        problems.append(("line 1", f"{len(actors):,} actors; expected at most {MAX_ACTORS:,}"))
    if problems:
        raise ScenarioError(source, problems)
    return names


def read_deu(path: str | Path, capability: str = "file") -> DeuData:
    """Read and check a DEU file whole.

    Parameters
    ----------
    path
        The file (tab-separated UTF-8 text, at most 20 MB and :data:`MAX_ROWS` issue rows).
    capability
        ``"file"``: each actor's capability from the file's capability row (the row
        after the header, identifier cells empty); ``"equal"``: 1 for every actor.

    Raises
    ------
    ValueError
        For a ``capability`` other than ``"file"`` or ``"equal"``.
    ScenarioError
        Naming the file and, for each problem, the line, the column and what was
        expected: a missing column, a row with the wrong number of fields, a cell that
        is not a number or is outside 0-100, a negative capability, a missing
        capability row or capability, a duplicate ``isnr``.
    """
    if capability not in CAPABILITIES:
        raise ValueError(f"capability: expected 'file' or 'equal', got {capability!r}")
    path = Path(path)
    source = str(path)
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    rows = _rows(_decode(data, source), source)
    if not rows:
        raise ScenarioError(source, [("", f"empty file; {_EXPECTED}")])
    names = _header(rows[0][1], source)
    col: dict[str, int] = {}
    for k, name in enumerate(names):
        col.setdefault(name, k)
    suffixes = _actor_suffixes(names)
    pcol = [col["p" + a] for a in suffixes]
    scol = [col["s" + a] for a in suffixes]
    width = len(names)
    problems = _Problems()

    # the capability row: the first row after the header, with empty identifier cells
    body = rows[1:]
    cap_line = None
    caps: list[float | None] = [None] * len(suffixes)
    cap_bad: set[int] = set()
    if body and all(
        col[c] >= len(body[0][1]) or not body[0][1][col[c]].strip() for c in ("prnr", "isnr")
    ):
        cap_line, cap_row = body[0]
        body = body[1:]
        if len(cap_row) != width:
            problems.add(
                f"line {cap_line}",
                f"expected {width} tab-separated fields (as the header) in the capability "
                f"row, got {len(cap_row)}",
            )
            cap_bad.update(range(len(suffixes)))
        else:
            for k, a in enumerate(suffixes):
                cell = cap_row[pcol[k]].strip()
                if cell:
                    caps[k] = _number(
                        cell,
                        f"line {cap_line}, column p{a}",
                        f"a capability: a finite number from 0 to {MAX_CAPABILITY:g}",
                        problems,
                        0.0,
                        MAX_CAPABILITY,
                    )
                    if caps[k] is None:
                        cap_bad.add(k)
    if capability == "file" and cap_line is None:
        problems.add(
            f"line {body[0][0] if body else 2}",
            "no capability row: expected the row after the header to hold each actor's "
            "capability in its pXX column (identifier cells empty); use --capability equal "
            "(capability='equal') to give every actor capability 1",
        )

    if len(body) > MAX_ROWS:
        raise ScenarioError(
            source,
            [
                (
                    f"line {body[MAX_ROWS][0]}",
                    f"more than {MAX_ROWS:,} issue rows; expected at most {MAX_ROWS:,}",
                )
            ],
        )
    first_line: dict[str, int] = {}
    first_position: dict[int, int] = {}
    parsed = []
    for line, row in body:
        if problems.full:
            break
        if len(row) != width:
            problems.add(
                f"line {line}",
                f"expected {width} tab-separated fields (as the header), got {len(row)}",
            )
            continue
        case = row[col["prnr"]].strip()
        issue = row[col["isnr"]].strip()
        if not case:
            problems.add(f"line {line}, column prnr", "expected a proposal id, got an empty cell")
        if not issue:
            problems.add(f"line {line}, column isnr", "expected an issue id, got an empty cell")
        elif issue in first_line:
            problems.add(
                f"line {line}, column isnr",
                f"duplicate issue {_shown(issue)} (first on line {first_line[issue]}); "
                "expected each isnr once",
            )
        else:
            first_line[issue] = line
        members, pos, sal = [], [], []
        for k, a in enumerate(suffixes):
            p_cell = row[pcol[k]].strip()
            s_cell = row[scol[k]].strip()
            s = MISSING_SALIENCE
            if s_cell:
                got = _number(
                    s_cell,
                    f"line {line}, column s{a}",
                    "a salience on 0-100 (or an empty cell, read as 50)",
                    problems,
                    *SCALE,
                )
                s = MISSING_SALIENCE if got is None else got
            if not p_cell:
                continue
            p = _number(
                p_cell, f"line {line}, column p{a}", "a position on 0-100", problems, *SCALE
            )
            if p is None:
                continue
            first_position.setdefault(k, line)
            members.append(k)
            pos.append(p)
            sal.append(s / 100.0)
        ends = []
        for c, what in (("rp", "a status quo"), ("out", "an outcome")):
            cell = row[col[c]].strip()
            got = None
            if cell:
                got = _number(
                    cell,
                    f"line {line}, column {c}",
                    f"{what} on 0-100 or an empty cell",
                    problems,
                    *SCALE,
                )
            ends.append(math.nan if got is None else got)
        name = row[col["prname"]].strip() if "prname" in col else ""
        parsed.append((case, issue, name, line, members, pos, sal, ends))

    if capability == "file" and cap_line is not None:
        for k, line in sorted(first_position.items(), key=lambda kv: kv[1]):
            if caps[k] is None and k not in cap_bad:
                problems.add(
                    f"line {cap_line}, column p{suffixes[k]}",
                    f"expected the capability of actor {suffixes[k]} (it has a position on "
                    f"line {line}), got an empty cell",
                )
    if problems.full:
        problems.append(
            ("", f"more than {MAX_PROBLEMS_KEPT:,} problems; stopped reading; fix these first")
        )
    if problems:
        raise ScenarioError(source, list(problems))

    issues: list[DeuIssue] = []
    skipped: list[tuple[str, str, str]] = []
    for case, issue, name, line, members, pos, sal, (rp, out) in parsed:
        if len(members) < 2:
            n = len(members)
            skipped.append(
                (case, issue, f"{n} actor{'' if n == 1 else 's'} with a position; expected 2")
            )
            continue
        if capability == "equal":
            cap = np.ones(len(members))
        else:
            cap = np.array([caps[k] for k in members], dtype=np.float64)
        salience = np.array(sal, dtype=np.float64)
        if not float(np.sum(cap * salience)) > 0.0:
            skipped.append((case, issue, "no actor with a positive capability x salience"))
            continue
        position = np.array(pos, dtype=np.float64)
        for array in (position, salience, cap):
            array.setflags(write=False)
        issues.append(
            DeuIssue(
                case=case,
                issue=issue,
                name=name,
                line=line,
                actors=tuple(suffixes[k] for k in members),
                position=position,
                salience=salience,
                capability=cap,
                status_quo=float(rp),
                outcome=float(out),
            )
        )
    return DeuData(
        path=path,
        sha256=digest,
        capability=capability,
        issues=tuple(issues),
        skipped=tuple(skipped),
    )


# ---- scenarios for sim import --------------------------------------------------------
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text(value: str, limit: int) -> str:
    """``value`` as one printable line of at most ``limit`` characters: controls and
    bidirectional overrides become spaces, runs of whitespace one space."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI else ch for ch in value
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def _id(text: str, default: str) -> str:
    """``text`` made a scenario id: each character an id may not hold becomes ``_``."""
    cleaned = "".join("_" if id_problem(ch) else ch for ch in text).strip("_")
    return cleaned[:MAX_ID_LENGTH].strip("_") or default


def actor_id(suffix: str) -> str:
    """The scenario id of the actor of the columns ``pXX``/``sXX``: ``XX`` upper-cased."""
    return _id(suffix.upper(), "ACTOR")


def _unique(wanted: str, taken: set[str]) -> str:
    got, k = wanted, 1
    while got in taken:
        k += 1
        tail = f"_{k}"
        got = wanted[: MAX_ID_LENGTH - len(tail)] + tail
    taken.add(got)
    return got


def deu_cases(data: DeuData) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, str]]]:
    """Each proposal of ``data`` as a raw scenario: ([(case, raw)], [(case, why skipped)]).

    A scenario holds the proposal's forecastable issues (scale [0, 100], the status quo
    ``rp`` where given) and the actors with a position on every one of them (the format
    needs each actor's position on each issue; the others are named in ``[scenario]
    notes``), each with its capability (> 0), positions and saliences on 0-1; ``[model]
    kind = "eum"``; an ``[outcome]`` (coding ``recorded``) with ``out`` for the issues
    that have one (no ``[outcome]`` when none has). A proposal with fewer than 2 such
    actors, or more issues than a scenario holds (100), gets none and is listed with why.
    """
    by_case: dict[str, list[DeuIssue]] = {}
    for issue in data.issues:
        by_case.setdefault(issue.case, []).append(issue)
    skipped_rows: dict[str, list[tuple[str, str]]] = {}
    for case, issue, why in data.skipped:
        skipped_rows.setdefault(case, []).append((issue, why))
    scenarios: list[tuple[str, dict[str, Any]]] = []
    skipped: list[tuple[str, str]] = []
    for case in dict.fromkeys([*(i.case for i in data.issues), *skipped_rows]):
        issues = by_case.get(case, [])
        if not issues:
            skipped.append((case, "no issue that can be forecast"))
            continue
        if len(issues) > MAX_ISSUES:
            skipped.append((case, f"{len(issues)} issues; a scenario holds at most {MAX_ISSUES}"))
            continue
        raw, why = _scenario(data, case, issues, skipped_rows.get(case, []))
        if raw is None:
            skipped.append((case, why))
        else:
            scenarios.append((case, raw))
    return scenarios, skipped


def deu_scenarios(data: DeuData) -> list[tuple[str, dict[str, Any]]]:
    """One raw scenario per proposal, (case, raw) in file order (see :func:`deu_cases`)."""
    return deu_cases(data)[0]


def _scenario(
    data: DeuData, case: str, issues: list[DeuIssue], skipped_rows: list[tuple[str, str]]
) -> tuple[dict[str, Any] | None, str]:
    taken: set[str] = set()
    iid = {i.issue: _unique(_id(i.issue, "issue"), taken) for i in issues}
    name = issues[0].name
    notes: list[str] = []
    kept: list[str] = []
    for a in dict.fromkeys(a for i in issues for a in i.actors):
        missing = [i.issue for i in issues if a not in i.actors]
        if missing:
            notes.append(f"{actor_id(a)} (no position on issue {', '.join(missing)})")
            continue
        cap = float(issues[0].capability[issues[0].actors.index(a)])
        if cap < MIN_CAPABILITY:
            notes.append(f"{actor_id(a)} (capability {cap:g}; a scenario needs more than 0)")
            continue
        kept.append(a)
    if len(kept) < 2:
        n = len(kept)
        return None, (
            f"{n} actor{'' if n == 1 else 's'} with a position on every issue and a positive "
            "capability; expected at least 2"
        )
    taken_actors: set[str] = set()
    aid = {a: _unique(actor_id(a), taken_actors) for a in kept}
    actors: dict[str, Any] = {}
    for a in kept:
        at = [i.actors.index(a) for i in issues]
        actors[aid[a]] = {
            "name": _text(a, MAX_NAME_LENGTH),
            "capability": float(issues[0].capability[at[0]]),
            "position": {
                iid[i.issue]: float(i.position[k]) for i, k in zip(issues, at, strict=True)
            },
            "salience": {
                iid[i.issue]: float(i.salience[k]) for i, k in zip(issues, at, strict=True)
            },
        }
    entries = []
    for i in issues:
        entry: dict[str, Any] = {
            "id": iid[i.issue],
            "name": _text(f"issue {i.issue} of proposal {case}", MAX_NAME_LENGTH),
            "scale": [SCALE[0], SCALE[1]],
        }
        if not math.isnan(i.status_quo):
            entry["status_quo"] = i.status_quo
        entries.append(entry)
    capability = (
        "capabilities from the file's capability row"
        if data.capability == "file"
        else "every actor's capability 1 (--capability equal)"
    )
    description = (
        f"Proposal {case}{f' ({name})' if name else ''}, imported from the DEU file "
        f"{data.path.name} (sha256 {data.sha256}): positions on 0-100 and saliences "
        "(the file's value / 100, an empty salience read as 0.5) as the file records them, "
        f"{capability}, the reference point as the status quo."
    )
    notes_text = []
    if notes:
        notes_text.append("left out: " + "; ".join(notes))
    if skipped_rows:
        rows = "; ".join(f"{issue} ({why})" for issue, why in skipped_rows)
        notes_text.append(f"issues left out: {rows}")
    raw: dict[str, Any] = {
        "scenario": {
            "name": _text(f"{name} ({case})" if name else case, MAX_NAME_LENGTH),
            "description": _text(description, MAX_TEXT_LENGTH),
            "sources": [CITATION],
        },
        "issues": entries,
        "actors": actors,
        "model": {"kind": "eum"},
    }
    if notes_text:
        raw["scenario"]["notes"] = _text(". ".join(notes_text), MAX_TEXT_LENGTH)
    outcome = {iid[i.issue]: i.outcome for i in issues if not math.isnan(i.outcome)}
    if outcome:
        raw["outcome"] = {"sources": [CITATION], "coding": "recorded", "position": outcome}
    return raw, ""
