"""What `sim ensemble` and `sim sweep` do to an output folder: they touch only what sim
owns (a user's ``chunks/`` survives), every file-system failure is exit 2 with the path
and the reason and leaves no result file behind, a bad scheduler, ``--set`` or
``--param`` leaves nothing, and the Python API refuses integers that are not integers."""

import errno
import os
from pathlib import Path

import pytest

import sim
import sim.outputs
import sim.runner
from sim.cli import main
from sim.outputs import OutputDir

EC = "ec_example_scholz2011"
RESULTS = ("runs.parquet", "summary.json", "distribution.png", "sweep.parquet", "sweep.png")


def ensemble_argv(out) -> list[str]:
    return ["ensemble", EC, "--runs", "20", "--chunk-size", "10", "--quiet", "--out", str(out)]


def sweep_argv(out) -> list[str]:
    return [
        "sweep",
        EC,
        "--param",
        "model.Q=0.5:1.0:2",
        "--runs",
        "5",
        "--quiet",
        "--out",
        str(out),
    ]


ARGV = {"ensemble": ensemble_argv, "sweep": sweep_argv}


def bad(capsys, argv, *words) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    return err


def no_results(folder: Path) -> None:
    for name in RESULTS:
        assert not (folder / name).exists(), name
    assert not [p for p in folder.rglob("*") if "tmp" in p.name]


# ---- sim touches only what it owns -----------------------------------------------------
def test_a_users_chunks_folder_survives_an_ensemble(tmp_path):
    out = tmp_path / "out"
    (out / "chunks" / "raw").mkdir(parents=True)
    (out / "chunks" / "raw" / "notes.txt").write_text("notes\n")
    (out / "points").mkdir()
    (out / "points" / "point-000.json").write_text("mine\n")
    assert main(["ensemble", "--runs", "20", "--quiet", "--out", str(out)]) == 0
    assert main(sweep_argv(out / "sweep")) == 0
    assert (out / "chunks" / "raw" / "notes.txt").read_text() == "notes\n"
    assert (out / "points" / "point-000.json").read_text() == "mine\n"
    assert not (out / "manifest.json").exists()
    assert (out / ".sim" / "manifest.json").exists() and (out / "runs.parquet").exists()


def test_cleanup_keeps_files_sim_did_not_record(tmp_path, monkeypatch):
    """A file of the user's in .sim/chunks/ stays, and so does the folder."""
    out = tmp_path / "out"
    with OutputDir(out):
        pass
    (out / ".sim" / "chunks").mkdir()
    (out / ".sim" / "chunks" / "keep.txt").write_text("keep\n")
    real = sim.runner._chunk_task
    calls = []

    def second_interrupts(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(sim.runner, "_chunk_task", second_interrupts)
    assert main(ensemble_argv(out)) == 130
    held = sorted(p.name for p in (out / ".sim" / "chunks").iterdir())
    assert held == ["chunk-000000.parquet", "keep.txt"]
    monkeypatch.undo()
    assert main(ensemble_argv(out)) == 0
    assert (out / ".sim" / "chunks" / "keep.txt").read_text() == "keep\n"
    assert sorted(p.name for p in (out / ".sim" / "chunks").iterdir()) == ["keep.txt"]


# ---- file-system failures: exit 2, the path and the reason, nothing written ---------------
@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_out_under_a_file_is_bad_input(tmp_path, capsys, command):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "sub"
    bad(capsys, ARGV[command](out), str(out), "not a folder")
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_out_in_proc_is_bad_input(capsys, command):
    bad(capsys, ARGV[command]("/proc/nope"), "/proc/nope")
    assert not Path("/proc/nope").exists()


def failing(monkeypatch, name: str, code: int, under: Path) -> None:
    """os.NAME raises OSError(code) for paths under ``under`` (root ignores chmod)."""
    real = getattr(os, name)

    def call(path, *args, **kwargs):
        if str(path).startswith(str(under)):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, call)


@pytest.mark.parametrize("command", ["ensemble", "sweep"])
@pytest.mark.parametrize(
    "code, reason", [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied")]
)
def test_a_folder_sim_cannot_write_is_bad_input(
    tmp_path, monkeypatch, capsys, command, code, reason
):
    out = tmp_path / "ro"
    out.mkdir()
    failing(monkeypatch, "mkdir", code, out)
    bad(capsys, ARGV[command](out), str(out), reason)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_a_full_disk_is_bad_input_and_leaves_nothing(tmp_path, monkeypatch, capsys, command):
    out = tmp_path / "full"

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)
    bad(capsys, ARGV[command](out), str(out), "no space left")
    no_results(out) if out.exists() else None
    monkeypatch.undo()
    assert main(ARGV[command](out)) == 0  # nothing left behind that blocks the next run


