"""Bargaining figures from plain data: crisis range, alternating offers, Nash zone."""

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sim import plot  # noqa: E402


def _by_gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist {gid!r}, found {len(found)}"
    return found[0]


def _texts(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


@pytest.fixture
def no_files(tmp_path, monkeypatch):
    """Run in an empty directory and fail on any attempt to save a figure."""
    monkeypatch.chdir(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("a figure was saved")

    monkeypatch.setattr(Figure, "savefig", refuse)
    yield tmp_path
    assert list(tmp_path.iterdir()) == []


# ---- bargaining_range ------------------------------------------------------------------------
P, CC, CD, A, B = 0.45, 0.15, 0.30, 0.05, 0.35
OFFER = min(max(P + (CD - B) / 2, P - B), P - A)  # 0.40: the defender buys peace for sure


def _span(ax):
    rect = _by_gid(ax, "bargaining_range")
    return rect.get_x(), rect.get_x() + rect.get_width()


def test_bargaining_range_marks_range_p_offer_and_negotiated(no_files):
    fig = plot.bargaining_range(
        P, CC, CD, offer=OFFER, p_war=0.0, negotiated=0.42, challenger="Russia",
        defender="Ukraine",
    )  # fmt: skip
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    np.testing.assert_allclose(_span(ax), (P - CC, P + CD))
    assert list(_by_gid(ax, "p").get_xdata()) == [P]
    assert list(_by_gid(ax, "offer").get_xdata()) == pytest.approx([OFFER])
    assert list(_by_gid(ax, "negotiated").get_xdata()) == [0.42]
    texts = _texts(fig)
    assert "p = 0.45  (expected war outcome)" in texts
    assert "offer x* = 0.40" in texts
    assert "negotiated 0.42" in texts
    assert _by_gid(ax, "p_war").get_text() == "P(war) = 0.00"
    assert "Russia (challenger)" in ax.get_title() and "Ukraine (defender)" in ax.get_title()


def test_bargaining_range_clips_shading_but_labels_true_ends():
    fig = plot.bargaining_range(0.85, 0.1, 0.3)
    ax = fig.axes[0]
    np.testing.assert_allclose(_span(ax), (0.75, 1.0))
    assert "1.15" in _by_gid(ax, "range_hi").get_text()
    assert "0.75" in _by_gid(ax, "range_lo").get_text()
    fig = plot.bargaining_range(0.1, 0.4, 0.2)
    ax = fig.axes[0]
    np.testing.assert_allclose(_span(ax), (0.0, 0.30000000000000004))
    assert "-0.30" in _by_gid(ax, "range_lo").get_text()
    # nothing optional given: no offer, negotiated or P(war) artists
    gids = {a.get_gid() for a in ax.get_children()}
    assert not gids & {"offer", "negotiated", "p_war"}


def test_bargaining_range_second_panel_is_the_acceptance_model():
    fig = plot.bargaining_range(P, CC, CD, offer=OFFER, cost_range=(A, B))
    assert len(fig.axes) == 2
    bottom = fig.axes[1]
    war = _by_gid(bottom, "war_curve")
    x = war.get_xdata()
    assert x[0] == 0.0 and x[-1] == 1.0
    f = np.clip((B - P + x) / (B - A), 0.0, 1.0)
    np.testing.assert_allclose(war.get_ydata(), 1.0 - f)
    u = _by_gid(bottom, "utility_curve").get_ydata()
    np.testing.assert_allclose(u, f * (1 - x) + (1 - f) * (1 - P - CD))
    # the offer from the closed form maximises the defender's expected utility on the grid
    assert x[np.argmax(u)] == pytest.approx(OFFER, abs=2.5e-3)
    assert list(_by_gid(bottom, "offer_line").get_xdata()) == pytest.approx([OFFER] * 2)


def test_bargaining_range_on_a_given_ax_draws_one_panel():
    fig, ax = plt.subplots()
    out = plot.bargaining_range(P, CC, CD, offer=OFFER, cost_range=(A, B), ax=ax)
    assert out is fig
    assert len(fig.axes) == 1
    np.testing.assert_allclose(_span(ax), (P - CC, P + CD))


@pytest.mark.parametrize(
    "args, kwargs, name",
    [
        ((1.2, 0.1, 0.1), {}, "p"),
        ((-0.1, 0.1, 0.1), {}, "p"),
        ((math.nan, 0.1, 0.1), {}, "p"),
        ((0.5, -0.1, 0.1), {}, "cost_challenger"),
        ((0.5, 0.1, -0.01), {}, "cost_defender"),
        ((0.5, 0.1, "x"), {}, "cost_defender"),
        ((0.5, 0.1, 0.1), {"offer": 1.5}, "offer"),
        ((0.5, 0.1, 0.1), {"p_war": -0.2}, "p_war"),
        ((0.5, 0.1, 0.1), {"negotiated": 2}, "negotiated"),
        ((0.5, 0.1, 0.1), {"cost_range": (0.3, 0.2)}, "cost_range"),
        ((0.5, 0.1, 0.1), {"cost_range": (-0.1, 0.2)}, "cost_range"),
        ((0.5, 0.1, 0.1), {"cost_range": 0.2}, "cost_range"),
    ],
)
def test_bargaining_range_bad_arguments(args, kwargs, name):
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=name):
        plot.bargaining_range(*args, **kwargs)
    assert plt.get_fignums() == before  # no figure left behind


# ---- offers ----------------------------------------------------------------------------------
def _rounds(accepted_at=None):
    rows = []
    for t in range(6):
        proposer = "EU" if t % 2 == 0 else "UK"
        demand = 1.0 - 0.1 * t
        va, vb = (demand, 1 - demand) if proposer == "EU" else (1 - demand, demand)
        rows.append(dict(round=t, proposer=proposer, value_a=va, value_b=vb,
                         accepted=t == accepted_at))  # fmt: skip
    return pd.DataFrame(rows)


def test_offers_lines_are_the_table_and_the_star_is_the_accepted_round(no_files):
    table = _rounds(accepted_at=4)
    fig = plot.offers(table, ("EU", "UK"), reservations=(0.3, 0.35))
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    for col in ("value_a", "value_b"):
        line = _by_gid(ax, col)
        np.testing.assert_array_equal(line.get_xdata(), table["round"])
        np.testing.assert_allclose(line.get_ydata(), table[col])
    # filled markers: the proposer's own value
    np.testing.assert_array_equal(_by_gid(ax, "proposed_a").get_xdata(), [0, 2, 4])
    np.testing.assert_array_equal(_by_gid(ax, "proposed_b").get_xdata(), [1, 3, 5])
    star = _by_gid(ax, "agreement")
    np.testing.assert_array_equal(star.get_xdata(), [4, 4])
    np.testing.assert_allclose(star.get_ydata(), table.loc[4, ["value_a", "value_b"]])
    assert _by_gid(ax, "outcome_note").get_text() == "agreement at round 4"
    assert list(_by_gid(ax, "reservation_a").get_ydata()) == [0.3, 0.3]
    assert list(_by_gid(ax, "reservation_b").get_ydata()) == [0.35, 0.35]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "EU's reservation 0.30" in legend and "UK's reservation 0.35" in legend


def test_offers_breakdown_and_unreachable_reservation():
    fig = plot.offers(_rounds(), ("EU", "UK"), reservations=(0.3, math.inf))
    ax = fig.axes[0]
    assert "breakdown" in _by_gid(ax, "outcome_note").get_text()
    gids = {a.get_gid() for a in ax.get_children()}
    assert "agreement" not in gids
    assert "reservation_a" in gids and "reservation_b" not in gids
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("UK: no acceptable point") for t in legend)
    fig = plot.offers(_rounds(), ("EU", "UK"), reservations=(1.2, 0.3))
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("EU: no acceptable point") for t in legend)


