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


# -- the engine knows no clinic; no module grows past what one reader holds ---------------

CLINIC = {"models", "evaluation", "schedule", "settings", "vocab", "validation", "store",
          "clinic", "tui", "commands", "cli", "export", "importer", "interop", "demo",
          "reports", "spreadsheet", "deidentify", "findings", "integrity", "recovery",
          "paths", "parse", "visits"}
"""The clinic's modules and packages (the first part of their name under mesotui)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def mesotui_imports(path: Path) -> set[str]:
    """The mesotui modules (or packages) `path` imports at run time, wherever in it (a
    function's own import too); imports only for type checkers are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mesotui"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("mesotui"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
    found.discard(module_name(path))
    return found


def test_the_engine_imports_nothing_of_the_clinic() -> None:
    """Everything the engine reaches, however indirectly, is the engine itself or what holds
    no clinic: errors, the revision chain, ids, terminal safety, the sync contract."""
    graph = {module_name(p): mesotui_imports(p) for p in PACKAGE.rglob("*.py")}
    reached: set[str] = set()
    todo = [name for name in graph if name.startswith("mesotui.engine")]
    assert todo, "the engine package was not found"
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(graph.get(name, ()))
    clinic = sorted(name for name in reached if name.split(".")[1:2]
                    and name.split(".")[1] in CLINIC)
    assert clinic == []
    outside = sorted(name for name in reached if name.split(".")[1:2]
                     and name.split(".")[1] not in {"engine", *NEUTRAL})
    assert outside == [], "the engine reaches a module not known to hold no clinic"


NEUTRAL = {"errors", "history", "ids", "terminal", "sync"}
"""What the engine may use besides itself: errors, the revision chain, ids, terminal safety,
the sync contract. A module not named here, or in CLINIC, is the clinic's until shown not."""


def runtime_graph() -> dict[str, set[str]]:
    """Each mesotui module, and the mesotui modules it imports at run time."""
    graph = {module_name(p): mesotui_imports(p) for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imported if m in graph} for name, imported in graph.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One import cycle (a -> b -> ... -> a) through each group of modules that import each
    other, found by a depth-first walk; [] when the graph has none."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the walk's path now, 2 done
    path: list[str] = []

    def walk(name: str) -> None:
        state[name] = 1
        path.append(name)
        for imported in sorted(graph[name]):
            if state.get(imported) == 1:
                found.append([*path[path.index(imported):], imported])
            elif imported not in state:
                walk(imported)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name)
    return found


def test_the_cycle_finder_names_a_cycle_it_is_shown() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_module_imports_in_a_cycle_at_run_time() -> None:
    """Imports inside functions count (they run too); imports for type checkers do not."""
    graph = runtime_graph()
    assert "mesotui.tui.app" in graph["mesotui.cli"]  # imported inside a function: counted
    found = [" -> ".join(cycle) for cycle in cycles(graph)]
    assert not found, "modules that import each other at run time: " + "; ".join(found)


def test_no_module_is_longer_than_350_lines() -> None:
    long = sorted((len(p.read_text(encoding="utf-8").splitlines()), str(p.relative_to(PACKAGE)))
                  for p in PACKAGE.rglob("*.py"))
    assert long and [entry for entry in long if entry[0] > 350] == []
