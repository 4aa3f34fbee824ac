"""Build the example notebooks in this folder from the cells below.

    python notebooks/build.py            # rewrite notebooks/*.ipynb
    python notebooks/build.py OUT_DIR    # write them to OUT_DIR instead

The notebooks are generated, without outputs, so that they can be reviewed as code
and rebuilt exactly: edit the cells here, not in Jupyter, and run this script
(tests/test_notebooks.py checks that the committed files match its output). Every
notebook starts with the same setup cell: ``SIM_NOTEBOOK_SMALL=1`` in the environment
shrinks ensembles, sweeps and round limits so the whole set runs in seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import os

import pandas as pd

import sim
import sim.plot

# SIM_NOTEBOOK_SMALL=1: small runs for tests; unset it for the full sizes
SMALL = os.environ.get("SIM_NOTEBOOK_SMALL") == "1"
"""


def md(text: str):
    return ("markdown", text)


def code(text: str):
    return ("code", text)


def setup(sizes: str = ""):
    """The shared setup cell, with this notebook's sizes below the flag."""
    return code(SETUP + ("\n" + sizes if sizes else ""))


# ---- 01 -------------------------------------------------------------------------------
NATO_RUSSIA = [
    md(
        """\
# The NATO-Russia Council, January 2022

The scenario that ships as the default: the week of talks after Russia published its
draft treaties in December 2021. Twelve states, six issues on 0-100 scales, NATO as a
consensus bloc of nine of them. Russia demanded an end to enlargement and a rollback
of allied forces; the allies would not touch the open door.

This notebook loads the scenario, looks at it as a table, runs the expected-utility
model, reads the forecast, and asks one counterfactual question."""
    ),
    setup("ROUNDS = 10 if SMALL else None  # None: the scenario's own limit (30 rounds)"),
    md(
        """\
## The scenario

A scenario displays as a table: per actor its capability and, per issue, its
position / salience (how much the issue matters to it, 0-1)."""
    ),
    code(
        """\
scenario = sim.load_scenario()  # the default; or a shipped name, or a path
scenario"""
    ),
    md(
        """\
The same codings as pandas tables: positions with capabilities, and the red lines,
the ranges an actor has said in public it would ever accept."""
    ),
    code(
        """\
positions = pd.DataFrame({aid: actor.position for aid, actor in scenario.actors.items()}).T
positions.insert(0, "capability", [actor.capability for actor in scenario.actors.values()])
positions"""
    ),
    code(
        """\
red_lines = pd.DataFrame(
    {
        aid: {iid: f"{lo:g}-{hi:g}" for iid, (lo, hi) in actor.red_line.items()}
        for aid, actor in scenario.actors.items()
        if actor.red_line
    }
).T.fillna("")
red_lines"""
    ),
    md(
        """\
## The expected-utility model

Each round every actor weighs challenging every other on every issue, makes offers,
and loses, compromises or capitulates; all moves apply at once, and a red line clips
a move. The run goes through the mesa agents (`sim.NegotiationModel`) and shows the
forecast per issue: the capability-and-salience weighted compromise (mean) and median,
at the start and at the end."""
    ),
    code(
        """\
result = sim.run(scenario, model="eum", rounds=ROUNDS)
result"""
    ),
    code("sim.plot.figure(result)"),
    md(
        """\
## Reading the forecast

Everyone converges on the allies' line except on enlargement, where Russia's red
line (0-50) holds it at 50 while the others end at the open door; the compromise there
stays below the median. The run does not settle (Turkey keeps swinging on
enlargement), so it stops at the round limit."""
    ),
    code(
        """\
print(f"stopped: {result.stopped} after {result.rounds} rounds")
last = result.trajectories().query("round == round.max()")
last.pivot(index="actor", columns="issue", values="position").loc[
    list(scenario.actor_ids), list(scenario.issue_ids)
].round(1)"""
    ),
    md(
        """\
## A counterfactual

What if Russia had opened at 50 on enlargement, the edge of its red line, instead of
0? `overrides` change fields by path before the scenario is validated; the file is
not touched. The starting compromise moves; compare where the talks end."""
    ),
    code(
        """\
counterfactual = sim.run(
    "nato_russia_2022", rounds=ROUNDS, overrides={"actors.RUS.position.enlargement": 50}
)
columns = ["initial_compromise", "compromise", "median"]
pd.concat(
    {"as coded": result.forecast()[columns], "RUS opens at 50": counterfactual.forecast()[columns]},
    axis=1,
).round(1)"""
    ),
    md(
        """\
The opening position changes the starting point, not the forecast: Russia ends at its
red line either way. What would change it is the red line itself:"""
    ),
    code(
        """\
no_red_line = sim.run(
    "nato_russia_2022", rounds=ROUNDS, overrides={"actors.RUS.red_line.enlargement": [0, 100]}
)
pd.DataFrame(
    {
        "as coded": result.forecast()["compromise"],
        "RUS opens at 50": counterfactual.forecast()["compromise"],
        "RUS without its red line": no_red_line.forecast()["compromise"],
    }
).round(1)"""
    ),
    code('sim.plot.positions(no_red_line, issue="enlargement")'),
    md(
        """\
To try other positions by hand, the explorer shows the same model with sliders: pick an
actor and an issue, move its position or salience, step the rounds and watch the forecast
(`sim explore` serves the same page in a browser)."""
    ),
    code("import sim.explore\n\nsim.explore.explorer(scenario)"),
]


