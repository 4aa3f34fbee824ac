"""Results display themselves: a plain repr, and HTML in which names from user files are escaped."""

from __future__ import annotations

import html
import importlib
import pkgutil

import pytest

import sim

HOSTILE = """
[scenario]
name = "<script>alert('name')</script>"

[[issues]]
id = "<zu>border</zu>"
scale = [0, 100]
status_quo = 100

[actors."<zi>NORTH</zi>"]
name = "<script>alert('north')</script>"
capability = 3
position = { "<zu>border</zu>" = 0 }
salience = { "<zu>border</zu>" = 1.0 }
red_line = { "<zu>border</zu>" = [0, 60] }

[actors."<zb>SOUTH</zb>"]
name = "South & co"
capability = 2
position = { "<zu>border</zu>" = 100 }
salience = { "<zu>border</zu>" = 1.0 }

[uncertainty]
position_sd = 5.0

[bargaining]
parties = ["<zi>NORTH</zi>", "<zb>SOUTH</zb>"]

[crisis]
challenger = "<zi>NORTH</zi>"
defender = "<zb>SOUTH</zb>"
contested = ["<zu>border</zu>"]
cost = { "<zi>NORTH</zi>" = 0.2, "<zb>SOUTH</zb>" = 0.3 }
cost_range = [0.05, 0.5]

[game]
dyads = [{ actors = ["<zi>NORTH</zi>", "<zb>SOUTH</zb>"] }]
strategies = { "<zi>NORTH</zi>" = "tit_for_tat", "<zb>SOUTH</zb>" = "grudger" }
turns = 10
"""

RAW = ("<script>", "<zi>", "<zb>", "<zu>")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    path.write_text(HOSTILE)
    return sim.load_scenario(path)


def results(sc):
    yield "scenario", sc
    yield "run", sim.run(sc, rounds=3)
    yield "nbs", sim.run(sc, model="nbs")
    yield "alternating", sim.run(sc, model="alternating")
    yield "crisis", sim.run(sc, model="crisis")
    yield "ensemble", sim.ensemble(sc, runs=20, seed=1, rounds=3, progress=False)
    yield "crisis ensemble", sim.ensemble(sc, runs=20, seed=1, model="crisis", progress=False)
    yield "sweep", sim.sweep(sc, {"actors.<zi>NORTH</zi>.capability": (1, 2, 2)}, runs=5,
                             progress=False)  # fmt: skip
    yield "play", sim.play(sc, seed=1)
    yield "tournament", sim.tournament(["tit_for_tat", "defector"], turns=5)
    yield "evolution", sim.evolve(["tit_for_tat", "defector"], population=10, steps=20)
    yield "replicator", sim.evolve(["tit_for_tat", "defector"], process="replicator", steps=20)
    yield "match", sim.play_match("tit_for_tat", "defector", turns=5)
    yield "backtest", sim.backtest(sc, models="compromise,nbs", resamples=50)


# results of the repeated games on their own: they hold no scenario strings
NO_SCENARIO = {"tournament", "evolution", "replicator", "match"}


def displayable_classes() -> set[type]:
    """Every class of the sim package that displays itself in a notebook (has _repr_html_),
    found by importing each module of the package."""
    found = set()
    for info in pkgutil.walk_packages(sim.__path__, "sim."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional dependency (solara, dask) is missing
            if (exc.name or "sim").split(".")[0] == "sim":
                raise
            continue
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and obj.__module__.split(".")[0] == "sim"
                and hasattr(obj, "_repr_html_")
            ):
                found.add(obj)
    return found


def test_every_result_has_a_plain_repr_and_escaped_html(scenario):
    """Every kind of result the package defines is shown here: a one-line repr, HTML in
    which no raw tag from the file survives and the scenario's name is shown escaped."""
    escaped_name = html.escape("<script>alert('name')</script>", quote=False)
    seen = set()
    for what, obj in results(scenario):
        text = repr(obj)
        assert text and "\n" not in text and len(text) < 300, (what, text)
        page = obj._repr_html_()
        for raw in RAW:
            assert raw not in page, (what, raw)
        if what not in NO_SCENARIO:
            assert escaped_name in page.replace("&#x27;", "'"), (what, page)
        seen.add(type(obj))
    missing = {f"{c.__module__}.{c.__qualname__}" for c in displayable_classes() - seen}
    assert not missing, f"results not shown by this test: {sorted(missing)}"


def test_scenario_html_shows_red_lines_and_the_status_quo(scenario):
    page = scenario._repr_html_()
    assert "[0, 60]" in page  # the north's red line
    assert "status quo" in page and "<td>100</td>" in page
    assert "&lt;zi&gt;NORTH&lt;/zi&gt;" in page
