"""The explorer shows every string from the scenario file as text: a name or an id
holding HTML, Markdown or a Vue template expression is shown as written and runs
nothing, in the component and in a real browser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

import sim

solara = pytest.importorskip("solara", reason="the explore extra (solara) is not installed")

from sim.explore import Explorer, forecast_rows, run_rounds  # noqa: E402
from tests.test_explore import _browser, _free_port, _wait  # noqa: E402

# the scenario name may hold anything printable
NAME = (
    "<img src=x onerror=\"window.__pwned='name-html'\"> "
    "{{ constructor.constructor('window.__pwned=\"name-vue\"')() }} **bold** cost $\\frac{$ x"
)
# ids follow the id rule (no '.', '=', ',' or whitespace) and still carry a payload
VUE_ID = "{{[]['constructor']['constructor']('window[`__pwned`]\\x3d3')()}}"
HTML_ID = "<u>u</u><b>b</b>|x|"
ACTOR_VUE = "{{7*7}}"
ACTOR_HTML = "<i>B</i>"
ISSUE_NAME = "cost $\\frac{$ x"
PAYLOADS = (NAME, VUE_ID, HTML_ID, ACTOR_VUE, ACTOR_HTML)


def _toml(value) -> str:
    return json.dumps(value)  # a JSON string of printable text is a TOML basic string


def write_hostile(path):
    issues = (VUE_ID, HTML_ID)

    def table(values):
        return (
            "{ "
            + ", ".join(f"{_toml(i)} = {v}" for i, v in zip(issues, values, strict=True))
            + " }"
        )

    path.write_text(
        f"[scenario]\nname = {_toml(NAME)}\n\n"
        f"[[issues]]\nid = {_toml(VUE_ID)}\nname = {_toml(ISSUE_NAME)}\nscale = [0, 100]\n\n"
        f"[[issues]]\nid = {_toml(HTML_ID)}\nscale = [0, 100]\n\n"
        f"[actors.{_toml(ACTOR_VUE)}]\nname = {_toml(NAME)}\ncapability = 1\n"
        f"position = {table((20, 30))}\nsalience = {table((0.9, 0.5))}\n\n"
        f"[actors.{_toml(ACTOR_HTML)}]\ncapability = 2\n"
        f"position = {table((80, 70))}\nsalience = {table((0.5, 0.6))}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def hostile(tmp_path):
    return write_hostile(tmp_path / "hostile.toml")


def _widgets(widget):
    """``widget`` and every widget below it."""
    import ipywidgets

    yield widget
    for child in getattr(widget, "children", None) or ():
        if isinstance(child, ipywidgets.Widget):
            yield from _widgets(child)


def _texts(widget) -> list[str]:
    return [
        c
        for w in _widgets(widget)
        for c in (getattr(w, "children", None) or ())
        if isinstance(c, str)
    ]


def test_forecast_rows_hold_issue_ids_as_they_are(hostile):
    sc = sim.load_scenario(hostile)
    rows = forecast_rows(run_rounds(sc, 2))
    assert [r[0] for r in rows[1:]] == [VUE_ID, HTML_ID]
    assert all(isinstance(c, str) for r in rows for c in r)


def test_the_component_shows_names_and_ids_as_text_and_no_template(hostile):
    import ipyvue

    sc = sim.load_scenario(hostile)
    box, rc = solara.render(Explorer(sc), handle_error=False)
    widgets = list(_widgets(box))
    # a VueTemplate's template is compiled by Vue (and Markdown is one): no part of a
    # string from the file may be in one, however Markdown would have changed it
    templates = [w.template for w in widgets if isinstance(w, ipyvue.VueTemplate)]
    templates = [t if isinstance(t, str) else getattr(t, "template", "") or "" for t in templates]
    for fragment in ("__pwned", "constructor", "7*7", "frac", "<u>", "<i>B"):
        assert not [t for t in templates if fragment in t], fragment
    texts = _texts(box)
    assert NAME in texts  # the title: a text node
    assert VUE_ID in texts and HTML_ID in texts  # table cells: text nodes
    assert not any("could not be drawn" in t for t in texts)  # a '$' does not break the figure


def test_the_page_shows_payloads_as_text_and_runs_none(hostile):
    from selenium.webdriver.common.by import By

    browser = _browser()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sim", "explore", str(hostile), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, MPLBACKEND="Agg"),
    )  # fmt: skip
    try:

        def up():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).status == 200
            except OSError:
                return False

        assert _wait(up, 90), "sim explore did not start serving"
        browser.get(f"http://127.0.0.1:{port}/")

        def ready():
            text = browser.find_element(By.TAG_NAME, "body").text
            sliders = browser.find_elements(By.CSS_SELECTOR, "[role=slider]")
            return "median" in text and "round 0 of" in text and len(sliders) == 2 and text

        text = _wait(ready, 90)
        assert text, browser.find_element(By.TAG_NAME, "body").text[:2000]
        # every payload shows as the characters it is made of
        for shown in (NAME, VUE_ID, HTML_ID, f"position of {ACTOR_VUE} on {VUE_ID}"):
            assert shown in text, (shown, text[:2000])
        # and nothing it would have made exists
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
        assert browser.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
        for tag, inner in (("u", "u"), ("b", "b"), ("i", "B"), ("strong", "bold")):
            assert browser.find_elements(By.XPATH, f"//{tag}[text()='{inner}']") == [], tag
        assert "could not be drawn" not in text
        drawn = "return [...document.images].filter(i => i.naturalWidth > 300).length"
        assert _wait(lambda: browser.execute_script(drawn), 30), "no figure on the page"
        browser.save_screenshot(str(hostile.parent / "hostile.png"))
    finally:
        browser.quit()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