# ---- 02 -------------------------------------------------------------------------------
EXPECTED_UTILITY = [
    md(
        """\
# The expected-utility model, step by step

The European Community example of the published replication (Scholz, Calbert and
Smith 2011): ten member states on one issue, scale 4 to 10, in the classic CSV
format (`Actor,Capability,Position,Salience`). Small enough to follow every number:
positions round by round, who challenged whom, the quadrant chart from one actor's
view, the risk exponents, and the mesa model stepped by hand."""
    ),
    setup("ROUNDS = 10 if SMALL else 30"),
    code(
        """\
scenario = sim.load_scenario("ec_example_scholz2011")
scenario"""
    ),
    md(
        """\
## Round by round

`trajectories()` is tidy (`round, issue, actor, position`); one issue pivots to a
table with a row per round. Luxembourg flips between 4 and 10 every round and
Ireland compromises back and forth around 7, so the run never repeats a state exactly
and stops at the round limit."""
    ),
    code(
        """\
result = sim.run(scenario, rounds=ROUNDS)
by_round = result.trajectories().pivot(index="round", columns="actor", values="position")
by_round[list(scenario.actor_ids)].head(8).round(2)"""
    ),
    code("result"),
    md(
        """\
What each actor did with the offers it received (`resisted`, `lost`, `compromised`,
`capitulated`), whose offer it took, and how many offers it sent:"""
    ),
    code("result.events().query(\"event != 'no_offer' and round <= 2\")"),
    md(
        """\
## The quadrant chart

From one actor's view (here the UK), every other actor is placed by the UK's
expected utility of challenging it (x) and by its expected utility of challenging
the UK (y). Top right is conflict, bottom left the status quo; in the other two
quadrants one side gives way."""
    ),
    code('sim.plot.quadrant(result, "UK")'),
    md(
        """\
## Risk exponents, with the mesa model stepped by hand

`result.risk()` gives every actor's risk exponent in every round. An exponent is
between 0.5 and 2 (1 is risk-neutral, above 1 risk-averse), from how exposed each
actor is to the others' challenges: here the UK is the most risk-averse, Luxembourg
and Ireland the most risk-acceptant, and the exponents shift as Luxembourg flips."""
    ),
    code(
        """\
result.risk().pivot(index="actor", columns="round", values="risk").round(3)"""
    ),
    md(
        """\
The same values live in the model: `sim.NegotiationModel` is a mesa model whose agents
decide for themselves each round; after each `step()`, `model.risk` holds that round's
exponents (issue by actor) and `model.expected_utility` the matrix `EU[i, j]`, i's
expected utility of challenging j, both computed from the positions at the start of
the round."""
    ),
    code(
        """\
model = sim.NegotiationModel(scenario, rounds=ROUNDS)
risk = {}
for _ in range(4):
    model.step()
    risk[f"round {model.round}"] = model.risk[0].copy()  # the model reuses its arrays
pd.DataFrame(risk, index=list(scenario.actor_ids)).round(3)"""
    ),
    code(
        """\
ids = list(scenario.actor_ids)
print(f"EU[i, j] in round {model.round}: row i challenging column j")
pd.DataFrame(model.expected_utility[0], index=ids, columns=ids).round(2)"""
    ),
    md(
        """\
The model's `DataCollector` records the forecast after every round, and the agents'
positions; the hand-stepped model and `sim.run` give the same trajectory."""
    ),
    code(
        """\
import numpy as np

print(
    "same positions as sim.run:",
    np.array_equal(model.trajectory().positions, result.trajectory.positions[: model.round + 1]),
)
model.datacollector.get_model_vars_dataframe()"""
    ),
    md(
        """\
The same round-start quantities for any positions, without a model:
`sim.models.eum.expected_utility_matrix(arrays, issue)` returns `EU`, the risk
exponents, the win probabilities `P` and the weighted median (from the coded
positions: those of round 1). Fixing the exponents
shows how much they matter here: with every actor risk-neutral the forecast moves
up, with every actor risk-acceptant (0.5) it collapses to 4."""
    ),
    code(
        """\
from sim.models.eum import expected_utility_matrix

EU, r, P, median = expected_utility_matrix(scenario.arrays(), 0)
print("the model's round 1 exponents:", np.allclose(r, risk["round 1"]))
forecasts = {}
for value in ("computed", 1.0, 0.5, 2.0):
    run = sim.run("ec_example_scholz2011", rounds=ROUNDS, overrides={"payoffs.risk": value})
    forecasts[f"risk = {value}"] = run.forecast().iloc[0]
pd.DataFrame(forecasts).round(2)"""
    ),
]


