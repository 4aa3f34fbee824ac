"""Figures take any string and any size: user text is drawn literally (never mathtext or
TeX), and a figure of a huge scenario stays bounded in panels, labels and inches, saying
what it leaves out."""

from __future__ import annotations

import io
import struct
from types import SimpleNamespace as NS

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from sim import plot
from sim.cli import main
from sim.save import figure_bytes
from sim.scenario.load import validate_raw

# strings mathtext, TeX or HTML would take for markup, and one long unicode string
HOSTILE = ["$\\frac{$", "$x^2$", "\\", "<b>", "ÿ€ğ—Σ≠жѮ→∑" * 4]
ID_BOUND = 64
LIMIT_INCHES = (24.0, 32.0)  # the largest figure sim makes
LOW_DPI = 20


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


# ---- scenarios and results ---------------------------------------------------------------
def _scenario(n_issues: int, n_actors: int, name_len: int = 0):
    """A validated scenario whose name, issue ids and names, actor ids and names are
    hostile strings (padded to ``name_len`` characters when given)."""

    def pad(text: str, k: int, bound: int) -> str:
        text = f"{text}{k}" if k >= len(HOSTILE) else text
        return (text + "ж" * bound)[:bound] if name_len else text

    issue_ids = [pad(HOSTILE[k % len(HOSTILE)], k, ID_BOUND) for k in range(n_issues)]
    actor_ids = [pad(HOSTILE[(i + 1) % len(HOSTILE)], i, ID_BOUND) for i in range(n_actors)]
    raw = {
        "scenario": {"name": pad("cost $\\frac{$ x <b>", 0, name_len)},
        "issues": [
            {
                "id": iid,
                "name": pad(f"{iid} {HOSTILE[1]}", k, name_len),
                "scale": [0, 100],
                "status_quo": 40,
                "low": HOSTILE[0],
                "high": HOSTILE[1],
            }
            for k, iid in enumerate(issue_ids)
        ],  # fmt: skip
        "actors": {
            aid: {
                "name": pad(f"{aid} name", i, name_len),
                "capability": 1.0 + i,
                "position": {iid: float((7 * i + 3 * k) % 101) for k, iid in enumerate(issue_ids)},
                "salience": {iid: 0.5 for iid in issue_ids},
            }
            for i, aid in enumerate(actor_ids)
        },
    }
    return validate_raw(raw, "hostile.toml")


def _context(n_issues: int, n_actors: int, name_len: int = 0, n_strategies: int = 5):
    sc = _scenario(n_issues, n_actors, name_len)
    strategies = [
        (HOSTILE[k % len(HOSTILE)] + f"s{k}" + "ж" * name_len)[: max(name_len, 12)]
        for k in range(n_strategies)
    ]
    return NS(sc=sc, rng=np.random.default_rng(0), strategies=strategies, name_len=name_len)


def _positions_result(ctx, rounds: int = 3):
    sc = ctx.sc
    m, n = len(sc.issue_ids), len(sc.actor_ids)
    pos = ctx.rng.uniform(0, 100, size=(rounds + 1, m, n))
    fc = pd.DataFrame({"compromise": np.full(m, 50.0), "median": np.full(m, 40.0)})
    eu = ctx.rng.uniform(-1, 1, size=(rounds + 1, m, n, n))
    return NS(scenario=sc, trajectory=NS(positions=pos, expected_utility=eu), forecast=lambda: fc,
              stopped="cycle",
              cycle_length=2, model="eum", rounds=rounds)  # fmt: skip


def _runs(ctx, k: int = 20):
    cols = {}
    for iid in ctx.sc.issue_ids:
        cols[f"{iid}.compromise"] = ctx.rng.uniform(0, 100, k)
        cols[f"{iid}.median"] = ctx.rng.uniform(0, 100, k)
        cols[f"{iid}.outcome"] = ctx.rng.uniform(0, 100, k)
    cols["agreement"] = np.arange(k) % 2 == 0
    cols["war_value"] = ctx.rng.uniform(-0.2, 0.8, k)
    cols["war"] = np.arange(k) % 3 == 0
    cols["status_quo_share"] = np.full(k, 0.3)
    cols["offer"] = np.full(k, 0.4)
    return pd.DataFrame(cols)


