"""What the figures share: the backend, ``close`` and helpers for panels and text.

Importing this module, as every import of :mod:`sim.plot` does, selects the Agg
backend when there is no screen, before pyplot is imported; the other modules of
the package take ``plt`` from here.
"""

from __future__ import annotations

import math

import matplotlib


def _in_kernel() -> bool:
    """Whether this runs inside a Jupyter (IPython) kernel."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "Kernel" in type(shell).__name__


def _choose_backend() -> None:
    """Agg for the command line and scripts without a screen; leave a chosen backend,
    a notebook's inline one or a screen's alone."""
    import os

    if os.environ.get("MPLBACKEND") or os.environ.get("DISPLAY") or _in_kernel():
        return
    if matplotlib.is_interactive():
        return
    matplotlib.use("Agg", force=False)


_choose_backend()

import matplotlib.pyplot as plt  # noqa: E402


def inline() -> bool:
    """Whether figures go to a notebook's inline backend."""
    return "inline" in str(matplotlib.get_backend()).lower()


def returned(fn):
    """Wrap a figure function: in a notebook, the returned figure is let go by pyplot so
    that it shows once (as the cell's value), not twice."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        fig = fn(*args, **kwargs)
        if kwargs.get("ax") is None and inline():
            plt.close(fig)
        return fig

    return wrapper


def close(fig) -> None:
    plt.close(fig)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _issue_panels(sc, issue, ax, size=(4.6, 3.4), legend_space: float = 0.0):
    """(figure, axes, issue ids): one panel per issue, or the one issue (first by default) on ``ax``."""
    ids = list(sc.issue_ids)
    if issue is not None and issue not in ids:
        raise ValueError(f"unknown issue {issue!r}; expected one of: {', '.join(ids)}")
    chosen = [issue or ids[0]] if (issue is not None or ax is not None) else ids
    if ax is not None:
        return ax.figure, [ax], chosen
    cols = min(3, len(chosen))
    rows = math.ceil(len(chosen) / cols)
    width, height = size
    fig, grid = plt.subplots(
        rows, cols, figsize=(width * cols + legend_space, height * rows), squeeze=False
    )
    axes = [grid[k // cols][k % cols] for k in range(rows * cols)]
    for a in axes[len(chosen) :]:
        a.remove()
    return fig, axes[: len(chosen)], chosen


def _plain(text) -> str:
    """User text (a name, a message) as literal matplotlib text: a ``$`` never starts mathtext."""
    return str(text).replace("$", r"\$")
