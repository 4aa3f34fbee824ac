"""Writing a scenario as TOML (``sim import``): a foreign format becomes an editable file."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from sim.scenario.schema import Scenario

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    """``text`` as a TOML basic string: quotes and backslashes escaped, and every
    character TOML forbids there (C0 controls, DEL) written as ``\\uXXXX``."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def toml_value(v: Any) -> str:
    """A Python value (number, string, bool, date, list, dict) as a TOML value."""
    return _value(v)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{ "
            + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None)
            + " }"
        )
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def _table(lines: list[str], header: str, body: dict) -> None:
    lines.append(header)
    for k, v in body.items():
        if v in ({}, (), [], None, ""):
            continue
        lines.append(f"{_key(k)} = {_value(v)}")
    lines.append("")


def to_toml(sc: Scenario) -> str:
    """The scenario as a TOML document that loads back into an equal `Scenario`."""
    data = sc.model_dump(mode="python")
    lines: list[str] = []
    _table(lines, "[scenario]", data["scenario"])
    for issue in data["issues"]:
        _table(lines, "[[issues]]", issue)
    for aid, actor in data["actors"].items():
        _table(lines, f"[actors.{_key(aid)}]", actor)
    for bid, bloc in data["blocs"].items():
        _table(lines, f"[blocs.{_key(bid)}]", bloc)
    _table(lines, "[model]", data["model"])
    _table(lines, "[payoffs]", data["payoffs"])
    _table(lines, "[uncertainty]", data["uncertainty"])
    _table(lines, "[bargaining]", data["bargaining"])
    if data.get("crisis") is not None:
        _table(lines, "[crisis]", data["crisis"])
    if data.get("game") is not None:
        _table(lines, "[game]", data["game"])
    if data.get("outcome") is not None:
        _table(lines, "[outcome]", data["outcome"])
    return "\n".join(lines)
