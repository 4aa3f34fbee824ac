"""`sim import`: every shipped scenario written as TOML loads back equal."""

import tomllib

import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.scenario import load_scenario, shipped_scenarios, validate_raw
from sim.scenario.export import to_toml


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_round_trip(name):
    sc = load_scenario(name)
    assert validate_raw(tomllib.loads(to_toml(sc)), "round trip") == sc


def test_odd_ids_are_quoted(tmp_path):
    csv = tmp_path / "odd issue.csv"
    csv.write_text('Actor,Capability,Position,Salience\n"Hong Kong",1,10,0.5\nSTU/INTEL,2,90,0.9\n')
    sc = load_scenario(csv)
    back = validate_raw(tomllib.loads(to_toml(sc)), "round trip")
    assert back.actor_ids == ("Hong_Kong", "STU/INTEL")
    assert back.issue_ids == ("odd_issue",)


def test_cli_import_writes_a_loadable_file(tmp_path):
    out = tmp_path / "ec.toml"
    res = CliRunner().invoke(cli, ["import", "ec_example_scholz2011", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert load_scenario(out) == load_scenario("ec_example_scholz2011")