def test_a_full_disk_at_the_final_write_keeps_the_chunks_for_a_resume(
    tmp_path, monkeypatch, capsys
):
    out = tmp_path / "full"
    real = sim.outputs._stage

    def stage(tmp_dir, name, payload):
        if name == "distribution.png":  # the results are staged together: none lands
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(tmp_dir, name, payload)

    monkeypatch.setattr(sim.outputs, "_stage", stage)
    bad(capsys, ensemble_argv(out), str(out), "no space left")
    no_results(out)
    assert len(list((out / ".sim" / "chunks").glob("chunk-*.parquet"))) == 2
    monkeypatch.undo()
    assert main(ensemble_argv(out)) == 0
    assert main(ensemble_argv(tmp_path / "fresh")) == 0
    assert (out / "runs.parquet").read_bytes() == (tmp_path / "fresh" / "runs.parquet").read_bytes()


@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_state_chunks_being_a_file_is_bad_input(tmp_path, capsys, command):
    out = tmp_path / "out"
    with OutputDir(out):
        pass
    folder = "chunks" if command == "ensemble" else "points"
    (out / ".sim" / folder).write_text("not a folder\n")
    bad(capsys, ARGV[command](out), str(out / ".sim" / folder), "not a folder")
    assert (out / ".sim" / folder).read_text() == "not a folder\n"
    no_results(out)


# ---- bad schedulers and changes leave nothing ----------------------------------------------
@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_a_bogus_scheduler_leaves_no_folder(tmp_path, capsys, command):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "x"
    bad(capsys, [*ARGV[command](out), "--scheduler", "bogus"], "bogus")
    assert not out.exists()


@pytest.mark.parametrize(
    "argv",
    [
        [*ensemble_argv("OUT"), "--set", "actors.NOBODY.capability=3"],
        [*sweep_argv("OUT"), "--set", "actors.NOBODY.capability=3"],
        ["sweep", EC, "--param", "model.Q=0:1:x", "--runs", "5", "--quiet", "--out", "OUT"],
    ],
    ids=["ensemble --set", "sweep --set", "sweep --param"],
)
def test_a_bad_change_leaves_no_folder(tmp_path, capsys, argv):
    out = tmp_path / "x"
    bad(capsys, [str(out) if a == "OUT" else a for a in argv])
    assert not out.exists()


# ---- the Python API takes integers only -------------------------------------------------------
@pytest.mark.parametrize(
    "keywords, name, error",
    [
        (dict(chunk_size=0), "chunk_size", ValueError),
        (dict(chunk_size=2.0), "chunk_size", TypeError),
        (dict(runs=1.5), "runs", TypeError),
        (dict(runs="10"), "runs", TypeError),
        (dict(runs=True), "runs", TypeError),
        (dict(runs=10**9), "runs", ValueError),
        (dict(seed=1.0), "seed", TypeError),
        (dict(seed=2**63), "seed", ValueError),
        (dict(rounds=2.5), "rounds", TypeError),
        (dict(rounds=-1), "rounds", ValueError),
        (dict(workers=0), "workers", ValueError),
        (dict(workers=1.5), "workers", TypeError),
        (dict(trajectories=-1), "trajectories", ValueError),
        (dict(trajectories="3"), "trajectories", TypeError),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_the_api_refuses_integers_that_are_not(tmp_path, keywords, name, error):
    kw = dict(runs=10, seed=1, progress=False, out=tmp_path / "x") | keywords
    with pytest.raises(error, match=name):
        sim.ensemble(EC, **kw)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "keywords, name, error",
    [
        (dict(runs=1.5), "runs", TypeError),
        (dict(runs="10"), "runs", TypeError),
        (dict(seed=0.5), "seed", TypeError),
        (dict(workers=0), "workers", ValueError),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else None,
)
def test_sweeps_refuse_integers_that_are_not(keywords, name, error):
    kw = dict(runs=5, seed=1, progress=False) | keywords
    with pytest.raises(error, match=name):
        sim.sweep(EC, {"model.Q": (0.5, 1.0, 2)}, **kw)


def test_numpy_integers_are_integers():
    import numpy as np

    res = sim.ensemble(
        EC, runs=np.int64(6), seed=np.uint32(2), chunk_size=np.int32(3), progress=False
    )
    assert res.n_runs == 6