def _ensemble(ctx, trajectories: bool = False):
    sc = ctx.sc
    runs = _runs(ctx)
    a, b = sc.actor_ids[0], sc.actor_ids[1]
    summary = {"p_war_interval": (0.2, 0.5), "challenger": a, "p_war": 0.33, "runs": len(runs),
               "p_agreement_interval": (0.3, 0.7), "parties": list(sc.actor_ids),
               "p_agreement": 0.5}  # fmt: skip
    grid = np.array(np.meshgrid(range(2), range(len(sc.issue_ids)), range(len(sc.actor_ids)),
                                range(2), indexing="ij")).reshape(4, -1) if trajectories else \
        np.zeros((4, 0), dtype=int)  # fmt: skip
    table = pd.DataFrame({"run": grid[0], "issue": np.array(sc.issue_ids)[grid[1]],
                          "actor": np.array(sc.actor_ids)[grid[2]], "round": grid[3],
                          "position": (grid[3] + grid[0]).astype(float)})  # fmt: skip
    return NS(scenario=sc, runs=runs, summary=lambda: summary, n_runs=len(runs), model="nbs",
              root_seed=1, challenger=a, defender=b,
              baseline={iid: {"compromise": 50.0, "median": 40.0} for iid in sc.issue_ids},
              trajectories=table)  # fmt: skip


def _sweep(ctx, n_params: int, model: str = "eum"):
    sc = ctx.sc
    a = sc.actor_ids[0]
    params = [
        NS(path=f"actors.{a}.capability", values=[1.0, 2.0, 3.0]),
        NS(path=f"actors.{sc.actor_ids[1]}.capability", values=[0.5, 1.5]),
    ][:n_params]
    points = [
        dict(zip([p.path for p in params], vs, strict=True))
        for vs in np.array(np.meshgrid(*[p.values for p in params])).reshape(n_params, -1).T
    ]
    stats = {"compromise_p5": 10.0, "compromise_p25": 30.0, "compromise_mean": 50.0,
             "compromise_p75": 70.0, "compromise_p95": 90.0, "median_mean": 45.0,
             "p_war": 0.4, "p_war_lo": 0.3, "p_war_hi": 0.5, "p_war_believed": 0.35}  # fmt: skip
    if model == "crisis":
        table = pd.DataFrame([{**p, **stats} for p in points])
    else:
        table = pd.DataFrame([{**p, "issue": iid, **stats} for p in points for iid in sc.issue_ids])
    return NS(scenario=sc, params=params, table=table, model=model, runs=10, root_seed=3)


def _tournament(ctx):
    n = len(ctx.strategies)
    reps = ctx.rng.uniform(0, 10, size=(3, n))
    matrix = pd.DataFrame(ctx.rng.uniform(0, 5, size=(n, n)), index=ctx.strategies,
                          columns=ctx.strategies)  # fmt: skip
    return NS(names=list(ctx.strategies), repetition_scores=lambda: reps,
              payoff_matrix=lambda: matrix, turns=10, continuation=None, repetitions=3,
              noise=0.0, game=HOSTILE[0] + " game")  # fmt: skip


def _evolution(ctx):
    n = len(ctx.strategies)
    shares = ctx.rng.dirichlet(np.ones(n), size=6)
    return NS(names=list(ctx.strategies), shares=lambda: shares, process="moran",
              states=np.full((6, n), 2), intensity=1.0, fixation_step=4,
              fixed=ctx.strategies[0])  # fmt: skip


def _moves(ctx):
    ids = ctx.sc.actor_ids
    specs = [
        NS(actors=(ids[i], ids[(i + 1) % len(ids)]), game=HOSTILE[1],
           strategies=(NS(label=ctx.strategies[0]), NS(label=ctx.strategies[-1])))
        for i in range(len(ids))
    ]  # fmt: skip
    actions = [np.array([[0, 1], [1, 1], [0, 0]]) for _ in specs]
    return NS(specs=specs, actions=actions, scenario=ctx.sc)


def _zone_data(ctx):
    sc = ctx.sc
    issues = pd.DataFrame(
        {"scale_lo": 0.0, "scale_hi": 100.0, "zone_lo": 20.0, "zone_hi": 60.0,
         "name": [i.name for i in sc.issues]}, index=pd.Index(sc.issue_ids, name="issue"),
    )  # fmt: skip
    issues.iloc[0, issues.columns.get_loc("zone_lo")] = np.nan
    ranges = pd.DataFrame(
        [{"issue": iid, "party": aid, "lo": 10.0, "hi": 90.0, "ideal": 50.0}
         for iid in sc.issue_ids for aid in sc.actor_ids]
    )  # fmt: skip
    outcome = {iid: 40.0 for iid in sc.issue_ids}
    return (issues, ranges), {"outcome": outcome, "status_quo": outcome,
                              "message": " ".join(HOSTILE) + " " + sc.name}  # fmt: skip


def _offers_data(ctx):
    a, b = ctx.sc.actor_ids[0], ctx.sc.actor_ids[1]
    rounds = pd.DataFrame({"round": [1, 2, 3], "proposer": [a, b, a], "value_a": [0.9, 0.5, 0.6],
                           "value_b": [0.2, 0.6, 0.5], "accepted": [False, False, True]})  # fmt: skip
    return (rounds, (a, b)), {"reservations": (0.3, 1.5)}


