"""A run that can take more than a few seconds says how far it has got."""

from __future__ import annotations

import sim
import sim.experiment as experiment


def test_a_large_run_reports_its_rounds(capsys, monkeypatch):
    """The expected-utility run reports rounds done on stderr once it is large enough."""
    monkeypatch.setattr(experiment, "LONG_RUN", 1)  # every run counts as large
    sim.run("ec_example_scholz2011", rounds=3)
    err = capsys.readouterr().err
    assert "rounds" in err and "/3 rounds" in err


def test_a_small_run_is_quiet(capsys):
    sim.run("ec_example_scholz2011", rounds=3)
    assert capsys.readouterr().err == ""


def test_the_threshold_counts_cubic_cost_in_actors():
    """2,000 actors on 6 issues for 30 rounds is a long run; the default scenario is not."""
    assert 2000**3 * 6 * 30 >= experiment.LONG_RUN > 12**3 * 6 * 30
