"""What sim writes: only files it creates or wrote itself, whole, after the computation
has succeeded; a refused output path is exit 2 with a message and nothing written."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import cli
from sim.outputs import STATE, OutputDir, OutputError, write_files

SCENARIO = """\
[scenario]
name = "Output test"

[[issues]]
id = "a"
scale = [0, 100]
status_quo = 50

[[issues]]
id = "b"
scale = [0, 100]

[actors.X]
capability = 1.0
position = { a = 0, b = 10 }
salience = { a = 1.0, b = 0.5 }

[actors.Y]
capability = 2.0
position = { a = 100, b = 80 }
salience = { a = 0.8, b = 0.6 }

[actors.Z]
capability = 0.5
position = { a = 60, b = 60 }
salience = { a = 0.5, b = 0.5 }

[bargaining]
parties = ["X", "Y"]

[model]
rounds = 3
"""

CSV = "Actor,Capability,Position,Salience\nA,1,10,0.5\nB,2,40,0.8\nC,0.5,25,1\n"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def tree(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (relative path -> bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "case.toml"
    path.write_text(SCENARIO)
    return path


def assert_refused(result, *fragments):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in result.output, result.output


# ---- sim import --out FILE -----------------------------------------------------------------
def test_import_does_not_replace_a_device_node(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(CSV)
    node = tmp_path / "fakenull"
    try:
        os.mknod(node, 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs root here")
    result = invoke("import", src, "--out", node)
    assert_refused(result, "not a regular file")
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_import_does_not_overwrite_its_own_input(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(CSV)
    assert_refused(invoke("import", src, "--out", src), "input")
    assert src.read_text() == CSV
    # the same file reached by another name is the same input
    (tmp_path / "link.csv").symlink_to(src)
    assert_refused(invoke("import", tmp_path / "link.csv", "--out", src), "input")
    assert src.read_text() == CSV


def test_import_refuses_a_file_it_did_not_write_and_replaces_its_own(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(CSV)
    target = tmp_path / "a.toml"
    target.write_text("# my own notes\n")
    assert_refused(invoke("import", src, "--out", target), "not written by sim")
    assert target.read_text() == "# my own notes\n"
    target.unlink()
    assert invoke("import", src, "--out", target).exit_code == 0
    first = target.read_bytes()
    assert invoke("import", src, "--out", target).exit_code == 0  # its own file: replaced
    assert target.read_bytes() == first
    target.write_bytes(first + b"# edited by hand\n")
    assert_refused(invoke("import", src, "--out", target), "changed since")
    assert target.read_bytes().endswith(b"# edited by hand\n")


def test_import_refuses_a_symlink_and_a_folder(tmp_path):
    src = tmp_path / "a.csv"
    src.write_text(CSV)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "link.toml").symlink_to(victim)
    assert_refused(invoke("import", src, "--out", tmp_path / "link.toml"), "symbolic link")
    assert victim.read_text() == "keep me" and (tmp_path / "link.toml").is_symlink()


# ---- output folders -----------------------------------------------------------------------
def test_run_does_not_replace_a_file_it_did_not_write(tmp_path, scenario):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("my notes\n")
    result = invoke("run", scenario, "--out", out)
    assert_refused(result, "summary.json", "not written by sim")
    assert (out / "summary.json").read_text() == "my notes\n"
    assert sorted(p.name for p in out.iterdir() if p.name != STATE) == ["summary.json"]


def test_run_replaces_its_own_files_but_not_edited_ones(tmp_path, scenario):
    out = tmp_path / "out"
    assert invoke("run", scenario, "--out", out).exit_code == 0
    before = tree(out)
    assert invoke("run", scenario, "--out", out).exit_code == 0
    after = tree(out)
    assert {k: v for k, v in after.items() if not k.startswith(STATE)} == {
        k: v for k, v in before.items() if not k.startswith(STATE)
    }
    (out / "rounds.csv").write_text("edited\n")
    assert_refused(invoke("run", scenario, "--out", out), "rounds.csv", "changed since")
    assert (out / "rounds.csv").read_text() == "edited\n"


@pytest.mark.parametrize("kind", ["folder", "symlink", "fifo"])
def test_run_refuses_an_output_name_that_is_not_a_regular_file(tmp_path, scenario, kind):
    out = tmp_path / "out"
    out.mkdir()
    target = out / "positions.png"
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"precious")
    if kind == "folder":
        target.mkdir()
        (target / "inside.txt").write_text("x")
    elif kind == "symlink":
        target.symlink_to(victim)
    else:
        os.mkfifo(target)
    result = invoke("run", scenario, "--out", out)
    assert_refused(result, "positions.png")
    assert victim.read_bytes() == b"precious"
    # nothing else was written either: the refusal comes before the first file
    assert not (out / "rounds.csv").exists() and not (out / "summary.json").exists()


def test_run_refuses_an_output_folder_that_is_its_input(tmp_path, scenario):
    """The scenario file named like an output inside --out is not overwritten."""
    out = tmp_path / "out"
    out.mkdir()
    src = out / "summary.json"
    src.write_text('{"scenario": {"name": "J"}, "issues": [{"id": "a", "scale": [0, 1]}], '
                   '"actors": {"A": {"capability": 1, "position": {"a": 0}, '
                   '"salience": {"a": 1}}, "B": {"capability": 1, "position": {"a": 1}, '
                   '"salience": {"a": 1}}}}')  # fmt: skip
    before = src.read_bytes()
    result = invoke("run", src, "--out", out)
    assert_refused(result, "summary.json")
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    "command", [["ensemble", "--runs", "5", "--quiet"], ["tournament", "--turns", "3"]]
)
def test_every_command_refuses_to_write_over_its_scenario(tmp_path, command):
    """A JSON scenario named like one of the outputs in --out is refused as a target, even
    by the commands whose results do not know their scenario's file."""
    import json
    import tomllib

    raw = tomllib.loads(SCENARIO)
    raw["game"] = {"strategies": ["tit_for_tat", "defector"]}
    out = tmp_path / "out"
    out.mkdir()
    src = out / "summary.json"
    src.write_text(json.dumps(raw))
    before = src.read_bytes()
    result = invoke(command[0], src, *command[1:], "--out", out)
    assert_refused(result, "summary.json", "input")
    assert src.read_bytes() == before


