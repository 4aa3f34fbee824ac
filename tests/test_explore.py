"""The interactive explorer: its pieces, the component, and the page in a real browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim

solara = pytest.importorskip("solara", reason="the explore extra (solara) is not installed")

from sim.explore import Explorer, changed, forecast_rows, run_rounds  # noqa: E402


def test_changes_are_overrides_of_the_scenario():
    sc = sim.load_scenario()
    new = changed(
        sc, {("RUS", "position", "enlargement"): 40.0, ("USA", "salience", "posture"): 0.2}
    )
    assert new.actors["RUS"].position["enlargement"] == 40.0
    assert new.actors["USA"].salience["posture"] == 0.2
    assert new.actors["RUS"].position["posture"] == sc.actors["RUS"].position["posture"]
    assert changed(sc, {}) is sc


def test_stepping_equals_the_reference_model_round_by_round():
    """Each step is one round of the expected-utility model: after 0, 1, 3 and 5 steps the
    positions are those of the plain-Python reference (tests/reference.py) after as many
    rounds, and the forecast table shows the reference's compromise and weighted median
    at the start and now."""
    import numpy as np

    from tests import reference as ref

    sc = sim.load_scenario()
    a = sc.arrays()
    want = ref.eum_run_detailed(
        a.position, a.capability, a.salience, a.width, a.risk, a.Q, a.T, a.red_lo, a.red_hi, 5
    )
    assert (want["rounds"], want["stopped"]) == (5, "limit")  # no stop before 5 rounds
    history = np.array(want["history"])
    for rounds in (0, 1, 3, 5):
        got = run_rounds(sc, rounds)
        assert got.rounds == rounds
        np.testing.assert_allclose(
            got.trajectory.positions, history[: rounds + 1], rtol=1e-9, atol=1e-9
        )

    def baselines(state, k):
        w = ref.weights(a.capability, a.salience[k])
        return f"{ref.compromise(state[k], w):.2f}", f"{ref.weighted_median(state[k], w):.2f}"

    rows = forecast_rows(run_rounds(sc, 3))
    assert rows[0] == ("issue", "start: compromise", "median", "now: compromise", "median")
    assert rows[1:] == [
        (iid, *baselines(history[0], k), *baselines(history[3], k))
        for k, iid in enumerate(sc.issue_ids)
    ]


def test_the_component_renders_with_its_controls():
    import ipyvuetify as v

    sc = sim.load_scenario()
    box, rc = solara.render(Explorer(sc), handle_error=False)
    sliders = rc.find(v.Slider).widgets
    assert len(sliders) == 2
    buttons = {b.children[0] for b in rc.find(v.Btn).widgets}
    assert {"step", "run to the end", "reset"} <= buttons
    step = rc.find(v.Btn, children=["step"]).widget
    step.click()
    rc.find(v.Html, children=["round 1 of 30"]).assert_single()
    rc.find(v.Btn, children=["run to the end"]).widget.click()
    rc.find(v.Html, children=["round 30 of 30"]).assert_single()
    rc.find(v.Btn, children=["reset"]).widget.click()
    rc.find(v.Html, children=["round 0 of 30"]).assert_single()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip(
            "no chromium and chromedriver on this machine (Debian: apt-get install chromium chromium-driver)"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1600"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(driver), options=opts)


def _wait(fn, timeout=60.0):
    end = time.time() + timeout
    while time.time() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    return fn()


def test_sim_explore_serves_a_page_whose_slider_moves_the_forecast(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser = _browser()
    port = _free_port()
    env = dict(os.environ, MPLBACKEND="Agg")
    server = subprocess.Popen(
        [sys.executable, "-m", "sim", "explore", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    try:
        import urllib.request

        def up():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).status == 200
            except OSError:
                return False

        assert _wait(up, 90), "sim explore did not start serving"
        browser.get(f"http://127.0.0.1:{port}/")

        def ready():
            # the sliders, the title and the forecast table render in their own time
            text = browser.find_element(By.TAG_NAME, "body").text
            rows = [ln for ln in text.splitlines() if ln.startswith("enlargement ")]
            sliders = browser.find_elements(By.CSS_SELECTOR, "[role=slider]")
            return "NATO-Russia Council" in text and rows and len(sliders) == 2 and rows[0]

        row = _wait(ready, 90)
        assert row, browser.find_element(By.TAG_NAME, "body").text[:2000]
        sliders = browser.find_elements(By.CSS_SELECTOR, "[role=slider]")
        position = sliders[0]
        start = float(position.get_attribute("aria-valuenow"))
        position.click()
        for _ in range(20):
            position.send_keys(Keys.ARROW_RIGHT)

        def moved():
            text = browser.find_element(By.TAG_NAME, "body").text
            new = [ln for ln in text.splitlines() if ln.startswith("enlargement ")]
            return new and new[0] != row and new[0]

        new_row = _wait(moved, 30)
        shot = tmp_path / "explore.png"
        browser.save_screenshot(str(shot))
        out = Path(os.environ.get("SIM_SCREENSHOTS", tmp_path))
        out.mkdir(parents=True, exist_ok=True)
        if out != tmp_path:
            shutil.copy(shot, out / "explore.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert float(sliders[0].get_attribute("aria-valuenow")) > start
        # Russia's coded position moved toward the open door: the compromise rises
        assert new_row, "the forecast did not change after the slider moved"
        assert float(new_row.split()[1]) > float(row.split()[1])
    finally:
        browser.quit()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
