"""How a scenario shows itself in Jupyter: a compact HTML table (every user string escaped)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


def scenario_html(sc: Scenario) -> str:
    """A compact HTML view of a scenario: actors by issue (position / salience, and the
    red line where there is one), the status quo, the blocs and the other sections."""
    rows = []

    def cell(actor, iid):
        text = f"{actor.position[iid]:g} / {actor.salience[iid]:.2f}"
        red = actor.red_line.get(iid)
        if red is not None:
            text += f" <small>[{red[0]:g}, {red[1]:g}]</small>"
        return f"<td>{text}</td>"

    for aid, actor in sc.actors.items():
        cells = "".join(cell(actor, i) for i in sc.issue_ids)
        rows.append(
            f"<tr><th>{html.escape(aid)}</th><td>{html.escape(actor.name)}</td>"
            f"<td>{actor.capability:g}</td>{cells}</tr>"
        )
    sq = "".join(
        f"<td>{'' if i.status_quo is None else f'{i.status_quo:g}'}</td>" for i in sc.issues
    )
    rows.append(f"<tr><th>status quo</th><td></td><td></td>{sq}</tr>")
    head = "".join(f"<th>{html.escape(i)}</th>" for i in sc.issue_ids)
    blocs = "".join(
        f"<li>{html.escape(bid)} ({html.escape(b.rule)}): {html.escape(', '.join(b.members))}</li>"
        for bid, b in sc.blocs.items()
    )
    extra = []
    if sc.crisis is not None:
        c = sc.crisis
        extra.append(
            f"crisis: {html.escape(c.challenger)} against {html.escape(c.defender)} over "
            f"{html.escape(', '.join(c.contested))}"
        )
    if sc.bargaining.parties:
        extra.append(f"bargaining: {html.escape(', '.join(sc.bargaining.parties))}")
    if sc.game is not None and sc.game.dyads:
        pairs = ", ".join("-".join(d.actors) for d in sc.game.dyads)
        extra.append(f"repeated games: {html.escape(pairs)}")
    return (
        f"<p><b>{html.escape(sc.name)}</b>: {len(sc.actors)} actors, {len(sc.issues)} issues "
        "(cells: position / salience [red line])</p>"
        f"<table><tr><th>id</th><th>name</th><th>capability</th>{head}</tr>{''.join(rows)}</table>"
        + (f"<p>Blocs:</p><ul>{blocs}</ul>" if blocs else "")
        + (f"<p>{'; '.join(extra)}</p>" if extra else "")
    )
