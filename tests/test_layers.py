"""The package's rooms import downward only: the shared modules at the top of `qflow_contracts`
(the spec's facts, the contract's rules, the settings, masking, exit codes) import none of the
parts; the mock imports neither the suite nor the command line; the suite never imports the
command line. The mock can then be served, and the rules read, without loading the suite."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "src" / "qflow_contracts"
PARTS = ("mock", "suite", "specdiff")
FORBIDDEN = {
    "shared": {"mock", "suite", "specdiff", "cli"},
    "mock": {"suite", "specdiff", "cli"},
    "specdiff": {"suite", "mock", "cli"},
    "suite": {"specdiff", "cli"},
}


def _room(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 and relative[0] in PARTS else "shared"


def _imports(path: Path) -> set[str]:
    """The `qflow_contracts` rooms a module imports (the first name under the package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "qflow_contracts" and len(parts) > 1:
                names.add(parts[1])
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _room(p) != "shared" or p.name != "cli.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_no_room_above_its_own(path: Path) -> None:
    room = _room(path)
    above = _imports(path) & FORBIDDEN[room]
    assert not above, f"{path.relative_to(PACKAGE)} ({room}) imports {sorted(above)}"


def test_the_rooms_are_the_packages_folders() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(PARTS)


def test_the_module_table_names_every_module_and_only_modules_that_exist() -> None:
    """docs/suite.md's table of the suite's modules matches the tree."""
    page = (REPO / "docs" / "suite.md").read_text(encoding="utf-8")
    table = page[page.index("## The suite's modules") :]
    table = table[: table.index("\n## ", 1)]
    named = set(re.findall(r"`(\w+\.py)`", table))
    suite = {p.name for p in (PACKAGE / "suite").glob("*.py")} - {"__init__.py"}
    shared = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "cli.py"}
    assert suite <= named, sorted(suite - named)
    assert named <= suite | shared, sorted(named - suite - shared)
