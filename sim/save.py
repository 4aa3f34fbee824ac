"""Writing any result's files: its tables, its summary and its figures, at once.

A result lists what it writes with ``result.outputs(**options)``: an ordered list of
``(file name, payload)``. The payload says how the file is made:

- a ``dict``: JSON, indented by 2, strict (no NaN or infinity), ending in a newline;
- a pandas DataFrame: CSV without the index, floats with 17 significant digits;
- a pyarrow Table: Parquet, its schema metadata kept, the same table giving the same bytes;
- a ``str`` or ``bytes``: written as it is;
- a `sim.results.base.Figure`: drawn by `sim.plot.FIGURES` and saved as PNG.

Every file is made in memory first and all are written together into a folder sim owns
(see `sim.outputs`): a failure leaves the folder as it was.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import plot
from sim.outputs import write_files
from sim.results.base import Figure
from sim.scenario import resolve


def parquet_bytes(table: pa.Table, metadata: dict | None = None) -> bytes:
    """A table as Parquet bytes: same table and metadata, same bytes (no timestamps)."""
    if metadata:
        table = table.replace_schema_metadata({k: str(v) for k, v in metadata.items()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", row_group_size=1 << 20)
    return sink.getvalue().to_pybytes()


def json_text(data: dict) -> str:
    """``summary.json``'s text: indented, strict JSON, a final newline."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text: no index, floats with 17 significant digits, ``\\n`` line ends."""
    return frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")


def figure_bytes(fig, dpi: int = 110) -> bytes:
    """A figure as PNG bytes, without the software stamp (same drawing, same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def render(result, payload) -> bytes | str:
    """One output's bytes or text (see the module's list of payloads)."""
    if isinstance(payload, Figure):
        fig = plot.FIGURES[payload.name](result, **payload.options)
        try:
            return figure_bytes(fig)
        finally:
            plot.close(fig)
    if isinstance(payload, dict):
        return json_text(payload)
    if isinstance(payload, pd.DataFrame):
        return csv_text(payload)
    if isinstance(payload, pa.Table):
        return parquet_bytes(payload)
    if isinstance(payload, str | bytes):
        return payload
    raise TypeError(f"cannot write a {type(payload).__name__}")


def files(result, **options) -> dict[str, bytes | str]:
    """Every file of ``result`` as ``{name: bytes or text}``, in the order it lists them."""
    return {name: render(result, payload) for name, payload in result.outputs(**options)}


def source_inputs(source: str | Path | None) -> list[Path]:
    """The input files behind a result's ``source`` (a path, or a shipped scenario's name)."""
    if not source:
        return []
    try:
        path = resolve(str(source))
        return [path] if path.is_file() else []
    except (OSError, ValueError):  # a name that is no file: nothing on disk to protect
        return []


def write(result, out: str | Path, **options) -> list[Path]:
    """Write ``result``'s files into the folder ``out`` (made if missing) and return their
    paths. Options go to ``result.outputs`` (e.g. ``focus=`` for a run's quadrant chart).

    Examples
    --------
    >>> import sim, sim.save, tempfile
    >>> result = sim.run("ec_example_scholz2011", model="compromise")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in sim.save.write(result, tmp)]
    ['rounds.csv', 'summary.json', 'positions.png']
    """
    made = files(result, **options)
    inputs = source_inputs(getattr(result, "source", None))
    return write_files(out, made, inputs=inputs)
