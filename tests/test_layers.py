"""The layer contract: the core never imports Textual, and layers import downwards only."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "jobtui.model",
    "jobtui.errors",
    "jobtui.config",
    "jobtui.providers",
    "jobtui.store",
    "jobtui.engine",
    "jobtui.sim",
    "jobtui.preview",
]

# What each layer may import from jobtui (besides itself and errors).
ALLOWED_BELOW = {
    "jobtui.model": set(),
    "jobtui.config": {"jobtui.model", "jobtui.config.model"},
    "jobtui.providers": {"jobtui.model", "jobtui.config", "jobtui.config.model"},
    "jobtui.store": {"jobtui.model"},
    "jobtui.sim": {"jobtui.model"},
    "jobtui.preview": {"jobtui.model"},
    "jobtui.engine": {
        "jobtui.model",
        "jobtui.config",
        "jobtui.config.model",
        "jobtui.providers",
        "jobtui.store",
    },
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
    """Whether ``module`` belongs to ``layer``: the layer, its submodules, or its
    ``layer_*`` helper modules (``jobtui.config.lines`` is part of ``jobtui.config``)."""
    return module == layer or module.startswith((layer + ".", layer + "_"))
