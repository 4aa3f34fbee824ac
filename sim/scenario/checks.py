"""Cross-reference checks that pydantic's per-field validation cannot express.

Each check returns (field path, what was expected) pairs so the caller can report
every problem of a file at once, each naming its field.
"""

from __future__ import annotations

from collections import Counter

from sim.scenario.game_strategies import GAME_STRATEGIES
from sim.scenario.limits import MIN_SCALE_WIDTH, check_play
from sim.scenario.schema import Scenario


def _fmt(x: float) -> str:
    return f"{x:g}"


MAX_LISTED = 10
"""Ids a message lists as what was expected; past that it says how many there are."""


def _both(owners: list[str]) -> str:
    """``"B and Y"``, or the first ten parties and how many there are."""
    if len(owners) <= MAX_LISTED:
        return " and ".join(owners)
    return f"{', '.join(owners[:MAX_LISTED])}, ... ({len(owners):,} parties)"


def _one_of(ids) -> str:
    """``"a, b, c"``, or the first ten and ``"... (1,000 in all)"``: a message stays one
    short line however many actors or issues the file has."""
    ids = list(ids)
    if len(ids) <= MAX_LISTED:
        return ", ".join(ids)
    return f"{', '.join(ids[:MAX_LISTED])}, ... ({len(ids):,} in all)"


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
        elif hi - lo < MIN_SCALE_WIDTH:
            add(
                (
                    f"{path}.scale",
                    f"expected a scale at least {MIN_SCALE_WIDTH:g} wide, "
                    f"got [{_fmt(lo)}, {_fmt(hi)}]",
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
                            f"unknown issue {key!r}; expected one of: {_one_of(issues)}",
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
            if not hi - lo >= MIN_SCALE_WIDTH:
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
                        f"unknown actor {member!r}; expected one of: {_one_of(sc.actors)}",
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
                    f"unknown actor {aid!r}; expected one of: {_one_of(sc.actors)}",
                )
            )
    for iid, noise in unc.issues.items():
        if iid not in issues:
            add(
                (
                    f"uncertainty.issues.{iid}",
                    f"unknown issue {iid!r}; expected one of: {_one_of(issues)}",
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
                        f"unknown actor {aid!r}; expected one of: {_one_of(sc.actors)}",
                    )
                )
    problems.extend(_check_bargaining(sc, issues))
    problems.extend(_check_game(sc))
    problems.extend(_check_outcome(sc, issues))
    return problems


def _check_outcome(sc: Scenario, issues: dict) -> list[tuple[str, str]]:
    """`[outcome]`: known issues, outcomes inside their scales, a reason only beside a value."""
    outcome = sc.outcome
    if outcome is None:
        return []
    problems: list[tuple[str, str]] = []
    for field in ("position", "reason"):
        for key in getattr(outcome, field):
            if key not in issues:
                problems.append(
                    (
                        f"outcome.{field}.{key}",
                        f"unknown issue {key!r}; expected one of: {_one_of(issues)}",
                    )
                )
    for iid, x in outcome.position.items():
        if iid not in issues:
            continue
        lo, hi = issues[iid].scale
        if not lo <= x <= hi:
            problems.append(
                (
                    f"outcome.position.{iid}",
                    f"expected an outcome inside the scale [{_fmt(lo)}, {_fmt(hi)}], got {_fmt(x)}",
                )
            )
    for iid in outcome.reason:
        if iid in issues and iid not in outcome.position:
            problems.append(
                (
                    f"outcome.reason.{iid}",
                    f"a reason for issue {iid!r} without its outcome; expected "
                    f"outcome.position.{iid} beside it",
                )
            )
    return problems


def parse_game_strategy(text: str) -> tuple[str, float | None]:
    """``name`` or ``name:parameter`` -> (name, parameter or None); ValueError if bad."""
    name, sep, param = text.partition(":")
    name = name.strip()
    if name not in GAME_STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; expected one of: {_one_of(GAME_STRATEGIES)}")
    if not sep:
        return name, None
    if GAME_STRATEGIES[name].param_name is None:
        raise ValueError(f"strategy {name!r} takes no parameter")
    try:
        value = float(param)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1] after ':', got {param!r}")
    return name, value


def _check_game(sc: Scenario) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    game = sc.game
    if game is None:
        return problems
    known = list(sc.actors) + list(sc.blocs)
    for idx, dyad in enumerate(game.dyads):
        a, b = dyad.actors
        for j, pid in enumerate(dyad.actors):
            if pid not in known:
                problems.append(
                    (
                        f"game.dyads[{idx}].actors[{j}]",
                        f"unknown actor or bloc {pid!r}; expected one of: {_one_of(known)}",
                    )
                )
        if a == b:
            problems.append((f"game.dyads[{idx}].actors", "expected two different parties"))
        for pid in dyad.actors:
            if pid in known and pid not in game.strategies:
                problems.append(
                    ("game.strategies", f"missing a strategy for {pid!r}, who plays in a dyad")
                )
    for pid, text in game.strategies.items():
        if pid not in known:
            problems.append(
                (
                    f"game.strategies.{pid}",
                    f"unknown actor or bloc {pid!r}; expected one of: {_one_of(known)}",
                )
            )
        try:
            parse_game_strategy(text)
        except ValueError as exc:
            problems.append((f"game.strategies.{pid}", str(exc)))
    problems.extend(check_play(sc))
    pairs = [tuple(sorted(d.actors)) for d in game.dyads]
    for pair, count in Counter(pairs).items():
        if count > 1:
            problems.append(("game.dyads", f"dyad {pair[0]}-{pair[1]} is listed {count} times"))
    return problems