def test_offers_unsorted_table_is_drawn_in_round_order():
    table = _rounds(accepted_at=5)
    fig = plot.offers(table.iloc[::-1], ("EU", "UK"))
    np.testing.assert_array_equal(_by_gid(fig.axes[0], "value_a").get_xdata(), range(6))


def test_offers_empty_table_says_no_offers():
    for empty in (_rounds().iloc[:0], pd.DataFrame()):
        fig = plot.offers(empty, ("EU", "UK"))
        assert isinstance(fig, Figure) and len(fig.axes) == 1
        assert "no offers" in _texts(fig)


def test_offers_on_a_given_ax():
    fig, ax = plt.subplots()
    out = plot.offers(_rounds(accepted_at=2), ("EU", "UK"), ax=ax)
    assert out is fig and len(fig.axes) == 1
    np.testing.assert_array_equal(_by_gid(ax, "agreement").get_xdata(), [2, 2])


def test_offers_bad_arguments():
    with pytest.raises(ValueError, match="parties"):
        plot.offers(_rounds(), ("EU",))
    with pytest.raises(ValueError, match="parties"):
        plot.offers(_rounds(), ("EU", "EU"))
    with pytest.raises(ValueError, match="proposer"):
        plot.offers(_rounds(), ("EU", "US"))
    with pytest.raises(ValueError, match="value_b"):
        plot.offers(_rounds().drop(columns="value_b"), ("EU", "UK"))
    with pytest.raises(ValueError, match="reservations"):
        plot.offers(_rounds(), ("EU", "UK"), reservations=(0.2, math.nan))
    with pytest.raises(ValueError, match="more than one accepted"):
        plot.offers(_rounds().assign(accepted=True), ("EU", "UK"))
    assert plt.get_fignums() == []


