"""Result objects: tidy tables agree with the trajectory; files are written atomically."""

import json
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import sim
from sim.kernels.eum import EVENT_NAMES
from sim.outputs import OutputError, write_single


@pytest.fixture(scope="module")
def ec_result():
    return sim.run("ec_example_scholz2011", rounds=5)


def test_trajectories_table_matches_the_array(ec_result):
    table = ec_result.trajectories()
    pos = ec_result.trajectory.positions
    assert len(table) == pos.size
    actors = list(ec_result.scenario.actor_ids)
    for row in table.sample(20, random_state=0).itertuples():
        assert row.position == pos[row.round, 0, actors.index(row.actor)]


def test_events_table_names_and_senders(ec_result):
    ev = ec_result.events()
    t = ec_result.trajectory
    assert len(ev) == t.events.size
    assert set(ev["event"]) <= set(EVENT_NAMES)
    actors = list(ec_result.scenario.actor_ids)
    for row in ev.itertuples():
        sender = t.senders[row.round - 1, 0, actors.index(row.actor)]
        assert row.offer_from == (actors[sender] if sender >= 0 else "")
        # a move only happens after an offer was taken
        before = t.positions[row.round - 1, 0, actors.index(row.actor)]
        after = t.positions[row.round, 0, actors.index(row.actor)]
        if row.event in ("no_offer", "resisted"):
            assert before == after


def test_summary_is_strict_json(ec_result):
    text = json.dumps(ec_result.summary(), allow_nan=False)
    back = json.loads(text)
    assert back["rounds"] == ec_result.rounds
    assert set(back["forecast"]) == set(ec_result.scenario.issue_ids)


def write_atomic(target, text):
    return write_single(target, text, owned=lambda data: True)


def test_write_atomic_replaces_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "a.txt"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    write_atomic(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises((OSError, OutputError)):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]


EC_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "ec_example_scholz2011.csv"


def test_write_puts_every_file(tmp_path):
    """`sim run` on the EC file writes rounds.csv (round 0: the file's positions; later
    rounds: the plain-Python reference model's), events.csv (the reference's events, offers
    taken and offers sent), summary.json (the reference's stop and forecasts) and the two
    figures as PNG images."""
    import csv

    from sim.cli import main
    from tests import reference as ref

    out = tmp_path / "out"
    rc = main(["run", str(EC_FILE), "--rounds", "5", "--focus", "UK", "--out", str(out)])
    assert rc == 0
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == ["events.csv", "positions.png", "quadrant.png", "rounds.csv", "summary.json"]
    f = ref.classic_csv(EC_FILE)
    actors, issue, c, S = f["actors"], f["issue"], f["capability"], f["salience"]
    want = ref.eum_run_detailed(f["position"], c, S, f["width"], None, 1, 1, None, None, 5)
    history = want["history"]

    def rows(name):
        with open(out / name, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    got = rows("rounds.csv")
    assert [(int(r["round"]), r["issue"], r["actor"]) for r in got] == [
        (t, issue, a) for t in range(want["rounds"] + 1) for a in actors
    ]
    assert [float(r["position"]) for r in got[: len(actors)]] == f["position"][0]
    assert [float(r["position"]) for r in got] == pytest.approx(
        [x for state in history for x in state[0]], rel=1e-12, abs=1e-12
    )
    got = rows("events.csv")
    expected = []
    for t in range(want["rounds"]):
        x = history[t][0]
        EU = ref.round_quantities(x, c, S[0], f["width"][0])["EU"]
        for i, a in enumerate(actors):
            sender = want["senders"][t][0][i]
            sent = sum(1 for j in range(len(x)) if EU[i][j] > 0 and x[j] != x[i])
            expected.append(
                (t + 1, issue, a, sent, ref.EVENTS[want["events"][t][0][i]],
                 actors[sender] if sender >= 0 else "", str(want["clipped"][t][0][i]))
            )  # fmt: skip
    assert [
        (int(r["round"]), r["issue"], r["actor"], int(r["offers_sent"]), r["event"],
         r["offer_from"], r["clipped"])
        for r in got
    ] == expected  # fmt: skip
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["rounds"], summary["round_limit"], summary["stopped"]) == (
        want["rounds"],
        5,
        want["stopped"],
    )
    assert summary["cycle_length"] == want["cycle_length"]
    assert (summary["model"], summary["actors"], summary["issues"]) == ("eum", actors, [issue])
    ((comp, med),) = ref.final_forecast(history, want["stopped"], want["cycle_length"], c, S)
    ((comp0, med0),) = ref.final_forecast(history[:1], "limit", 0, c, S)
    close = dict(rel=1e-12, abs=1e-12)
    assert summary["forecast"][issue] == pytest.approx({"compromise": comp, "median": med}, **close)
    assert summary["initial"][issue] == pytest.approx(
        {"compromise": comp0, "median": med0}, **close
    )
    for name in ("positions.png", "quadrant.png"):
        image = plt.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100, name
        assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 10, name  # drawn


