"""The interactive explorer: step a negotiation, move an actor, watch the forecast.

A solara component, :func:`Explorer`, shows one scenario under the
expected-utility model: pick an actor and an issue, move the actor's position or
salience with a slider, step the negotiation round by round (or run it to the end)
and see the trajectories and the forecast update. In a notebook,
``sim.explore.explorer("nato_russia_2022")`` displays it inline; ``sim explore``
serves the same page on 127.0.0.1 (``Page`` reads the scenario from the
``SIM_EXPLORE_SCENARIO`` environment variable).

Everything the page shows from the scenario file (its name, the actor and issue
ids, the forecast table) reaches the browser as text: as the text of an element or
as a widget's plain value, never as Markdown or HTML, which solara would also read as
a Vue template. Only the explorer's own constant text goes through Markdown.

Needs the ``explore`` extra (``pip install -e ".[explore]"``, in ``dev`` too).
"""

from __future__ import annotations

import io
import os

import matplotlib
import solara

from sim import plot
from sim.abm import NegotiationModel
from sim.models import MODELS
from sim.results import RunResult
from sim.scenario import Scenario, load_scenario
from sim.scenario.load import validate_raw
from sim.scenario.overrides import apply_overrides

SCENARIO_ENV = "SIM_EXPLORE_SCENARIO"


def changed(sc: Scenario, changes: dict) -> Scenario:
    """``sc`` with ``{(actor, field, issue): value}`` applied (field: position or salience)."""
    if not changes:
        return sc
    overrides = {f"actors.{a}.{f}.{i}": v for (a, f, i), v in changes.items()}
    return validate_raw(apply_overrides(sc.model_dump(mode="json"), overrides, sc.name), sc.name)


def run_rounds(sc: Scenario, rounds: int):
    """The expected-utility run of ``sc`` stepped ``rounds`` times, as a RunResult."""
    model = NegotiationModel(sc, rounds=rounds)
    model.run_model()
    eum = MODELS["eum"]  # the explorer steps the expected-utility model's mesa agents
    return RunResult(
        sc, eum.name, eum.run(sc, rounds=rounds, trajectory=model.trajectory()), rounds
    )


FORECAST_HEADER = ("issue", "start: compromise", "median", "now: compromise", "median")


def forecast_rows(result) -> list[tuple[str, ...]]:
    """The forecast table as rows of plain strings, the header first.

    The cells are text for the page to show as they are (issue ids come from the
    scenario file): :func:`ForecastTable` puts each in a cell as text, not as markup.
    """
    fc = result.forecast()
    rows = [FORECAST_HEADER]
    for iid, row in fc.iterrows():
        rows.append(
            (
                str(iid),
                f"{row.initial_compromise:.2f}",
                f"{row.initial_median:.2f}",
                f"{row.compromise:.2f}",
                f"{row['median']:.2f}",
            )
        )
    return rows


def figure_png(result, issue: str) -> bytes:
    """The positions figure of ``issue`` as PNG bytes.

    Drawn with mathtext off, so a ``$`` in a name from the file is a dollar sign.
    """
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = plot.positions(result, issue=issue)
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        finally:
            plot.close(fig)
    return buf.getvalue()


@solara.component
def ForecastTable(rows: list[tuple[str, ...]]):
    """A table whose cells hold ``rows`` as text (the first row is the header)."""
    import reacton.ipyvuetify as v

    def cell(text, tag, k):
        align = "left" if k == 0 else "right"
        return v.Html(tag=tag, style_=f"padding: 2px 10px; text-align: {align}", children=[text])

    def tr(cells, tag):
        return v.Html(tag="tr", children=[cell(c, tag, k) for k, c in enumerate(cells)])

    head = v.Html(tag="thead", children=[tr(rows[0], "th")])
    body = v.Html(tag="tbody", children=[tr(r, "td") for r in rows[1:]])
    return v.Html(tag="table", style_="border-collapse: collapse", children=[head, body])


@solara.component
def Figure(result, issue: str):
    """The positions figure as an image, or a line of text saying why it could not be drawn."""
    try:
        png = figure_png(result, issue)
    except Exception as exc:  # a figure must not take the page down
        return solara.Text(f"the figure could not be drawn: {type(exc).__name__}: {exc}")
    return solara.Image(png, format="png")


@solara.component
def Explorer(scenario: Scenario):
    """The explorer for one scenario (a solara component)."""
    import reacton.ipyvuetify as v

    actors = list(scenario.actor_ids)
    issues = list(scenario.issue_ids)
    actor = solara.use_reactive(actors[0])
    issue = solara.use_reactive(issues[0])
    changes = solara.use_reactive({})
    rounds = solara.use_reactive(0)
    limit = scenario.model.rounds

    sc = changed(scenario, changes.value)
    a = sc.actors[actor.value]
    lo, hi = a.red_line.get(issue.value, sc.issue(issue.value).scale)

    def set_field(field):
        def set_value(v):
            new = dict(changes.value)
            new[(actor.value, field, issue.value)] = float(v)
            changes.set(new)

        return set_value

    result = run_rounds(sc, rounds.value)
    with solara.Column():
        v.Html(tag="h2", children=[sc.name])
        with solara.Row():
            solara.Select(label="actor", value=actor, values=actors)
            solara.Select(label="issue", value=issue, values=issues)
        solara.SliderFloat(
            label=f"position of {actor.value} on {issue.value}",
            value=float(a.position[issue.value]),
            min=float(lo),
            max=float(hi),
            step=(hi - lo) / 100 if hi > lo else 1.0,
            on_value=set_field("position"),
        )
        solara.SliderFloat(
            label=f"salience of {actor.value} on {issue.value}",
            value=float(a.salience[issue.value]),
            min=0.0,
            max=1.0,
            step=0.01,
            on_value=set_field("salience"),
        )
        with solara.Row():
            solara.Button("step", on_click=lambda: rounds.set(min(limit, rounds.value + 1)))
            solara.Button("run to the end", on_click=lambda: rounds.set(limit))
            solara.Button("reset", on_click=lambda: (rounds.set(0), changes.set({})))
        solara.Text(
            f"round {result.rounds} of {limit}"
            + (f" ({result.stopped})" if result.rounds and result.stopped != "limit" else "")
        )
        Figure(result, issue.value)
        ForecastTable(forecast_rows(result))


def explorer(scenario: Scenario | str | None = None):
    """The explorer as an element to display in a notebook."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return Explorer(sc)


@solara.component
def Page():
    """The page ``sim explore`` serves: the scenario named by ``SIM_EXPLORE_SCENARIO``."""
    sc = solara.use_memo(lambda: load_scenario(os.environ.get(SCENARIO_ENV) or None), [])
    Explorer(sc)
