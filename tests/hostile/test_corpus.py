"""Every file of the hostile corpus (``tests/data/hostile/``) through ``sim validate``,
``sim run --out`` and ``sim import --out``, in-process: exit 0 with every output file,
or exit 2 with a message that names the file and nothing written; never a traceback.

Files named ``ok_*`` must load and run; files named ``bad_*`` must be refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import load_scenario

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hostile"
FILES = sorted(p for p in CORPUS.iterdir() if p.is_file())
RUN_OUTPUTS = ("rounds.csv", "summary.json", "events.csv", "positions.png", "quadrant.png")


def test_the_corpus_is_there():
    names = [p.name for p in FILES]
    assert len(names) >= 40
    assert all(n.startswith(("ok_", "bad_")) for n in names), names
    assert {p.suffix for p in FILES} == {".toml", ".json", ".csv"}


def _sim(capsys, *args) -> tuple[int, str]:
    """``sim ARGS`` in-process: (exit code, stdout + stderr). An exception propagates
    (and fails the test): that would be a traceback."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _nothing_written(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_a_corpus_file_is_run_or_refused(path, tmp_path, capsys):
    expect_ok = path.name.startswith("ok_")
    shown = str(path)

    code, text = _sim(capsys, "validate", path)
    assert code in (0, 2), text
    assert "Traceback" not in text
    assert code == (0 if expect_ok else 2), text
    assert shown in text

    out = tmp_path / "run"
    code, text = _sim(capsys, "run", path, "--out", out)
    assert "Traceback" not in text
    assert code == (0 if expect_ok else 2), text
    if expect_ok:
        for name in RUN_OUTPUTS:
            assert (out / name).is_file(), f"{name} missing after: {text}"
        summary = (out / "summary.json").read_text(encoding="utf-8")
        json.loads(summary)
        assert "NaN" not in summary and "Infinity" not in summary
    else:
        assert shown in text, text
        assert _nothing_written(out), sorted(p.name for p in out.rglob("*"))

    target = tmp_path / "imp" / "x.toml"
    target.parent.mkdir()
    code, text = _sim(capsys, "import", path, "--out", target)
    assert "Traceback" not in text
    assert code == (0 if expect_ok else 2), text
    if expect_ok:
        assert load_scenario(target) == load_scenario(path)
    else:
        assert shown in text, text
        assert _nothing_written(target.parent)


def test_refusals_are_one_line_per_problem_and_short(capsys):
    """A refused file's message stays readable: no control characters, no huge echo."""
    for path in FILES:
        if path.name.startswith("ok_"):
            continue
        code, text = _sim(capsys, "validate", path)
        assert code == 2
        assert len(text) < 5_000, (path.name, len(text))
        assert not any(ch in text for ch in "\x1b\x07\x7f\x9b\u202e\u200b"), path.name
