"""Processes sim starts end with it: however `sim explore` is stopped (SIGTERM, SIGHUP,
Ctrl-C, or killed outright), its server stops listening and no process it started
survives."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("solara", reason="the explore extra (solara) is not installed")
psutil = pytest.importorskip("psutil", reason="psutil (a dependency of dask) is not installed")

from tests.test_explore import _free_port  # noqa: E402


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _alive(procs) -> list[int]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p.pid)
        except psutil.NoSuchProcess:
            pass
    return out


SIGNALS = ("SIGTERM", "SIGHUP", "SIGINT", "SIGKILL")


def test_sim_explore_takes_its_server_with_it_however_it_is_stopped():
    """Four `sim explore` at once (they start in parallel), each stopped another way."""
    env = dict(os.environ, MPLBACKEND="Agg")
    runs, started = {}, {}
    try:
        for name in SIGNALS:
            port = _free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "sim", "explore", "--port", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
            )  # fmt: skip
            runs[name] = (proc, port)
        end = time.monotonic() + 90
        while time.monotonic() < end and not all(_answers(port) for _, port in runs.values()):
            time.sleep(0.2)
        for name, (_, port) in runs.items():
            assert _answers(port), f"sim explore ({name} run) did not start serving"
        started = {
            name: psutil.Process(p.pid).children(recursive=True) for name, (p, _) in runs.items()
        }
        for name, procs in started.items():
            assert procs, f"sim explore ({name} run) started no server process"
        for name, (proc, _) in runs.items():
            proc.send_signal(getattr(signal, name))
        for name, (proc, _) in runs.items():
            try:
                code = proc.wait(30)
            except subprocess.TimeoutExpired:
                pytest.fail(f"sim explore did not exit after {name}")
            if name == "SIGKILL":
                assert code == -signal.SIGKILL
            else:
                assert code == (130 if name == "SIGINT" else 128 + getattr(signal, name)), name
                assert b"Traceback" not in proc.stderr.read(), name
        end = time.monotonic() + 15  # a killed sim: the server sees its pipe close
        while time.monotonic() < end and any(_alive(p) for p in started.values()):
            time.sleep(0.1)
        for name, (_, port) in runs.items():
            assert _alive(started[name]) == [], f"{name}: the server outlived sim explore"
            assert not _answers(port), f"{name}: port {port} still answers"
    finally:
        for proc, _ in runs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for procs in started.values():
            for p in procs:
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
