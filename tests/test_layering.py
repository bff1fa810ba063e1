"""ARCHITECTURE.md's rules, held by tests: the folders are the layers, imports go one way, no module imports
itself back through others, modules stay readable, and the public API is declared and sorted."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import mockrouter

PACKAGE = Path(mockrouter.__file__).parent
MODULES = {
    ".".join(("mockrouter", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__"): p
    for p in sorted(PACKAGE.rglob("*.py"))
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports and TYPE_CHECKING blocks included)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
    return names


def _internal(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for name in imports(path):
            target = _internal(name) if name.startswith("mockrouter") else None
            if target and target != module and target != "mockrouter":
                out[module].add(target)
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "top"


def test_no_import_cycles():
    g = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in list(MODULES):
        if v not in index:
            visit(v)
    assert cycles == []


FRAMEWORKS = ("starlette", "uvicorn")


def test_only_http_imports_the_web_framework():
    offenders = {
        m: sorted(n for n in imports(p) if n.split(".")[0] in FRAMEWORKS)
        for m, p in MODULES.items()
        if _layer(m) != "http" and m != "mockrouter.pytest_plugin"
    }
    assert {m: v for m, v in offenders.items() if v} == {}


STATE_INTERFACE = ("mockrouter.state", "mockrouter.state.protocol", "mockrouter.state.journal")


def test_layers_import_one_way():
    """contract/ imports neither engine/ nor http/; state/ imports neither; engine/ never imports http/ and reaches
    state/ only through its interface (the ``mockrouter.state`` facade, ``state.protocol`` and the journal),
    never an implementation."""
    allowed = {
        "contract": {"top", "contract"},
        "state": {"top", "state", "contract"},
        "engine": {"top", "engine", "contract", "state"},
        "http": {"top", "http", "engine", "contract", "state"},
    }
    bad = []
    for module, targets in graph().items():
        layer = _layer(module)
        for target in targets:
            if layer in allowed and _layer(target) not in allowed[layer]:
                bad.append(f"{module} -> {target}")
            if layer == "engine" and _layer(target) == "state" and target not in STATE_INTERFACE:
                bad.append(f"{module} -> {target}")
    assert bad == []


def test_public_api_is_sorted_and_complete():
    assert mockrouter.__all__ == sorted(mockrouter.__all__)
    for name in mockrouter.__all__:
        assert hasattr(mockrouter, name)


def test_modules_stay_readable():
    """At most 400 lines a module, and the formatter is never switched off to get there."""
    sizes = {m: len(p.read_text().splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in sizes.items() if n > 400} == {}
    assert [m for m, p in MODULES.items() if "fmt: off" in p.read_text() or "fmt: skip" in p.read_text()] == []