# ---- 03 -------------------------------------------------------------------------------
UNCERTAINTY = [
    md(
        """\
# Uncertainty: ensembles and sweeps

Positions and saliences are codings and capabilities are stale, so one run is one
guess. An ensemble runs the scenario many times, each run perturbed as the
scenario's `[uncertainty]` section says, and reports the distribution of the
forecasts; a sweep runs an ensemble at every point of a grid over scenario fields.
Every run draws from its own seed, spawned from the root seed: the same seed gives
the same numbers on any number of threads or machines."""
    ),
    setup(
        """\
RUNS = 100 if SMALL else 2000  # runs of the ensemble
GRID = 3 if SMALL else 5  # points per swept parameter
POINT_RUNS = 50 if SMALL else 500  # runs at every grid point
ROUNDS = 10 if SMALL else None  # None: the scenario's own limit"""
    ),
    code(
        """\
scenario = sim.load_scenario()
scenario.uncertainty"""
    ),
    md(
        """\
## An ensemble

Position noise of 5 scale points, salience noise of 0.1 and a 20% spread of
capabilities, per the scenario file. The display gives per issue the mean and the
5-95% range of both forecasts beside the unperturbed run."""
    ),
    code(
        """\
ens = sim.ensemble(scenario, runs=RUNS, seed=7, rounds=ROUNDS, progress=False)
ens"""
    ),
    code("sim.plot.figure(ens)"),
    md(
        """\
One row per run (`ens.runs`): its seed, how it stopped, and the final forecast per
issue, ready for any question the summary does not answer, such as how often the
compromise on enlargement ends below 80, or how the percentiles compare."""
    ),
    code(
        """\
runs = ens.runs
print(runs["stopped"].value_counts().to_dict())
print(f"P(enlargement compromise < 80) = {(runs['enlargement.compromise'] < 80).mean():.3f}")
summary = ens.summary()["forecast"]
pd.DataFrame({iid: f["compromise"] for iid, f in summary.items()}).T.round(1)"""
    ),
    md(
        """\
## A sweep over two parameters

How much does the forecast on enlargement depend on Russia's capability and on how
much enlargement matters to it? Every grid point runs an ensemble with the same
root seed (common random numbers), so differences between points come from the
parameters, not from the noise."""
    ),
    code(
        """\
grid = {
    "actors.RUS.capability": (0.02, 0.14, GRID),
    "actors.RUS.salience.enlargement": (0.2, 1.0, GRID),
}
sweep = sim.sweep(scenario, grid, runs=POINT_RUNS, seed=1, progress=False)
sweep"""
    ),
    code('sim.plot.figure(sweep, issue="enlargement")'),
    md(
        """\
The tidy table behind the heatmap has a row per point and issue with the mean,
spread and percentiles of both forecasts. Russia moves the outcome only when it is
both strong and resolved: capability alone or salience alone barely shifts it."""
    ),
    code(
        """\
sweep.table.query("issue == 'enlargement'").pivot(
    index="actors.RUS.capability",
    columns="actors.RUS.salience.enlargement",
    values="compromise_mean",
).round(1)"""
    ),
]


