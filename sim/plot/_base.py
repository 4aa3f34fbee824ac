"""What the figures share: the backend, ``close`` and helpers for panels and text.

Importing this module, as every import of :mod:`sim.plot` does, selects the Agg
backend when there is no screen, before pyplot is imported; the other modules of
the package take ``plt`` from here.

Text in sim's figures is literal: every figure function of :mod:`sim.plot` builds its
figure with mathtext and TeX off and marks each of its ``Text`` objects
``parse_math=False``, so a ``$``, ``\\``, ``_``, ``^`` or ``{`` in a scenario's name, an
issue or an actor shows as typed, now and whenever the figure is drawn or saved again.

Figures stay bounded whatever the scenario's size: at most :data:`MAX_PANELS` issue
panels, :data:`MAX_LABELLED` actors (parties, strategies, dyads) drawn by name, user
strings cut to :data:`MAX_TEXT` characters with an ellipsis, and a figure of at most
:data:`MAX_FIGSIZE` inches; what is left out is said in a note on the figure
("showing 24 of 100 issues").
"""

from __future__ import annotations

import math

import matplotlib

#: Issue panels (or blocks of rows) one figure draws at most.
MAX_PANELS = 12
#: Actors, parties, strategies or dyads one figure draws by name at most.
MAX_LABELLED = 40
#: Characters of a user string (a name, an id) in a title, label, tick or legend.
MAX_TEXT = 60
#: Characters of a user string in the title of one panel of a grid.
MAX_PANEL_TEXT = 50
#: Characters of a model's message under a title.
MAX_MESSAGE = 400
#: Width and height of a figure in inches, at most.
MAX_FIGSIZE = (24.0, 32.0)

# the settings every figure is built under: user text is never mathtext or TeX
_LITERAL = {
    "text.parse_math": False,
    "text.usetex": False,
    "axes.formatter.use_mathtext": False,
}


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
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import EngFormatter, LogFormatter, ScalarFormatter  # noqa: E402

# the tick formatters that write numbers, in mathtext when set to
_MATH_FORMATTERS = (ScalarFormatter, LogFormatter, EngFormatter)


def inline() -> bool:
    """Whether figures go to a notebook's inline backend."""
    return "inline" in str(matplotlib.get_backend()).lower()


def _literal(root, numbers: bool = True) -> None:
    """Mark every ``Text`` under ``root`` (a figure or an axes) literal: no mathtext, no TeX.

    The mark lives on the ``Text`` objects, so it holds whenever the figure is drawn or
    saved. Tick labels that a numeric formatter writes (numbers, never names) keep the
    settings in force, so a formatter's own mathtext still renders (unless ``numbers``
    is false: before sim draws on an axes, whose tick labels may be given names).
    """
    for text in root.findobj(Text):
        text.set_parse_math(False)
        text.set_usetex(False)
    if not numbers:
        return
    axes = [root] if isinstance(root, Axes) else root.findobj(Axes)
    for ax in axes:
        for axis in getattr(ax, "_axis_map", {"x": ax.xaxis, "y": ax.yaxis}).values():
            numeric = [axis.offsetText]
            for ticks, formatter in (
                (axis.majorTicks, axis.get_major_formatter()),
                (axis.minorTicks, axis.get_minor_formatter()),
            ):
                if isinstance(formatter, _MATH_FORMATTERS):
                    numeric += [t for tick in ticks for t in (tick.label1, tick.label2)]
            for text in numeric:
                text.set_parse_math(matplotlib.rcParams["text.parse_math"])
                text.set_usetex(matplotlib.rcParams["text.usetex"])


def _bound(fig) -> None:
    """Keep a figure sim made within :data:`MAX_FIGSIZE` inches."""
    w, h = fig.get_size_inches()
    if w > MAX_FIGSIZE[0] or h > MAX_FIGSIZE[1]:
        fig.set_size_inches(min(w, MAX_FIGSIZE[0]), min(h, MAX_FIGSIZE[1]))


