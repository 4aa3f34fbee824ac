"""sim explore: serve the interactive explorer on this machine."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time

import click

from sim.cli._common import InputError, _load
from sim.scenario import resolve
from sim.text import printable

# The server's process: solara run, after a thread that ends the process when sim's
# end of a pipe closes (sim stopped in any way, even killed) and, on Linux, a
# parent-death signal.
_CHILD = """\
import os, sys, threading
fd = int(sys.argv.pop(1))
if sys.platform.startswith("linux"):
    try:
        import ctypes, signal
        ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except Exception:
        pass
def _watch():
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        return  # no pipe to watch
    os._exit(0)  # sim is gone
threading.Thread(target=_watch, name="sim-parent-watch", daemon=True).start()
import runpy
runpy.run_module("solara", run_name="__main__", alter_sys=True)
"""

_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_GRACE = 5.0
"""Seconds the server has to stop after SIGTERM before it is killed."""


class _Stopped(Exception):
    """sim explore received a signal that stops it (SIGTERM, SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum, frame):
    raise _Stopped(signum)


def _exited(pid: int, timeout: float) -> bool:
    """Whether child ``pid`` exits within ``timeout`` s, without reaping it (its pid, and
    so its process group's id, stay taken until it is reaped)."""
    end = time.monotonic() + timeout
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.05)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(proc: subprocess.Popen) -> None:
    """End the server and every process left in its process group, and wait for it."""
    quiet = {}
    if threading.current_thread() is threading.main_thread():
        quiet = {s: signal.signal(s, signal.SIG_IGN) for s in (*_STOP_SIGNALS, signal.SIGINT)}
    try:
        if os.name != "posix":
            proc.terminate()
            try:
                proc.wait(_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return
        # the server leads its own group: signal the group while the leader is unreaped
        _killpg(proc.pid, signal.SIGTERM)
        if not _exited(proc.pid, _GRACE):
            _killpg(proc.pid, signal.SIGKILL)
            _exited(proc.pid, 10.0)
        _killpg(proc.pid, signal.SIGKILL)  # whatever the server started and left behind
        proc.wait()
    finally:
        for s, handler in quiet.items():
            signal.signal(s, handler)


@click.command("explore")
@click.argument("scenario", required=False)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; the default serves this machine only.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port."
)
def explore_cmd(scenario, host, port) -> None:
    """Serve a page to explore SCENARIO: step the negotiation round by round, move an
    actor's position or salience with a slider, watch the trajectories and the forecast.

    Open http://HOST:PORT/ in a browser; Ctrl-C, SIGTERM or SIGHUP stops the server
    (the server also ends if sim is killed). Needs the explore
    extra (pip install -e ".[explore]"). In a notebook: sim.explore.explorer(SCENARIO).
    """
    if importlib.util.find_spec("solara") is None:  # the server imports it, not sim
        raise InputError('sim explore needs solara: pip install -e ".[explore]" (or ".[dev]")')
    sc = _load(scenario)  # bad input: exit 2 before anything starts
    source = str(resolve(scenario)) if scenario is not None else "nato_russia_2022"
    env = dict(os.environ, SIM_EXPLORE_SCENARIO=source)
    env.setdefault("MPLBACKEND", "Agg")
    click.echo(f"exploring {printable(sc.name)} at http://{host}:{port}/ (Ctrl-C to stop)")
    read_end, write_end = os.pipe()  # the server ends when write_end closes
    cmd = [
        sys.executable, "-c", _CHILD, str(read_end), "run", "sim.explore:Page",
        "--host", host, "--port", str(port), "--no-open", "--production",
        "--log-level", "warning", "--log-level-uvicorn", "warning",
    ]  # fmt: skip
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _on_signal) for s in _STOP_SIGNALS} if main_thread else {}
    proc = None
    try:
        try:
            posix = os.name == "posix"
            proc = subprocess.Popen(
                cmd, env=env, pass_fds=(read_end,) if posix else (), start_new_session=posix
            )
        finally:
            os.close(read_end)
        code = proc.wait()
    except KeyboardInterrupt:
        if proc is not None:
            _stop(proc)
        raise
    except _Stopped as exc:
        if proc is not None:
            _stop(proc)
        click.echo(f"stopped by {signal.Signals(exc.signum).name}", err=True)
        raise click.exceptions.Exit(128 + exc.signum) from None
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        os.close(write_end)
    if code != 0:
        raise click.ClickException(f"the explorer's server stopped with exit code {code}")
