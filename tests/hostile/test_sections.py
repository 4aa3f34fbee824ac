"""Hostile values in each section of a scenario file, run through the models that read
the section: every run ends (no hang), exits 0 or 2, writes strict JSON and never a
traceback.
"""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path

import pytest

from sim.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hostile"


class _TooSlow(Exception):
    pass


@contextlib.contextmanager
def _deadline(seconds: int):
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def _raise(*_):
        raise _TooSlow(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _sim(capsys, *args, seconds: int = 20) -> tuple[int, str]:
    with _deadline(seconds):
        code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _strict_json(path: Path) -> dict:
    def refuse(constant):
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


@pytest.mark.parametrize("model", ["nbs", "crisis"])
def test_a_scale_far_from_zero_ends(model, tmp_path, capsys):
    """A scale 1 wide at 1e15 (floats 0.125 apart) does not hang the Nash search."""
    path = CORPUS / "ok_scale_far_from_zero.toml"
    args = ["--parties", "X,Y"] if model != "crisis" else []
    if model == "crisis":
        args = ["--set", 'crisis={challenger="X", defender="Y", contested=["a"], '
                'cost={X=0.1, Y=0.1}}']  # fmt: skip
    code, text = _sim(capsys, "run", path, "--model", model, "--out", tmp_path / "o", *args)
    assert code == 0, text
    _strict_json(tmp_path / "o" / "summary.json")


def test_a_status_quo_worse_than_losing_the_war_is_drawn(tmp_path, capsys):
    """A negotiated share below 0 (the status quo worse than losing) runs and is reported."""
    path = CORPUS / "ok_crisis_status_quo_worse_than_losing.toml"
    code, text = _sim(capsys, "run", path, "--model", "crisis", "--out", tmp_path / "o")
    assert "Traceback" not in text
    assert code == 0, text
    summary = _strict_json(tmp_path / "o" / "summary.json")
    assert (tmp_path / "o" / "bargaining_range.png").is_file()
    # the summary keeps the true share; only the figure draws it at the end of the pie
    assert summary["crisis"]["negotiation"]["share"] < 0