def returned(fn):
    """Wrap a figure function: its text is literal (see :func:`_literal`), a figure it
    makes is at most :data:`MAX_FIGSIZE`, and in a notebook the returned figure is let go
    by pyplot so that it shows once (as the cell's value), not twice."""
    import functools
    import inspect

    takes_ax = "ax" in inspect.signature(fn).parameters
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        ax = None
        if takes_ax:
            try:
                ax = signature.bind(*args, **kwargs).arguments.get("ax")
            except TypeError:
                ax = kwargs.get("ax")
        if ax is not None:
            _literal(ax, numbers=False)  # its tick labels may be about to hold names
        with matplotlib.rc_context(_LITERAL):
            fig = fn(*args, **kwargs)
        _literal(fig if ax is None else ax)
        if ax is None:
            _bound(fig)
            if inline():
                plt.close(fig)
        return fig

    return wrapper


def close(fig) -> None:
    plt.close(fig)


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(text, limit: int = MAX_TEXT) -> str:
    """User text (a name, an id) for a title, label or legend: one line of at most
    ``limit`` characters, control characters shown as spaces, a cut marked with "…"."""
    text = "".join(" " if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in str(text))
    return _short(text, limit)


def _names(items, limit: int = 4) -> str:
    """Up to ``limit`` names joined by commas (each cut to 30 characters when there are
    more than two), the rest counted."""
    items = [_label(x, MAX_TEXT if len(items) <= 2 else 30) for x in items]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _choices(ids, limit: int = 24) -> str:
    """The valid ids for an error message: the first ``limit`` as they are, the rest counted."""
    ids = [str(x) for x in ids]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _note(target, text: str) -> None:
    """Say on the figure (or on ``target``'s axes) what it leaves out; one note a figure
    or axes, its parts joined by semicolons."""
    for old in target.texts:
        if old.get_gid() == "note":
            old.set_text(f"{old.get_text()}; {text}")
            return
    if isinstance(target, Axes):
        target.text(0.99, 0.99, text, transform=target.transAxes, ha="right", va="top",
                    fontsize=7, color="dimgrey", gid="note")  # fmt: skip
    else:
        target.text(0.5, 0.0, text, ha="center", va="top", fontsize=8, color="dimgrey",
                    gid="note")  # fmt: skip


def _showing(shown: int, total: int, what: str) -> str:
    return f"showing {shown} of {total} {what}"


def _kept(n: int, weights=None, limit: int = MAX_LABELLED) -> list[int]:
    """Indices of the ``limit`` items to draw by name out of ``n``: all when there are
    few, else those of largest ``weights`` (the first ones without), in their order."""
    if n <= limit:
        return list(range(n))
    if weights is None:
        return list(range(limit))
    order = sorted(range(n), key=lambda i: (-float(weights[i]), i))
    return sorted(order[:limit])


def _issue_panels(sc, issue, ax, size=(4.6, 3.4), legend_space: float = 0.0, hide=False):
    """(figure, axes, issue ids): one panel per issue (at most :data:`MAX_PANELS`, the
    rest named in a note), or the one issue (first by default) on ``ax``."""
    ids = list(sc.issue_ids)
    if issue is not None and issue not in ids:
        raise ValueError(f"unknown issue {_label(issue)!r}; expected one of: {_choices(ids)}")
    chosen = [issue or ids[0]] if (issue is not None or ax is not None) else ids
    if ax is not None:
        return ax.figure, [ax], chosen
    shown = chosen[:MAX_PANELS]
    cols = min(3, len(shown))
    rows = math.ceil(len(shown) / cols)
    width, height = size
    fig, grid = plt.subplots(
        rows, cols, figsize=(width * cols + legend_space, height * rows), squeeze=False
    )
    axes = [grid[k // cols][k % cols] for k in range(rows * cols)]
    for a in axes[len(shown) :]:
        a.set_visible(False) if hide else a.remove()
    if len(shown) < len(chosen):
        _note(fig, _showing(len(shown), len(chosen), "issues") + " (pass issue= for another)")
    return fig, axes[: len(shown)], shown
