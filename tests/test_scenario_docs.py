"""scenarios/README.md cannot drift from the code.

Every ```toml block of the README is a complete scenario that must load; the worked
example must run to the forecast printed below it; the CSV example, the
`sim validate` messages and the list of shipped scenarios must match what sim does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import cli
from sim.scenario import shipped_scenarios

README = Path(__file__).resolve().parent.parent / "scenarios" / "README.md"
FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
NUMBER = r"-?\d+(?:\.\d+)?"


def blocks(lang: str) -> list[str]:
    return [body for tag, body in FENCE.findall(README.read_text(encoding="utf-8")) if tag == lang]


def console_output(command: str) -> list[str]:
    """The printed output of each ```console block that runs exactly ``command``."""
    outputs = []
    for body in blocks("console"):
        lines = body.rstrip("\n").split("\n")
        if lines[0].strip() == f"$ {command}":
            outputs.append(lines[1:])
    return outputs


def worked_example() -> str:
    found = [b for b in blocks("toml") if "[blocs." in b and "red_line" in b]
    assert len(found) == 1, (
        "expected exactly one worked example (a toml block with a bloc and a red line)"
    )
    return found[0]


TOML_BLOCKS = blocks("toml")


def test_readme_has_toml_blocks():
    assert len(TOML_BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(TOML_BLOCKS)))
def test_every_toml_block_loads(tmp_path, index):
    path = tmp_path / f"block{index}.toml"
    path.write_text(TOML_BLOCKS[index], encoding="utf-8")
    scenario = sim.load_scenario(path)
    assert len(scenario.actors) >= 2 and len(scenario.issues) >= 1


def test_worked_example_is_what_the_text_says(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(worked_example(), encoding="utf-8")
    sc = sim.load_scenario(path)
    assert (len(sc.actors), len(sc.issues), len(sc.blocs)) == (3, 2, 1)
    assert sum(len(a.red_line) for a in sc.actors.values()) == 1
    assert all(a.reason for a in sc.actors.values())
    (bloc,) = sc.blocs
    members = sc.blocs[bloc].members
    assert sc.bloc_capability(bloc) == pytest.approx(sum(sc.actors[m].capability for m in members))
    assert sc.bloc_range(bloc, "monitors") == (0.0, 100.0)


def test_worked_example_forecast_matches_readme(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(worked_example(), encoding="utf-8")
    (printed,) = console_output("sim run example.toml")
    result = sim.run(path)
    sc = result.scenario
    assert printed[0].startswith(f"{sc.name}: model {result.model}, ")

    rows = {}
    for line in printed:
        m = re.match(rf"^(\S+)\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s*$", line)
        if m:
            rows[m.group(1)] = [float(x) for x in m.groups()[1:]]
    assert sorted(rows) == sorted(iid[:16] for iid in sc.issue_ids)

    fc = result.forecast()
    for iid, row in fc.iterrows():
        got = [row.initial_compromise, row.initial_median, row.compromise, row["median"]]
        assert [round(x, 2) for x in got] == pytest.approx(rows[iid[:16]], abs=1e-9), iid

    stop = printed[-1]
    m = re.match(r"converged: nobody moved in round (\d+)$", stop)
    if m:
        assert result.stopped == "converged" and result.rounds == int(m.group(1))
    m = re.match(r"stopped at the round limit after (\d+) rounds$", stop)
    if m:
        assert result.stopped == "limit" and result.rounds == int(m.group(1))


def test_worked_example_story(tmp_path):
    """The prose under the output: Arnland's red line clips its move; sanctions end at 0."""
    path = tmp_path / "example.toml"
    path.write_text(worked_example(), encoding="utf-8")
    result = sim.run(path)
    ev = result.events()
    first = ev[(ev["round"] == 1) & (ev.issue == "monitors") & (ev.actor == "ARN")].iloc[0]
    assert (first.event, first.offer_from, bool(first.clipped)) == ("lost", "COR", True)
    final = (
        result.trajectories().query("round == round.max()").set_index(["issue", "actor"]).position
    )
    assert final["monitors", "ARN"] == pytest.approx(40.0)
    assert list(final["sanctions"]) == pytest.approx([0.0, 0.0, 0.0])


def edit(text: str, *changes: tuple[str, str]) -> str:
    """The README's broken.toml: the worked example with the edits its prose describes."""
    for old, new in changes:
        assert text.count(old) == 1, f"the worked example changed; update this test ({old!r})"
        text = text.replace(old, new)
    return text


def test_validate_messages_match_readme(tmp_path, monkeypatch):
    example = worked_example()
    broken = [
        edit(
            example,
            (
                "salience = { monitors = 0.8, sanctions = 0.5 }",
                "salience = { monitors = 80, sanctions = 0.5 }",
            ),
            ("rounds = 20", "rounds = 20\nround = 5"),
        ),
        edit(
            example,
            (
                "position = { monitors = 20, sanctions = 0 }",
                "position = { monitors = 50, sanctions = 0 }",
            ),
            ('members = ["BEL", "COR"]', 'members = ["BEL", "CRV"]'),
        ),
    ]
    printed = console_output("sim validate broken.toml")
    assert len(printed) == len(broken)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for text, expected in zip(broken, printed, strict=True):
        Path("broken.toml").write_text(text, encoding="utf-8")
        res = runner.invoke(cli, ["validate", "broken.toml"])
        assert res.exit_code == 2
        assert res.output.strip().splitlines() == expected

    Path("example.toml").write_text(example, encoding="utf-8")
    res = runner.invoke(cli, ["validate", "example.toml"])
    assert res.exit_code == 0
    assert [res.output.strip()] == console_output("sim validate example.toml")[0]


def test_csv_example_loads(tmp_path):
    (body,) = blocks("csv")
    path = tmp_path / "tariff.csv"
    path.write_text(body, encoding="utf-8")
    sc = sim.load_scenario(path)
    assert sc.issue_ids == ("tariff",)
    assert sc.issue("tariff").scale == (10.0, 90.0)
    assert sc.actors["Farm_lobby"].salience["tariff"] == pytest.approx(0.8)


def test_shipped_table_names_exist():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Shipped scenarios", 1)[1]
    names = re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)
    assert names and set(names) <= set(shipped_scenarios())
