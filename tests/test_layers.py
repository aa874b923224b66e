"""The rule of the house: views -> services -> models, and no Qt below views."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "desktop"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(*folders: str) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    return files


CORE = [*python_files("models", "services"), ROOT / "db.py", ROOT / "money.py"]


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_qt_below_views(path: Path) -> None:
    qt = {m for m in imported_modules(path) if m.split(".")[0] in QT_MODULES}
    assert not qt, f"{path.relative_to(ROOT)} imports Qt: {sorted(qt)}"


@pytest.mark.parametrize("path", python_files("models"), ids=lambda p: str(p.relative_to(ROOT)))
def test_models_do_not_import_services_or_views(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m.startswith(("desktop.services", "desktop.views"))}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", python_files("services"), ids=lambda p: str(p.relative_to(ROOT)))
def test_services_do_not_import_views(path: Path) -> None:
    bad = {m for m in imported_modules(path) if m.startswith("desktop.views")}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", python_files("views"), ids=lambda p: str(p.relative_to(ROOT)))
def test_views_build_no_sql(path: Path) -> None:
    modules = imported_modules(path)
    bad = {m for m in modules if m.split(".")[0] == "sqlalchemy" or m.startswith("desktop.models")}
    assert not bad, f"{path.relative_to(ROOT)} builds queries itself: {sorted(bad)}"


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from PySide6.QtWidgets import QWidget\nimport sqlalchemy\n", encoding="utf-8")
    assert imported_modules(sample) == {"PySide6.QtWidgets", "sqlalchemy"}
