"""The suite's own house: test modules share helpers only through `support/` and fixtures.

A test module that imports another drags that module's tests and fixtures into its namespace and
makes a helper impossible to find; folders mirror the packages so a change's tests are next door.
"""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import TESTS

PACKAGES = {"contract", "synthetic_data", "features", "forecast", "store", "batch", "api",
            "aeforecast", "bench"}


def _modules() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    return {name.split(".")[0] for name in names}


def test_no_test_module_imports_another_or_the_conftest() -> None:
    tests = {p.stem for p in _modules() if p.stem.startswith("test_")} | {"conftest"}
    offenders = {str(p.relative_to(TESTS)): sorted(_imported(p) & tests) for p in _modules()}
    assert {p: found for p, found in offenders.items() if found} == {}


def test_support_holds_helpers_and_no_tests() -> None:
    support = sorted((TESTS / "support").glob("*.py"))
    assert support, "tests/support/ is where shared helpers live"
    for path in support:
        tree = ast.parse(path.read_text())
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert not [n for n in defined if n.startswith(("test_", "Test"))], path.name


def test_test_modules_sit_in_folders_mirroring_the_packages() -> None:
    folders = {p.parent.name for p in _modules() if p.stem.startswith("test_")} - {TESTS.name}
    assert folders <= PACKAGES | {"e2e"}, folders - PACKAGES
    assert {"contract", "forecast", "store", "batch", "api", "e2e"} <= folders


def test_basenames_are_unique_so_every_module_imports_under_its_own_name() -> None:
    stems = [p.stem for p in _modules() if p.stem.startswith("test_")]
    assert len(stems) == len(set(stems)) and len(stems) > 60
