"""The layer contract: the core never imports Textual, and layers import downwards only."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Collection, Mapping
from pathlib import Path
from types import MappingProxyType

import pytest

CORE_MODULES = [
    "jobtui.model",
    "jobtui.errors",
    "jobtui.config",
    "jobtui.providers",
    "jobtui.store",
    "jobtui.engine",
    "jobtui.insights",
    "jobtui.sim",
    "jobtui.preview",
]

# What each layer may import from jobtui (besides itself and errors).
ALLOWED_BELOW = {
    "jobtui.model": set(),
    "jobtui.config": {"jobtui.model"},
    "jobtui.providers": {"jobtui.model", "jobtui.config"},
    "jobtui.store": {"jobtui.model"},
    "jobtui.sim": {"jobtui.model"},
    "jobtui.preview": {"jobtui.model"},
    "jobtui.engine": {
        "jobtui.model",
        "jobtui.config",
        "jobtui.providers",
        "jobtui.store",
    },
    # Reports over the store's records: pure, below the viewers.
    "jobtui.insights": {"jobtui.model", "jobtui.store"},
    # The web host of `jobtui serve`: runs dashboards as processes, imports none of them.
    "jobtui.serve": set(),
}


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_without_textual(module: str) -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'textual' or name.startswith('textual.') or name == 'rich' "
        "or name.startswith('rich.'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        f"import {module}\n"
        "import importlib, pkgutil\n"
        f"m = sys.modules['{module}']\n"
        "if hasattr(m, '__path__'):\n"
        "    for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if "No module named" in result.stderr and module.split(".")[-1] in result.stderr:
        pytest.skip(f"{module} has not landed")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("layer", sorted(ALLOWED_BELOW))
def test_layer_imports_only_below(layer: str) -> None:
    code = (
        "import sys, importlib, pkgutil\n"
        "before = set(sys.modules)\n"
        f"m = importlib.import_module('{layer}')\n"
        "if hasattr(m, '__path__'):\n"
        "    for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "new = set(sys.modules) - before\n"
        "print('\\n'.join(sorted(n for n in new if n.startswith('jobtui'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0 and "No module named" in result.stderr:
        pytest.skip(f"{layer} has not landed")
    assert result.returncode == 0, result.stderr
    loaded = {line for line in result.stdout.split() if line}
    allowed = ALLOWED_BELOW[layer] | {"jobtui.errors"}
    stray = {
        name
        for name in loaded - {"jobtui"}
        if not _within(name, layer) and not any(_within(name, a) for a in allowed)
    }
    assert not stray, f"{layer} imports {sorted(stray)} from a layer above it"


def _within(module: str, layer: str) -> bool:
    """Whether ``module`` belongs to ``layer``: the layer's package or one of its
    submodules (``jobtui.config.lines`` is part of ``jobtui.config``, while a sibling
    such as ``jobtui.config_lines`` would be a layer of its own)."""
    return module == layer or module.startswith(layer + ".")


# ----------------------------------------------------------------- import cycles

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "jobtui"


def _module_names(root: Path) -> dict[str, Path]:
    """Every module under ``root`` by dotted name (a package by its ``__init__``)."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _imported(module: str, path: Path, known: Collection[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports anywhere in its source.

    Every ``import`` statement counts, wherever it is: at the top, under
    ``if TYPE_CHECKING:``, inside a function. ``from pkg import name`` is an
    edge to ``pkg.name`` when that is a module, else to ``pkg``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # Relative: from the package the module is in (or is, for __init__).
                base = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    found.add(submodule)
                elif source in known:
                    found.add(source)
    found.discard(module)
    return found


def import_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    """Module → the modules of the package it imports."""
    modules = _module_names(root)
    return {name: _imported(name, path, modules) for name, path in modules.items()}


@functools.cache
def jobtui_graph() -> Mapping[str, frozenset[str]]:
    """The import graph of jobtui/, parsed once for every test that reads it.

    The source does not change while the suite runs; parsing every module again
    for each layer cost a third of a second per test. Frozen so no test can
    change what the next one reads.
    """
    graph = {module: frozenset(targets) for module, targets in import_graph().items()}
    return MappingProxyType(graph)


def import_cycles(graph: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_cycle_finder_sees_a_cycle_through_type_checking_and_local_imports(
    tmp_path: Path,
) -> None:
    # A package written the way the old dashboard was: a TYPE_CHECKING import
    # and a function-local one close the loop, beside a module outside it.
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
    )
    (package / "c.py").write_text("def f():\n    from . import a\n")
    (package / "d.py").write_text("import pkg.a\nfrom pkg.sub import b\n")
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.d"] == {"pkg.a", "pkg.sub.b"}
    assert import_cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_no_import_cycles_in_jobtui() -> None:
    graph = jobtui_graph()
    assert len(graph) > 50, "the package was not found where the test looks"
    cycles = import_cycles(graph)
    listed = "\n".join(" <-> ".join(component) for component in cycles)
    assert not cycles, f"import cycles in jobtui/ (each line one strongly connected set):\n{listed}"


def test_a_layer_is_its_package_and_submodules_only() -> None:
    assert _within("jobtui.config", "jobtui.config")
    assert _within("jobtui.config.model", "jobtui.config")
    assert not _within("jobtui.config_lines", "jobtui.config")
    assert not _within("jobtui.configuration", "jobtui.config")


@pytest.mark.parametrize("layer", sorted(ALLOWED_BELOW))
def test_layer_source_imports_only_below(layer: str) -> None:
    # The same rule read from the source, so imports that never run at import
    # time (under TYPE_CHECKING, inside a function) are held to it too.
    allowed = ALLOWED_BELOW[layer] | {"jobtui.errors", layer}
    stray = {
        f"{module} -> {target}"
        for module, targets in jobtui_graph().items()
        if _within(module, layer)
        for target in targets
        if target != "jobtui" and not any(_within(target, a) for a in allowed)
    }
    assert not stray, f"{layer} imports from a layer above it: {sorted(stray)}"