def _check_bargaining(sc: Scenario, issues: dict) -> list[tuple[str, str]]:
    """`[payoffs]` tables by party, `[bargaining]` and `[crisis]`."""
    problems: list[tuple[str, str]] = []
    add = problems.append
    parties = list(sc.actors) + [b for b in sc.blocs if b not in sc.actors]
    expected = _one_of(parties)

    def party(path: str, pid: str) -> bool:
        if pid in sc.actors or pid in sc.blocs:
            return True
        add((path, f"unknown actor or bloc {pid!r}; expected one of: {expected}"))
        return False

    pay = sc.payoffs
    if isinstance(pay.discount, dict):
        for pid in pay.discount:
            party(f"payoffs.discount.{pid}", pid)
    crisis = sc.crisis
    sides = {crisis.challenger, crisis.defender} if crisis is not None else set()
    for pid, value in pay.outside_option.items():
        if party(f"payoffs.outside_option.{pid}", pid) and value == "war":
            if crisis is None:
                add(
                    (
                        f"payoffs.outside_option.{pid}",
                        '"war" needs a [crisis] section; expected a utility or a [crisis] table',
                    )
                )
            elif pid not in sides:
                add(
                    (
                        f"payoffs.outside_option.{pid}",
                        f'"war" is an outside option of the crisis sides only '
                        f"({crisis.challenger}, {crisis.defender}); expected a utility",
                    )
                )

    bar = sc.bargaining
    for idx, pid in enumerate(bar.parties):
        party(f"bargaining.parties[{idx}]", pid)
    for pid, count in Counter(bar.parties).items():
        if count > 1:
            add(("bargaining.parties", f"party {pid!r} is listed {count} times"))
    if len(bar.parties) == 1:
        add(("bargaining.parties", "expected at least two parties, got one"))
    if bar.first is not None and bar.parties and bar.first not in bar.parties:
        add(("bargaining.first", f"expected one of the parties ({_one_of(bar.parties)})"))
    elif bar.first is not None and not bar.parties:
        party("bargaining.first", bar.first)
    for pid in bar.strategies:
        party(f"bargaining.strategies.{pid}", pid)
    members = _members(sc, bar.parties)
    for pid, owners in members.items():
        if len(owners) > 1:
            add(
                (
                    "bargaining.parties",
                    f"actor {pid!r} is counted in {_both(owners)}; "
                    "no capability may be counted twice",
                )
            )

    if crisis is not None:
        ok_c = party("crisis.challenger", crisis.challenger)
        ok_d = party("crisis.defender", crisis.defender)
        if ok_c and crisis.challenger == crisis.defender:
            add(("crisis.defender", "expected a party other than the challenger"))
        side_members = _members(
            sc, [p for p, ok in ((crisis.challenger, ok_c), (crisis.defender, ok_d)) if ok]
        )
        for pid, owners in side_members.items():
            if len(owners) > 1:
                add(("crisis", f"actor {pid!r} is on both sides ({_both(owners)})"))
        seen: dict[str, str] = {}
        for table in ("supporters", "challenger_supporters"):
            for aid in getattr(crisis, table):
                path = f"crisis.{table}.{aid}"
                if aid not in sc.actors:
                    add((path, f"unknown actor {aid!r}; expected one of: {_one_of(sc.actors)}"))
                elif aid in side_members:
                    add(
                        (
                            path,
                            f"actor {aid!r} already counts in {side_members[aid][0]}; "
                            "no capability may be counted twice",
                        )
                    )
                elif aid in seen:
                    add((path, f"actor {aid!r} already supports the other side"))
                seen[aid] = table
        for idx, iid in enumerate(crisis.contested):
            if iid not in issues:
                add(
                    (
                        f"crisis.contested[{idx}]",
                        f"unknown issue {iid!r}; expected one of: {_one_of(issues)}",
                    )
                )
        for iid, count in Counter(crisis.contested).items():
            if count > 1:
                add(("crisis.contested", f"issue {iid!r} is listed {count} times"))
        for pid in crisis.cost:
            if pid not in sides:
                add(
                    (
                        f"crisis.cost.{pid}",
                        f"expected costs for the challenger {crisis.challenger!r} "
                        f"and the defender {crisis.defender!r} only",
                    )
                )
        for pid in (crisis.challenger, crisis.defender):
            if pid not in crisis.cost:
                add(("crisis.cost", f"missing the cost of war for {pid!r}"))
        if crisis.cost_range is not None:
            a, b = crisis.cost_range
            if not 0 <= a < b:
                add(
                    (
                        "crisis.cost_range",
                        f"expected [a, b] with 0 <= a < b, got [{_fmt(a)}, {_fmt(b)}]",
                    )
                )
    return problems


def _members(sc: Scenario, parties) -> dict[str, list[str]]:
    """Actor id -> the parties (actors or blocs) that count its capability."""
    owners: dict[str, list[str]] = {}
    for pid in dict.fromkeys(parties):  # a party listed twice is reported as such
        if pid in sc.actors:
            owners.setdefault(pid, []).append(pid)
        elif pid in sc.blocs:
            for m in sc.blocs[pid].members:
                owners.setdefault(m, []).append(pid)
    return owners
