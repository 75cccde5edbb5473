"""The shipped themes travel in the wheel: build it, install it apart, load every theme from it.

In the checkout ``themes/`` sits beside ``jobtui/`` (hatch ``force-include``
puts it inside the wheel as ``jobtui/themes``), so a test run from the
checkout alone would never notice a wheel without themes. Here the real wheel
is built by pip with the project's own backend, installed into a scratch
directory, and a fresh interpreter that can see only that copy of jobtui
loads the themes.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.data import REPO_ROOT

SHIPPED = sorted(path.stem for path in (REPO_ROOT / "themes").glob("*.toml"))

# Run in the scratch interpreter: the installed copy first on sys.path, the checkout
# (which an editable install puts there) removed, so nothing can come from the source tree.
_PROBE = """
import json, sys
from pathlib import Path
target, checkout, user_dir = sys.argv[1:4]
sys.path = [target] + [
    entry for entry in sys.path
    if entry and Path(entry).resolve() != Path(checkout).resolve()
]
import jobtui
from jobtui.tui.themes import load_theme_set, load_themes, shipped_themes_dir
shipped = load_theme_set([shipped_themes_dir()])
print(json.dumps({
    "jobtui": jobtui.__file__,
    "shipped_dir": str(shipped_themes_dir()),
    "errors": [str(error) for error in shipped.errors],
    "names": sorted(theme.name for theme in load_themes(Path(user_dir))),
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from the checkout and installed into a scratch directory."""
    if importlib.util.find_spec("hatchling") is None:
        pytest.fail("building the wheel needs hatchling: it is in the test extra, run make venv")
    scratch = tmp_path_factory.mktemp("wheel")
    wheels, target = scratch / "dist", scratch / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO_ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("jobtui-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = sorted(
            Path(name).stem for name in archive.namelist()
            if name.startswith("jobtui/themes/") and name.endswith(".toml")
        )  # fmt: skip
    assert packed == SHIPPED, f"the wheel carries {packed}, the checkout {SHIPPED}"
    done = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


def test_every_shipped_theme_loads_from_the_installed_wheel(
    installed: Path, tmp_path: Path
) -> None:
    assert SHIPPED, "the checkout has no themes/*.toml"
    no_user_themes = tmp_path / "user-themes"
    no_user_themes.mkdir()
    probe = subprocess.run(
        [sys.executable, "-I", "-c", _PROBE, str(installed), str(REPO_ROOT), str(no_user_themes)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout)
    # Only the installed copy was imported, and it found its own themes.
    assert Path(seen["jobtui"]).is_relative_to(installed), seen["jobtui"]
    assert Path(seen["shipped_dir"]) == installed / "jobtui" / "themes"
    assert seen["errors"] == []
    assert seen["names"] == SHIPPED