# ---- zone ------------------------------------------------------------------------------------
def _zone_data(n_parties=3):
    issues = pd.DataFrame(
        {
            "scale_lo": [0.0, -1.0, 0.0],
            "scale_hi": [100.0, 1.0, 10.0],
            "zone_lo": [40.0, math.nan, 5.0],
            "zone_hi": [60.0, math.nan, 5.0],
        },
        index=["budget", "posture", "tariffs"],
    )
    rows = []
    for i in range(n_parties):
        rows += [
            dict(issue="budget", party=f"P{i}", lo=20.0 + i, hi=60.0 + i, ideal=45.0),
            dict(issue="posture", party=f"P{i}", lo=-1.0 + i, hi=-0.5 + i, ideal=-0.8 + i),
            dict(issue="tariffs", party=f"P{i}", lo=math.nan, hi=5.0 + i, ideal=2.0),
        ]
    return issues, pd.DataFrame(rows)


def test_zone_shades_zones_and_marks_empty_rows(no_files):
    issues, ranges = _zone_data()
    fig = plot.zone(issues, ranges, outcome={"budget": 50.0}, status_quo={"tariffs": 7.5})
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    budget = _by_gid(ax, "zone:budget")
    assert budget.get_x() == pytest.approx(0.4)
    assert budget.get_width() == pytest.approx(0.2)
    tariffs = _by_gid(ax, "zone:tariffs")  # a single point: zero width, drawn by its edge
    assert tariffs.get_x() == pytest.approx(0.5) and tariffs.get_width() == 0.0
    assert tariffs.get_linewidth() > 0
    empty = _by_gid(ax, "empty:posture")
    assert empty.get_facecolor()[0] == 1.0  # red
    assert "empty" in _by_gid(ax, "empty_note:posture").get_text()
    gids = {a.get_gid() for a in ax.get_children()}
    assert "zone:posture" not in gids and "empty:budget" not in gids
    # issue label of the empty row is red; issues run top to bottom in the table's order
    ticks = {t.get_text(): (t.get_color(), y) for t, y in zip(
        ax.get_yticklabels(), ax.get_yticks(), strict=True)}  # fmt: skip
    assert ticks["posture"][0] == "firebrick"
    ys = [ticks[i][1] for i in ("budget", "posture", "tariffs")]
    assert ax.yaxis_inverted() and ys == sorted(ys)
    # ranges and ideals, normalised to the issue scale; an open end runs to the scale end
    assert list(_by_gid(ax, "range:posture:P1").get_xdata()) == pytest.approx([0.5, 0.75])
    assert list(_by_gid(ax, "ideal:posture:P1").get_xdata()) == pytest.approx([0.6])
    assert list(_by_gid(ax, "range:tariffs:P0").get_xdata()) == pytest.approx([0.0, 0.5])
    assert list(_by_gid(ax, "outcome:budget").get_xdata()) == pytest.approx([0.5])
    assert list(_by_gid(ax, "status_quo:tariffs").get_xdata()) == pytest.approx([0.75])
    # default: an empty zone means no agreement
    assert ax.get_title().startswith("Nash bargaining: no zone of agreement")
    assert {"0", "100", "-1", "1", "10"} <= set(_texts(fig))


