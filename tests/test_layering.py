"""The domain never knows the screen, and only the store knows TinyDB."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mesotui"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def domain_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "tui" not in p.relative_to(PACKAGE).parts]


def test_domain_modules_never_import_textual() -> None:
    offenders = [str(p.relative_to(PACKAGE)) for p in domain_modules()
                 if "textual" in imported_modules(p)]
    assert domain_modules(), "the domain modules were not found"
    assert offenders == []


def test_only_the_store_imports_tinydb() -> None:
    importers = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                       if "tinydb" in imported_modules(p))
    assert importers == ["store.py"]
