"""The layer contract: the core never imports Textual, and layers import downwards only."""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass
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


PRELOADED = ("aiohttp", "httpx", "pydantic", "psycopg", "platformdirs", "tomli_w")
"""Third-party packages the layers import, loaded once before the checks fork.

Neither jobtui, Textual nor Rich: the checker refuses to fork if any of them is
loaded by then, so each check still starts with none of jobtui and can still
see (and block) any import of Textual or Rich.
"""

CHECKER = r"""
import importlib, json, os, pkgutil, sys, traceback

for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
held = sorted(n for n in sys.modules if n.split(".")[0] in ("jobtui", "textual", "rich"))
if held:
    raise SystemExit(f"loaded before the checks: {held}")


class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "textual" or name.startswith("textual.") or name == "rich" \
                or name.startswith("rich."):
            raise ImportError("blocked: " + name)
        return None


def check(kind, module):
    if kind == "core":
        sys.meta_path.insert(0, Block())
    before = set(sys.modules)
    m = importlib.import_module(module)
    if hasattr(m, "__path__"):
        for info in pkgutil.walk_packages(m.__path__, m.__name__ + "."):
            importlib.import_module(info.name)
    return sorted(n for n in set(sys.modules) - before if n.startswith("jobtui"))


reports = {}
for kind, module in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            report = {"ok": True, "loaded": check(kind, module), "error": ""}
        except BaseException:
            report = {"ok": False, "loaded": [], "error": traceback.format_exc()}
        with os.fdopen(write, "w") as out:
            json.dump(report, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    reports[f"{kind} {module}"] = json.loads(text)
print(json.dumps(reports))
"""
"""Each check in a child forked from one interpreter that has loaded nothing of jobtui:
as isolated as an interpreter of its own, without starting 19 of them, each loading
the same third-party packages again."""


@dataclass(frozen=True)
class ImportReport:
    """What importing a layer (every submodule of it) did in a fresh child."""

    ok: bool
    loaded: frozenset[str]
    """The jobtui modules the import loaded."""
    error: str
    """The traceback when it failed."""


@pytest.fixture(scope="module")
def import_reports() -> dict[str, ImportReport]:
    """Every layer imported once in a fresh child: ``core <module>`` with Textual and
    Rich blocked, ``layer <module>`` listing the jobtui modules it loaded."""
    specs = [("core", module) for module in CORE_MODULES]
    specs += [("layer", layer) for layer in sorted(ALLOWED_BELOW)]
    result = subprocess.run(
        [sys.executable, "-c", CHECKER, json.dumps(specs), *PRELOADED],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {
        name: ImportReport(report["ok"], frozenset(report["loaded"]), report["error"])
        for name, report in json.loads(result.stdout).items()
    }


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_without_textual(
    module: str, import_reports: dict[str, ImportReport]
) -> None:
    report = import_reports[f"core {module}"]
    if "No module named" in report.error and module.split(".")[-1] in report.error:
        pytest.skip(f"{module} has not landed")
    assert report.ok, report.error


@pytest.mark.parametrize("layer", sorted(ALLOWED_BELOW))
def test_layer_imports_only_below(layer: str, import_reports: dict[str, ImportReport]) -> None:
    report = import_reports[f"layer {layer}"]
    if not report.ok and "No module named" in report.error:
        pytest.skip(f"{layer} has not landed")
    assert report.ok, report.error
    allowed = ALLOWED_BELOW[layer] | {"jobtui.errors"}
    stray = {
        name
        for name in report.loaded - {"jobtui"}
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
