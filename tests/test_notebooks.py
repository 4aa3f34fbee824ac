"""The example notebooks in notebooks/: present, in order, stored without outputs,
and exactly what notebooks/build.py generates. Nothing here executes them; that is
``python -m pytest --nbmake notebooks/`` (see notebooks/README.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = [
    "01_nato_russia_2022.ipynb",
    "02_expected_utility.ipynb",
    "03_uncertainty.ipynb",
    "04_bargaining_and_war.ipynb",
    "05_repeated_games.ipynb",
]


def _committed() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_five_notebooks_exist_in_order():
    names = [p.name for p in _committed()]
    assert names == EXPECTED
    assert [int(name[:2]) for name in names] == list(range(1, len(EXPECTED) + 1))
    assert (NOTEBOOKS / "build.py").is_file()
    assert (NOTEBOOKS / "README.md").is_file()


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_stored_without_outputs(name):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert code, f"{name}: no code cells"
    for k, cell in enumerate(nb["cells"]):
        where = f"{name}, cell {k}"
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{where}: stored outputs; rebuild the notebooks"
            assert cell.get("execution_count") is None, f"{where}: stored execution count"
        assert "attachments" not in cell, f"{where}: stored attachments"
    assert "widgets" not in nb.get("metadata", {}), f"{name}: stored widget state"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_reads_the_small_flag_first(name):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    first_code = next(cell for cell in nb["cells"] if cell["cell_type"] == "code")
    source = "".join(first_code["source"])
    assert 'SMALL = os.environ.get("SIM_NOTEBOOK_SMALL") == "1"' in source


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_valid(name):
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.read(NOTEBOOKS / name, as_version=4))


def test_build_script_regenerates_the_committed_notebooks(tmp_path):
    pytest.importorskip("nbformat")
    subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    built = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert built == [p.name for p in _committed()]
    for name in built:
        fresh = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        committed = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
        assert fresh == committed, (
            f"notebooks/{name} differs from what notebooks/build.py writes; "
            "edit the cells in build.py and run `python notebooks/build.py`"
        )


def test_a_returned_figure_shows_once_as_an_image_in_a_kernel():
    """In a Jupyter kernel (no MPLBACKEND, no screen) a figure returned as a cell's
    value shows as one PNG, not as text and not twice."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    import os

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import sim, sim.plot\nresult = sim.run('ec_example_scholz2011', rounds=3)"
        ),
        nbformat.v4.new_code_cell("sim.plot.figure(result)"),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY")}
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3")
    old = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    outputs = nb.cells[1].outputs
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, outputs