def test_a_state_folder_sim_did_not_make_is_refused(tmp_path, scenario):
    out = tmp_path / "out"
    (out / STATE).mkdir(parents=True)
    (out / STATE / "mine.txt").write_text("x")
    assert_refused(invoke("run", scenario, "--out", out), "not made by sim")
    assert (out / STATE / "mine.txt").read_text() == "x"
    assert not (out / "rounds.csv").exists()


# ---- failures leave nothing behind --------------------------------------------------------
def test_a_failing_figure_leaves_nothing_written(tmp_path, scenario, monkeypatch):
    """Tables are not written ahead of figures: a figure that fails leaves no files."""
    import sim.save as save

    def boom(fig, dpi=110):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(save, "figure_bytes", boom)
    out = tmp_path / "out"
    result = invoke("run", scenario, "--out", out)
    assert result.exit_code != 0
    assert not out.exists() or tree(out) == {}


def test_a_full_disk_leaves_the_folder_as_it_was(tmp_path, scenario, monkeypatch):
    import sim.outputs as outputs

    out = tmp_path / "out"
    assert invoke("run", scenario, "--out", out).exit_code == 0
    before = {k: v for k, v in tree(out).items() if not k.startswith(STATE)}
    real = outputs._stage
    calls = []

    def stage(tmp_dir, name, payload):
        calls.append(name)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(tmp_dir, name, payload)

    monkeypatch.setattr(outputs, "_stage", stage)
    result = invoke("run", scenario, "--out", out, "--set", "actors.X.capability=3")
    assert_refused(result, "no space left")
    after = {k: v for k, v in tree(out).items() if not k.startswith(STATE)}
    assert after == before
    assert not [p for p in (out / STATE).iterdir() if p.name.endswith(".sim-tmp")]


