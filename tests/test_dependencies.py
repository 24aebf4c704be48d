"""`pip install ganmap` alone runs the whole package: every third-party module that the package
imports, at the top of a module or inside a function, is one of pyproject.toml's core
dependencies. Only the evaluation code (the classical baselines and the benchmark's photo sets)
may need the eval extra, and says so."""

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from test_app_space import ROOT, requirement_names

#: Modules documented as needing `pip install ganmap[eval]`.
EVALUATION_ONLY = ("evaluation/baselines", "evaluation/photo_sets.py")
#: Import names whose wheel does not list them (dlib-bin's metadata names no top-level module).
UNLISTED = {"dlib": ["dlib-bin"]}


def imported_top_names(path: Path) -> set[str]:
    """The top-level names of the absolute imports anywhere in a Python file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_the_package_imports_is_a_core_dependency():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = requirement_names(project["dependencies"])
    distributions = {**packages_distributions(), **UNLISTED}
    missing = {}
    for path in sorted((ROOT / "ganmap").rglob("*.py")):
        relative = path.relative_to(ROOT / "ganmap")
        if relative.as_posix().startswith(EVALUATION_ONLY):
            continue
        for name in imported_top_names(path) - set(sys.stdlib_module_names) - {"ganmap"}:
            found = requirement_names(distributions.get(name, [name]))
            if not found & core:
                missing.setdefault(name, []).append(str(relative))
    assert not missing, f"imported but not in pyproject.toml's dependencies: {missing}"
