"""Files written atomically, and figures as PNG bytes."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def figure_bytes(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()
