"""Schedulers: every address sim cannot use is a message and exit 2 (an unsupported
protocol, garbage, a server that accepts and never answers, within a bounded time);
a local cluster serves no HTTP and ends on Ctrl-C with its workers, without tracebacks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("distributed", reason="dask.distributed is not installed")

from sim.cli import main  # noqa: E402
from sim.distributed import (  # noqa: E402
    TIMEOUT_ENV,
    SchedulerError,
    check_scheduler,
    dask_executor,
    scheduler_timeout,
)

BAD = [
    "ucx://127.0.0.1:8786",
    "http://127.0.0.1:8786",
    "foo://bar",
    "inproc://127.0.0.1/1/2",
    "ws://127.0.0.1:8786",
    "bogus",
    "",
    "tcp://",
    "tcp://:8786",
    "tcp://127.0.0.1:0",
    "tcp://127.0.0.1:65536",
    "tcp://127.0.0.1:port",
    "tcp://127.0.0.1:8786/path",
    "tcp://user@127.0.0.1:8786",
    "tcp://127.0.0.1 :8786",
    "tcp://[::1:8786",
    "tcp://\x1b]0;title\x07:8786",
    "tls://127.0.0.1:8786",  # no TLS settings in dask's configuration here
]


@pytest.mark.parametrize("address", BAD)
def test_check_scheduler_refuses_what_sim_cannot_use(address):
    with pytest.raises(SchedulerError) as err:
        check_scheduler(address)
    message = str(err.value)
    assert message.startswith("--scheduler ")
    assert "expected 'local', tcp://HOST:PORT" in message
    assert "\x1b" not in message and "\x07" not in message


@pytest.mark.parametrize(
    ("address", "read"),
    [
        (None, None),
        ("local", "local"),
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("tcp://scheduler.example", "tcp://scheduler.example:8786"),
        ("10.0.0.5:9000", "tcp://10.0.0.5:9000"),
        ("tcp://[::1]:8786", "tcp://[::1]:8786"),
    ],
)
def test_check_scheduler_reads_addresses_dask_reads(address, read):
    assert check_scheduler(address) == read


@pytest.mark.parametrize("address", ["ucx://127.0.0.1:8786", "http://127.0.0.1:1", "foo://x", "x"])
def test_the_ensemble_command_refuses_an_unsupported_scheduler(address, capsys):
    assert main(["ensemble", "--runs", "4", "--quiet", "--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "Traceback" not in err


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()
    assert held, "nothing connected to the silent server"


def test_a_scheduler_that_never_answers_times_out_with_exit_2(silent_server, monkeypatch, capsys):
    monkeypatch.setenv(TIMEOUT_ENV, "1")
    start = time.monotonic()
    code = main(
        ["ensemble", "--runs", "4", "--quiet", "--scheduler", f"tcp://127.0.0.1:{silent_server}"]
    )
    took = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2, err
    assert took < 8, f"took {took:.1f} s with a 1 s timeout"
    assert "cannot reach the dask scheduler" in err and "no answer within 1 s" in err
    assert "Traceback" not in err


def test_the_timeout_is_a_positive_number(monkeypatch):
    monkeypatch.setenv(TIMEOUT_ENV, "2.5")
    assert scheduler_timeout() == 2.5
    assert scheduler_timeout(0.5) == 0.5
    for bad in ("0", "-1", "nan", "inf", "soon"):
        monkeypatch.setenv(TIMEOUT_ENV, bad)
        with pytest.raises(SchedulerError, match=TIMEOUT_ENV):
            scheduler_timeout()


def _add(x, y):
    return x + y


def test_a_local_cluster_serves_no_http_and_answers_as_a_scheduler():
    """dask's scheduler served /info, /json, /health and /metrics on 8787, and each worker
    on a port of its own, with the dashboard off: only dask's own ports listen now."""
    psutil = pytest.importorskip("psutil")
    with dask_executor("local", 1) as pool:
        assert pool.submit(_add, 2, 3).result(timeout=30) == 5
        info = pool._client.scheduler_info()
        comm = {info["address"]}
        for address, worker in info["workers"].items():
            comm |= {address, worker["nanny"]}
        comm_ports = {int(a.rsplit(":", 1)[1]) for a in comm}
        me = psutil.Process()
        listening = {
            c.laddr
            for p in [me, *me.children(recursive=True)]
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        }
        assert all(addr.ip == "127.0.0.1" for addr in listening), listening
        assert {addr.port for addr in listening} == comm_ports, (listening, comm)
        # a real scheduler passes the handshake that the silent server fails
        with dask_executor(info["address"], timeout=5) as remote:
            assert remote.submit(_add, 1, 1).result(timeout=30) == 2


def test_ctrl_c_ends_a_local_cluster_and_its_workers_without_tracebacks(tmp_path):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "ens"
    cmd = [sys.executable, "-m", "sim", "ensemble", "--scheduler", "local", "--workers", "2",
           "--runs", "200000", "--chunk-size", "500", "--quiet", "--out", str(out)]  # fmt: skip
    # its own process group, as a terminal's foreground job: Ctrl-C reaches every process
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        env=dict(os.environ, MPLBACKEND="Agg"),
    )  # fmt: skip
    children = []
    try:
        end = time.monotonic() + 120
        while time.monotonic() < end and proc.poll() is None and not list(out.rglob("*.parquet")):
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert list(out.rglob("*.parquet")), "no chunk was written"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2, "the local cluster started no worker processes"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=60)
        err = err.decode()
        assert proc.returncode == 130, err[-2000:]
        assert "Traceback" not in err, err[-3000:]
        assert "interrupted" in err
        end = time.monotonic() + 10
        alive = children
        while alive and time.monotonic() < end:
            alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            time.sleep(0.1)
        assert alive == [], "worker processes outlived sim"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for p in children:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
