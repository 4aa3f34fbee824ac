"""Running ensemble chunks on a dask.distributed cluster (``pip install "sim[distributed]"``).

``--scheduler`` (``scheduler=`` in Python) takes one of:

* ``local``: a cluster of worker processes on this machine for the duration of the
  call, listening on 127.0.0.1 only, with no HTTP server (no dashboard, no
  ``/info`` or ``/json`` pages) on the scheduler or the workers; Ctrl-C stops the
  workers with the call, without tracebacks.
* ``tcp://HOST:PORT`` (``tcp://HOST`` means port 8786, dask's default, and a bare
  ``HOST:PORT`` means tcp): a running dask scheduler.
* ``tls://HOST:PORT``: the same over TLS, with the certificates of dask's own TLS
  settings (``distributed.comm.tls.ca-file``, ``.client.cert``, ``.client.key``);
  without them it is refused.

Every other protocol (``ucx://``, ``inproc://``, ``ws://``, ``http://``, ...) is
refused with a message by :func:`check_scheduler`, which only reads the address.
Reaching a scheduler, the whole handshake included (connect, identify, the first
answer), must finish within :data:`DEFAULT_TIMEOUT` seconds, or the number of
seconds in the environment variable ``SIM_SCHEDULER_TIMEOUT``; a server that accepts
the connection and never answers is a `SchedulerError` like one that refuses it.
"""

from __future__ import annotations

import logging
import math
import os
import re
import signal
import threading
from contextlib import contextmanager

DEFAULT_TIMEOUT = 10.0
"""Seconds allowed for reaching a scheduler, the handshake included."""

TIMEOUT_ENV = "SIM_SCHEDULER_TIMEOUT"
"""The environment variable that overrides :data:`DEFAULT_TIMEOUT` (seconds)."""

DEFAULT_PORT = 8786
PROTOCOLS = ("tcp", "tls")
"""The protocols of a scheduler address; ``local`` starts a cluster instead."""

_EXPECTED = "expected 'local', tcp://HOST:PORT or tls://HOST:PORT (e.g. tcp://10.0.0.5:8786)"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.S)
_HOSTNAME = re.compile(
    r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$"
)
_IPV6 = re.compile(r"^[0-9A-Fa-f:.]+$")


class SchedulerError(RuntimeError):
    """dask.distributed is missing, the scheduler address is not one sim can use, or the
    scheduler cannot be reached."""


def _shown(address: str) -> str:
    """``address`` for a message: control and invisible characters escaped, at most 80."""
    if not address:
        return "''"
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in address[:80])
    return text + ("..." if len(address) > 80 else "")


def _bad(address: str, problem: str) -> SchedulerError:
    return SchedulerError(f"--scheduler {_shown(address)}: {problem}; {_EXPECTED}")


def _split_host_port(address: str, rest: str) -> tuple[str, int]:
    if rest.startswith("["):  # [IPv6]:PORT
        end = rest.find("]")
        if end < 0:
            raise _bad(address, "an IPv6 host needs its closing ']'")
        host, tail = rest[1:end], rest[end + 1 :]
        if not host or not _IPV6.fullmatch(host) or ":" not in host:
            raise _bad(address, f"{_shown(host)!r} is not an IPv6 address")
        if tail and not tail.startswith(":"):
            raise _bad(address, "expected ':PORT' after the IPv6 host")
        port_text = tail[1:] if tail else None
    else:
        host, sep, port_text = rest.partition(":")
        if not sep:
            port_text = None
        if not host:
            raise _bad(address, "the host is missing")
        if not _HOSTNAME.fullmatch(host):
            raise _bad(address, f"{_shown(host)!r} is not a host name or an IP address")
    if port_text is None:
        return host, DEFAULT_PORT
    if not port_text.isascii() or not port_text.isdigit() or len(port_text) > 5:
        raise _bad(address, f"the port {_shown(port_text)!r} is not a number from 1 to 65535")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise _bad(address, f"the port {port} is not a number from 1 to 65535")
    return host, port