# every public figure function: (args, kwargs) from a context, and whether its input
# names the scenario (so its title or labels hold the scenario's strings)
BUILDERS = {
    "positions": lambda c: ((_positions_result(c),), {}),
    "quadrant": lambda c: ((_positions_result(c), c.sc.actor_ids[0]), {}),
    "distribution": lambda c: ((_ensemble(c),), {}),
    "ensemble_trajectories": lambda c: ((_ensemble(c, trajectories=True),), {}),
    "war_distribution": lambda c: ((_ensemble(c),), {}),
    "agreement_distribution": lambda c: ((_ensemble(c),), {}),
    "sweep_lines": lambda c: ((_sweep(c, 1),), {}),
    "sweep_heatmap": lambda c: ((_sweep(c, 2),), {}),
    "sweep_war_lines": lambda c: ((_sweep(c, 1, "crisis"),), {}),
    "sweep_war_heatmap": lambda c: ((_sweep(c, 2, "crisis"),), {}),
    "tournament_ranking": lambda c: ((_tournament(c),), {}),
    "payoff_heatmap": lambda c: ((_tournament(c),), {}),
    "evolution": lambda c: ((_evolution(c),), {}),
    "repeated_moves": lambda c: ((_moves(c),), {}),
    "bargaining_range": lambda c: (
        (0.5, 0.1, 0.2),
        {
            "offer": 0.4,
            "p_war": 0.2,
            "cost_range": (0.05, 0.3),
            "negotiated": 0.45,
            "challenger": c.sc.actor_ids[0],
            "defender": c.sc.actor_ids[1],
        },
    ),  # fmt: skip
    "offers": _offers_data,
    "zone": _zone_data,
}
# what each figure shows of the scenario: the strings that must appear in its text
SHOWS = {
    "scenario": ["positions", "quadrant", "distribution", "ensemble_trajectories",
                 "war_distribution", "agreement_distribution", "sweep_lines", "sweep_heatmap",
                 "sweep_war_lines", "sweep_war_heatmap", "repeated_moves"],
    "issues": ["positions", "quadrant", "distribution", "ensemble_trajectories",
               "agreement_distribution", "sweep_lines", "sweep_heatmap", "zone"],
    "actors": ["positions", "quadrant", "ensemble_trajectories", "war_distribution",
               "agreement_distribution", "sweep_lines", "sweep_heatmap", "sweep_war_lines",
               "sweep_war_heatmap", "repeated_moves", "bargaining_range", "offers", "zone"],
    "strategies": ["tournament_ranking", "payoff_heatmap", "evolution", "repeated_moves"],
}  # fmt: skip
FUNCTIONS = sorted(set(plot.__all__) - {"close", "FIGURES", "figure"})


def _draw(name, ctx, **extra):
    args, kwargs = BUILDERS[name](ctx)
    return getattr(plot, name)(*args, **kwargs, **extra)


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text()]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_every_figure_function_is_covered():
    """A new figure function of sim.plot must be added to these tests."""
    assert set(BUILDERS) == set(FUNCTIONS)


@pytest.fixture(scope="module")
def hostile():
    return _context(n_issues=3, n_actors=5)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_user_strings_are_drawn_literally(name, hostile):
    """A $, \\, ^ or { in a scenario's, issue's, actor's or strategy's name is drawn as
    typed: the figure renders, now and when saved again, and its text holds the string."""
    fig = _draw(name, hostile)
    assert _png_size(figure_bytes(fig))[0] > 0
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # outside any context sim set: the Text objects carry it
    assert _png_size(buf.getvalue())[0] > 0
    texts = _texts(fig)
    joined = "\n".join(t.get_text() for t in texts)
    sc = hostile.sc
    expected = []
    if name in SHOWS["scenario"]:
        expected.append(sc.name)
    if name in SHOWS["issues"]:
        expected += [sc.issues[0].name or sc.issue_ids[0]]
    if name in SHOWS["actors"]:
        expected += [sc.actor_ids[0]]
    if name in SHOWS["strategies"]:
        expected += [hostile.strategies[0]]
    for s in expected:
        assert s in joined, f"{name}: {s!r} not drawn"
    for t in texts:
        if any(h in t.get_text() for h in ("$", "\\", "^", "{")):
            assert not t.get_parse_math() and not t.get_usetex(), (name, t.get_text())