def test_a_full_disk_on_a_new_folder_leaves_no_folder(tmp_path, scenario, monkeypatch):
    import sim.outputs as outputs

    def stage(tmp_dir, name, payload):
        if name != outputs.OWNER:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(tmp_dir, name, payload)

    real = outputs._stage
    monkeypatch.setattr(outputs, "_stage", stage)
    out = tmp_path / "new" / "out"
    assert_refused(invoke("run", scenario, "--out", out), "no space left")
    assert not out.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["run", "--model", "nbs"],
        ["tournament", "--strategies", "tit_for_tat,defector", "--turns", "5"],
        ["evolve", "--strategies", "tit_for_tat,defector", "--turns", "5", "--steps", "20"],
    ],
)
@pytest.mark.parametrize("where", ["under_a_file", "proc", "read_only"])
def test_file_system_errors_are_exit_2(tmp_path, scenario, monkeypatch, command, where):
    if where == "under_a_file":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "sub"
    elif where == "proc":
        out = Path("/proc/sim-nope/out")
    else:
        import sim.outputs as outputs

        def ro(*a, **k):
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr(outputs, "_stage", ro)
        monkeypatch.setattr(Path, "mkdir", lambda *a, **k: ro())
        out = tmp_path / "ro"
    args = [*command, "--out", out]
    if command[0] == "run":
        args.insert(1, scenario)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and str(out) in result.output


def test_alternating_offers_with_no_rounds_is_refused(tmp_path, scenario):
    out = tmp_path / "out"
    result = invoke("run", scenario, "--model", "alternating", "--rounds", "0", "--out", out)
    assert_refused(result, "--rounds", "at least 1")
    assert not out.exists()
    import sim

    with pytest.raises(ValueError, match="at least 1"):
        sim.run(str(scenario), model="alternating", rounds=0)
    with pytest.raises(TypeError, match="rounds"):
        sim.run(str(scenario), rounds=2.5)