def check_scheduler(address: str | None) -> str | None:
    """Check a ``--scheduler`` value without connecting to anything.

    Returns the address as dask reads it (``None`` and ``"local"`` unchanged, a bare
    ``HOST:PORT`` as ``tcp://HOST:PORT``) or raises `SchedulerError` saying what is
    wrong: an unsupported protocol, a missing or malformed host or port, TLS without
    certificates in dask's settings, or dask.distributed not installed.
    """
    if address is None:
        return None
    if not isinstance(address, str):
        raise SchedulerError(
            f"--scheduler: expected a string ('local' or an address), got {type(address).__name__}"
        )
    if address == "local":
        _require_dask()
        return address
    if not address or address != address.strip() or any(c.isspace() for c in address):
        raise _bad(address, "an address holds no whitespace" if address else "empty")
    if not address.isprintable():
        raise _bad(address, "an address holds no control or invisible characters")
    m = _SCHEME.match(address)
    if m:
        scheme, rest = m.group(1).lower(), m.group(2)
        if scheme not in PROTOCOLS:
            raise _bad(address, f"the protocol {scheme}:// is not supported")
    elif "/" in address or ":" not in address:
        raise _bad(address, "not an address")
    else:
        scheme, rest = "tcp", address
    if "/" in rest or "?" in rest or "#" in rest or "@" in rest:
        raise _bad(address, "an address is a protocol, a host and a port, with no path")
    host, port = _split_host_port(address, rest)
    _require_dask()
    if scheme == "tls" and _tls_args() is None:
        raise _bad(
            address,
            "tls:// needs dask's TLS settings (distributed.comm.tls.ca-file, "
            "distributed.comm.tls.client.cert and .key), which are not set",
        )
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{port}"


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SchedulerError(
            '--scheduler needs dask.distributed; install it with: pip install "sim[distributed]"'
        ) from None


def _tls_args() -> dict | None:
    """The client connection arguments of dask's TLS settings, or None when there are none."""
    from distributed.security import Security

    try:
        args = Security().get_connection_args("client")
    except Exception:  # unreadable certificate files: the same as none
        return None
    return args if args.get("ssl_context") is not None else None


def scheduler_timeout(timeout: float | None = None) -> float:
    """Seconds allowed for reaching a scheduler: ``timeout``, else ``SIM_SCHEDULER_TIMEOUT``,
    else :data:`DEFAULT_TIMEOUT`."""
    if timeout is None:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        try:
            timeout = float(text)
        except ValueError:
            timeout = math.nan
        if not (math.isfinite(timeout) and timeout > 0):
            raise SchedulerError(
                f"{TIMEOUT_ENV}={_shown(text)}: expected a positive number of seconds"
            )
    if not (math.isfinite(timeout) and timeout > 0):
        raise SchedulerError(
            f"scheduler timeout {timeout!r}: expected a positive number of seconds"
        )
    return float(timeout)


def _unreachable(address: str, why: str) -> SchedulerError:
    return SchedulerError(
        f"--scheduler {_shown(address)}: cannot reach the dask scheduler ({why}); "
        "expected a running scheduler at that address, or 'local'"
    )


def _handshake(address: str, timeout: float, connection_args: dict) -> None:
    """Connect to ``address``, exchange dask's handshake and ask the scheduler who it is,
    all within ``timeout`` seconds, in an event loop of its own; raise `SchedulerError`."""
    import asyncio

    from distributed.comm import connect

    async def probe():
        comm = await connect(address, timeout=timeout, **connection_args)
        try:
            await comm.write({"op": "identity", "reply": True})
            answer = await comm.read()
        finally:
            await comm.close()
        if not isinstance(answer, dict) or "Scheduler" not in str(answer.get("type")):
            raise ValueError("the server at that address is not a dask scheduler")

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout))
    except TimeoutError:  # asyncio's is the builtin since 3.11
        raise _unreachable(
            address, f"no answer within {timeout:g} s; {TIMEOUT_ENV} sets the seconds"
        ) from None
    except (OSError, ValueError, TypeError, EOFError) as exc:
        raise _unreachable(address, str(exc) or type(exc).__name__) from None
    except Exception as exc:  # a server that speaks something else: any decoding error
        raise _unreachable(address, f"{type(exc).__name__}: {exc}") from None


