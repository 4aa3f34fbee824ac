"""The layers of sim hold: the import-linter contracts pass, no sim module is imported inside a
function body (outside sim/cli/), and the root package is not a way around the layers."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package under ``root`` with the contracts of ``root/pyproject.toml``
    (it puts its working directory first on the path, so the package there is the one read)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sim_sources():
    """Every module of sim but the command line's, with its path relative to the checkout."""
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[1] != "cli":
            yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))


def is_sim(node: ast.Import | ast.ImportFrom) -> bool:
    """Whether an import statement imports a module of sim (relative imports are sim's too)."""
    if isinstance(node, ast.ImportFrom):
        name = node.module or ""
        return node.level > 0 or name == "sim" or name.startswith("sim.")
    return any(a.name == "sim" or a.name.startswith("sim.") for a in node.names)


def nested_imports(tree: ast.AST, in_function: bool = False):
    """The import statements of ``tree`` that sit in a function body (methods and nested
    functions included)."""
    for child in ast.iter_child_nodes(tree):
        if in_function and isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        yield from nested_imports(child, inside)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # a utility importing the command line
        ("text.py", "import sim.cli", "sim.text is not allowed to import sim.cli"),
        # a model drawing
        ("models/__init__.py", "import matplotlib", "sim.models is not allowed to import matplotlib"),
        # a scenario knowing of results
        ("scenario/__init__.py", "import sim.results", "sim.scenario is not allowed to import sim.results"),
        # a kernel reaching up to the models
        ("kernels/__init__.py", "from sim import models", "sim.kernels is not allowed to import sim.models"),
    ],
)  # fmt: skip
def test_the_contracts_catch_an_import_against_the_layers(tmp_path, module, line, broken):
    shutil.copytree(SIM, tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / "sim" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout + result.stderr


def test_a_new_module_must_be_given_a_layer(tmp_path):
    shutil.copytree(SIM, tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "sim" / "newcomer.py").write_text('"""A module in no layer."""\n')
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "sim.newcomer" in result.stdout, result.stdout + result.stderr


def test_no_sim_module_is_imported_inside_a_function():
    # optional dependencies (dask, solara, selenium) are not modules of sim and are not
    # looked at; no module of sim is let off, so there is no allow-list
    found = [
        f"{rel}:{node.lineno}: {ast.unparse(node)}"
        for rel, tree in sim_sources()
        for node in nested_imports(tree)
        if is_sim(node)
    ]
    assert not found, "sim modules imported inside a function body:\n" + "\n".join(found)


def test_the_root_package_is_not_a_way_around_the_layers():
    # sim/__init__.py stands outside the layers, so ``from sim import run`` in a module of the
    # library would escape the contract: below the command line, ``from sim import`` names a
    # submodule or the version only
    submodules = {p.stem for p in SIM.glob("*.py")} | {
        p.parent.name for p in SIM.glob("*/__init__.py")
    }
    found = [
        f"{rel}:{node.lineno}: from sim import {alias.name}"
        for rel, tree in sim_sources()
        if rel.name not in ("__init__.py", "__main__.py") or rel.parent != Path("sim")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "sim"
        for alias in node.names
        if alias.name not in submodules | {"__version__"}
    ]
    assert not found, "names taken from the root package:\n" + "\n".join(found)


def test_the_scan_sees_an_import_in_a_method_and_a_nested_function():
    tree = ast.parse(
        "import sim.text\n"
        "from numpy import array\n"
        "class A:\n"
        "    def f(self):\n"
        "        from sim.plot import positions\n"
        "        def g():\n"
        "            from . import text\n"
        "            import dask\n"
    )
    assert [(n.lineno, is_sim(n)) for n in nested_imports(tree)] == [
        (5, True),
        (7, True),
        (8, False),
    ]
