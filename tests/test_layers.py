"""The package's layers (docs/layout.md): each folder imports only the layers below it, and no
module imports itself back through others. `make lint` runs this file."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ganmap"
#: Bottom to top: a module may import its own layer and the ones before it.
LAYERS = ("base", "classical", "operators", "core", "photo", "evaluation", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The ganmap modules `path` imports, anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "ganmap":
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "ganmap")
    assert not any(
        isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(ast.parse(path.read_text()))
    ), f"{path}: use absolute imports (from ganmap.layer.module import ...)"
    return found


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {
    name: {m for m in imported_modules(path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def layer(module: str) -> int | None:
    """The layer of a module, None for the package's front door (`ganmap/__init__.py`)."""
    parts = module.split(".")
    return None if len(parts) == 1 else LAYERS.index(parts[1])


def test_every_module_is_in_a_layer():
    strays = [m for m in MODULES if len(m.split(".")) > 1 and m.split(".")[1] not in LAYERS]
    assert not strays, f"put these in a layer's folder (or add the layer to LAYERS): {strays}"


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{module} ({LAYERS[layer(module)]}) imports {target} ({LAYERS[layer(target)]})"
        for module, targets in GRAPH.items()
        for target in targets
        if layer(module) is not None and layer(target) is not None and layer(target) > layer(module)
    ]
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_only_the_front_door_imports_the_package_itself():
    inward = [m for m, targets in GRAPH.items() if "ganmap" in targets and m != "ganmap"]
    assert not inward, f"import from the module that defines a name, not from ganmap: {inward}"


def test_there_are_no_import_cycles():
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)
