"""The exchange model's network figure: one panel per round that had exchanges (at most 12,
the rounds left out named), edges labelled with the issues traded, user text literal."""

import io
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import sim
from sim.models import get
from sim.plot.exchange import FIGURES, network

SAMPLE = Path(__file__).parent / "data" / "decide_input" / "sample_data.txt"


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def scenario():
    return sim.load_scenario(SAMPLE)


def _run(scenario, rounds):
    return sim.run(scenario, model="exchange", rounds=rounds, progress=False)


def _per_round(result):
    """Exchanges per round, from the model's exchanges table (not from the figure)."""
    table = get("exchange").table(result, "exchanges")
    return table.groupby("round").size().to_dict()


def _panels(fig):
    return [a for a in fig.axes if a.get_title().startswith("round ")]


def _texts(fig):
    return [t.get_text() for t in fig.findobj(plt.Text)]


def test_one_panel_per_round_with_exchanges(scenario):
    """Each round's exchanges get their own panel, titled with the round's count of
    exchanges, not only the last round."""
    result = _run(scenario, 4)
    want = _per_round(result)
    assert len(want) > 1
    fig = FIGURES["exchange_network"](result)
    titles = [a.get_title() for a in _panels(fig)]
    assert titles == [f"round {r}: {k} exchanges" for r, k in sorted(want.items())]


def test_edges_carry_the_issues_traded():
    """The edge of the pair of actors with the largest gain in a round is labelled, near each
    actor, with the issues that actor gave way on in its exchanges with the other."""
    result = _run(sim.load_scenario(), 1)
    table = get("exchange").table(result, "exchanges")
    table["pair"] = [tuple(sorted(ab)) for ab in zip(table.actor_i, table.actor_j, strict=True)]
    a, b = table.groupby("pair")["gain_i"].sum().idxmax()
    between = table[table.pair == (a, b)]
    moved = {actor: set() for actor in (a, b)}
    for row in between.itertuples():
        moved[row.actor_i].add(row.issue_i)
        moved[row.actor_j].add(row.issue_j)
    (panel,) = _panels(FIGURES["exchange_network"](result))
    labels = [t.get_text().split(" +")[0].split(", ") for t in panel.texts]
    for actor in (a, b):
        assert any(set(items) <= moved[actor] and len(items) == min(2, len(moved[actor]))
                   for items in labels)  # fmt: skip


def test_panels_are_capped_and_the_rounds_left_out_named(scenario):
    """Past 12 rounds with exchanges the figure draws the first 11 and the last and names
    the others in a note."""
    result = _run(scenario, 14)
    want = _per_round(result)
    assert sorted(want) == list(range(1, 15))
    fig = network(result)
    rounds = [int(a.get_title().split(":")[0].split()[1]) for a in _panels(fig)]
    assert rounds == [*range(1, 12), 14]
    notes = [t.get_text() for t in fig.texts if t.get_gid() == "note"]
    assert notes == ["showing 12 of 14 rounds with exchanges; rounds 12-13 left out"]


def test_one_round_alone_or_on_an_axes(scenario):
    """``round=`` draws that round alone; on a given axes the last round with exchanges."""
    result = _run(scenario, 3)
    want = _per_round(result)
    fig = network(result, round=2)
    assert [a.get_title() for a in _panels(fig)] == [f"round 2: {want[2]} exchanges"]
    own, ax = plt.subplots()
    assert network(result, ax=ax) is own
    assert ax.get_title().endswith(f"round 3, {want[3]} exchanges")
    with pytest.raises(ValueError, match="round 7: no exchanges; rounds with exchanges: 1-3"):
        network(result, round=7)


def test_a_dollar_in_an_actor_id_is_shown_as_typed(tmp_path):
    """A $ in an actor's id neither crashes the figure nor is read as mathtext: the id shows
    as typed in every panel."""
    path = tmp_path / "dollar.txt"
    path.write_text(SAMPLE.read_text(encoding="utf-8").replace("'Willems'", "'$^$'"), "utf-8")
    result = _run(sim.load_scenario(path), 2)
    assert "$^$" in result.scenario.actor_ids
    fig = FIGURES["exchange_network"](result)
    fig.savefig(io.BytesIO(), format="png")  # "$^$" as mathtext raises ValueError
    shown = [t for t in fig.findobj(plt.Text) if "$^$" in t.get_text()]
    assert len(shown) == len(_panels(fig))
    assert not any(t.get_parse_math() for t in shown)
