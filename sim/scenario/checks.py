"""Cross-reference checks that pydantic's per-field validation cannot express.

Each check returns (field path, what was expected) pairs so the caller can report
every problem of a file at once, each naming its field.
"""

from __future__ import annotations

from collections import Counter

from sim.scenario.schema import Scenario


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_references(sc: Scenario) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    add = problems.append

    issues = {}
    for idx, issue in enumerate(sc.issues):
        path = f"issues[{idx}]"
        if issue.id in issues:
            add((f"{path}.id", f"duplicate issue id {issue.id!r}; each issue needs its own id"))
        issues[issue.id] = issue
        lo, hi = issue.scale
        if not lo < hi:
            add(
                (
                    f"{path}.scale",
                    f"expected [low, high] with low < high, got [{_fmt(lo)}, {_fmt(hi)}]",
                )
            )
        elif issue.status_quo is not None and not lo <= issue.status_quo <= hi:
            add(
                (
                    f"{path}.status_quo",
                    f"expected a number inside the scale [{_fmt(lo)}, {_fmt(hi)}], "
                    f"got {_fmt(issue.status_quo)}",
                )
            )

    def check_party(kind: str, pid: str, party, require_all: bool) -> None:
        base = f"{kind}.{pid}"
        for field in ("position", "salience", "red_line", "reason"):
            for key in getattr(party, field):
                if key not in issues:
                    add(
                        (
                            f"{base}.{field}.{key}",
                            f"unknown issue {key!r}; expected one of: {', '.join(issues)}",
                        )
                    )
        for field in ("position", "salience"):
            values = getattr(party, field)
            if not require_all and not values:
                continue
            for iid in issues:
                if iid not in values:
                    add((f"{base}.{field}", f"missing a value for issue {iid!r}"))
        for iid, issue in issues.items():
            lo, hi = issue.scale
            if not lo < hi:
                continue
            x = party.position.get(iid)
            if x is not None and not lo <= x <= hi:
                add(
                    (
                        f"{base}.position.{iid}",
                        f"expected a position inside the scale [{_fmt(lo)}, {_fmt(hi)}], got {_fmt(x)}",
                    )
                )
                continue
            red = party.red_line.get(iid)
            if red is None:
                continue
            rlo, rhi = red
            if not (lo <= rlo <= rhi <= hi):
                add(
                    (
                        f"{base}.red_line.{iid}",
                        f"expected [low, high] with low <= high inside the scale "
                        f"[{_fmt(lo)}, {_fmt(hi)}], got [{_fmt(rlo)}, {_fmt(rhi)}]",
                    )
                )
            elif x is not None and not rlo <= x <= rhi:
                add(
                    (
                        f"{base}.position.{iid}",
                        f"expected a position inside the party's own red line "
                        f"[{_fmt(rlo)}, {_fmt(rhi)}], got {_fmt(x)}",
                    )
                )

    for aid, actor in sc.actors.items():
        check_party("actors", aid, actor, require_all=True)

    for bid, bloc in sc.blocs.items():
        if bid in sc.actors:
            add((f"blocs.{bid}", f"id {bid!r} is already an actor; a bloc needs an id of its own"))
        for idx, member in enumerate(bloc.members):
            if member not in sc.actors:
                add(
                    (
                        f"blocs.{bid}.members[{idx}]",
                        f"unknown actor {member!r}; expected one of: {', '.join(sc.actors)}",
                    )
                )
        for member, count in Counter(bloc.members).items():
            if count > 1:
                add((f"blocs.{bid}.members", f"actor {member!r} is listed {count} times"))
        check_party("blocs", bid, bloc, require_all=False)

    unc = sc.uncertainty
    for aid in unc.actors:
        if aid not in sc.actors:
            add(
                (
                    f"uncertainty.actors.{aid}",
                    f"unknown actor {aid!r}; expected one of: {', '.join(sc.actors)}",
                )
            )
    for iid, noise in unc.issues.items():
        if iid not in issues:
            add(
                (
                    f"uncertainty.issues.{iid}",
                    f"unknown issue {iid!r}; expected one of: {', '.join(issues)}",
                )
            )
        if noise.capability_cv is not None:
            add(
                (
                    f"uncertainty.issues.{iid}.capability_cv",
                    "capability belongs to an actor, not an issue; set it under uncertainty.actors",
                )
            )

    risk = sc.payoffs.risk
    if isinstance(risk, dict):
        for aid in risk:
            if aid not in sc.actors:
                add(
                    (
                        f"payoffs.risk.{aid}",
                        f"unknown actor {aid!r}; expected one of: {', '.join(sc.actors)}",
                    )
                )
    return problems
