"""Running ensemble chunks on a dask.distributed cluster (``pip install "sim[distributed]"``)."""

from __future__ import annotations

from contextlib import contextmanager


class SchedulerError(RuntimeError):
    """dask.distributed is missing, or the scheduler cannot be reached."""


@contextmanager
def dask_executor(scheduler: str, workers: int | None = None, timeout: float = 10.0):
    """A ``concurrent.futures.Executor`` on a dask cluster, closed on exit.

    ``scheduler`` is ``"local"`` (a ``LocalCluster`` of processes bound to 127.0.0.1,
    dashboard off) or a scheduler address such as ``tcp://10.0.0.5:8786``.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError(
            '--scheduler needs dask.distributed; install it with: pip install "sim[distributed]"'
        ) from None
    cluster = None
    if scheduler == "local":
        from sim.runner import cpu_count

        cluster = LocalCluster(
            n_workers=workers or min(2, cpu_count()),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                f"--scheduler {scheduler}: cannot reach the dask scheduler ({exc}); "
                "expected an address such as tcp://HOST:8786, or 'local'"
            ) from None
    try:
        yield client.get_executor()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
