"""Results display themselves: a plain repr, and HTML in which names from user files are escaped."""

from __future__ import annotations

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


def test_every_result_has_a_plain_repr_and_escaped_html(scenario):
    seen = []
    for what, obj in results(scenario):
        text = repr(obj)
        assert text and "\n" not in text and len(text) < 300, (what, text)
        page = obj._repr_html_()
        for raw in RAW:
            assert raw not in page, (what, raw)
        seen.append(what)
    assert len(seen) == 11


def test_scenario_html_shows_red_lines_and_the_status_quo(scenario):
    page = scenario._repr_html_()
    assert "[0, 60]" in page  # the north's red line
    assert "status quo" in page and "<td>100</td>" in page
    assert "&lt;zi&gt;NORTH&lt;/zi&gt;" in page