@pytest.mark.parametrize("name", [f for f in FUNCTIONS if f not in ("positions",)])
def test_user_strings_are_literal_on_a_given_ax(name, hostile):
    """Drawn on an axes the user made (its tick labels made before sim's text), the
    figure still renders."""
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig.canvas.draw()  # the axes' ticks exist before sim puts names on them
    out = _draw(name, hostile, ax=ax)
    assert out is fig
    assert _png_size(figure_bytes(fig))[0] > 0


def test_a_formatters_own_mathtext_still_renders(hostile):
    """Numeric tick labels a mathtext formatter writes on a user's axes stay mathtext."""
    with matplotlib.rc_context({"axes.formatter.use_mathtext": True}):
        fig, ax = plt.subplots()
    plot.war_distribution(_ensemble(hostile), ax=ax)
    fig.canvas.draw()
    numeric = [t for t in ax.get_xticklabels() if t.get_text()]
    assert numeric and all("$" in t.get_text() and t.get_parse_math() for t in numeric)


def test_the_figures_of_a_hostile_scenario_are_written(tmp_path):
    """sim run, sim ensemble and sim sweep write their figures for a scenario whose name,
    issue and actor ids hold mathtext."""
    path = tmp_path / "hostile.toml"
    path.write_text(
        "[scenario]\n"
        'name = "cost $\\\\frac{$ x"\n'
        "[[issues]]\n"
        "id = 'i$x^2$'\n"
        'name = "$\\\\frac{$ issue"\n'
        "scale = [0, 100]\n"
        "[actors.'A$']\n"
        "capability = 1\nposition = {'i$x^2$' = 10}\nsalience = {'i$x^2$' = 0.5}\n"
        "[actors.'B\\']\n"
        "capability = 2\nposition = {'i$x^2$' = 90}\nsalience = {'i$x^2$' = 0.5}\n"
        "[actors.C]\n"
        "capability = 1\nposition = {'i$x^2$' = 50}\nsalience = {'i$x^2$' = 0.5}\n",
        encoding="utf-8",
    )
    commands = {
        "run": (["--rounds", "3"], ["positions.png", "quadrant.png"]),
        "ensemble": (["--runs", "4", "--quiet"], ["distribution.png"]),
        "sweep": (["--runs", "2", "--param", "actors.C.capability=1:2:2"], ["sweep.png"]),
    }
    for command, (options, figures) in commands.items():
        out = tmp_path / command
        assert main([command, str(path), *options, "--out", str(out)]) == 0, command
        for figure in figures:
            assert _png_size((out / figure).read_bytes())[0] > 0


# ---- size ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def huge():
    return _context(n_issues=100, n_actors=300, name_len=200, n_strategies=60)


# figures whose input holds more than one figure draws: issues, actors, strategies, dyads
CUT = {"positions", "quadrant", "distribution", "ensemble_trajectories",
       "agreement_distribution", "sweep_lines", "sweep_heatmap", "tournament_ranking",
       "payoff_heatmap", "evolution", "repeated_moves", "zone"}  # fmt: skip


@pytest.mark.parametrize("name", FUNCTIONS)
def test_figures_of_a_huge_scenario_stay_bounded(name, huge):
    """100 issues, 300 actors, 60 strategies and 200-character names: the figure is at
    most 24 x 32 inches (and its PNG near that), long names are cut with an ellipsis, and
    a note says what is left out."""
    fig = _draw(name, huge)
    w, h = fig.get_size_inches()
    assert w <= LIMIT_INCHES[0] and h <= LIMIT_INCHES[1], (name, w, h)
    buf = io.BytesIO()  # as figure_bytes saves it, at a lower resolution to be quick
    fig.savefig(buf, format="png", dpi=LOW_DPI, bbox_inches="tight")
    px_w, px_h = _png_size(buf.getvalue())
    # bbox_inches="tight" may add a legend or a note beside the figure
    assert px_w <= (LIMIT_INCHES[0] + 10) * LOW_DPI, (name, px_w / LOW_DPI)
    assert px_h <= (LIMIT_INCHES[1] + 4) * LOW_DPI, (name, px_h / LOW_DPI)
    texts = [t.get_text() for t in _texts(fig)]
    longest = max(len(line) for t in texts for line in t.split("\n"))
    assert longest <= 250, (name, longest)
    sc = huge.sc
    whole = [sc.name, *(i.name for i in sc.issues), *huge.strategies]
    assert not any(w in t for w in whole for t in texts), f"{name}: a 200-character name drawn"
    assert any("…" in t for t in texts), name
    notes = [t for t in texts if t.startswith("showing ")]
    if name in CUT:
        assert notes, f"{name}: no note says what is left out"
        assert any(
            f" of {k} " in n for n in notes for k in (100, 300, 299, 60)
        ), (name, notes)  # fmt: skip
