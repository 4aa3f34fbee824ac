"""Counterfactuals without editing the file: ``--set path=value``.

A path names a field with dots: ``actors.RUS.position.enlargement``,
``issues.posture.status_quo`` (issues are addressed by id), ``model.rounds``.
Values are read as TOML values (``50``, ``0.5``, ``"text"``, ``[0, 10]``, ``true``);
anything that is not a TOML value is taken as a plain string. The result is
validated like any file, so a bad value is reported with its field.
"""

from __future__ import annotations

import copy
import sys
import tomllib
from typing import Any

from sim.scenario.errors import ScenarioError


def parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignment(item: str, source: str = "--set") -> tuple[str, Any]:
    if not isinstance(item, str):
        problem = (
            f"expected PATH=VALUE as text, e.g. actors.RUS.position.enlargement=50; got {item!r}"
        )
        raise ScenarioError(source, [("overrides", problem)])
    path, sep, value = item.partition("=")
    path = path.strip()
    if not sep or not path:
        example = "e.g. actors.RUS.position.enlargement=50"
        raise ScenarioError(source, [(f"--set {item}", f"expected PATH=VALUE, {example}")])
    rest = value.strip()
    if isinstance(rest, str) and "=" in rest and not rest.startswith(("[", "{", '"', "'")):
        # `actors.A=B.capability=3`: the path ends at the first "=" (ids hold no "=")
        head = rest.split("=", 1)[0]
        if head and "." in head and " " not in head:
            problem = (
                f"the path ends at the first '=', so the value would be {rest!r}; "
                "ids may not hold '=' (expected PATH=VALUE, e.g. actors.RUS.capability=3)"
            )
            raise ScenarioError(source, [(f"--set {path}", problem)])
    try:
        return path, parse_value(rest)
    except RecursionError:
        problem = "value nested too deeply; expected a TOML value"
        raise ScenarioError(source, [(f"--set {path}", problem)]) from None
    except ValueError:  # an integer of more digits than Python converts
        problem = (
            "an integer too long to read; expected a number "
            f"(integers of at most {sys.get_int_max_str_digits() or 4300:,} digits)"
        )
        raise ScenarioError(source, [(f"--set {path}", problem)]) from None


def set_path(raw: dict, path: str, value: Any, source: str) -> None:
    parts = path.split(".")
    node: Any = raw
    walked: list[str] = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            # a list of tables addressed by id (issues)
            match = [item for item in node if isinstance(item, dict) and item.get("id") == part]
            if not match:
                ids = [str(item.get("id")) for item in node if isinstance(item, dict)]
                raise ScenarioError(
                    source,
                    [
                        (
                            f"--set {path}",
                            f"no entry {part!r} under {'.'.join(walked)}; expected one of: {', '.join(ids)}",
                        )
                    ],
                )
            if last:
                raise ScenarioError(
                    source,
                    [(f"--set {path}", "cannot replace a whole list entry; name a field of it")],
                )
            node = match[0]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            if (
                walked == ["payoffs"]
                and part == "discount"
                and not isinstance(node.get(part), dict)
            ):
                # one party's discount: the number for all becomes a table of every party
                current = node.get(part, 1.0)
                tables = [
                    raw.get(k) if isinstance(raw.get(k), dict) else {} for k in ("actors", "blocs")
                ]
                node[part] = {p: current for t in tables for p in t}
            if walked == ["payoffs"] and part == "risk" and not isinstance(node.get(part), dict):
                # one actor's exponent: "computed" for all becomes a table of the fixed ones;
                # one number for all becomes that number for every actor
                current = node.get(part, "computed")
                actors = raw.get("actors") if isinstance(raw.get("actors"), dict) else {}
                node[part] = {} if isinstance(current, str) else {a: current for a in actors}
            if part not in node:
                if walked in (
                    ["blocs"],
                    ["uncertainty"],
                    ["uncertainty", "actors"],
                    ["uncertainty", "issues"],
                    ["payoffs"],
                    ["bargaining"],
                    ["bargaining", "strategies"],
                    ["crisis"],
                    ["game"],
                    ["game", "strategies"],
                ) or (depth >= 2 and walked and walked[0] in ("actors", "blocs")):
                    node[part] = {}
                elif walked == [] and part in (
                    "model",
                    "payoffs",
                    "blocs",
                    "uncertainty",
                    "bargaining",
                    "crisis",
                    "game",
                ):
                    node[part] = {}
                else:
                    keys = ", ".join(map(str, node)) or "(none)"
                    raise ScenarioError(
                        source,
                        [
                            (
                                f"--set {path}",
                                f"no field {part!r} under {'.'.join(walked) or 'the top level'}; expected one of: {keys}",
                            )
                        ],
                    )
            node = node[part]
        else:
            raise ScenarioError(
                source, [(f"--set {path}", f"{'.'.join(walked)} is a value, not a table")]
            )
        walked.append(part)


def apply_overrides(raw: dict, overrides: list[str] | dict[str, Any], source: str) -> dict:
    """A deep copy of ``raw`` with each override applied in order."""
    out = copy.deepcopy(raw)
    items = (
        overrides.items()
        if isinstance(overrides, dict)
        else (parse_assignment(item, source) for item in overrides)
    )
    for path, value in items:
        if not isinstance(path, str) or not path:
            problem = f"expected a field path as text, e.g. 'actors.RUS.capability'; got {path!r}"
            raise ScenarioError(source, [("overrides", problem)])
        set_path(out, path, value, source)
    return out
