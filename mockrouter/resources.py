"""Where the shipped data lives: the packaged copy in a wheel first, the checkout second."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

__all__ = ["YAML_LOADER", "data_dir", "scenario_path"]

_PACKAGE = Path(__file__).resolve().parent
#: how shipped and fixture YAML is read: libyaml when present (several times faster: start-up is mostly YAML parsing)
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def data_dir(name: str) -> Path:
    """``schemas`` or ``fixtures``: ``mockrouter/_data/<name>`` in a wheel, ``<checkout>/<name>`` otherwise."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mockrouter's {name}/ folder was not found next to {_PACKAGE}")


def scenario_path(name: str) -> Path:
    """A shipped scenario by name (``byok-missing``) or any path to a fixture file."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml", ".json") and path.exists():
        return path
    for suffix in (".yaml", ".yml", ".json"):
        shipped = data_dir("fixtures") / "scenarios" / f"{name}{suffix}"
        if shipped.exists():
            return shipped
    available = sorted(p.stem for p in (data_dir("fixtures") / "scenarios").glob("*.y*ml"))
    raise FileNotFoundError(f"unknown scenario {name!r}; shipped scenarios: {', '.join(available)}")
