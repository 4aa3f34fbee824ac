"""Reading the input files of decide-exchange-model as raw scenarios.

A decide file is delimited text (tab-separated in decide's samples, cells often quoted
with ``'``), one record a row, each row starting with its type:

``#A key name [comment]``
    an actor;
``#P key name [comment]``
    an issue;
``#M issue position [description]``
    a named point on an issue; an issue's scale runs from its smallest to its largest
    ``#M`` position, [0, 100] when it has none;
``#D actor issue position salience power [comment]``
    an actor's position, salience and power on an issue;
``#/``, ``#0``
    comments; ``#O`` a title (kept as the scenario's description).

Saliences are on 0-1 (decide's documentation); a file with a salience above 1 is read as
on 0-100 and divided by 100. sim has one capability per actor: an actor's power must be
the same on every issue. An actor without a ``#D`` row on an issue takes no part in it (as in
decide): its salience there is 0, its position the middle of the scale, and its ``reason``
for the issue says so; an actor needs a ``#D`` row on at least one issue.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.limits import MAX_ID_LENGTH
from sim.scenario.schema import id_problem
from sim.text import printable

ROW_TYPES = ("#A", "#P", "#M", "#D", "#/", "#0", "#O")
"""The row types a decide file may hold."""

_FIELDS = {
    "#A": ("key", "name"),
    "#P": ("key", "name"),
    "#M": ("issue", "position"),
    "#D": ("actor", "issue", "position", "salience", "power"),
}
"""The fields each data row needs (after its type); cells past them are its comment."""

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEAD_BYTES = 1 << 16
_SOURCE_NOTE = "decide-exchange-model input file"


def _strip_quote(cell: str) -> str:
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] and cell[0] in "'\"":
        return cell[1:-1]
    return cell


def _first_cell(line: str) -> str:
    for sep in ("\t", ";", ","):
        if sep in line:
            line = line.split(sep, 1)[0]
            break
    return _strip_quote(line)


def _looks_decide(text: str) -> bool:
    """The first non-blank line starts with a decide row type, and an ``#A`` or ``#D``
    row is among the first lines read."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or _first_cell(lines[0]) not in ROW_TYPES:
        return False
    return any(_first_cell(ln) in ("#A", "#D") for ln in lines)


def is_decide(path_or_text: str | Path) -> bool:
    """Whether a file (a :class:`~pathlib.Path`) or a text (a ``str``) is a decide input
    file: its first non-blank line starts with one of :data:`ROW_TYPES` and it has an
    ``#A`` or ``#D`` row (in its first 64 KiB, for a file). Never raises."""
    if isinstance(path_or_text, Path):
        try:
            if not path_or_text.is_file():
                return False
            with open(path_or_text, "rb") as fh:
                head = fh.read(_HEAD_BYTES)
        except (OSError, ValueError):
            return False
        text = head.decode("utf-8-sig", "replace")
    else:
        text = path_or_text
    return _looks_decide(text)


def _dialect(text: str) -> tuple[str, str]:
    """(delimiter, quote character) of a decide file, from its first non-blank line."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = next((sep for sep in ("\t", ";", ",") if sep in first), "\t")
    head = first.lstrip()
    quote = "'" if head.startswith("'") else '"'
    return delimiter, quote


def _quoted(text: str) -> str:
    return repr(printable(text[:80] + ("..." if len(text) > 80 else "")))


def _make_id(text: str, default: str) -> str:
    """``text`` made an id: each character an id may not hold becomes ``_``, cut to 64."""
    cleaned = "".join("_" if id_problem(ch) else ch for ch in text).strip("_")
    return cleaned[:MAX_ID_LENGTH].strip("_") or default


def _distinct_ids(keys: list[str], default: str) -> dict[str, str]:
    """A distinct valid id for each key: the key made an id, then ``_2``, ``_3``... for a
    key whose id another key already has."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for key in keys:
        base = _make_id(key, default)
        got, k = base, 1
        while got in taken:
            k += 1
            suffix = f"_{k}"
            got = base[: MAX_ID_LENGTH - len(suffix)] + suffix
        taken.add(got)
        ids[key] = got
    return ids