# ---- 04 -------------------------------------------------------------------------------
BARGAINING = [
    md(
        """\
# Bargaining and war

Three questions the expected-utility model does not ask, on the same scenario: is
there a deal that both Russia and NATO prefer to walking away (Nash bargaining), how
does a bilateral haggle unfold (alternating offers), and when does a state prefer war
to the best deal on offer (crisis bargaining after Fearon 1995)?"""
    ),
    setup(
        """\
RUNS = 200 if SMALL else 5000  # runs of the crisis ensemble
SWEEP_POINTS = 3 if SMALL else 7  # values of US support in the sweep
SWEEP_RUNS = 50 if SMALL else 1000  # runs at every value

# Russia's red line on enlargement lifted: the whole scale acceptable
LIFTED = {"actors.RUS.red_line.enlargement": [0, 100]}"""
    ),
    md(
        """\
## Is there a zone of agreement?

The Nash bargaining solution looks for the point inside every party's red lines (a
bloc's: the intersection of its members') that maximises the product of the
parties' gains over their disagreement values. Russia's red line (at most 50 on
enlargement) and the allies' (at least 60) do not overlap."""
    ),
    code(
        """\
scenario = sim.load_scenario()
nbs = sim.run(scenario, model="nbs")
nbs"""
    ),
    code("sim.plot.figure(nbs)"),
    md(
        """\
With Russia's red line lifted a deal exists; with linear utilities it trades whole
issues: Russia gets missiles and its reading of Ukraine's sovereignty, NATO the
posture, the exercises and the withdrawal."""
    ),
    code(
        """\
lifted = sim.run("nato_russia_2022", model="nbs", overrides=LIFTED)
sim.plot.figure(lifted)"""
    ),
    md(
        """\
## Alternating offers

Russia (hard line) and NATO (Boulware: concedes late) take turns proposing points on
their contract curve, six weekly rounds. A value is the share of a party's own range
on the curve: 1 is its best point, 0 the other's. Each side's red lines set its
reservation, and no point satisfies both: breakdown."""
    ),
    code(
        """\
offers = sim.run(scenario, model="alternating", parties=["RUS", "NATO"])
print(offers.record["message"])
offers.rounds[["round", "proposer", "value_a", "value_b", "accepted"]]"""
    ),
    code("sim.plot.figure(offers)"),
    md(
        """\
Would a conceder on either side help? Not within the red lines: strategies decide
when and where a deal comes, not whether one exists. Without Russia's red line
every pair agrees, but when Russia concedes early the deal is worse for it than
war (the scenario's `[crisis]` section makes that comparison)."""
    ),
    code(
        """\
rows = []
for red_line, overrides in (("as coded", None), ("lifted", LIFTED)):
    for strategies in ({}, {"NATO": "conceder"}, {"RUS": "conceder"}):
        run = sim.run(
            "nato_russia_2022",
            model="alternating",
            parties=["RUS", "NATO"],
            strategies=strategies or None,
            overrides=overrides,
        )
        rows.append(
            {
                "RUS red line": red_line,
                "strategies": ", ".join(f"{k}={v}" for k, v in strategies.items()) or "as coded",
                "agreement": run.agreement["reached"],
                "round": run.record["round"],
                "war preferred": run.war,
            }
        )
pd.DataFrame(rows).astype({"round": "Int64"})"""
    ),
    md(
        """\
## The bargaining range

In the crisis model Russia, with Belarus, faces Ukraine and the support its partners
commit. War is a lottery on the contested issues (enlargement, sovereignty): Russia
wins with probability `p` and each side pays its cost, so every deal between
`p - c_RUS` and `p + c_UKR` (Russia's share of the stakes) beats war for both. With
Russia's cost private, Ukraine's side makes the offer that balances the risk of war
against concessions; within the red lines no acceptable offer exists."""
    ),
    code(
        """\
crisis = sim.run(scenario, model="crisis")
{key: crisis.summary()[key] for key in ("p", "bargaining_range", "p_war", "war")}"""
    ),
    code('sim.plot.figure(crisis, "bargaining_range")'),
    md(
        """\
## The probability of war

A crisis ensemble draws capabilities, positions and saliences from `[uncertainty]`
and Russia's cost from the scenario's `cost_range`; in each run Ukraine's side makes
its best offer within the red lines and Russia fights or not. P(war) comes with its
95% (Wilson) interval."""
    ),
    code(
        """\
war = sim.ensemble(scenario, model="crisis", runs=RUNS, seed=3, progress=False)
lo, hi = war.summary()["p_war_interval"]
print(f"P(war) = {war.summary()['p_war']:.3f}, 95% interval [{lo:.3f}, {hi:.3f}]")
sim.plot.figure(war)"""
    ),
    md(
        """\
## More US support?

A sweep over the US commitment in `crisis.supporters.USA` (coded 0.05), the same root
seed at every point: more support lowers Russia's chance of winning and with it the
probability of war."""
    ),
    code(
        """\
support = sim.sweep(
    scenario,
    {"crisis.supporters.USA": (0.0, 0.3, SWEEP_POINTS)},
    model="crisis",
    runs=SWEEP_RUNS,
    seed=3,
    progress=False,
)
support.table[["crisis.supporters.USA", "p_war", "p_war_lo", "p_war_hi", "p_mean"]].round(3)"""
    ),
    code("sim.plot.figure(support)"),
]


