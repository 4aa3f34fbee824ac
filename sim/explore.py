"""The interactive explorer: step a negotiation, move an actor, watch the forecast.

A solara component, :func:`Explorer`, shows one scenario under the
expected-utility model: pick an actor and an issue, move the actor's position or
salience with a slider, step the negotiation round by round (or run it to the end)
and see the trajectories and the forecast update. In a notebook,
``sim.explore.explorer("nato_russia_2022")`` displays it inline; ``sim explore``
serves the same page on 127.0.0.1 (``Page`` reads the scenario from the
``SIM_EXPLORE_SCENARIO`` environment variable).

Needs the ``explore`` extra (``pip install -e ".[explore]"``, in ``dev`` too).
"""

from __future__ import annotations

import os

import solara

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
    from sim.abm import NegotiationModel
    from sim.results import RunResult

    model = NegotiationModel(sc, rounds=rounds)
    model.run_model()
    return RunResult(sc, "eum", model.trajectory(), rounds)


def forecast_markdown(result) -> str:
    fc = result.forecast()
    lines = [
        "| issue | start: compromise | median | now: compromise | median |",
        "|---|---:|---:|---:|---:|",
    ]
    for iid, row in fc.iterrows():
        lines.append(
            f"| {iid} | {row.initial_compromise:.2f} | {row.initial_median:.2f} | "
            f"{row.compromise:.2f} | {row['median']:.2f} |"
        )
    return "\n".join(lines)


@solara.component
def Explorer(scenario: Scenario):
    """The explorer for one scenario (a solara component)."""
    from sim import plot

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
        solara.Markdown(f"## {sc.name}")
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
        fig = plot.positions(result, issue=issue.value)
        solara.FigureMatplotlib(fig, format="png")
        plot.close(fig)
        solara.Markdown(forecast_markdown(result))


def explorer(scenario: Scenario | str | None = None):
    """The explorer as an element to display in a notebook."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return Explorer(sc)


@solara.component
def Page():
    """The page ``sim explore`` serves: the scenario named by ``SIM_EXPLORE_SCENARIO``."""
    sc = solara.use_memo(lambda: load_scenario(os.environ.get(SCENARIO_ENV) or None), [])
    Explorer(sc)
