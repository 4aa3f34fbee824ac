"""Exit codes of the console entry point: 0 ok, 2 bad usage or input, 130 interrupted."""

import pytest

import sim.experiment
from sim.cli import main


def test_ctrl_c_exits_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.experiment, "run", interrupted)
    out = tmp_path / "out"
    assert main(["run", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, code",
    [
        (["--help"], 0),
        (["--version"], 0),
        (["list"], 0),
        (["run", "--bogus"], 2),
        (["no-such-command"], 2),
        (["run", "--rounds", "-1"], 2),
        (["run", "--model", "nope"], 2),
        (["validate", "no/such/file.toml"], 2),
    ],
)
def test_exit_codes(argv, code, capsys):
    assert main(argv) == code
    assert "Traceback" not in capsys.readouterr().err