# ---- one writer per folder ----------------------------------------------------------------
def test_a_folder_in_use_is_refused_at_once(tmp_path, scenario):
    out = tmp_path / "out"
    holder = textwrap.dedent(
        f"""
        import sys, time
        from sim.outputs import OutputDir
        with OutputDir({str(out)!r}):
            print("locked", flush=True)
            sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        result = invoke("run", scenario, "--out", out)
        assert_refused(result, "in use", str(proc.pid))
        assert not (out / "rounds.csv").exists()
    finally:
        proc.stdin.close()
        proc.wait(30)
    # the lock is gone with its holder: the folder can be used now
    assert invoke("run", scenario, "--out", out).exit_code == 0


def test_a_stale_lock_of_a_killed_process_is_taken_over(tmp_path, scenario):
    out = tmp_path / "out"
    holder = f"from sim.outputs import OutputDir\nOutputDir({str(out)!r}).open()\nprint('ok', flush=True)\nimport time; time.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ok"
    proc.kill()
    proc.wait(30)
    assert (out / STATE / "lock").exists()
    assert invoke("run", scenario, "--out", out).exit_code == 0


def test_nested_use_in_one_process_shares_the_lock(tmp_path):
    with OutputDir(tmp_path / "o") as a, OutputDir(tmp_path / "o") as b:
        a.write({"x.txt": "1"})
        b.write({"x.txt": "2"})
    assert (tmp_path / "o" / "x.txt").read_text() == "2"


def test_ledger_records_size_and_hash(tmp_path):
    """A file is sim's only while its bytes are those sim wrote (checked by hash, not name)."""
    write_files(tmp_path / "o", {"a.txt": "abc"})
    target = tmp_path / "o" / "a.txt"
    target.write_text("abd")  # same size, other bytes
    with pytest.raises(OutputError, match="changed since"):
        write_files(tmp_path / "o", {"a.txt": "new"})
    assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(b"abd").hexdigest()


@pytest.mark.parametrize("where", ["dangling_link", "under_a_file", "device"])
def test_an_unusable_out_is_refused_before_any_work(tmp_path, scenario, where, monkeypatch):
    """A --out sim could never write into is refused before the model runs (no forecast
    is printed and then thrown away)."""
    import sim.experiment

    if where == "dangling_link":
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nowhere")
    elif where == "under_a_file":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "deeper" / "out"
    else:
        out = Path("/dev/null")

    def no_run(*a, **k):
        raise AssertionError("the model ran")

    monkeypatch.setattr(sim.experiment, "run", no_run)
    result = invoke("run", scenario, "--out", out)
    assert_refused(result, str(out))
    assert not (tmp_path / "nowhere").exists()


def _write_while_the_marker_arrives(tmp_path, early: str | None, delay: float) -> None:
    """``write_files`` into a new .sim whose marker another process (a thread here) writes
    after ``delay`` seconds; ``early``: what the marker file holds before then (None: no
    file yet)."""
    import threading
    import time

    from sim.outputs import OWNER, OWNER_TEXT

    state = tmp_path / "o" / STATE
    state.mkdir(parents=True)
    if early is not None:
        (state / OWNER).write_text(early)

    def other_process():
        time.sleep(delay)
        (state / OWNER).write_text(OWNER_TEXT)

    t = threading.Thread(target=other_process)
    t.start()
    try:
        write_files(tmp_path / "o", {"a.txt": "x"})
    finally:
        t.join()
    assert (tmp_path / "o" / "a.txt").read_text() == "x"


def test_a_state_folder_being_set_up_by_another_process_is_waited_for(tmp_path):
    """Two commands starting together on a new folder: the one that finds an empty, new
    .sim waits for its marker rather than calling the folder foreign."""
    _write_while_the_marker_arrives(tmp_path, None, 0.2)


def test_a_marker_caught_half_written_is_waited_for(tmp_path):
    """The other process's marker exists but holds only part of its text (caught while
    being written): the command waits for the whole text rather than calling the folder
    foreign."""
    from sim.outputs import OWNER_TEXT

    _write_while_the_marker_arrives(tmp_path, OWNER_TEXT[:10], 0.3)


def test_a_wrong_marker_in_a_new_state_folder_is_refused(tmp_path):
    state = tmp_path / "o" / STATE
    state.mkdir(parents=True)
    (state / "OWNER").write_text("something else\n")
    with pytest.raises(OutputError, match="not made by sim"):
        write_files(tmp_path / "o", {"a.txt": "x"})


def test_an_old_empty_state_folder_is_not_waited_for(tmp_path):
    state = tmp_path / "o" / STATE
    state.mkdir(parents=True)
    os.utime(state, (0, 0))
    with pytest.raises(OutputError, match="not made by sim"):
        write_files(tmp_path / "o", {"a.txt": "x"})


def test_temporaries_of_a_killed_process_are_removed_and_nothing_else(tmp_path):
    write_files(tmp_path / "o", {"a.txt": "x"})
    state = tmp_path / "o" / STATE
    (state / "chunks").mkdir()
    left = [state / ".a.txt.abc.sim-tmp", state / "chunks" / ".chunk-000001.parquet.x.sim-tmp"]
    for p in left:
        p.write_text("half")
    mine = state / "chunks" / "notes.txt"
    mine.write_text("keep")
    write_files(tmp_path / "o", {"a.txt": "y"})
    assert not any(p.exists() for p in left)
    assert mine.read_text() == "keep"


def test_temporaries_are_removed_only_inside_the_state_folder(tmp_path):
    """A link in .sim/ to a folder elsewhere is not followed by the cleanup."""
    write_files(tmp_path / "o", {"a.txt": "x"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    theirs = elsewhere / "draft.sim-tmp"
    theirs.write_text("a user's file")
    (tmp_path / "o" / STATE / "linked").symlink_to(elsewhere)
    write_files(tmp_path / "o", {"a.txt": "y"})
    assert theirs.read_text() == "a user's file"