@contextmanager
def _sigint_ignored():
    """SIGINT ignored while worker processes start, so that they inherit it ignored.

    Ctrl-C in a terminal reaches every process of the foreground group: ignored in
    the workers, it reaches only this process, which closes the cluster (without
    it each worker printed a traceback). A Ctrl-C during the cluster's start (a
    second or two) is ignored. Outside the main thread nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _no_http_server(node) -> None:
    """What the scheduler and workers of a local cluster do instead of starting their
    HTTP server: an application with no routes (closing reads it), and no socket."""
    from distributed.http.routing import RoutingApplication

    node.http_application = RoutingApplication([])


def _classes():
    """The scheduler and worker classes of a local cluster: dask's, without an HTTP server.

    dask starts an HTTP server on every scheduler (port 8787) and worker (a random
    port) even with the dashboard off, serving ``/info``, ``/json``, ``/health`` and
    ``/metrics``; these classes start none.
    """
    if not _NODES:
        from distributed import Scheduler, Worker

        class LocalScheduler(Scheduler):
            def start_http_server(self, *args, **kwargs):
                _no_http_server(self)

        class LocalWorker(Worker):
            def start_http_server(self, *args, **kwargs):
                _no_http_server(self)

        # the worker class travels to the worker processes by reference: make it
        # importable as sim.distributed._Worker (served by the module's __getattr__)
        for cls, name in ((LocalScheduler, "_Scheduler"), (LocalWorker, "_Worker")):
            cls.__module__, cls.__qualname__, cls.__name__ = __name__, name, name
            _NODES[name] = cls
    return _NODES["_Scheduler"], _NODES["_Worker"]


_NODES: dict[str, type] = {}


def __getattr__(name: str):
    if name in ("_Scheduler", "_Worker"):
        _classes()
        return _NODES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _local_cluster(workers: int):
    """A cluster of ``workers`` processes (one thread each) on 127.0.0.1, no HTTP server."""
    import logging

    from distributed import Nanny, SpecCluster
    from distributed.system import MEMORY_LIMIT

    scheduler_cls, worker_cls = _classes()
    common = {"host": "127.0.0.1", "protocol": "tcp://", "dashboard": False,
              "dashboard_address": None}  # fmt: skip
    scheduler = {"cls": scheduler_cls, "options": {**common, "port": 0}}
    worker = {
        "cls": Nanny,
        "options": {
            **common,
            "nthreads": 1,
            "worker_class": worker_cls,
            "memory_limit": max(1, int(MEMORY_LIMIT / workers)),
            "silence_logs": logging.ERROR,  # not the warnings of tasks cancelled by Ctrl-C
        },
    }
    with _sigint_ignored():
        return SpecCluster(
            scheduler=scheduler,
            workers={i: worker for i in range(workers)},
            worker=worker,
            silence_logs=logging.WARN,
        )


def _cpu_count() -> int:
    """The CPUs this process may run on."""
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


@contextmanager
def dask_executor(scheduler: str, workers: int | None = None, timeout: float | None = None):
    """A ``concurrent.futures.Executor`` on a dask cluster, closed on exit.

    ``scheduler`` is ``"local"`` (a cluster of worker processes on 127.0.0.1,
    no dashboard and no HTTP server) or a scheduler address such as
    ``tcp://10.0.0.5:8786`` (see :func:`check_scheduler`). ``timeout`` bounds the whole
    handshake with a remote scheduler (default: ``SIM_SCHEDULER_TIMEOUT`` or 10 s).
    """
    address = check_scheduler(scheduler)
    if address is None:
        raise SchedulerError("--scheduler: expected 'local' or an address, got None")
    seconds = scheduler_timeout(timeout)
    from dask.distributed import Client

    cluster = None
    if address == "local":
        cluster = _local_cluster(workers or min(2, _cpu_count()))
        try:
            client = Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
    else:
        from distributed.security import Security

        tls = address.startswith("tls://")
        connection_args = (_tls_args() or {}) if tls else {}
        security = Security() if tls else None
        _handshake(address, seconds, connection_args)
        try:
            client = Client(address, timeout=seconds, security=security, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise _unreachable(address, str(exc) or type(exc).__name__) from None
    # futures cancelled on Ctrl-C are logged by tornado's event loop as errors with a
    # traceback (seen with Python 3.12); the interrupt is sim's to report, so that logger
    # is quiet while the client lives
    quiet = logging.getLogger("tornado.application")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        yield client.get_executor()
    finally:
        try:
            client.close()
        finally:
            try:
                if cluster is not None:
                    cluster.close()
            finally:
                quiet.setLevel(level)
