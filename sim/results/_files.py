"""Files written atomically, and figures as PNG bytes."""

from __future__ import annotations

import io
from pathlib import Path


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    The low-level step only, for files the caller owns: it refuses a ``path`` that is not
    a regular file but does not ask who wrote one that is. sim's commands write through
    :mod:`sim.outputs`, which does.
    """
    from sim.outputs import _bytes, _regular_or_absent, _replace_from_temp

    path = Path(path)
    _regular_or_absent(path, str(path))
    _replace_from_temp(path.parent, path, _bytes(data))
    return path


def source_inputs(source: str | Path | None) -> list[Path]:
    """The input files behind a result's ``source`` (a path, or a shipped scenario's name)."""
    if source is None:
        return []
    try:
        from sim.scenario import resolve

        path = resolve(str(source))
        return [path] if path.is_file() else []
    except (OSError, ValueError):  # a name that is no file: nothing on disk to protect
        return []


def figure_bytes(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()
