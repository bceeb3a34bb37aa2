"""The house's shape, held by its imports: no circles (lazy imports inside functions count
too), dependencies run one way (front doors -> runtime -> steps and index -> store), and
the pure steps import neither the queue, Redis nor the database.

Read from the source with ``ast``, so it needs nothing installed and fails on any new file
that breaks the rule, wherever the import sits.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ingest", "workers", "models")
MAX_LINES = 600

#: Rooms from the bottom up: a module may import its own room and the rooms below it only.
#: (Within a room, any order, but no circle.)
LAYERS = [
    ("models",),
    ("workers.settings", "workers.keys"),
    ("workers.steps",),
    ("workers.index", "workers.queue", "workers.embedded"),
    ("workers.runtime", "workers.sites", "workers.linking", "workers.events"),
    ("workers.pipeline",),
    ("workers.actors", "workers.ops", "workers.process", "workers.supervisor"),
    ("ingest",),
]
#: What the pure steps must never import: they run anywhere, on plain values.
SERVICES = ("dramatiq", "redis", "sqlalchemy", "alembic", "psycopg")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module ``name`` imports (anywhere in the file): project modules by their full
    name, others by their top-level package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name`` imports mod.
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            found.add(target if target.split(".")[0] in PACKAGES else target.split(".")[0])
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    """module -> what it imports (project modules by full name, others by package)."""
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layer_of(module: str) -> int | None:
    for rank, rooms in enumerate(LAYERS):
        if any(module == room or module.startswith(room + ".") for room in rooms):
            return rank
    return None


def test_there_is_no_import_circle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_belongs_to_a_room():
    assert [m for m in project_modules() if m not in PACKAGES and layer_of(m) is None] == []


def test_dependencies_run_one_way():
    upward = []
    for module, targets in graph().items():
        rank = layer_of(module)
        for target in targets:
            other = layer_of(target)
            if rank is not None and other is not None and other > rank:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_steps_use_no_service():
    offenders = []
    for module, targets in graph().items():
        if module.startswith("workers.steps"):
            offenders += [f"{module} -> {t}" for t in targets
                          if t in SERVICES or (t.split(".")[0] in PACKAGES and not t.startswith("workers.steps"))]
    assert offenders == []


def test_no_source_file_is_over_600_lines():
    long = {str(path.relative_to(ROOT)): n for path in project_modules().values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_room_says_what_it_holds():
    silent = [name for name, path in project_modules().items()
              if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert silent == []