# ---- 05 -------------------------------------------------------------------------------
REPEATED = [
    md(
        """\
# Repeated games: does cooperation hold between summits?

Between summits states play repeated games: patrols and incidents, exercises answered
with exercises. This notebook plays the iterated prisoner's dilemma (R=3, S=0, T=5,
P=1) as a round-robin tournament, lets strategies evolve in a population, then plays
the dyads of the default scenario turn by turn and watches cooperation break down
when moves are misread."""
    ),
    setup(
        """\
REPETITIONS = 2 if SMALL else 10  # tournament repetitions
POPULATION = 30 if SMALL else 100  # Moran population"""
    ),
    md(
        """\
## A tournament

Every pair of strategies plays 200 turns, once per repetition; self-play is played
but left out of the scores."""
    ),
    code(
        """\
STRATEGIES = [
    "cooperator",
    "defector",
    "tit_for_tat",
    "suspicious_tit_for_tat",
    "tit_for_two_tats",
    "grudger",
    "alternator",
    "win_stay_lose_shift",
    "generous_tit_for_tat:0.1",
    "random:0.5",
]
tournament = sim.tournament(STRATEGIES, turns=200, repetitions=REPETITIONS, seed=1)
tournament.scores()"""
    ),
    code("sim.plot.tournament_ranking(tournament)"),
    md("The mean payoff per turn of each strategy (row) against each (column):"),
    code("sim.plot.payoff_heatmap(tournament)"),
    md(
        """\
With noise (5% of moves flipped) the ranking reshuffles: a misread move sets
retaliating strategies off into runs of mutual defection, the forgiving ones are
exploited, and the unconditional defector, last without noise, climbs toward the
top."""
    ),
    code(
        """\
noisy = sim.tournament(STRATEGIES, turns=200, repetitions=REPETITIONS, seed=1, noise=0.05)
pd.DataFrame(
    {
        name: pd.Series(range(1, len(STRATEGIES) + 1), index=t.scores()["strategy"])
        for name, t in (("rank, no noise", tournament), ("rank, noise 0.05", noisy))
    }
).sort_values("rank, no noise")"""
    ),
    md(
        """\
## Evolution

A Moran process on the tournament's payoffs: each step one individual, picked in
proportion to its fitness, reproduces and a random one dies. Tit for tat, the
unconditional defector and win-stay-lose-shift start in equal numbers."""
    ),
    code(
        """\
evolution = sim.evolve(
    ["tit_for_tat", "defector", "win_stay_lose_shift"],
    process="moran",
    population=POPULATION,
    seed=1,
)
evolution"""
    ),
    code("sim.plot.evolution(evolution)"),
    md(
        """\
## The scenario's dyads

The default scenario's `[game]` section: Russia and NATO play chicken over air and
naval incidents, Russia and the Baltic states and Ukraine a prisoner's dilemma, 52
weekly moves with 5% noise, each party with a strategy coded from the talks."""
    ),
    code(
        """\
scenario = sim.load_scenario()
game = sim.play(scenario, seed=1)
game"""
    ),
    code("sim.plot.repeated_moves(game)"),
    md(
        """\
## Turn by turn

`sim.RepeatedGameModel` steps the same moves as mesa agents, one turn of every dyad
per `step()`. The first turns, one column per side of each dyad (C cooperates,
D defects):"""
    ),
    code(
        """\
model = sim.RepeatedGameModel(scenario, seed=1)
for _ in range(12):
    model.step()
moves = model.moves()
moves["side"] = moves["actor"] + " vs " + moves["opponent"]
moves.pivot(index="turn", columns="side", values="action")[moves["side"].unique()]"""
    ),
    md(
        """\
Played to the end with more or less noise: the share of cooperative moves per turn
over all dyads (a four-turn moving average). Without noise everyone cooperates for
ever; a few misread moves are enough for the grudgers and tit for tat to lock into
defection."""
    ),
    code(
        """\
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3.5))
for noise in (0.0, 0.05, 0.2):
    m = sim.RepeatedGameModel(scenario, noise=noise, seed=1)
    m.run_model()
    cooperation = m.datacollector.get_model_vars_dataframe().set_index("turn")["cooperation"]
    ax.plot(cooperation.rolling(4, min_periods=1).mean(), label=f"noise {noise:g}")
ax.set(xlabel="turn", ylabel="share of cooperative moves", ylim=(0, 1.05))
ax.legend()
fig"""
    ),
]


NOTEBOOKS = {
    "01_nato_russia_2022.ipynb": NATO_RUSSIA,
    "02_expected_utility.ipynb": EXPECTED_UTILITY,
    "03_uncertainty.ipynb": UNCERTAINTY,
    "04_bargaining_and_war.ipynb": BARGAINING,
    "05_repeated_games.ipynb": REPEATED,
}


def notebook(cells) -> nbformat.NotebookNode:
    """A notebook without outputs, with stable cell ids and metadata."""
    nb = new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    nb.nbformat, nb.nbformat_minor = 4, 5
    for k, (kind, text) in enumerate(cells):
        make = new_code_cell if kind == "code" else new_markdown_cell
        nb.cells.append(make(text.rstrip("\n"), id=f"cell-{k:02d}"))
    nbformat.validate(nb)
    return nb


def build(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, cells in NOTEBOOKS.items():
        path = out / name
        nbformat.write(notebook(cells), path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
