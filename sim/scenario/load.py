"""Reading scenario files (TOML, JSON, the classic expected-utility CSV, KTAB's CSV and XML)
into a `Scenario`.

Data flows one way: file -> plain dict ("raw") -> `--set` overrides -> pydantic
validation -> cross-reference checks -> frozen `Scenario`. Nothing here evaluates
or unpickles user input.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.checks import check_references
from sim.scenario.decide import is_decide, read_decide_text
from sim.scenario.errors import ScenarioError
from sim.scenario.ktab import is_ktab_csv, ktab_csv_to_raw, ktab_xml_to_raw
from sim.scenario.limits import MAX_ID_LENGTH
from sim.scenario.overrides import apply_overrides
from sim.scenario.schema import ID_RULE, Scenario, id_problem

SUFFIXES = (".toml", ".csv", ".json", ".xml")
DECIDE_SUFFIXES = (".txt", ".tsv")
"""Suffixes read only as decide-exchange-model input files (recognised by their rows)."""
MAX_BYTES = 20 * 1024 * 1024
_KINDS = ".toml, .csv, .json or .xml (or a decide input file as .txt, .tsv)"


# ---- shipped scenarios -----------------------------------------------------------
def scenarios_dir() -> Path:
    """The folder of shipped scenarios (inside the wheel, or the source tree's `scenarios/`)."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_scenarios"
    return packaged if packaged.is_dir() else here.parent / "scenarios"


def shipped_scenarios() -> dict[str, Path]:
    """Shipped scenario names (file stems) and their paths, sorted by name."""
    folder = scenarios_dir()
    if not folder.is_dir():
        return {}
    files = [p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()]
    return {p.stem: p for p in sorted(files)}


DEFAULT_SCENARIO = "nato_russia_2022"


def resolve(name_or_path: str | Path | None) -> Path:
    """A shipped scenario's name, or a path; None gives the default scenario."""
    if name_or_path is None:
        name_or_path = DEFAULT_SCENARIO
    text = str(name_or_path)
    shipped = shipped_scenarios()
    if text in shipped:
        try:
            is_file = Path(text).is_file()
        except OSError:
            is_file = False
        # a folder (or anything but a file) of the same name is not a scenario: the
        # shipped one is meant
        if not is_file:
            return shipped[text]
    return Path(text)


# ---- reading -------------------------------------------------------------------
def _read_text(path: Path) -> str:
    source = str(path)
    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        problem = f"cannot open: {exc.strerror}; expected a scenario file"
        raise ScenarioError(source, [("", problem)]) from None
    if not exists:
        names = ", ".join(shipped_scenarios()) or "none"
        raise ScenarioError(
            source, [("", f"no such file (and no shipped scenario of that name; shipped: {names})")]
        )
    if is_dir:
        raise ScenarioError(source, [("", "is a folder; expected a scenario file")])
    if not is_file:  # a FIFO or device would block or never end
        raise ScenarioError(source, [("", "not a regular file; expected a scenario file")])
    if path.suffix.lower() not in SUFFIXES + DECIDE_SUFFIXES:
        raise ScenarioError(
            source,
            [("", f"unknown file type {path.suffix or '(none)'!r}; expected {_KINDS}")],
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(source, [("", f"cannot read: {exc.strerror}")]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            source, [("", f"file too large ({len(data)} bytes; at most {MAX_BYTES})")]
        )
    return decode_text(data, source)


def decode_text(data: bytes, source: str, expected: str = "expected a scenario") -> str:
    """A file's bytes as text: refused (``ScenarioError`` naming ``source``) when empty
    (``expected`` says what should be there), binary or not UTF-8; a BOM is dropped."""
    if not data.strip():
        raise ScenarioError(source, [("", f"empty file; {expected}")])
    if b"\x00" in data:
        raise ScenarioError(source, [("", "binary data; expected a UTF-8 text file")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            source,
            [("", f"not UTF-8 text (bad byte at offset {exc.start}); expected a UTF-8 text file")],
        ) from None


MAX_DEPTH = 32
_EXPECTED_TABLES = "expected a scenario's tables"
_TOO_DEEP = f"nested too deeply; {_EXPECTED_TABLES}"


def _too_deep(raw: Any) -> bool:
    """Whether tables and arrays nest deeper than any scenario needs (iterative: no recursion)."""
    stack = [(raw, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((v, depth + 1) for v in node)
    return False


def read_raw(path: str | Path) -> dict[str, Any]:
    """Parse a scenario file into a plain dict, without validating it."""
    raw = _parse(Path(path))
    if _too_deep(raw):
        problem = f"nested more than {MAX_DEPTH} levels deep; {_EXPECTED_TABLES}"
        raise ScenarioError(str(path), [("", problem)])
    return raw


def _parse(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problem = f"not valid TOML: {exc}{_toml_line(text, exc)}"
            raise ScenarioError(str(path), [("", problem)]) from None
        except RecursionError:
            raise ScenarioError(str(path), [("", _TOO_DEEP)]) from None
        except ValueError:  # an integer too long to convert
            raise ScenarioError(str(path), [_long_integer(text)]) from None
    if suffix == ".json":
        try:
            # NaN/Infinity pass through to validation, which rejects them naming the field
            # an integer too long to convert becomes a float (inf), rejected naming its field
            raw = json.loads(
                text,
                parse_constant=float,
                parse_int=_json_int,
                object_pairs_hook=_no_duplicate_keys,
            )
        except (json.JSONDecodeError, ValueError) as exc:
            raise ScenarioError(str(path), [("", f"not valid JSON: {exc}")]) from None
        except RecursionError:
            raise ScenarioError(str(path), [("", _TOO_DEEP)]) from None
        if not isinstance(raw, dict):
            raise ScenarioError(str(path), [("", "expected a JSON object at the top level")])
        return raw
    if suffix == ".xml":
        return ktab_xml_to_raw(text, path)[0]
    if suffix in DECIDE_SUFFIXES or is_decide(text):
        if not is_decide(text):
            problem = (
                f"not a decide input file (no #A or #D rows); a {suffix} file is read only "
                f"as one; expected {_KINDS}"
            )
            raise ScenarioError(str(path), [("", problem)])
        return read_decide_text(text, path)
    if is_ktab_csv(text):
        return ktab_csv_to_raw(text, path)
    return csv_to_raw(text, path)


MAX_INT_DIGITS = 4300
"""Python's limit on the digits of an integer read from text (``sys.get_int_max_str_digits``)."""
_LONG_DIGITS = re.compile(rf"[0-9][0-9_]{{{MAX_INT_DIGITS},}}")


def _json_int(text: str) -> int | float:
    return int(text) if len(text) <= MAX_INT_DIGITS else float(text)


def _long_integer(text: str) -> tuple[str, str]:
    """(where, problem) for a TOML file holding an integer too long to convert."""
    for line_no, line in enumerate(text.splitlines(), start=1):
        match = _LONG_DIGITS.search(line)
        if match:
            key = line[: match.start()].partition("=")[0].strip() or "a value"
            digits = sum(ch.isdigit() for ch in match.group())
            return (
                f"line {line_no}",
                f"{key[:80]}: an integer of {digits:,} digits; expected a number "
                f"(integers of at most {MAX_INT_DIGITS:,} digits)",
            )
    return (
        "",
        f"an integer too long to read; expected integers of at most {MAX_INT_DIGITS:,} digits",
    )


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}; each key may appear once per object")
        out[key] = value
    return out


def _toml_line(text: str, exc: Exception) -> str:
    """The line a TOML error points at (so a duplicate key is named), or ''."""
    match = re.search(r"at line (\d+)", str(exc))
    lines = text.splitlines()
    if not match or not 1 <= int(match.group(1)) <= len(lines):
        return ""
    line = lines[int(match.group(1)) - 1].strip()
    return f": {line[:77] + '...' if len(line) > 80 else line}" if line else ""


# ---- the classic expected-utility CSV ----------------------------------------------
CSV_COLUMNS = ("Actor", "Capability", "Position", "Salience")
CSV_ALIASES = {
    "actor": "Actor",
    "stakeholder": "Actor",
    "capability": "Capability",
    "resources": "Capability",
    "power": "Capability",
    "position": "Position",
    "salience": "Salience",
}


def _id_from_text(text: str, default: str) -> str:
    """``text`` made an id: each character an id may not hold becomes ``_``, cut to 64."""
    cleaned = "".join("_" if id_problem(ch) else ch for ch in text).strip("_")
    return cleaned[:MAX_ID_LENGTH].strip("_") or default


def _issue_id_from_stem(stem: str) -> str:
    return _id_from_text(stem, "issue")


def _cell(text: str) -> str:
    return _describe_input(text)


def csv_to_raw(text: str, path: Path) -> dict[str, Any]:
    """The classic CSV (`Actor,Capability,Position,Salience`) as a one-issue raw scenario.

    The issue's id is the file's stem; its scale is [smallest, largest] position.
    Salience is on 0-1, or on 0-100 when any value exceeds 1.
    """
    source = str(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ScenarioError(source, [("", f"not a readable CSV file: {exc}")]) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ScenarioError(
            source,
            [("", f"no header and no values; expected the columns {','.join(CSV_COLUMNS)}")],
        )
    header = [h.strip() for h in rows[0]]
    mapped = [CSV_ALIASES.get(h.lower()) for h in header]
    missing = [c for c in CSV_COLUMNS if c not in mapped]
    if missing:
        raise ScenarioError(
            source,
            [
                (
                    "header",
                    f"missing column(s) {', '.join(missing)}; expected the columns "
                    f"{','.join(CSV_COLUMNS)}, got {_describe_input(','.join(header))}",
                )
            ],
        )
    col = {name: mapped.index(name) for name in CSV_COLUMNS}
    problems: list[tuple[str, str]] = []
    records = []
    seen: dict[str, int] = {}
    if len(rows) < 3:
        problems.append(("", f"expected at least two actor rows, got {len(rows) - 1}"))
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append((f"row {line_no}", f"expected {len(header)} cells, got {len(row)}"))
            continue
        name = row[col["Actor"]].strip()
        if not name:
            problems.append(
                (f"row {line_no}, column Actor", "expected an actor name, got an empty cell")
            )
            continue
        values = {}
        for column in ("Capability", "Position", "Salience"):
            cell = row[col[column]].strip()
            try:
                value = float(cell)
            except ValueError:
                problems.append(
                    (f"row {line_no}, column {column}", f"expected a number, got {_cell(cell)}")
                )
                continue
            if not math.isfinite(value):
                problems.append(
                    (
                        f"row {line_no}, column {column}",
                        f"expected a finite number, got {_cell(cell)}",
                    )
                )
                continue
            values[column] = value
        if len(values) < 3:
            continue
        if values["Capability"] <= 0:
            problems.append(
                (
                    f"row {line_no}, column Capability",
                    f"expected a positive number, got {values['Capability']:g}",
                )
            )
        if values["Salience"] < 0 or values["Salience"] > 100:
            problems.append(
                (
                    f"row {line_no}, column Salience",
                    f"expected a salience in [0, 1] (or [0, 100]), got {values['Salience']:g}",
                )
            )
        if name in seen:
            problems.append(
                (
                    f"row {line_no}, column Actor",
                    f"duplicate actor {_cell(name)} (first on row {seen[name]})",
                )
            )
        seen.setdefault(name, line_no)
        records.append((line_no, name, values))
    if problems:
        raise ScenarioError(source, problems)
    positions = [v["Position"] for _, _, v in records]
    lo, hi = min(positions), max(positions)
    if not lo < hi:
        raise ScenarioError(
            source,
            [
                (
                    "column Position",
                    "all positions are equal; expected at least two distinct positions",
                )
            ],
        )
    on_100 = any(v["Salience"] > 1 for _, _, v in records)
    issue = _issue_id_from_stem(path.stem)
    actors = {}
    first: dict[str, tuple[int, str]] = {}
    for line_no, name, v in records:
        aid = _id_from_text(name, "actor")
        if aid in first:
            problems.append(
                (
                    f"row {line_no}, column Actor",
                    f"actor {_cell(name)} gets the same id {aid!r} as {_cell(first[aid][1])} "
                    f"(row {first[aid][0]}) once characters an id may not hold are replaced "
                    "by '_' (and the id is cut to 64 characters); expected distinct actor names",
                )
            )
        first.setdefault(aid, (line_no, name))
        actors[aid] = {
            "name": name,
            "capability": v["Capability"],
            "position": {issue: v["Position"]},
            "salience": {issue: v["Salience"] / 100.0 if on_100 else v["Salience"]},
        }
    if problems:
        raise ScenarioError(source, problems)
    return {
        "scenario": {
            "name": path.stem,
            "description": f"Imported from {path.name} (classic expected-utility CSV"
            + (", salience on 0-100)" if on_100 else ")"),
        },
        "issues": [{"id": issue, "name": path.stem, "scale": [lo, hi]}],
        "actors": actors,
    }


# ---- validation ------------------------------------------------------------------
def _describe_input(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 14_000:
        return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
    if isinstance(value, str) and len(value) > 200:
        value = value[:60]  # repr only what is shown
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(loc: tuple) -> list[str] | None:
    """The keys the schema allows at the parent of ``loc``, for 'unknown key' messages."""
    node: Any = Scenario
    for part in loc[:-1]:
        node = _step(node, part)
        if node is None:
            return None
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else args[0]
        else:
            return tp


def _step(node: Any, part: Any) -> Any:
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, BaseModel):
        field = node.model_fields.get(part)
        return None if field is None else field.annotation
    origin = typing.get_origin(node)
    args = typing.get_args(node)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is tuple and args:
        return args[0]
    return None


def _format_loc(loc: tuple, raw: dict) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            label = f"[{part}]"
            if parts == ["issues"]:
                try:
                    issue_id = raw["issues"][part]["id"]
                    label = f"[{part}] (id {_describe_input(issue_id)})"
                except (KeyError, IndexError, TypeError):
                    pass
            parts[-1:] = [parts[-1] + label] if parts else [label]
        elif part == "[key]":
            continue
        else:
            text = str(part)
            # a key that is no valid id is quoted, so the path stays readable
            parts.append(text if id_problem(text) is None else _describe_input(text))
    return ".".join(parts)


_VALIDATOR_PREFIX = re.compile(r"^(function-(after|before|wrap|plain)\[[^,\]]*(\(\))?, )+")


def _branch(node: Any, tag: str) -> Any:
    """The branch of the union ``node`` that pydantic's loc ``tag`` names, or None for a
    scalar branch (a literal, a number, a string: nothing below it)."""
    args = [a for a in typing.get_args(node) if a is not type(None)]
    bare = _VALIDATOR_PREFIX.sub("", tag)
    for arg in args:
        inner = _unwrap_annotated(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel) and tag == inner.__name__:
            return arg
        origin = typing.get_origin(inner)
        if origin is dict and bare.startswith("dict["):
            return arg
        if origin is tuple and bare.startswith("tuple["):
            return arg
    return None


def _unwrap_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_union(tp: Any) -> bool:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    return len([a for a in typing.get_args(tp) if a is not type(None)]) > 1


def _optional_inner(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _clean_loc(loc: tuple) -> tuple:
    """pydantic's loc without the names it gives union branches (``"float"``,
    ``"literal['computed']"``, ``"Strategy"``, ``"function-after[...]"``).

    The loc is walked beside the schema, so a part is dropped only where the schema
    has a union: a dict key is kept whatever it is (an actor id ``float``, ``str``
    or ``A[1]`` is an id, not a branch).
    """
    out: list = []
    node: Any = Scenario
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        if node is None:
            out.append(part)
            i += 1
            continue
        node = _optional_inner(_unwrap_annotated(node))
        if _is_union(node):
            if isinstance(part, str):
                node = _branch(node, part)
                i += 1
                continue
            node = None
            continue
        if isinstance(node, type) and issubclass(node, BaseModel):
            out.append(part)
            field = node.model_fields.get(part) if isinstance(part, str) else None
            node = None if field is None else field.annotation
            i += 1
            continue
        origin, args = typing.get_origin(node), typing.get_args(node)
        if origin is dict and len(args) == 2:
            out.append(part)  # the key, whatever it spells
            i += 1
            if i < len(parts) and parts[i] == "[key]":
                out.append("[key]")
                i += 1
            node = args[1]
            continue
        if origin is tuple and args:
            out.append(part)
            if isinstance(part, int) and len(args) > 1 and args[-1] is not Ellipsis:
                node = args[part] if 0 <= part < len(args) else None
            else:
                node = args[0]
            i += 1
            continue
        node = None
    return tuple(out)


_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "greater than or equal to"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "less than or equal to"),
}


def _bound(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _messages(exc: ValidationError, raw: dict) -> list[tuple[str, str]]:
    seen = set()
    out = []
    keep = set()  # paths of bad keys: reported even when a deeper path has a problem too
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        path = _format_loc(loc, raw) or "(top level)"
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc)
            msg = "unknown key" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            msg = "missing required field"
        elif loc and loc[-1] == "[key]":
            keep.add(path)
            msg = str(ctx.get("error", err["msg"]))
            if not msg.startswith("bad id"):
                msg = f"bad id {_describe_input(err.get('input'))}: expected {ID_RULE}"
        elif kind == "value_error":
            msg = str(ctx.get("error", err["msg"]))
        elif kind == "finite_number":
            msg = f"expected a finite number, got {_describe_input(err.get('input'))}"
        elif kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
            key, words = _BOUNDS[kind]
            msg = f"input should be {words} {_bound(ctx[key])}"
            if "input" in err:
                msg += f", got {_describe_input(err['input'])}"
        elif kind == "too_long" and "max_length" in ctx:
            msg = (
                f"too many entries: expected at most {ctx['max_length']:,}, "
                f"got {ctx.get('actual_length', 'more')}"
            )
        else:
            msg = f"{err['msg'][0].lower()}{err['msg'][1:]}"
            if "input" in err and not isinstance(err["input"], dict | list):
                msg += f", got {_describe_input(err['input'])}"
        if (path, msg) not in seen:
            seen.add((path, msg))
            out.append((path, msg))
    # a union reports one error per branch: keep the deepest paths, join the rest per path
    paths = [p for p, _ in out]

    def shadowed(p: str) -> bool:
        return p not in keep and any(q.startswith((p + ".", p + "[")) for q in paths)

    out = [(p, m) for p, m in out if not shadowed(p)]
    merged: dict[str, list[str]] = {}
    for path, msg in out:
        merged.setdefault(path, []).append(msg)
    return [(path, " or ".join(msgs)) for path, msgs in merged.items()]


def validate_raw(raw: Any, source: str) -> Scenario:
    """Validate a raw dict into a frozen `Scenario`, or raise `ScenarioError` naming every field."""
    if not isinstance(raw, dict):
        raise ScenarioError(source, [("", "expected a table of sections at the top level")])
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, _messages(exc, raw)) from None
    problems = check_references(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(
    name_or_path: str | Path | None = None, overrides: list[str] | dict[str, Any] | None = None
) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    name_or_path
        A shipped scenario's name (see ``sim list``), or a path to a ``.toml``,
        ``.csv`` (classic or KTAB's), ``.json`` or ``.xml`` (KTAB's) file; None loads
        the default NATO-Russia 2022 scenario.
    overrides
        Counterfactual changes applied before validation: ``["path=value", ...]``
        as on the command line, or a ``{path: value}`` dict, e.g.
        ``{"actors.RUS.position.enlargement": 50}``.

    Raises
    ------
    ScenarioError
        Naming the file, the field and what was expected.
    """
    path = resolve(name_or_path)
    raw = read_raw(path)
    if not overrides:
        return validate_raw(raw, str(path))
    raw = apply_overrides(raw, overrides, source=str(path))
    # a problem may come from the file or from a change: say that changes were applied
    return validate_raw(raw, f"{path} (with changes)")