def test_zone_title_message_and_many_parties():
    issues, ranges = _zone_data(n_parties=15)
    issues = issues.drop(index="posture")
    ranges = ranges[ranges["issue"] != "posture"]
    message = "weighted Nash bargaining solution, " * 6 + "converged"
    fig = plot.zone(issues, ranges, outcome={"budget": 50.0, "tariffs": 5.0}, message=message)
    ax = fig.axes[0]
    title = ax.get_title()
    assert title.startswith("Nash bargaining: agreement\n")
    assert title.count("\n") >= 2  # the message is wrapped
    assert " ".join(title.split("\n")[1:]) == message.strip()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert all(f"P{i}" in labels for i in range(15))
    fig = plot.zone(issues, ranges, outcome={"budget": 50.0}, reached=False, message="$x$ blocks")
    assert fig.axes[0].get_title() == "Nash bargaining: no zone of agreement\n$x$ blocks"


def test_zone_on_a_given_ax():
    issues, ranges = _zone_data()
    fig, ax = plt.subplots()
    out = plot.zone(issues, ranges, ax=ax)
    assert out is fig and len(fig.axes) == 1
    assert _by_gid(ax, "zone:budget").get_x() == pytest.approx(0.4)


def test_zone_bad_arguments():
    issues, ranges = _zone_data()
    with pytest.raises(ValueError, match="zone_hi"):
        plot.zone(issues.drop(columns="zone_hi"), ranges)
    with pytest.raises(ValueError, match="ideal"):
        plot.zone(issues, ranges.drop(columns="ideal"))
    with pytest.raises(ValueError, match="unknown issue"):
        plot.zone(issues, ranges, outcome={"nope": 1.0})
    with pytest.raises(ValueError, match="unknown issue"):
        plot.zone(issues.drop(index="budget"), ranges)
    with pytest.raises(ValueError, match="scale_hi"):
        plot.zone(issues.assign(scale_hi=issues["scale_lo"]), ranges)
    with pytest.raises(ValueError, match="empty"):
        plot.zone(issues.iloc[:0], ranges.iloc[:0])
    assert plt.get_fignums() == []


def test_user_names_are_literal_text():
    """A name with dollar signs is shown as typed, not parsed as mathtext."""
    fig = plot.bargaining_range(0.5, 0.1, 0.1, challenger="A $1$ bloc", defender="B")
    fig.canvas.draw()
    assert "A $1$ bloc (challenger)" in fig.axes[0].get_title()
    assert not fig.axes[0].title.get_parse_math()
    fig = plot.offers(_rounds(accepted_at=1).replace({"EU": "$e$"}), ("$e$", "UK"))
    fig.canvas.draw()