def html_rows(page: str) -> list[list[str]]:
    """The text of the cells of each <tr> of an HTML page (read with the stdlib parser)."""
    from html.parser import HTMLParser

    rows: list[list[str]] = []

    class Cells(HTMLParser):
        cell: list[str] | None = None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                rows.append([])
            elif tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                rows[-1].append("".join(self.cell).strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    Cells().feed(page)
    return rows


def test_html_and_repr(ec_result):
    """The repr and the HTML name the scenario, the model, the rounds run and how the run
    stopped, as the plain-Python reference runs it; the HTML table holds per issue the start
    and final compromise and weighted median of the reference run, to two decimals."""
    from tests import reference as ref

    f = ref.classic_csv(EC_FILE)
    c, S = f["capability"], f["salience"]
    want = ref.eum_run_detailed(f["position"], c, S, f["width"], None, 1, 1, None, None, 5)
    rounds, stopped = want["rounds"], want["stopped"]
    text = repr(ec_result)  # a classic CSV scenario is named for its file, as its issue is
    for part in (repr(f["issue"]), "'eum'", f"rounds={rounds}", f"stopped={stopped!r}"):
        assert part in text, (part, text)
    page = ec_result._repr_html_()
    head = page.split("<table")[0]
    for part in (f["issue"], "eum", f"{rounds} rounds", stopped):
        assert part in head, (part, head)
    ((comp, med),) = ref.final_forecast(want["history"], stopped, want["cycle_length"], c, S)
    ((comp0, med0),) = ref.final_forecast(want["history"][:1], "limit", 0, c, S)
    rows = html_rows(page)
    header = next(r for r in rows if "initial_compromise" in r)
    (row,) = [r for r in rows if r and r[0] == f["issue"]]
    cells = dict(zip(header[1:], row[1:], strict=True))
    assert cells == {
        "initial_compromise": f"{comp0:.2f}",
        "initial_median": f"{med0:.2f}",
        "compromise": f"{comp:.2f}",
        "median": f"{med:.2f}",
    }


def test_baseline_models_do_not_move():
    res = sim.run("nato_russia_2022", model="median")
    assert res.rounds == 0
    fc = res.forecast()
    np.testing.assert_array_equal(fc["compromise"], fc["initial_compromise"])
    np.testing.assert_array_equal(fc["median"], fc["initial_median"])


def test_offers_sent_agree_with_the_reference_and_the_offers_taken(ec_result):
    from tests import reference as ref

    sent = ec_result.offers_sent()
    a = ec_result.scenario.arrays()
    pos = ec_result.trajectory.positions
    for r in range(ec_result.rounds):
        x = pos[r, 0]
        q = ref.round_quantities(
            x, a.capability, a.salience[0], float(a.width[0]), a.risk, a.Q, a.T
        )
        EU = q["EU"]
        want = [
            sum(1 for j in range(len(x)) if EU[i][j] > 0 and x[j] != x[i]) for i in range(len(x))
        ]
        assert sent[r, 0].tolist() == want
    # whoever's offer was taken made at least one offer that round
    ev = ec_result.events()
    taken = ev[ev["offer_from"] != ""]
    actors = list(ec_result.scenario.actor_ids)
    for row in taken.itertuples():
        assert sent[row.round - 1, 0, actors.index(row.offer_from)] >= 1


def test_risk_table_equals_the_agents_exponents_round_by_round():
    import numpy as np

    import sim
    from sim.abm import NegotiationModel

    sc = sim.load_scenario("ec_example_scholz2011")
    table = sim.run(sc, rounds=4).risk()
    model = NegotiationModel(sc, rounds=4)
    seen = []
    while model.running:
        model.step()
        seen.append(model.risk[0].copy())
    wide = table.pivot(index="round", columns="actor", values="risk")[list(sc.actor_ids)]
    assert wide.to_numpy().tobytes() == np.array(seen).tobytes()
    assert ((table.risk >= 0.5) & (table.risk <= 2.0)).all()
    fixed = sim.run("ec_example_scholz2011", rounds=3, overrides={"payoffs.risk": 1.5}).risk()
    assert (fixed.risk == 1.5).all()
    assert sim.run(sc, model="median").risk().empty
