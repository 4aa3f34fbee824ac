"""What ``sim`` writes, and where: output folders it owns, one writer at a time, files whole.

Rules (``docs/safety.md`` says them for users):

* ``sim`` never deletes or replaces a file it did not write. Every result file it writes
  into an output folder is recorded, with its size and SHA-256, in a ledger in the
  folder's own hidden state folder ``.sim/``; a file of the same name that is not in
  the ledger, or has changed since, is refused (exit 2), as is any path that is not a
  regular file (a folder, a link, a device) or that is one of the command's inputs.
* Temporary files, resume state (``manifest.json``, ``chunks/``, ``points/``) and the
  lock live in ``.sim/``, a folder marked by an ``OWNER`` file; a ``.sim`` that is not
  such a folder is refused, and cleanup removes only files ``sim`` put there.
* One writer per folder: an advisory lock (``fcntl.flock`` on ``.sim/lock``) is held
  while a command works in the folder; a second process is refused at once. A lock
  left by a killed process is released by the operating system, so the next run
  takes it over.
* Files are written through a temporary file and renamed into place, after the whole
  computation has succeeded (callers hand over every file's bytes at once).

Errors are `OutputError` (a ``ValueError``) with a message naming the path and what was
expected; the command line prints it and exits 2.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

STATE = ".sim"
OWNER = "OWNER"
OWNER_TEXT = "This folder holds sim's own state (lock, ledger, resume files); sim manages it.\n"
LEDGER = "written.json"
LOCK = "lock"

__all__ = [
    "OWNER",
    "STATE",
    "OutputDir",
    "OutputError",
    "describe_os_error",
    "check_folder",
    "file_sha256",
    "protecting",
    "write_files",
    "write_single",
]


class OutputError(ValueError):
    """An output path sim will not write to (exit 2 on the command line)."""


def describe_os_error(exc: OSError) -> str:
    """A short reason for a file-system error: 'read-only file system', 'no space left'..."""
    reasons = {
        errno.EROFS: "read-only file system",
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.ENOENT: "no such file or folder",
        errno.EEXIST: "exists",
        errno.EISDIR: "is a folder",
        errno.ENAMETOOLONG: "the name is too long",
        errno.ELOOP: "too many symbolic links",
    }
    return reasons.get(exc.errno, exc.strerror or type(exc).__name__)


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stage(tmp_dir: Path, name: str, payload: bytes) -> str:
    """``payload`` in full in a new temporary file in ``tmp_dir`` (synced); its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name[:80]}.", suffix=".sim-tmp", dir=tmp_dir)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _replace_from_temp(tmp_dir: Path, target: Path, payload: bytes) -> None:
    """Write ``payload`` to a new temporary file in ``tmp_dir`` and rename it to ``target``."""
    tmp = _stage(tmp_dir, target.name, payload)
    try:
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _regular_or_absent(target: Path, label: str) -> os.stat_result | None:
    """lstat ``target``: None if absent; refuse anything but a regular file."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{label}: cannot read: {describe_os_error(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a symbolic link"
            if stat.S_ISLNK(st.st_mode)
            else "a folder"
            if stat.S_ISDIR(st.st_mode)
            else "not a regular file"
        )
        raise OutputError(
            f"{label}: exists and is {kind}; sim writes only new files or files it wrote itself"
        )
    return st


# ---- inputs a command reads: never written over, whoever opens the output -------------------
_protected: list[Path] = []


@contextlib.contextmanager
def protecting(paths: Iterable[str | Path | None]):
    """Within the block, every output of this process refuses ``paths`` (a command's
    input files) as targets, also where the code that writes does not know them."""
    added = [Path(p) for p in paths if p is not None]
    _protected.extend(added)
    try:
        yield
    finally:
        for p in added:
            _protected.remove(p)


# ---- the per-process lock table: a folder locked once per process, re-entrant ------------
_held: dict[str, list] = {}  # realpath -> [fd, count, inputs]
_held_guard = threading.Lock()


def _lock(state: Path, label: str, inputs: list[Path]) -> str:
    key = os.path.realpath(state)
    with _held_guard:
        if key in _held:
            _held[key][1] += 1
            _held[key][2].extend(p for p in inputs if p not in _held[key][2])
            return key
        import fcntl

        path = state / LOCK
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            raise OutputError(
                f"{label}: cannot create the lock file {path}: {describe_os_error(exc)}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = ""
            try:
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            except OSError:
                pass
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f" (process {holder})" if holder.isdigit() else ""
                raise OutputError(
                    f"{label}: the folder is in use by another sim command{who}; "
                    "wait for it to finish or choose another --out"
                ) from None
            raise OutputError(
                f"{label}: cannot lock the folder: {describe_os_error(exc)}"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        _held[key] = [fd, 1, list(inputs)]
        return key


def _unlock(key: str) -> None:
    with _held_guard:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[key]
        try:
            os.close(entry[0])  # closing the descriptor releases the flock
        except OSError:
            pass


def check_folder(path: str | Path, label: str | None = None) -> Path:
    """Refuse, before any work is done, an output folder path sim could not write into:
    a path that exists and is not a folder, a link to nothing, a path under a file."""
    path = Path(path)
    label = label or f"--out {path}"
    try:
        if path.is_symlink() and not path.exists():
            raise OutputError(
                f"{label}: is a symbolic link to {os.readlink(path)}, which does not exist; "
                "expected a folder to write into"
            )
        if path.exists():
            if not path.is_dir():
                raise OutputError(f"{label}: exists and is not a folder; expected a folder")
            return path
        for parent in path.parents:  # the nearest part that exists must be a folder
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(
                        f"{label}: {parent} is not a folder; expected a folder to write into"
                    )
                break
    except OSError as exc:
        raise OutputError(f"{label}: {describe_os_error(exc)}; expected a folder") from None
    return path


def _read_marker(state: Path) -> str | None:
    try:
        return (state / OWNER).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _fresh_and_empty(state: Path) -> bool:
    """Whether ``state`` was made in the last few seconds and holds nothing but sim's
    temporary files and its marker (a folder another sim process is setting up)."""
    try:
        if time.time() - os.lstat(state).st_mtime > 5:
            return False
        return all(p.name.endswith(".sim-tmp") or p.name == OWNER for p in state.iterdir())
    except OSError:
        return False


class OutputDir:
    """An output folder that sim owns: validated, locked, written whole.

    Use as a context manager; nested use on the same folder in one process shares the
    lock::

        with OutputDir("results/x", inputs=[scenario_path]) as od:
            od.write({"summary.json": text, "positions.png": png})

    ``label`` names the folder in messages (``--out results/x`` by default).
    """

    def __init__(
        self, path: str | Path, inputs: Iterable[str | Path] = (), label: str | None = None
    ):
        self.path = Path(path)
        self.state = self.path / STATE
        self.inputs = [Path(p) for p in inputs if p is not None] + list(_protected)
        self.label = label or f"--out {path}"
        self._key: str | None = None
        self._fresh = False  # this object made the state folder and has written nothing yet
        self._made_folder = False

    # ---- opening
    def __enter__(self) -> OutputDir:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> OutputDir:
        if self._key is not None:
            return self
        self._make_folder()
        self._make_state()
        first = os.path.realpath(self.state) not in _held
        self._key = _lock(self.state, self.label, self.inputs)
        self.inputs = list(_held[self._key][2])
        if first:
            self._remove_stale_temporaries()
        return self

    def _remove_stale_temporaries(self) -> None:
        """With the lock held no other sim writes here: temporary files left in ``.sim/``
        (and its folders) by a process that was killed are removed."""
        # folders of .sim only, never through a link to a folder elsewhere
        inner = [p for p in self.state.iterdir() if stat.S_ISDIR(os.lstat(p).st_mode)]
        for folder in (self.state, *inner):
            try:
                for p in folder.iterdir():
                    if p.name.endswith(".sim-tmp") and stat.S_ISREG(os.lstat(p).st_mode):
                        p.unlink()
            except OSError:
                continue

    def close(self) -> None:
        if self._key is not None:
            _unlock(self._key)
            self._key = None

    def _make_folder(self) -> None:
        p = self.path
        try:
            if p.exists() and not p.is_dir():
                raise OutputError(
                    f"{self.label}: exists and is not a folder; expected a folder to write into"
                )
            for inp in self.inputs:
                if _same_file(p, inp):
                    raise OutputError(f"{self.label}: is the command's input {inp}")
            if not p.exists():
                p.mkdir(parents=True, exist_ok=True)
                self._made_folder = True
        except OutputError:
            raise
        except OSError as exc:
            raise OutputError(
                f"{self.label}: cannot create the folder: {describe_os_error(exc)}; "
                "expected a writable folder"
            ) from None

    def _make_state(self) -> None:
        s = self.state
        try:
            st = os.lstat(s)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise OutputError(f"{self.label}: cannot read {s}: {describe_os_error(exc)}") from None
        try:
            if st is None:
                s.mkdir()
                try:
                    _replace_from_temp(s, s / OWNER, OWNER_TEXT.encode())
                except BaseException:  # no unmarked .sim left behind to block the next run
                    try:
                        s.rmdir()
                        if self._made_folder:
                            self.path.rmdir()
                    except OSError:
                        pass
                    raise
                self._fresh = True
                return
        except FileExistsError:
            st = os.lstat(s)  # another process made it first; check it below
        except OSError as exc:
            raise OutputError(
                f"{self.label}: cannot write into the folder: {describe_os_error(exc)}; "
                "expected a writable folder"
            ) from None
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(
                f"{self.label}: {s} exists and is not sim's state folder; "
                "remove it or choose another --out"
            )
        marker = _read_marker(s)
        # another sim process may have made the folder a moment ago and be writing its
        # marker: a new, empty .sim is given a moment before it is called foreign
        # (a marker caught half-written is a prefix of the text: it is waited for too)
        waited = 0
        while (
            marker != OWNER_TEXT
            and (marker is None or OWNER_TEXT.startswith(marker))
            and waited < 60
            and _fresh_and_empty(s)
        ):
            time.sleep(0.05)
            waited += 1
            marker = _read_marker(s)
        if marker != OWNER_TEXT:
            raise OutputError(
                f"{self.label}: {s} was not made by sim (no {OWNER} marker); "
                "remove it or choose another --out"
            )

    def _require_open(self) -> None:
        if self._key is None:
            raise RuntimeError("OutputDir used outside its context")

    # ---- the ledger of files sim wrote
    def _ledger(self) -> dict:
        try:
            data = json.loads((self.state / LEDGER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save_ledger(self, ledger: dict) -> None:
        text = json.dumps(ledger, indent=1, sort_keys=True) + "\n"
        _regular_or_absent(self.state / LEDGER, f"{self.label}: {self.state / LEDGER}")
        _replace_from_temp(self.state, self.state / LEDGER, text.encode())

    @staticmethod
    def _known(entry, st: os.stat_result, path: Path) -> bool:
        if not isinstance(entry, dict):
            return False
        versions = [entry] + [v for v in entry.get("pending", []) if isinstance(v, dict)]
        sizes = {v.get("size") for v in versions}
        if st.st_size not in sizes:
            return False
        try:
            digest = file_sha256(path)
        except OSError:
            return False
        return any(v.get("size") == st.st_size and v.get("sha256") == digest for v in versions)

    def check(self, names: Iterable[str]) -> None:
        """Refuse (OutputError) if any of ``names`` may not be written into the folder."""
        self._require_open()
        ledger = self._ledger()
        for name in names:
            if "/" in name or name in ("", ".", "..", STATE):
                raise ValueError(f"not a file name: {name!r}")
            target = self.path / name
            st = _regular_or_absent(target, f"{self.label}: {name}")
            if st is None:
                continue
            for inp in self.inputs:
                if _same_file(target, inp):
                    raise OutputError(
                        f"{self.label}: {name} is the command's input {inp}; choose another --out"
                    )
            if not self._known(ledger.get(name), st, target):
                raise OutputError(
                    f"{self.label}: {name} exists and was not written by sim (or was changed "
                    "since); sim does not replace it: move it away or choose another --out"
                )

    def write(self, files: Mapping[str, bytes | str]) -> list[Path]:
        """Write every file (``{name: bytes or text}``) into the folder.

        All targets are checked, then every file is written in full to a temporary file
        in ``.sim/``, and only then renamed into place: a full disk or any other failure
        leaves the folder as it was. The ledger records each file.
        """
        self._require_open()
        payloads = {name: _bytes(data) for name, data in files.items()}
        self.check(payloads)
        ledger = self._ledger()
        new = {
            name: {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
            for name, b in payloads.items()
        }
        staged: list[tuple[str, str]] = []
        try:
            for name, payload in payloads.items():
                staged.append((name, _stage(self.state, name, payload)))
            for name, entry in new.items():
                old = ledger.get(name)
                base = dict(old) if isinstance(old, dict) else dict(entry)
                base.pop("pending", None)
                ledger[name] = {**base, "pending": [entry]}
            self._save_ledger(ledger)
        except OSError as exc:
            for _, tmp in staged:
                Path(tmp).unlink(missing_ok=True)
            self._forget_fresh()
            raise OutputError(
                f"{self.label}: cannot write: {describe_os_error(exc)}; expected a writable folder"
            ) from None
        except BaseException:
            for _, tmp in staged:
                Path(tmp).unlink(missing_ok=True)
            raise
        written = []
        try:
            for name, tmp in staged:
                os.replace(tmp, self.path / name)
                written.append(self.path / name)
            _fsync_dir(self.path)
            for name, entry in new.items():
                ledger[name] = entry
            self._save_ledger(ledger)
        except OSError as exc:
            for _, tmp in staged:
                Path(tmp).unlink(missing_ok=True)
            raise OutputError(
                f"{self.label}: cannot write: {describe_os_error(exc)}; expected a writable folder"
            ) from None
        self._fresh = False
        return written

    def _forget_fresh(self) -> None:
        """After a failed first write, remove the folder this object made (if it is still
        only sim's): a failure leaves nothing behind."""
        if not self._fresh:
            return
        for name in (OWNER, LEDGER):
            (self.state / name).unlink(missing_ok=True)
        try:
            left = {p.name for p in self.state.iterdir()}
        except OSError:
            return
        if left <= {LOCK}:
            self.close()
            (self.state / LOCK).unlink(missing_ok=True)
            try:
                self.state.rmdir()
                if self._made_folder:
                    self.path.rmdir()
            except OSError:
                pass
        self._fresh = False

    # ---- state files (resume state, under .sim/)
    def state_path(self, *parts: str) -> Path:
        return self.state.joinpath(*parts)

    def write_state(self, rel: str, data: bytes | str) -> Path:
        """Write a state file ``.sim/<rel>`` atomically (folders made as needed)."""
        self._require_open()
        target = self.state / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _regular_or_absent(target, f"{self.label}: {target}")
            _replace_from_temp(target.parent, target, _bytes(data))
        except OSError as exc:
            raise OutputError(
                f"{self.label}: cannot write {target}: {describe_os_error(exc)}; "
                "expected a writable folder"
            ) from None
        return target

    def append_state(self, rel: str, line: str) -> Path:
        """Append ``line`` (a newline is added) to the state file ``.sim/<rel>`` and sync
        it: a journal grows by one record at a time, whatever its length."""
        self._require_open()
        target = self.state / rel
        data = (line.rstrip("\n") + "\n").encode("utf-8")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            _regular_or_absent(target, f"{self.label}: {target}")
            fd = os.open(target, flags, 0o666 & ~_umask())
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise OutputError(
                f"{self.label}: cannot write {target}: {describe_os_error(exc)}; "
                "expected a writable folder"
            ) from None
        return target

    def remove_state(self, rel: str) -> None:
        """Remove the state file ``.sim/<rel>`` (a regular file sim wrote), if present."""
        target = self.state / rel
        try:
            if stat.S_ISREG(os.lstat(target).st_mode):
                target.unlink()
        except OSError:  # absent, or not removable: cleanup never fails the command
            pass

    def remove_state_dir(self, rel: str) -> None:
        """Remove the folder ``.sim/<rel>`` if it is empty (what is left in it stays)."""
        try:
            (self.state / rel).rmdir()
        except OSError:
            pass


def write_single(
    path: str | Path,
    data: bytes | str,
    inputs: Iterable[str | Path] = (),
    owned: Callable[[bytes], bool] | None = None,
    label: str | None = None,
) -> Path:
    """Write one file (not in an output folder) atomically, refusing to replace what sim
    did not write: an existing file is replaced only if ``owned(its bytes)`` says sim wrote
    it (e.g. a header with a checksum of the rest), and never when it is an input."""
    path = Path(path)
    label = label or f"--out {path}"
    parent = path.parent
    if not parent.is_dir():
        raise OutputError(f"{label}: the folder {parent} does not exist")
    st = _regular_or_absent(path, label)
    for inp in [*inputs, *_protected]:
        if inp is not None and _same_file(path, Path(inp)):
            raise OutputError(f"{label}: is the command's input {inp}; choose another --out")
    if st is not None:
        try:
            existing = path.read_bytes()
        except OSError as exc:
            raise OutputError(f"{label}: cannot read: {describe_os_error(exc)}") from None
        if owned is None or not owned(existing):
            raise OutputError(
                f"{label}: exists and was not written by sim (or was changed since); "
                "sim does not replace it: move it away or choose another --out"
            )
    try:
        _replace_from_temp(parent, path, _bytes(data))
    except OSError as exc:
        raise OutputError(f"{label}: cannot write: {describe_os_error(exc)}") from None
    return path


def write_files(
    out: str | Path,
    files: Mapping[str, bytes | str],
    inputs: Iterable[str | Path] = (),
    label: str | None = None,
) -> list[Path]:
    """Write ``{name: bytes or text}`` into the output folder ``out`` at once (see
    `OutputDir.write`); the folder is made, checked and locked for the write."""
    with OutputDir(out, inputs, label) as od:
        return od.write(files)
