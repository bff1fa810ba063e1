"""ARCHITECTURE.md rules that a test can hold: the core never imports the HTTP framework, and the
public API is declared and sorted."""

from __future__ import annotations

import ast
from pathlib import Path

import mockrouter

PACKAGE = Path(mockrouter.__file__).parent
HTTP_LAYER = {"app", "routes", "admin", "rendering", "server", "pytest_plugin", "cli", "dashboard", "recording",
              "contract_run", "__init__", "__main__"}  # fmt: skip
FORBIDDEN = ("starlette", "uvicorn", "click", "httpx")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_does_not_import_the_http_framework():
    offenders = {
        p.stem: sorted(imports(p) & set(FORBIDDEN))
        for p in PACKAGE.glob("*.py")
        if p.stem not in HTTP_LAYER and imports(p) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_public_api_is_sorted_and_complete():
    assert mockrouter.__all__ == sorted(mockrouter.__all__)
    for name in mockrouter.__all__:
        assert hasattr(mockrouter, name)


def test_modules_stay_readable():
    sizes = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 500, sizes