def _rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    delimiter, quote = _dialect(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as exc:
        raise ScenarioError(
            source, [(f"line {reader.line_num}", f"not readable as delimited text: {exc}")]
        ) from None
    return rows


def read_decide_text(text: str, path: str | Path) -> dict[str, Any]:
    """The decide file ``text`` (read from ``path``) as a raw scenario; every problem is
    a :class:`ScenarioError` naming the line and the field."""
    path = Path(path)
    source = str(path)
    rows = _rows(text, source)
    if not rows:
        raise ScenarioError(source, [("", "empty file; expected decide rows #A, #P, #D")])
    problems: list[tuple[str, str]] = []
    actors: dict[str, tuple[int, str]] = {}  # key -> (line, name)
    issues: dict[str, tuple[int, str]] = {}
    points: dict[str, list[tuple[int, float]]] = {}
    data: dict[tuple[str, str], tuple[int, float, float, float]] = {}
    pending_m: list[tuple[int, str, float]] = []
    pending_d: list[tuple[int, list[str]]] = []
    titles: list[str] = []

    def number(line: int, field: str, cell: str) -> float | None:
        if not _NUMBER.fullmatch(cell) or not math.isfinite(float(cell)):
            problems.append(
                (f"line {line}, field {field}", f"expected a number, got {_quoted(cell)}")
            )
            return None
        return float(cell)

    for line, row in rows:
        kind = _strip_quote(row[0])
        cells = row[1:]
        if kind not in ROW_TYPES:
            problems.append(
                (
                    f"line {line}, field type",
                    f"unknown row type {_quoted(kind)}; expected one of {', '.join(ROW_TYPES)}",
                )
            )
            continue
        if kind in ("#/", "#0"):
            continue
        if kind == "#O":
            titles.append(" ".join(c for c in cells if c))
            continue
        need = _FIELDS[kind]
        if len(cells) < len(need):
            problems.append(
                (
                    f"line {line}",
                    f"a {kind} row needs {len(need)} fields after its type "
                    f"({', '.join(need)}), got {len(cells)}",
                )
            )
            continue
        if kind in ("#A", "#P"):
            key, name = cells[0], cells[1]
            table = actors if kind == "#A" else issues
            what = "actor" if kind == "#A" else "issue"
            if not key:
                problems.append((f"line {line}, field key", f"expected an {what} key, got ''"))
            elif key in table:
                problems.append(
                    (
                        f"line {line}, field key",
                        f"duplicate {what} key {_quoted(key)} (first on line {table[key][0]}); "
                        f"expected each {what} once",
                    )
                )
            else:
                table[key] = (line, name or key)
        elif kind == "#M":
            value = number(line, "position", cells[1])
            if value is not None:
                pending_m.append((line, cells[0], value))
        else:
            pending_d.append((line, cells))

    for line, issue, value in pending_m:
        if issue not in issues:
            problems.append(
                (
                    f"line {line}, field issue",
                    f"unknown issue {_quoted(issue)}; expected an issue key of a #P row",
                )
            )
            continue
        points.setdefault(issue, []).append((line, value))
    bounds: dict[str, tuple[float, float]] = {}
    for issue in issues:
        pts = points.get(issue)
        if not pts:
            bounds[issue] = (0.0, 100.0)
            continue
        lo, hi = min(v for _, v in pts), max(v for _, v in pts)
        if lo >= hi:
            lines = ", ".join(str(ln) for ln, _ in pts)
            problems.append(
                (
                    f"line {pts[0][0]}, field position",
                    f"issue {_quoted(issue)}: its #M positions (lines {lines}) give the bounds "
                    f"[{lo:g}, {hi:g}]; expected a lower bound below the upper (at least two "
                    "distinct #M positions)",
                )
            )
            continue
        bounds[issue] = (lo, hi)

    for line, cells in pending_d:
        actor, issue = cells[0], cells[1]
        ok = True
        if actor not in actors:
            problems.append(
                (
                    f"line {line}, field actor",
                    f"unknown actor {_quoted(actor)}; expected an actor key of an #A row",
                )
            )
            ok = False
        if issue not in issues:
            problems.append(
                (
                    f"line {line}, field issue",
                    f"unknown issue {_quoted(issue)}; expected an issue key of a #P row",
                )
            )
            ok = False
        values = [number(line, f, c) for f, c in zip(_FIELDS["#D"][2:], cells[2:5], strict=True)]
        if not ok or None in values:
            continue
        position, salience, power = (float(v or 0.0) for v in values)
        if (actor, issue) in data:
            problems.append(
                (
                    f"line {line}, field actor",
                    f"duplicate #D row for actor {_quoted(actor)} on issue {_quoted(issue)} "
                    f"(first on line {data[actor, issue][0]}); expected one row a pair",
                )
            )
            continue
        if issue in bounds:
            lo, hi = bounds[issue]
            if not lo <= position <= hi:
                problems.append(
                    (
                        f"line {line}, field position",
                        f"position {position:g} is outside issue {_quoted(issue)}'s bounds; "
                        f"expected a number from {lo:g} to {hi:g}",
                    )
                )
        if not 0 <= salience <= 100:
            problems.append(
                (
                    f"line {line}, field salience",
                    f"expected a salience from 0 to 1 (or 0 to 100), got {salience:g}",
                )
            )
        if power < 0:
            problems.append(
                (f"line {line}, field power", f"expected a power of 0 or more, got {power:g}")
            )
        data[actor, issue] = (line, position, salience, power)

    if not actors and not problems:
        problems.append(("", "no #A row; expected at least two actors"))
    if not issues and not problems:
        problems.append(("", "no #P row; expected at least one issue"))
    parsed = not problems
    for actor, (aline, _) in actors.items():
        missing = [i for i in issues if (actor, i) not in data]
        if missing and parsed and len(missing) == len(issues):
            problems.append(
                (
                    f"line {aline}, field key",
                    f"actor {_quoted(actor)} has no #D row; expected a position, salience "
                    "and power on at least one issue",
                )
            )
            continue
        powers = {i: data[actor, i] for i in issues if (actor, i) in data}
        distinct = {v[3] for v in powers.values()}
        if len(distinct) > 1:
            listed = "; ".join(f"{_quoted(i)} {v[3]:g} (line {v[0]})" for i, v in powers.items())
            problems.append(
                (
                    f"line {min(v[0] for v in powers.values())}, field power",
                    f"actor {_quoted(actor)} has different powers across issues ({listed}); "
                    "sim has one capability per actor: expected the same power on every issue",
                )
            )
    if problems:
        raise ScenarioError(source, problems)

    on_100 = any(v[2] > 1 for v in data.values())
    actor_ids = _distinct_ids(list(actors), "actor")
    issue_ids = _distinct_ids(list(issues), "issue")
    raw_actors: dict[str, Any] = {}
    for actor, (_, name) in actors.items():
        first = next(data[actor, i] for i in issues if (actor, i) in data)
        # an actor without a #D row on an issue takes no part in it, as in decide: salience 0
        # there (the exchange model leaves it out of the issue), position mid-scale
        position, salience, reason = {}, {}, {}
        for i in issues:
            if (actor, i) in data:
                row = data[actor, i]
                position[issue_ids[i]] = row[1]
                salience[issue_ids[i]] = row[2] / 100.0 if on_100 else row[2]
            else:
                lo, hi = bounds[i]
                position[issue_ids[i]] = (lo + hi) / 2.0
                salience[issue_ids[i]] = 0.0
                reason[issue_ids[i]] = (
                    f"no #D row in {path.name}: takes no part in this issue (salience 0)"
                )
        raw_actors[actor_ids[actor]] = {
            "name": name,
            "capability": first[3],
            "position": position,
            "salience": salience,
        }
        if reason:
            raw_actors[actor_ids[actor]]["reason"] = reason
    description = f"Imported from {path.name} ({_SOURCE_NOTE}"
    description += ", salience on 0-100)" if on_100 else ")"
    if titles:
        description = f"{' '.join(titles)}. {description}"
    return {
        "scenario": {"name": path.stem or "decide", "description": description},
        "issues": [
            {"id": issue_ids[i], "name": name, "scale": list(bounds[i])}
            for i, (_, name) in issues.items()
        ],
        "actors": raw_actors,
    }


def read_decide(path: str | Path) -> dict[str, Any]:
    """The decide file at ``path`` as a raw scenario (checked by ``validate_raw``)."""
    from_path = Path(path)
    try:
        data = from_path.read_bytes()
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            str(path),
            [("", f"not UTF-8 text (bad byte at offset {exc.start}); expected a UTF-8 text file")],
        ) from None
    return read_decide_text(text, from_path)
